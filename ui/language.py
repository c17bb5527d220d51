"""The UI-language toggle (ja/en): one handler that relabels every component of every tab, re-renders
the status line, the suggestion, the active filters, the sources panel and the library table in the new
language, and stores it in the `lang` state. Answers keep the question's language (decided in rag).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gradio as gr

from . import render as R
from .filters import filters_from_controls
from .i18n import pick_lang, t
from .tab_library import library_view


def wire_language(
    be: Any,
    head: SimpleNamespace,
    chat: SimpleNamespace,
    lib: SimpleNamespace,
    br: SimpleNamespace,
    ev: SimpleNamespace,
    lang: gr.State,
    turns: gr.State,
    suggestion: gr.State,
) -> None:
    """head: title_md and ui_lang (the Radio); chat/lib/br/ev: the tabs (ui.tab_chat … ui.tab_eval)."""
    fp, fb = chat.fp, chat.fb

    def on_lang(new_lang, turns_v, sugg, *fvals):
        L = pick_lang(new_lang)
        desc_f = filters_from_controls(*fvals)
        last = turns_v[-1]["turn"] if turns_v else 0
        upd = [
            R.status_html("done", t("status_done", L), last) if last else R.status_html("idle", t("status_ready", L)),
            R.suggestion_html(be.describe(sugg, L), L) if sugg else "",
            L,
            gr.update(value=f"## {t('title', L)}\n{t('subtitle', L)}"),
            gr.update(label=t("ui_lang", L)),
            gr.update(label=t("tab_chat", L)),
            gr.update(label=t("tab_library", L)),
            gr.update(label=t("tab_briefing", L)),
            gr.update(label=t("tab_eval", L)),
            gr.update(label=t("chat", L), placeholder=t("empty_chat", L)),
            gr.update(label=t("question", L), placeholder=t("question_ph", L)),
            gr.update(value=t("send", L)),
            gr.update(value=t("clear", L)),
            gr.update(label=t("fb_title", L)),
            gr.update(value=t("fb_up", L)),
            gr.update(value=t("fb_down", L)),
            gr.update(label=t("fb_comment", L)),
            gr.update(value=t("fb_send", L)),
            gr.update(value=t("fb_export", L)),
            gr.update(label=t("filters", L)),
            R.filters_summary_html(be.describe(desc_f, L), L, bool(desc_f)),
            gr.update(value=t("f_apply", L)),
            gr.update(value=t("f_dismiss", L)),
            gr.update(label=t("f_country", L)),
            gr.update(label=t("f_industry", L)),
            gr.update(label=t("f_category", L)),
            gr.update(label=t("f_company", L)),
            gr.update(label=t("f_tags", L)),
            gr.update(label=t("f_year_from", L)),
            gr.update(label=t("f_year_to", L)),
            gr.update(value=t("f_clear", L)),
            gr.update(value=f"### {t('sources', L)}"),
            R.sources_panel_html([(x["turn"], x["answer"]) for x in turns_v], L),
            gr.update(label=t("lib_upload", L)),
            gr.update(value=t("lib_upload_btn", L)),
            gr.update(value=t("lib_reindex", L)),
            gr.update(label=t("lib_rebuild", L)),
            gr.update(value=t("lib_refresh", L)),
            gr.update(value=f"### {t('lib_docs', L)}"),
            library_view(be, L),
            gr.update(label=t("lib_delete", L)),
            gr.update(value=t("lib_delete_btn", L)),
            gr.update(label=t("br_company", L)),
            gr.update(label=t("br_vs", L)),
            gr.update(label=t("br_lang", L)),
            gr.update(value=t("br_make", L)),
            gr.update(label=t("br_md", L)),
            gr.update(label=t("br_html", L)),
            gr.update(label=t("ev_path", L)),
            gr.update(label=t("ev_limit", L)),
            gr.update(label=t("ev_upload", L)),
            gr.update(value=t("ev_run", L)),
            gr.update(label=t("ev_plots", L)),
            gr.update(label=t("ev_report", L)),
        ]
        return upd

    lang_outputs = [
        chat.status,
        fp.suggest_html,
        lang,
        head.title_md,
        head.ui_lang,
        chat.tab,
        lib.tab,
        br.tab,
        ev.tab,
        chat.chatbot,
        chat.question,
        chat.send,
        chat.clear,
        fb.fb_acc,
        fb.fb_up,
        fb.fb_down,
        fb.fb_comment,
        fb.fb_send,
        fb.fb_export,
        fp.filt_acc,
        fp.active_html,
        fp.sug_apply,
        fp.sug_dismiss,
        *fp.filter_inputs,
        fp.f_clear,
        chat.sources_title,
        chat.sources,
        lib.up_files,
        lib.up_btn,
        lib.reindex_btn,
        lib.rebuild_chk,
        lib.refresh_btn,
        lib.lib_title,
        lib.lib_html,
        lib.del_choice,
        lib.del_btn,
        br.br_company,
        br.br_vs,
        br.br_lang,
        br.br_make,
        br.br_md_dl,
        br.br_html_dl,
        ev.ev_path,
        ev.ev_limit,
        ev.ev_upload,
        ev.ev_run,
        ev.ev_plots,
        ev.ev_files,
    ]
    head.ui_lang.change(
        on_lang,
        [head.ui_lang, turns, suggestion, *fp.filter_inputs],
        lang_outputs,
        api_visibility="private",
        show_progress="hidden",
    )
