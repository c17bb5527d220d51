"""The UI-language toggle (ja/en): the first page follows the browser (the choice remembered in its
localStorage, else Accept-Language), a choice is remembered there and Gradio's own labels (footer)
follow it; one handler that relabels every component of every tab, re-renders
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
from .tab_chat import done_text
from .tab_conversations import panel_components, panel_relabel
from .tab_library import library_view

STORAGE_KEY = "casebook-lang"

# First visit: the language remembered in this browser (localStorage), else the browser's own
# (navigator.language); the server falls back to Accept-Language if this script cannot run.
STORED_LANG_JS = (
    "(stored, current) => { let s = ''; "
    f"try {{ s = localStorage.getItem('{STORAGE_KEY}') || ''; }} catch (e) {{}} "
    "if (s !== 'ja' && s !== 'en') s = /^ja\\b/i.test(navigator.language || '') ? 'ja' : 'en'; "
    "return [s, current]; }"
)
# A choice made with the toggle is remembered in this browser.
REMEMBER_LANG_JS = f"(v) => {{ try {{ localStorage.setItem('{STORAGE_KEY}', v); }} catch (e) {{}} }}"
# Gradio's own labels (footer, settings) follow the toggle too (ui.theme defines __casebookLocale).
GRADIO_LOCALE_JS = "(v) => { if (window.__casebookLocale) window.__casebookLocale(v); }"


def lang_from_accept(header: str | None) -> str | None:
    """ "ja" or "en", whichever the Accept-Language header prefers (by q, then order); None if neither."""
    best: tuple[float, int, str] | None = None
    for i, part in enumerate((header or "").split(",")):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        q = 1.0
        for b in bits[1:]:
            b = b.strip()
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        code = tag.split("-")[0]
        if code in ("ja", "en") and q > 0 and (best is None or (-q, i) < (-best[0], best[1])):
            best = (q, i, code)
    return best[2] if best else None


def initial_lang(stored: str | None, request: Any) -> str:
    """The UI language of a new page: the one remembered in the browser, else the browser's
    Accept-Language, else the default."""
    if stored in ("ja", "en"):
        return stored
    headers = getattr(request, "headers", None) or {}
    return lang_from_accept(headers.get("accept-language")) or pick_lang(None)


def wire_language(
    demo: gr.Blocks,
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
            R.status_html("done", done_text(L, turns_v[-1].get("seconds"), turns_v[-1].get("answer")), last)
            if last
            else R.status_html("idle", t("status_ready", L)),
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
            *panel_relabel(L),
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
        *panel_components(chat.cv),
    ]

    def on_page_load(request: gr.Request, stored, current):
        L = initial_lang(stored, request)
        return gr.update(value=L) if L != current else gr.skip()

    demo.load(on_page_load, [head.ui_lang, head.ui_lang], head.ui_lang, js=STORED_LANG_JS, api_visibility="private")
    head.ui_lang.input(None, [head.ui_lang], None, js=REMEMBER_LANG_JS)
    head.ui_lang.change(None, [head.ui_lang], None, js=GRADIO_LOCALE_JS)
    head.ui_lang.change(
        on_lang,
        [head.ui_lang, turns, suggestion, *fp.filter_inputs],
        lang_outputs,
        api_visibility="private",
        show_progress="hidden",
    )
