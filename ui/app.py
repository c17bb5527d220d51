"""The Gradio Blocks app, assembled: the header with the UI-language toggle, four tabs and their event
wiring, each from its own module. All logic lives in rag/ (and eval/); the UI only calls it.

    demo = build_app(settings)
    demo.queue(default_concurrency_limit=4).launch(**launch_kwargs())   # ui/serve.py does this

Tabs: Chat (ui.tab_chat: streamed, cited answers; the saved conversations of ui.tab_conversations; sources panel; ui.filters with suggestions
and the removable filter chips of ui.chips; ui.rating
👍/👎 + comment), Library (ui.tab_library: documents, facets, index status, uploads, re-index),
Briefing (ui.tab_briefing, rag.brief), Evaluation (ui.tab_eval: eval.runner + eval.report), Settings
(ui.tab_settings: answer mode, k, UI language). The UI
language (ja/en) is a toggle (ui.language); answers follow the question's language (decided in rag).
The look and the launch arguments are in ui.theme.

Public API endpoint (for scripts and eval/load_test.py): `/ask` (question, filters JSON) → answer JSON
(ui.api).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gradio as gr

from .api import register_api
from .backend import Backend
from .chips import wire_chips
from .doc_viewer import doc_viewer
from .filters import wire_filters
from .i18n import DEFAULT_LANG, LANG_CHOICES, t
from .language import wire_language
from .rating import wire_feedback
from .tab_briefing import briefing_tab, wire_briefing
from .tab_chat import chat_tab, wire_chat
from .tab_conversations import wire_conversations
from .tab_eval import eval_tab, wire_eval
from .tab_library import library_tab, wire_library
from .tab_settings import settings_tab, wire_settings
from .theme import launch_kwargs

__all__ = ["build_app", "launch_kwargs"]


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
        head = SimpleNamespace(title_md=title_md, ui_lang=ui_lang)

        with gr.Tabs(elem_id="tabs"):
            chat = chat_tab(be, choices0, L0)
            lib = library_tab(L0)
            br = briefing_tab(choices0, L0)
            ev = eval_tab(L0)
            st = settings_tab(be, L0)
        doc_viewer(turns, lang)  # "Open the full document" of a source: a panel over the page (ui.doc_viewer)

        # events, in the order the handlers have always been registered
        wire_language(demo, be, head, chat, lib, br, ev, lang, turns, suggestion)
        wire_filters(be, chat.fp, lang, suggestion)
        wire_chips(chat.chips, chat.fp.filter_inputs, ui_lang)
        wire_chat(be, chat, lang, turns, suggestion, st)
        wire_conversations(demo, chat, lang, turns)
        wire_feedback(be, chat.chatbot, chat.fb, lang, turns, rated)
        wire_library(be, demo, lib, chat.fp, br, lang)
        wire_briefing(settings, br)
        wire_eval(settings, ev, lang)
        wire_settings(demo, be, st, ui_lang)
        register_api(be)

    return demo
