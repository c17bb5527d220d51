"""The library tab: the documents of the index with their facets and load errors, uploads of .md/.txt
files (validated by ui.uploads, then indexed), re-indexing (optionally from scratch), deleting an
uploaded file, and refreshing every control that lists facet values or companies after the index
changed (the filter dropdowns, the briefing's company pickers, the delete list). Load problems are
shown in the UI language as `file:line: message` (ui.load_messages).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from rag.index import index_library, release_index_embedder

from . import render as R
from .filters import FACET_CONTROLS, choice_pairs, year_choices
from .i18n import pick_lang, t
from .load_messages import issue_line
from .uploads import accept_uploads, delete_upload, list_uploads


def library_tab(L0: str) -> SimpleNamespace:
    """The library tab's components (in the current gr.Tabs): tab, up_files, up_btn, up_msgs,
    reindex_btn, rebuild_chk, del_choice, del_btn, refresh_btn, lib_title, lib_html."""
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
                    del_btn = gr.Button(t("lib_delete_btn", L0), size="sm", variant="stop", elem_id="delete-btn")
                refresh_btn = gr.Button(t("lib_refresh", L0), size="sm", elem_id="refresh-btn")
            with gr.Column(scale=3):
                lib_title = gr.Markdown(f"### {t('lib_docs', L0)}")
                lib_html = gr.HTML("", elem_id="library-box")
    return SimpleNamespace(
        tab=tab_lib,
        up_files=up_files,
        up_btn=up_btn,
        up_msgs=up_msgs,
        reindex_btn=reindex_btn,
        rebuild_chk=rebuild_chk,
        del_choice=del_choice,
        del_btn=del_btn,
        refresh_btn=refresh_btn,
        lib_title=lib_title,
        lib_html=lib_html,
    )


def library_view(be: Any, L: str) -> str:
    """The library table (documents, facets, load errors) in language L, or a note when there is no index."""
    try:
        snap = be.snapshot()
    except Exception as e:  # noqa: BLE001
        return R.messages_html([("info", f"{t('no_index', L)} ({e})")], "library-table")
    return R.library_html(snap.documents, snap.errors, L, snap.generation, str(be.settings.uploads_dir))


def wire_library(
    be: Any, demo: gr.Blocks, lib: SimpleNamespace, fp: SimpleNamespace, br: SimpleNamespace, lang: gr.State
) -> None:
    """Upload, re-index, delete, refresh, and the refresh of every facet/company control on page load."""
    settings = be.settings

    def refreshed_controls(L):
        ch = be.facet_choices()
        comp = be.companies(ch["company"])
        years = year_choices(ch)
        return [gr.update(choices=choice_pairs(k, ch[k])) for k in FACET_CONTROLS] + [
            gr.update(choices=years),
            gr.update(choices=years),
            gr.update(choices=comp),
            gr.update(choices=[""] + comp),
            library_view(be, L),
            gr.update(choices=list_uploads(settings), value=None),
        ]

    control_outputs = [*fp.facet_dds, fp.f_from, fp.f_to, br.br_company, br.br_vs, lib.lib_html, lib.del_choice]

    def _index(progress, rebuild=False, L="ja"):
        def cb(name, done, total):
            progress((done, max(total, 1)) if total else 1.0, desc=f"{t('indexing', L)} {name}".strip())

        with be._index_lock:
            try:
                return index_library(settings, rebuild=rebuild, progress=cb)
            finally:
                release_index_embedder(settings)  # the server keeps only the query engine in memory

    def on_upload(files, L, progress=gr.Progress()):
        L = pick_lang(L)
        if not files:
            return [R.messages_html([("info", t("up_no_files", L))])] + [gr.skip()] * len(control_outputs) + [gr.skip()]
        res = accept_uploads(files, settings, L)
        msgs = list(res.messages)
        if res.saved:
            try:
                report = _index(progress, False, L)
                saved = {str(p.resolve()) for p in res.saved}
                msgs += [("error", issue_line(e, L)) for e in report.errors if str(Path(e.path).resolve()) in saved]
                msgs.append(("info", f"{t('index_done', L)}: {report.lines()[0]}"))
            except Exception as e:  # noqa: BLE001
                msgs.append(("error", f"{type(e).__name__}: {e}"))
        elif not any(k == "ok" for k, _ in msgs):
            msgs.append(("info", t("up_none_added", L)))
        return [R.messages_html(msgs)] + refreshed_controls(L) + [None]

    lib.up_btn.click(
        on_upload, [lib.up_files, lang], [lib.up_msgs, *control_outputs, lib.up_files], api_visibility="private"
    )

    def on_reindex(rebuild, L, progress=gr.Progress()):
        L = pick_lang(L)
        try:
            report = _index(progress, bool(rebuild), L)
            kinds = [("ok", f"{t('index_done', L)}: {report.lines()[0]}")]
            kinds += [("error", issue_line(e, L)) for e in report.errors]
            kinds += [("warn", issue_line(w, L)) for w in report.warnings[:50]]
        except Exception as e:  # noqa: BLE001
            kinds = [("error", f"{type(e).__name__}: {e}")]
        return [R.messages_html(kinds)] + refreshed_controls(L)

    lib.reindex_btn.click(
        on_reindex, [lib.rebuild_chk, lang], [lib.up_msgs, *control_outputs], api_visibility="private"
    )

    def on_delete(name, L, progress=gr.Progress()):
        L = pick_lang(L)
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

    lib.del_btn.click(on_delete, [lib.del_choice, lang], [lib.up_msgs, *control_outputs], api_visibility="private")
    lib.refresh_btn.click(lambda L: refreshed_controls(pick_lang(L)), [lang], control_outputs, api_visibility="private")
    demo.load(
        lambda L: refreshed_controls(pick_lang(L)),
        [lang],
        control_outputs,
        api_visibility="private",
        show_progress="hidden",
    )
