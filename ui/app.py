"""The Gradio Blocks app: layout and event wiring. All logic lives in rag/ (and eval/); this only calls it.

    demo = build_app(settings)
    demo.queue(default_concurrency_limit=4).launch(**launch_kwargs())   # ui/serve.py does this

Tabs: Chat (streamed, cited answers; sources panel; filters with suggestions; 👍/👎 + comment),
Library (documents, facets, index status, uploads, re-index), Briefing (rag.briefing), Evaluation
(eval.runner + eval.report). The UI language (ja/en) is a toggle; answers follow the question's
language (decided in rag).

Public API endpoint (for scripts and eval/load_test.py): `/ask` (question, filters JSON) → answer JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from eval.questionset import load_questions
from eval.report import write_outputs
from eval.runner import run_questions
from rag.answer.pipeline import ask, ask_stream
from rag.brief import briefing as B
from rag.index.indexer import index_library
from rag.index.library import get_library
from rag.search.filters import Filters

from . import render as R  # noqa: E402
from .feedback import FeedbackStore, new_answer_id  # noqa: E402
from .i18n import DEFAULT_LANG, EXAMPLES, LANG_CHOICES, t  # noqa: E402
from .uploads import accept_uploads, delete_upload, list_uploads, safe_filename

FACET_CONTROLS = ("country", "industry", "category", "company", "tags")
DEFAULT_QUESTIONS = Path(__file__).resolve().parents[1] / "eval" / "questions" / "dev.jsonl"

# Citation links: open, highlight and scroll to the cited section in the sources panel. Runs once
# on page load (launch(js=…)); event delegation, so it also works for messages rendered later.
CITATION_JS = r"""
() => {
  if (window.__casebookCites) return;
  window.__casebookCites = true;
  document.addEventListener('click', (ev) => {
    const a = ev.target && ev.target.closest ? ev.target.closest('a') : null;
    if (!a) return;
    const href = a.getAttribute('href') || '';
    const m = href.match(/^#((?:src|rel)-\d+-\d+)$/);
    if (!m) return;
    ev.preventDefault();
    ev.stopPropagation();
    const el = document.getElementById(m[1]);
    if (!el) return;
    for (let p = el; p; p = p.parentElement) { if (p.tagName === 'DETAILS') p.open = true; }
    document.querySelectorAll('details.src.active').forEach((x) => x.classList.remove('active'));
    el.classList.add('active');
    el.scrollIntoView({behavior: 'smooth', block: 'start'});
  }, true);
}
"""


def theme() -> gr.themes.Base:
    """A built-in theme with system fonts only (nothing is fetched; Noto CJK renders Japanese)."""
    sans = ["Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Yu Gothic", "Meiryo", "system-ui", "sans-serif"]
    mono = ["Noto Sans Mono CJK JP", "ui-monospace", "monospace"]
    return gr.themes.Default(primary_hue="indigo", font=sans, font_mono=mono)


def launch_kwargs() -> dict[str, Any]:
    """Arguments of demo.launch() shared by `casebook serve` and tests (theme/css/js go to launch in Gradio 6)."""
    return {
        "theme": theme(),
        "css": R.CSS,
        "js": CITATION_JS,
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "show_error": True,
        "footer_links": ["api", "settings"],
        "max_file_size": "5mb",
        "allowed_paths": [],
    }


# ------------------------------------------------------------------------------------ helpers


def _lang(v: Any) -> str:
    return v if v in ("ja", "en") else DEFAULT_LANG


class Backend:
    """The rag calls the UI needs, bound to one Settings."""

    def __init__(self, settings: Any):
        self.settings = settings
        self.feedback = FeedbackStore(settings.data_dir)
        self._index_lock = threading.Lock()

    # ---- index
    def snapshot(self):
        return get_library(self.settings).snapshot()

    def has_index(self) -> bool:
        try:
            return get_library(self.settings).exists()
        except Exception:  # noqa: BLE001
            return False

    def companies(self, fallback: list[str]) -> list[str]:
        try:
            from rag.brief.briefing import list_companies

            return list_companies(self.settings)
        except Exception:  # noqa: BLE001
            return fallback

    def facet_choices(self) -> dict[str, Any]:
        """Values of each facet control, from the documents in the index; plus the founded-year range."""
        out: dict[str, Any] = {k: set() for k in FACET_CONTROLS}
        years: list[int] = []
        try:
            docs = self.snapshot().documents
        except Exception:  # noqa: BLE001 — no index yet: empty controls
            docs = []
        for d in docs:
            f = d.get("facets") or {}
            for k in FACET_CONTROLS:
                v = f.get(k)
                if isinstance(v, (list, tuple)):
                    out[k].update(str(x) for x in v if x not in (None, ""))
                elif v not in (None, ""):
                    out[k].add(str(v))
            y = f.get("founded_year")
            if isinstance(y, (int, float)) and not isinstance(y, bool):
                years.append(int(y))
        res: dict[str, Any] = {k: sorted(v, key=str.casefold) for k, v in out.items()}
        res["years"] = (min(years), max(years)) if years else (None, None)
        return res

    # ---- answers
    def ask_stream(self, question: str, filters: dict | None, history: list | None):
        return ask_stream(
            question, filters=Filters.from_dict(filters or {}), history=history or None, settings=self.settings
        )

    def ask(self, question: str, filters: dict | None = None, history: list | None = None):
        return ask(question, filters=Filters.from_dict(filters or {}), history=history or None, settings=self.settings)

    def suggest(self, question: str, answer: Any, active: dict) -> dict:
        sugg = dict(getattr(answer, "suggested_filters", None) or {})
        if not sugg:
            try:
                from rag.search.filters import infer_filters

                sugg = infer_filters(question, self.snapshot())
            except Exception:  # noqa: BLE001
                sugg = {}
        return {k: v for k, v in sugg.items() if not active.get(k)}

    def describe(self, filters: dict, lang: str) -> str:
        try:
            return Filters.from_dict(filters or {}).describe(lang)
        except ValueError as e:
            return str(e)


def filters_from_controls(country, industry, category, company, tags, y_from, y_to) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, val in (
        ("country", country),
        ("industry", industry),
        ("category", category),
        ("company", company),
        ("tags", tags),
    ):
        vals = [v for v in (val or []) if v not in (None, "")]
        if vals:
            out[key] = vals[0] if len(vals) == 1 and key != "tags" else vals
    rng: dict[str, int] = {}
    for op, v in (("gte", y_from), ("lte", y_to)):
        if v not in (None, "", 0):
            try:
                rng[op] = int(v)
            except (TypeError, ValueError):
                pass
    if rng:
        out["founded_year"] = rng
    return out


def year_choices(choices: dict[str, Any]) -> list[str]:
    lo, hi = choices.get("years") or (None, None)
    if lo is None:
        return [""]
    return [""] + [str(y) for y in range(int(lo), int(hi) + 1)]


def suggestion_to_controls(sugg: dict[str, Any], choices: dict[str, Any]) -> dict[str, list[str]]:
    """Dropdown values for a suggested filter: exact values, or the facet values containing a stem."""
    out: dict[str, list[str]] = {}
    for key, spec in (sugg or {}).items():
        if key not in FACET_CONTROLS:
            continue
        avail = list(choices.get(key) or [])
        if isinstance(spec, dict):  # {"contains": [...]} / {"in": [...]}
            vals = [str(x) for v in spec.values() for x in (v if isinstance(v, (list, tuple)) else [v])]
        else:
            vals = [str(x) for x in (spec if isinstance(spec, (list, tuple)) else [spec])]
        picked: list[str] = []
        for v in vals:
            exact = [a for a in avail if a == v]
            picked += exact or [a for a in avail if v.casefold() in a.casefold()]
        if picked:
            out[key] = list(dict.fromkeys(picked))
    return out


def report_summary(report_md: str) -> str:
    """The tables of eval's report.md for display: without the plot images (shown in a gallery) and
    without the failed-question details (they quote document text; the full report is a download)."""
    import re as _re

    head = report_md.split("\n## Failed questions", 1)
    lines = [ln for ln in head[0].splitlines() if not _re.match(r"\s*!\[", ln)]
    if len(head) > 1:
        lines += ["", "## Failed questions" + head[1].split("\n", 1)[0] + " — see report.md"]
    return "\n".join(lines)


def answer_payload(answer: Any) -> dict[str, Any]:
    """JSON for the /ask API endpoint."""
    return {
        "question": answer.question,
        "lang": answer.lang,
        "text": answer.text,
        "refused": answer.refused,
        "citations": [
            {
                "n": c.n,
                "doc_id": c.doc_id,
                "title": c.title,
                "company": c.company,
                "heading_path": list(c.heading_path),
                "source": Path(c.source).name,
                "start_line": c.start_line,
                "end_line": c.end_line,
                "quote": list(c.quote),
            }
            for c in answer.citations
        ],
        "timings": dict(answer.timings or {}),
        "backend": getattr(answer, "backend", ""),
    }


# ------------------------------------------------------------------------------------ the app


def build_app(settings: Any) -> gr.Blocks:
    be = Backend(settings)
    choices0 = be.facet_choices()
    L0 = DEFAULT_LANG

    with gr.Blocks(title="casebook", analytics_enabled=False, fill_width=True) as demo:
        lang = gr.State(L0)
        turns = gr.State([])  # [{"turn", "answer", "answer_id", "filters"}]
        suggestion = gr.State({})
        rated = gr.State(None)  # answer_id rated last (the comment goes there)

        with gr.Row(equal_height=True):
            title_md = gr.Markdown(f"## {t('title', L0)}\n{t('subtitle', L0)}", elem_id="app-title")
            ui_lang = gr.Radio(
                choices=LANG_CHOICES, value=L0, label=t("ui_lang", L0), elem_id="ui-lang", scale=0, min_width=220
            )

        with gr.Tabs(elem_id="tabs"):
            # ============================================================ chat
            with gr.Tab(t("tab_chat", L0), id="chat", elem_id="tab-chat") as tab_chat:
                with gr.Row():
                    with gr.Column(scale=3, min_width=420):
                        chatbot = gr.Chatbot(
                            value=[],
                            label=t("chat", L0),
                            elem_id="chatbot",
                            height=560,
                            render_markdown=False,
                            sanitize_html=True,
                            line_breaks=False,
                            placeholder=t("empty_chat", L0),
                            examples=[{"text": q} for q in EXAMPLES["ja"] + EXAMPLES["en"]],
                            feedback_options=("Like", "Dislike"),
                            buttons=[],  # copy buttons would copy the bubble's HTML source; select text instead
                        )
                        status = gr.HTML(R.status_html("idle", t("status_ready", L0)), elem_id="status-box")
                        with gr.Row():
                            question = gr.Textbox(
                                label=t("question", L0),
                                placeholder=t("question_ph", L0),
                                lines=1,
                                max_lines=4,
                                scale=8,
                                elem_id="question",
                                autofocus=True,
                            )
                            send = gr.Button(t("send", L0), variant="primary", scale=1, min_width=90, elem_id="send")
                            clear = gr.Button(t("clear", L0), scale=1, min_width=90, size="md", elem_id="clear")
                        fb_msg = gr.Markdown("", elem_id="fb-msg")
                        with gr.Accordion(t("fb_title", L0), open=False, elem_id="feedback-box") as fb_acc:
                            with gr.Row():
                                fb_up = gr.Button(t("fb_up", L0), size="sm", elem_id="fb-up")
                                fb_down = gr.Button(t("fb_down", L0), size="sm", elem_id="fb-down")
                            fb_comment = gr.Textbox(label=t("fb_comment", L0), lines=2, elem_id="fb-comment")
                            fb_send = gr.Button(t("fb_send", L0), size="sm", elem_id="fb-send")
                            with gr.Row():
                                fb_export = gr.Button(t("fb_export", L0), size="sm", elem_id="fb-export")
                                fb_file = gr.File(
                                    label=t("fb_export", L0), interactive=False, elem_id="fb-file", visible=False
                                )
                    with gr.Column(scale=2, min_width=320):
                        active_html = gr.HTML(R.filters_summary_html(be.describe({}, L0), L0), elem_id="active-box")
                        with gr.Group(visible=False, elem_id="suggest-box") as suggest_box:
                            suggest_html = gr.HTML("", elem_id="suggest-html")
                            with gr.Row():
                                sug_apply = gr.Button(
                                    t("f_apply", L0), size="sm", variant="primary", elem_id="sug-apply"
                                )
                                sug_dismiss = gr.Button(t("f_dismiss", L0), size="sm", elem_id="sug-dismiss")
                        with gr.Accordion(t("filters", L0), open=False, elem_id="filters-box") as filt_acc:
                            f_country = gr.Dropdown(
                                choices0["country"],
                                value=[],
                                multiselect=True,
                                label=t("f_country", L0),
                                elem_id="f-country",
                            )
                            f_industry = gr.Dropdown(
                                choices0["industry"],
                                value=[],
                                multiselect=True,
                                label=t("f_industry", L0),
                                elem_id="f-industry",
                            )
                            f_category = gr.Dropdown(
                                choices0["category"],
                                value=[],
                                multiselect=True,
                                label=t("f_category", L0),
                                elem_id="f-category",
                            )
                            f_company = gr.Dropdown(
                                choices0["company"],
                                value=[],
                                multiselect=True,
                                label=t("f_company", L0),
                                elem_id="f-company",
                            )
                            f_tags = gr.Dropdown(
                                choices0["tags"], value=[], multiselect=True, label=t("f_tags", L0), elem_id="f-tags"
                            )
                            with gr.Row():
                                f_from = gr.Dropdown(
                                    year_choices(choices0), value="", label=t("f_year_from", L0), elem_id="f-from"
                                )
                                f_to = gr.Dropdown(
                                    year_choices(choices0), value="", label=t("f_year_to", L0), elem_id="f-to"
                                )
                            f_clear = gr.Button(t("f_clear", L0), size="sm", elem_id="f-clear")
                        sources_title = gr.Markdown(f"### {t('sources', L0)}", elem_id="sources-title")
                        sources = gr.HTML(R.sources_panel_html([], L0), elem_id="sources-panel")

            # ============================================================ library
            with gr.Tab(t("tab_library", L0), id="library", elem_id="tab-library") as tab_lib:
                with gr.Row():
                    with gr.Column(scale=1, min_width=300):
                        up_files = gr.File(
                            label=t("lib_upload", L0),
                            file_count="multiple",
                            file_types=[".md", ".txt"],
                            type="filepath",
                            elem_id="upload-files",
                        )
                        up_btn = gr.Button(t("lib_upload_btn", L0), variant="primary", elem_id="upload-btn")
                        up_msgs = gr.HTML("", elem_id="upload-box")
                        with gr.Row():
                            reindex_btn = gr.Button(t("lib_reindex", L0), elem_id="reindex-btn")
                            rebuild_chk = gr.Checkbox(False, label=t("lib_rebuild", L0), elem_id="rebuild-chk")
                        with gr.Row():
                            del_choice = gr.Dropdown([], value=None, label=t("lib_delete", L0), elem_id="delete-choice")
                            del_btn = gr.Button(
                                t("lib_delete_btn", L0), size="sm", variant="stop", elem_id="delete-btn"
                            )
                        refresh_btn = gr.Button(t("lib_refresh", L0), size="sm", elem_id="refresh-btn")
                    with gr.Column(scale=3):
                        lib_title = gr.Markdown(f"### {t('lib_docs', L0)}")
                        lib_html = gr.HTML("", elem_id="library-box")

            # ============================================================ briefing
            with gr.Tab(t("tab_briefing", L0), id="briefing", elem_id="tab-briefing") as tab_brief:
                with gr.Row():
                    br_company = gr.Dropdown(
                        choices0["company"], value=None, label=t("br_company", L0), elem_id="br-company"
                    )
                    br_vs = gr.Dropdown([""] + choices0["company"], value="", label=t("br_vs", L0), elem_id="br-vs")
                    br_lang = gr.Radio(LANG_CHOICES, value=L0, label=t("br_lang", L0), elem_id="br-lang")
                br_make = gr.Button(t("br_make", L0), variant="primary", elem_id="br-make")
                with gr.Row():
                    br_md_dl = gr.DownloadButton(t("br_md", L0), visible=False, elem_id="br-md")
                    br_html_dl = gr.DownloadButton(t("br_html", L0), visible=False, elem_id="br-html")
                br_out = gr.HTML("", elem_id="br-out")

            # ============================================================ evaluation
            with gr.Tab(t("tab_eval", L0), id="eval", elem_id="tab-eval") as tab_eval:
                with gr.Row():
                    ev_path = gr.Textbox(str(DEFAULT_QUESTIONS), label=t("ev_path", L0), scale=3, elem_id="ev-path")
                    ev_limit = gr.Number(0, label=t("ev_limit", L0), precision=0, scale=1, elem_id="ev-limit")
                ev_upload = gr.File(
                    label=t("ev_upload", L0), file_types=[".jsonl"], type="filepath", elem_id="ev-upload"
                )
                ev_run = gr.Button(t("ev_run", L0), variant="primary", elem_id="ev-run")
                ev_summary = gr.Markdown("", elem_id="ev-summary", sanitize_html=True)
                ev_plots = gr.Gallery(
                    label=t("ev_plots", L0), columns=3, height=380, object_fit="contain", elem_id="ev-plots"
                )
                ev_files = gr.File(
                    label=t("ev_report", L0), file_count="multiple", interactive=False, elem_id="ev-files"
                )

        facet_dds = [f_country, f_industry, f_category, f_company, f_tags]
        filter_inputs = facet_dds + [f_from, f_to]

        # ------------------------------------------------------------ language toggle
        def on_lang(new_lang, turns_v, sugg, *fvals):
            L = _lang(new_lang)
            desc_f = filters_from_controls(*fvals)
            last = turns_v[-1]["turn"] if turns_v else 0
            upd = [
                R.status_html("done", t("status_done", L), last)
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
                library_view(L),
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
            status,
            suggest_html,
            lang,
            title_md,
            ui_lang,
            tab_chat,
            tab_lib,
            tab_brief,
            tab_eval,
            chatbot,
            question,
            send,
            clear,
            fb_acc,
            fb_up,
            fb_down,
            fb_comment,
            fb_send,
            fb_export,
            filt_acc,
            active_html,
            sug_apply,
            sug_dismiss,
            *filter_inputs,
            f_clear,
            sources_title,
            sources,
            up_files,
            up_btn,
            reindex_btn,
            rebuild_chk,
            refresh_btn,
            lib_title,
            lib_html,
            del_choice,
            del_btn,
            br_company,
            br_vs,
            br_lang,
            br_make,
            br_md_dl,
            br_html_dl,
            ev_path,
            ev_limit,
            ev_upload,
            ev_run,
            ev_plots,
            ev_files,
        ]
        ui_lang.change(
            on_lang,
            [ui_lang, turns, suggestion, *filter_inputs],
            lang_outputs,
            api_visibility="private",
            show_progress="hidden",
        )

        # ------------------------------------------------------------ filters
        def on_filters(L, *fvals):
            f = filters_from_controls(*fvals)
            return R.filters_summary_html(be.describe(f, L), L, bool(f))

        for comp in filter_inputs:
            comp.change(
                on_filters, [lang, *filter_inputs], active_html, api_visibility="private", show_progress="hidden"
            )

        def on_clear_filters():
            return [gr.update(value=[]) for _ in facet_dds] + [gr.update(value=""), gr.update(value="")]

        f_clear.click(on_clear_filters, None, filter_inputs, api_visibility="private")

        def on_apply(sugg, *fvals):
            ch = be.facet_choices()
            add = suggestion_to_controls(sugg or {}, ch)
            cur = {k: list(v or []) for k, v in zip(FACET_CONTROLS, fvals[:5])}
            outs = []
            for k in FACET_CONTROLS:
                vals = list(dict.fromkeys(cur[k] + add.get(k, [])))
                outs.append(gr.update(value=vals))
            return [*outs, {}, gr.update(visible=False)]

        sug_apply.click(
            on_apply, [suggestion, *facet_dds], [*facet_dds, suggestion, suggest_box], api_visibility="private"
        )
        sug_dismiss.click(
            lambda: ({}, gr.update(visible=False)), None, [suggestion, suggest_box], api_visibility="private"
        )

        # ------------------------------------------------------------ chat
        chat_outputs = [chatbot, status, sources, turns, suggestion, suggest_box, suggest_html, question, filt_acc]

        def on_submit(q, chat, turns_v, L, *fvals):
            q = (q or "").strip()
            L = _lang(L)
            if not q:
                yield [gr.skip()] * len(chat_outputs)
                return
            f = filters_from_controls(*fvals)
            turn = (turns_v[-1]["turn"] if turns_v else 0) + 1
            chat = list(chat or []) + [
                {"role": "user", "content": R.question_html(q)},
                {"role": "assistant", "content": R.answer_html("…", turn, streaming=True)},
            ]
            yield [
                chat,
                R.status_html("thinking", t("status_thinking", L), turn),
                gr.skip(),
                gr.skip(),
                gr.skip(),
                gr.skip(),
                gr.skip(),
                "",
                gr.skip(),
            ]
            acc = ""
            final = None
            try:
                if not be.has_index():
                    raise RuntimeError(t("no_index", L))
                last_emit = 0.0
                # follow-ups: (question, Answer) of the previous turns (rag.followup). No filters in it: the
                # filter controls are the visible truth, rag must not carry an earlier turn's filters.
                hist = [(x["answer"].question, x["answer"]) for x in (turns_v or [])][-6:]
                for item in be.ask_stream(q, f, hist):
                    if isinstance(item, str):
                        acc += item
                        now = time.monotonic()
                        if now - last_emit > 0.05:
                            last_emit = now
                            chat[-1] = {"role": "assistant", "content": R.answer_html(acc, turn, streaming=True)}
                            yield [chat] + [gr.skip()] * (len(chat_outputs) - 1)
                    else:
                        final = item
                if final is None:
                    raise RuntimeError("the answer stream ended without an answer")
            except Exception as e:  # noqa: BLE001 — show it, keep the session usable
                msg = str(e) if isinstance(e, RuntimeError) else f"{type(e).__name__}: {e}"
                traceback.print_exc()
                chat[-1] = {"role": "assistant", "content": R.answer_html(f"⚠ {msg}", turn, streaming=True)}
                yield [
                    chat,
                    R.status_html("error", f"{t('status_error', L)}: {msg}", turn),
                    gr.skip(),
                    gr.skip(),
                    gr.skip(),
                    gr.skip(),
                    gr.skip(),
                    gr.skip(),
                    gr.skip(),
                ]
                return
            chat[-1] = {"role": "assistant", "content": R.answer_html(final.text, turn, final.citations)}
            turns_v = list(turns_v or []) + [
                {"turn": turn, "answer": final, "answer_id": new_answer_id(), "filters": f}
            ]
            sugg = be.suggest(q, final, f)
            sug_vis = bool(sugg) and bool(suggestion_to_controls(sugg, be.facet_choices()))
            ms = final.timings.get("total") if isinstance(final.timings, dict) else None
            done = t("status_done", L) + (f" · {ms / 1000:.1f} s" if ms else "")
            yield [
                chat,
                R.status_html("done", done, turn),
                R.sources_panel_html([(x["turn"], x["answer"]) for x in turns_v], L),
                turns_v,
                sugg if sug_vis else {},
                gr.update(visible=sug_vis),
                R.suggestion_html(be.describe(sugg, L), L) if sug_vis else "",
                gr.skip(),
                gr.update(open=False),  # the sources of the new answer come into view
            ]

        submit_inputs = [question, chatbot, turns, lang, *filter_inputs]
        question.submit(on_submit, submit_inputs, chat_outputs, api_visibility="private", show_progress="hidden")
        send.click(on_submit, submit_inputs, chat_outputs, api_visibility="private", show_progress="hidden")

        def on_example(evt: gr.SelectData, chat, turns_v, L, *fvals):
            v = evt.value
            q = v.get("text") if isinstance(v, dict) else str(v or "")
            yield from on_submit(q, chat, turns_v, L, *fvals)

        chatbot.example_select(
            on_example,
            [chatbot, turns, lang, *filter_inputs],
            chat_outputs,
            api_visibility="private",
            show_progress="hidden",
        )

        def on_clear(L):
            return [
                [],
                R.status_html("idle", t("status_ready", _lang(L))),
                R.sources_panel_html([], _lang(L)),
                [],
                {},
                gr.update(visible=False),
                "",
                "",
                gr.skip(),
            ]

        clear.click(on_clear, [lang], chat_outputs, api_visibility="private")
        chatbot.clear(on_clear, [lang], chat_outputs, api_visibility="private")

        # ------------------------------------------------------------ feedback
        def _turn_for_msg(turns_v, index):
            """The turn of the assistant message at chat index `index` (2 messages per turn)."""
            if not turns_v:
                return None
            try:
                i = int(index[0] if isinstance(index, (list, tuple)) else index)
            except (TypeError, ValueError):
                return turns_v[-1]
            k = i // 2
            return turns_v[k] if 0 <= k < len(turns_v) else turns_v[-1]

        def _store(entry, rating, comment):
            a = entry["answer"]
            be.feedback.record(
                answer_id=entry["answer_id"],
                rating=rating,
                comment=comment,
                question=a.question,
                lang=a.lang,
                filters=entry.get("filters") or {},
                answer_text=a.text,
                refused=a.refused,
                citations=a.citations,
            )

        def on_like(evt: gr.LikeData, turns_v, L):
            entry = _turn_for_msg(turns_v, evt.index)
            if entry is None:
                return gr.skip(), t("fb_none", L)
            rating = "up" if evt.liked is True else ("down" if evt.liked is False else None)
            if rating is None:
                return entry["answer_id"], ""
            _store(entry, rating, None)
            return entry["answer_id"], f"{'✔' if rating == 'up' else '✖'} {t('fb_saved', L)} (Q{entry['turn']})"

        chatbot.like(on_like, [turns, lang], [rated, fb_msg], api_visibility="private")

        def on_rate(rating):
            def fn(turns_v, comment, L):
                if not turns_v:
                    return gr.skip(), t("fb_none", L), gr.skip()
                entry = turns_v[-1]
                _store(entry, rating, comment)
                icon = "✔" if rating == "up" else "✖"
                return entry["answer_id"], f"{icon} {t('fb_saved', L)} (Q{entry['turn']})", ""

            return fn

        fb_up.click(on_rate("up"), [turns, fb_comment, lang], [rated, fb_msg, fb_comment], api_visibility="private")
        fb_down.click(on_rate("down"), [turns, fb_comment, lang], [rated, fb_msg, fb_comment], api_visibility="private")

        def on_comment(turns_v, comment, rated_id, L):
            if not (comment or "").strip():
                return gr.skip(), gr.skip()
            if not turns_v:
                return t("fb_none", L), gr.skip()
            entry = next((x for x in turns_v if x["answer_id"] == rated_id), turns_v[-1])
            _store(entry, None, comment)
            return f"✔ {t('fb_saved', L)} (Q{entry['turn']})", ""

        fb_comment.submit(on_comment, [turns, fb_comment, rated, lang], [fb_msg, fb_comment], api_visibility="private")
        fb_send.click(on_comment, [turns, fb_comment, rated, lang], [fb_msg, fb_comment], api_visibility="private")

        def on_export(L):
            path = be.feedback.export_file(Path(tempfile.mkdtemp(prefix="casebook-feedback-")))
            c = be.feedback.counts()
            return (
                gr.update(value=str(path), visible=True),
                f"{t('fb_count', L)}: {t('fb_up', L)} {c['up']} · {t('fb_down', L)} {c['down']} · {t('fb_comment', L)} {c['comments']}",
            )

        fb_export.click(on_export, [lang], [fb_file, fb_msg], api_visibility="private")

        # ------------------------------------------------------------ library
        def library_view(L):
            try:
                snap = be.snapshot()
            except Exception as e:  # noqa: BLE001
                return R.messages_html([("info", f"{t('no_index', L)} ({e})")], "library-table")
            return R.library_html(snap.documents, snap.errors, L, snap.generation, str(settings.uploads_dir))

        def refreshed_controls(L):
            ch = be.facet_choices()
            comp = be.companies(ch["company"])
            years = year_choices(ch)
            return [gr.update(choices=ch[k]) for k in FACET_CONTROLS] + [
                gr.update(choices=years),
                gr.update(choices=years),
                gr.update(choices=comp),
                gr.update(choices=[""] + comp),
                library_view(L),
                gr.update(choices=list_uploads(settings), value=None),
            ]

        control_outputs = [*facet_dds, f_from, f_to, br_company, br_vs, lib_html, del_choice]

        def _index(progress, rebuild=False, L="ja"):
            def cb(name, done, total):
                progress((done, max(total, 1)) if total else 1.0, desc=f"{t('indexing', L)} {name}".strip())

            with be._index_lock:
                return index_library(settings, rebuild=rebuild, progress=cb)

        def on_upload(files, L, progress=gr.Progress()):
            L = _lang(L)
            if not files:
                return (
                    [R.messages_html([("info", t("up_no_files", L))])]
                    + [gr.skip()] * len(control_outputs)
                    + [gr.skip()]
                )
            res = accept_uploads(files, settings, L)
            msgs = list(res.messages)
            if res.saved:
                try:
                    report = _index(progress, False, L)
                    saved = {str(p.resolve()) for p in res.saved}
                    for e in report.errors:
                        if str(Path(e.path).resolve()) in saved:
                            where = f"{Path(e.path).name}" + (
                                f" {e.line}行目" if L == "ja" and e.line else f", line {e.line}" if e.line else ""
                            )
                            msgs.append(("error", f"{where}: {e.message}"))
                    msgs.append(("info", f"{t('index_done', L)}: {report.lines()[0]}"))
                except Exception as e:  # noqa: BLE001
                    msgs.append(("error", f"{type(e).__name__}: {e}"))
            elif not any(k == "ok" for k, _ in msgs):
                msgs.append(("info", t("up_none_added", L)))
            return [R.messages_html(msgs)] + refreshed_controls(L) + [None]

        up_btn.click(on_upload, [up_files, lang], [up_msgs, *control_outputs, up_files], api_visibility="private")

        def on_reindex(rebuild, L, progress=gr.Progress()):
            L = _lang(L)
            try:
                report = _index(progress, bool(rebuild), L)
                kinds = [("ok", f"{t('index_done', L)}: {report.lines()[0]}")]
                kinds += [("error", str(e)) for e in report.errors]
                kinds += [("warn", str(w)) for w in report.warnings[:50]]
            except Exception as e:  # noqa: BLE001
                kinds = [("error", f"{type(e).__name__}: {e}")]
            return [R.messages_html(kinds)] + refreshed_controls(L)

        reindex_btn.click(on_reindex, [rebuild_chk, lang], [up_msgs, *control_outputs], api_visibility="private")

        def on_delete(name, L, progress=gr.Progress()):
            L = _lang(L)
            if not name:
                return [R.messages_html([("info", t("up_delete_none", L))])] + [gr.skip()] * len(control_outputs)
            try:
                delete_upload(name, settings)
                report = _index(progress, False, L)
                kinds = [
                    ("ok", f"{name}: {t('up_deleted', L)}"),
                    ("info", f"{t('index_done', L)}: {report.lines()[0]}"),
                ]
            except Exception as e:  # noqa: BLE001
                kinds = [("error", f"{name}: {type(e).__name__}: {e}")]
            return [R.messages_html(kinds)] + refreshed_controls(L)

        del_btn.click(on_delete, [del_choice, lang], [up_msgs, *control_outputs], api_visibility="private")
        refresh_btn.click(lambda L: refreshed_controls(_lang(L)), [lang], control_outputs, api_visibility="private")
        demo.load(
            lambda L: refreshed_controls(_lang(L)),
            [lang],
            control_outputs,
            api_visibility="private",
            show_progress="hidden",
        )

        # ------------------------------------------------------------ briefing
        def on_brief(company, vs, blang):
            if not company:
                return gr.skip(), gr.skip(), R.messages_html([("info", t("br_none", _lang(blang)))], "br-msg")
            blang = _lang(blang)
            try:
                if vs and vs != company:
                    br = B.compare(company, vs, lang=blang, settings=settings)
                else:
                    br = B.build_briefing(company, lang=blang, settings=settings)
                md = B.render_markdown(br)
                page = B.render_html(br)  # escaped, self-contained, with a CSP that loads nothing
            except Exception as e:  # noqa: BLE001
                traceback.print_exc()
                return (
                    gr.update(visible=False),
                    gr.update(visible=False),
                    R.messages_html([("error", f"{type(e).__name__}: {e}")], "br-msg"),
                )
            out = Path(tempfile.mkdtemp(prefix="casebook-brief-"))

            try:
                stem = safe_filename(f"{company}{'-vs-' + vs if vs else ''}-{blang}.md")[:-3]
            except ValueError:
                stem = f"briefing-{blang}"
            md_path = out / f"{stem}.md"
            html_path = out / f"{stem}.html"
            md_path.write_text(md, encoding="utf-8")
            html_path.write_text(page, encoding="utf-8")
            return (
                gr.update(value=str(md_path), visible=True),
                gr.update(value=str(html_path), visible=True),
                R.briefing_frame(page),
            )

        br_make.click(on_brief, [br_company, br_vs, br_lang], [br_md_dl, br_html_dl, br_out], api_visibility="private")

        # ------------------------------------------------------------ evaluation
        def on_eval(path, upload, limit, L, progress=gr.Progress()):
            try:
                return _eval(path, upload, limit, L, progress)
            except Exception as e:  # noqa: BLE001 — show it in the tab
                traceback.print_exc()
                return f"**{t('status_error', _lang(L))}:** `{type(e).__name__}: {e}`", [], None

        def _eval(path, upload, limit, L, progress):
            L = _lang(L)
            qfile = Path(upload) if upload else Path((path or "").strip() or DEFAULT_QUESTIONS)
            questions, problems = load_questions(qfile)
            if limit and int(limit) > 0:
                questions = questions[: int(limit)]
            if not questions:
                return "\n".join([f"**{t('ev_none', L)}**", *[f"- `{p}`" for p in problems[:20]]]), [], None

            def cb(i, n, rec):
                progress((i, n), desc=f"{i}/{n} {rec.get('id', '')}")

            results = run_questions(
                questions, settings=settings, question_file=qfile, load_errors=problems, warmup=True, progress=cb
            )
            out = Path(settings.data_dir) / "eval-runs" / time.strftime("%Y%m%d-%H%M%S")
            paths = write_outputs(results, out)
            md = report_summary(paths["report"].read_text(encoding="utf-8"))
            # Gradio serves only files under the temp dir / cwd: show copies, keep the run in data_dir
            shown = Path(tempfile.mkdtemp(prefix="casebook-eval-"))
            plots = []
            for k, p in paths.get("plots", {}).items():
                if Path(p).exists():
                    plots.append((str(shutil.copy(p, shown / Path(p).name)), k))
            files = [str(shutil.copy(paths[k], shown / Path(paths[k]).name)) for k in ("report", "results")]
            md += f"\n\n`{out}`"
            return md, plots, files

        ev_run.click(
            on_eval, [ev_path, ev_upload, ev_limit, lang], [ev_summary, ev_plots, ev_files], api_visibility="private"
        )

        # ------------------------------------------------------------ API for scripts
        def api_ask(question: str, filters_json: str = "") -> dict:
            """Answer one question. filters_json: a Filters.from_dict mapping as JSON ('' = none)."""
            try:
                f = json.loads(filters_json) if (filters_json or "").strip() else {}
            except json.JSONDecodeError as e:
                raise gr.Error(f"filters_json is not valid JSON: {e}") from e
            return answer_payload(be.ask(question, f))

        gr.api(api_ask, api_name="ask")

    return demo
