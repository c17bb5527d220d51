"""Feedback on answers in the chat tab: the 👍/👎 buttons, the comment box and the export under the
conversation, and the handlers that store a rating or comment for an answer (the chatbot's own like /
dislike on a message, or the buttons for the last answer) through the Backend's FeedbackStore
(ui.feedback), and export the ratings as a file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from .i18n import t


def feedback_panel(L0: str) -> SimpleNamespace:
    """The message line and the feedback accordion, in the current column: fb_msg, fb_acc, fb_up,
    fb_down, fb_comment, fb_send, fb_export, fb_file."""
    fb_msg = gr.Markdown("", elem_id="fb-msg")
    with gr.Accordion(t("fb_title", L0), open=False, elem_id="feedback-box") as fb_acc:
        with gr.Row():
            fb_up = gr.Button(t("fb_up", L0), size="sm", elem_id="fb-up")
            fb_down = gr.Button(t("fb_down", L0), size="sm", elem_id="fb-down")
        fb_comment = gr.Textbox(label=t("fb_comment", L0), lines=2, elem_id="fb-comment")
        fb_send = gr.Button(t("fb_send", L0), size="sm", elem_id="fb-send")
        with gr.Row():
            fb_export = gr.Button(t("fb_export", L0), size="sm", elem_id="fb-export")
            fb_file = gr.File(label=t("fb_export", L0), interactive=False, elem_id="fb-file", visible=False)
    return SimpleNamespace(
        fb_msg=fb_msg,
        fb_acc=fb_acc,
        fb_up=fb_up,
        fb_down=fb_down,
        fb_comment=fb_comment,
        fb_send=fb_send,
        fb_export=fb_export,
        fb_file=fb_file,
    )


def wire_feedback(
    be: Any, chatbot: gr.Chatbot, fb: SimpleNamespace, lang: gr.State, turns: gr.State, rated: gr.State
) -> None:
    """Like/dislike on a message, 👍/👎 for the last answer, a comment (for the answer rated last), export."""
    fb_msg, fb_comment = fb.fb_msg, fb.fb_comment

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

    fb.fb_up.click(on_rate("up"), [turns, fb_comment, lang], [rated, fb_msg, fb_comment], api_visibility="private")
    fb.fb_down.click(on_rate("down"), [turns, fb_comment, lang], [rated, fb_msg, fb_comment], api_visibility="private")

    def on_comment(turns_v, comment, rated_id, L):
        if not (comment or "").strip():
            return gr.skip(), gr.skip()
        if not turns_v:
            return t("fb_none", L), gr.skip()
        entry = next((x for x in turns_v if x["answer_id"] == rated_id), turns_v[-1])
        _store(entry, None, comment)
        return f"✔ {t('fb_saved', L)} (Q{entry['turn']})", ""

    fb_comment.submit(on_comment, [turns, fb_comment, rated, lang], [fb_msg, fb_comment], api_visibility="private")
    fb.fb_send.click(on_comment, [turns, fb_comment, rated, lang], [fb_msg, fb_comment], api_visibility="private")

    def on_export(L):
        path = be.feedback.export_file(Path(tempfile.mkdtemp(prefix="casebook-feedback-")))
        c = be.feedback.counts()
        return (
            gr.update(value=str(path), visible=True),
            f"{t('fb_count', L)}: {t('fb_up', L)} {c['up']} · {t('fb_down', L)} {c['down']} · {t('fb_comment', L)} {c['comments']}",
        )

    fb.fb_export.click(on_export, [lang], [fb.fb_file, fb_msg], api_visibility="private")
