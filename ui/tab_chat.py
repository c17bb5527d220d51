"""The chat tab: the conversation, the question box, the status line and the sources panel (with the
filter panel of ui.filters and the feedback box of ui.rating beside them), and the streamed answer:
a question is answered through rag's `ask_stream` with the visible filters and the previous turns as
follow-up history, the bubble is updated as text arrives, then the cited answer, its sources and any
suggested filter are shown. Errors are shown in the chat and keep the session usable.
"""

from __future__ import annotations

import time
import traceback
from types import SimpleNamespace
from typing import Any

import gradio as gr

from . import render as R
from .chips import chips_row
from .feedback import new_answer_id
from .filters import filter_panel, filters_from_controls, suggestion_to_controls
from .i18n import EXAMPLES, pick_lang, t
from .rating import feedback_panel
from .stream_view import visible_steps
from .tab_conversations import conversation_panel, save_turn


def chat_tab(be: Any, choices0: dict[str, Any], L0: str) -> SimpleNamespace:
    """The chat tab's components (in the current gr.Tabs): tab, chatbot, status, question, send, clear,
    sources_title, sources; `fp` the filter panel (ui.filters), `fb` the feedback box (ui.rating) and
    `cv` the conversation side panel (ui.tab_conversations)."""
    with gr.Tab(t("tab_chat", L0), id="chat", elem_id="tab-chat") as tab_chat:
        with gr.Row(elem_id="chat-row"):
            cv = conversation_panel(L0, be.settings.data_dir)
            with gr.Column(scale=3, min_width=320):
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
                chips = chips_row(L0)
                fb = feedback_panel(L0)
            with gr.Column(scale=2, min_width=320):
                fp = filter_panel(be, choices0, L0)
                sources_title = gr.Markdown(f"### {t('sources', L0)}", elem_id="sources-title")
                sources = gr.HTML(R.sources_panel_html([], L0), elem_id="sources-panel")
    return SimpleNamespace(
        tab=tab_chat,
        chatbot=chatbot,
        status=status,
        question=question,
        send=send,
        clear=clear,
        sources_title=sources_title,
        sources=sources,
        fp=fp,
        fb=fb,
        cv=cv,
        chips=chips,
    )


def done_text(lang: str, seconds: float | None, answer: Any = None) -> str:
    """The status line of an answered question: "Answered · 1.24 s" (two decimals under 10 s), with the
    answer's mode and the number of sections retrieved when the answer is given:
    "Answered · 1.24 s · extractive · 8 search results"."""
    bits = [t("status_done", lang)]
    if seconds is not None:
        bits.append(f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s")
    if answer is not None:
        backend = getattr(answer, "backend", "") or "extractive"
        bits.append(t("mode_extractive", lang) if backend == "extractive" else backend)
        bits.append(t("st_sections", lang).format(n=len(getattr(answer, "hits", None) or [])))
    return " · ".join(bits)


def wire_chat(
    be: Any, view: SimpleNamespace, lang: gr.State, turns: gr.State, suggestion: gr.State, st: SimpleNamespace
) -> None:
    """Submit (Enter, Send, an example) streams an answer with the answer mode and k of the settings tab
    (`st`, ui.tab_settings); Clear (button or the chatbot's) resets the chat."""
    fp = view.fp
    filter_inputs = fp.filter_inputs
    chatbot, question = view.chatbot, view.question
    chat_outputs = [
        chatbot,
        view.status,
        view.sources,
        turns,
        suggestion,
        fp.suggest_box,
        fp.suggest_html,
        question,
        fp.filt_acc,
        view.cv.current,
        view.cv.conv_list,
    ]

    def on_submit(request: gr.Request, q, chat, turns_v, L, current, mode, k, *fvals):
        q = (q or "").strip()
        L = pick_lang(L)
        if not q:
            yield [gr.skip()] * len(chat_outputs)
            return
        started = time.monotonic()
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
            gr.skip(),
            gr.skip(),
        ]
        final = None
        try:
            if not be.has_index():
                raise RuntimeError(t("no_index", L))
            # follow-ups: (question, Answer) of the previous turns (rag.answer.followup). No filters in it: the
            # filter controls are the visible truth, rag must not carry an earlier turn's filters.
            hist = [(x["answer"].question, x["answer"]) for x in (turns_v or [])][-6:]
            # the bubble grows line by line (ui.stream_view), marked "streaming" until the final answer
            for kind, value in visible_steps(be.ask_stream(q, f, hist, mode=mode, k=k)):
                if kind == "text":
                    chat[-1] = {"role": "assistant", "content": R.answer_html(value.rstrip(), turn, streaming=True)}
                    yield [chat] + [gr.skip()] * (len(chat_outputs) - 1)
                else:
                    final = value
            if final is None:
                raise RuntimeError("the answer stream ended without an answer")
        except Exception as e:  # noqa: BLE001 — show it, keep the session usable
            msg = str(e) if isinstance(e, RuntimeError) else f"{type(e).__name__}: {e}"
            traceback.print_exc()
            chat[-1] = {"role": "assistant", "content": R.answer_html(f"⚠ {msg}", turn)}
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
                gr.skip(),
                gr.skip(),
            ]
            return
        chat[-1] = {"role": "assistant", "content": R.answer_html(final.text, turn, final.citations)}
        # the time the user waited, measured here: rag's own timings are 0 for an answer served from its cache
        secs = time.monotonic() - started
        turns_v = list(turns_v or []) + [
            {"turn": turn, "answer": final, "answer_id": new_answer_id(), "filters": f, "seconds": secs}
        ]
        sugg = be.suggest(q, final, f)
        sug_vis = bool(sugg) and bool(suggestion_to_controls(sugg, be.facet_choices()))
        done = done_text(L, secs, final)
        cid, conv_list = save_turn(view.cv, request, current, final, f, L)
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
            cid,
            conv_list,
        ]

    submit_inputs = [question, chatbot, turns, lang, view.cv.current, st.mode, st.k, *filter_inputs]
    question.submit(on_submit, submit_inputs, chat_outputs, api_visibility="private", show_progress="hidden")
    view.send.click(on_submit, submit_inputs, chat_outputs, api_visibility="private", show_progress="hidden")

    def on_example(request: gr.Request, evt: gr.SelectData, chat, turns_v, L, current, mode, k, *fvals):
        v = evt.value
        q = v.get("text") if isinstance(v, dict) else str(v or "")
        yield from on_submit(request, q, chat, turns_v, L, current, mode, k, *fvals)

    chatbot.example_select(
        on_example,
        [chatbot, turns, lang, view.cv.current, st.mode, st.k, *filter_inputs],
        chat_outputs,
        api_visibility="private",
        show_progress="hidden",
    )

    def on_clear(L):
        return [
            [],
            R.status_html("idle", t("status_ready", pick_lang(L))),
            R.sources_panel_html([], pick_lang(L)),
            [],
            {},
            gr.update(visible=False),
            "",
            "",
            gr.skip(),
            "",  # Clear starts a new conversation; the saved one stays in the list
            gr.update(value=None),
        ]

    view.clear.click(on_clear, [lang], chat_outputs, api_visibility="private")
    chatbot.clear(on_clear, [lang], chat_outputs, api_visibility="private")
