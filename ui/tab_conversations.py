"""The conversation side panel of the chat tab: the user's saved conversations (ui.conversations),
new, reopen (with its sources), rename, delete and export as Markdown. The chat tab saves each answered
question into the current conversation (`save_turn`); the user is the authenticated one, or "local".
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from . import render as R
from .conversations import ConversationStore, user_of
from .feedback import new_answer_id
from .i18n import pick_lang, t


def conversation_panel(L0: str, data_dir: Any) -> SimpleNamespace:
    """The panel's components, in the current row: title, new, conv_list (a Radio of id → title), name,
    rename, delete, export, export_file; `current` is the id of the open conversation ("" = not saved yet)."""
    with gr.Column(scale=1, min_width=200, elem_id="conv-panel"):
        title = gr.Markdown(f"### {t('cv_title', L0)}", elem_id="conv-title")
        new = gr.Button(t("cv_new", L0), size="sm", elem_id="conv-new")
        conv_list = gr.Radio(choices=[], value=None, label=t("cv_list", L0), elem_id="conv-list")
        name = gr.Textbox(label=t("cv_rename", L0), lines=1, max_lines=1, elem_id="conv-name")
        with gr.Row():
            rename = gr.Button(t("cv_rename_btn", L0), size="sm", elem_id="conv-rename")
            delete = gr.Button(t("cv_delete", L0), size="sm", variant="stop", elem_id="conv-delete")
        export = gr.Button(t("cv_export", L0), size="sm", elem_id="conv-export")
        export_file = gr.File(label=t("cv_file", L0), visible=False, interactive=False, elem_id="conv-file")
    current = gr.State("")
    return SimpleNamespace(
        title=title,
        new=new,
        conv_list=conv_list,
        name=name,
        rename=rename,
        delete=delete,
        export=export,
        export_file=export_file,
        current=current,
        store=ConversationStore(data_dir),
    )


def list_update(store: ConversationStore, user: str, current: str, lang: str = "ja") -> Any:
    choices = [(c["title"] or t("cv_untitled", lang), c["id"]) for c in store.list(user)]
    return gr.update(choices=choices, value=current or None)


def save_turn(
    cv: SimpleNamespace, request: Any, current: str, answer: Any, filters: dict, lang: str
) -> tuple[str, Any]:
    """Store an answered question in the open conversation (creating it on the first question); returns
    the conversation id and the panel's list. A failing store never breaks the chat."""
    store, user = cv.store, user_of(request)
    try:
        cid = current if current and store.get(user, current) else store.create(user)
        store.append_turn(user, cid, answer, filters)
        return cid, list_update(store, user, cid, lang)
    except Exception as e:  # noqa: BLE001 — the answer is shown anyway
        print(f"conversation not saved: {type(e).__name__}: {e}")
        return current, gr.skip()


def restore(turns: list[dict[str, Any]], lang: str) -> tuple[list, str, str, list]:
    """Chat messages, status, sources panel and the turns state of a reopened conversation."""
    chat: list[dict[str, str]] = []
    turns_v = []
    for x in turns:
        a = x["answer"]
        chat.append({"role": "user", "content": R.question_html(a.question)})
        chat.append({"role": "assistant", "content": R.answer_html(a.text, x["turn"], a.citations)})
        turns_v.append({"turn": x["turn"], "answer": a, "answer_id": new_answer_id(), "filters": x["filters"]})
    last = turns_v[-1]["turn"] if turns_v else 0
    status = (
        R.status_html("done", t("status_done", lang), last) if last else R.status_html("idle", t("status_ready", lang))
    )
    sources = R.sources_panel_html([(x["turn"], x["answer"]) for x in turns_v], lang)
    return chat, status, sources, turns_v


def wire_conversations(demo: gr.Blocks, chat: SimpleNamespace, lang: gr.State, turns: gr.State) -> None:
    """List on page load; reopen, new, rename, delete and export. chat: the chat tab (ui.tab_chat)."""
    cv = chat.cv
    store = cv.store
    view_outputs = [chat.chatbot, chat.status, chat.sources, turns, cv.current, cv.name]

    def on_load(request: gr.Request, L):
        return list_update(store, user_of(request), "", pick_lang(L))

    demo.load(on_load, [lang], cv.conv_list, api_visibility="private", show_progress="hidden")

    def on_open(request: gr.Request, cid, L):
        L, user = pick_lang(L), user_of(request)
        conv = store.get(user, cid) if cid else None
        if conv is None:
            return [gr.skip()] * len(view_outputs)
        chat_v, status, sources, turns_v = restore(store.load(user, cid), L)
        return [chat_v, status, sources, turns_v, cid, conv["title"]]

    cv.conv_list.input(on_open, [cv.conv_list, lang], view_outputs, api_visibility="private", show_progress="hidden")

    def on_new(L):
        L = pick_lang(L)
        return [
            [],
            R.status_html("idle", t("status_ready", L)),
            R.sources_panel_html([], L),
            [],
            "",
            "",
            gr.update(value=None),
        ]

    cv.new.click(on_new, [lang], [*view_outputs, cv.conv_list], api_visibility="private")

    def on_rename(request: gr.Request, cid, name, L):
        user = user_of(request)
        if cid:
            store.rename(user, cid, name or "")
        return list_update(store, user, cid, pick_lang(L))

    cv.rename.click(on_rename, [cv.current, cv.name, lang], cv.conv_list, api_visibility="private")

    def on_delete(request: gr.Request, cid, L):
        user = user_of(request)
        if cid:
            store.delete(user, cid)
        return [*on_new(L)[:-1], list_update(store, user, "", pick_lang(L))]

    cv.delete.click(on_delete, [cv.current, lang], [*view_outputs, cv.conv_list], api_visibility="private")

    def on_export(request: gr.Request, cid):
        if not cid:
            return gr.update(visible=False, value=None)
        md = store.export_markdown(user_of(request), cid)
        path = Path(tempfile.mkdtemp(prefix="casebook-conv-")) / f"conversation-{cid}.md"
        path.write_text(md, encoding="utf-8")
        return gr.update(visible=True, value=str(path))

    cv.export.click(on_export, [cv.current], cv.export_file, api_visibility="private")


def panel_relabel(L: str) -> list[Any]:
    """Updates for ui.language, in the order of `panel_components`."""
    return [
        gr.update(value=f"### {t('cv_title', L)}"),
        gr.update(value=t("cv_new", L)),
        gr.update(label=t("cv_list", L)),
        gr.update(label=t("cv_rename", L)),
        gr.update(value=t("cv_rename_btn", L)),
        gr.update(value=t("cv_delete", L)),
        gr.update(value=t("cv_export", L)),
        gr.update(label=t("cv_file", L)),
    ]


def panel_components(cv: SimpleNamespace) -> list[Any]:
    return [cv.title, cv.new, cv.conv_list, cv.name, cv.rename, cv.delete, cv.export, cv.export_file]
