"""The briefing tab: pick a company (and optionally a second one to compare with) and a language; rag
builds the briefing or the comparison, the page shows its escaped self-contained HTML in a sandboxed
frame, and the Markdown and HTML files are offered as downloads.
"""

from __future__ import annotations

import tempfile
import traceback
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from rag.brief import build_briefing, compare, render_html, render_markdown

from . import render as R
from .i18n import LANG_CHOICES, pick_lang, t
from .uploads import safe_filename


def briefing_tab(choices0: dict[str, Any], L0: str) -> SimpleNamespace:
    """The briefing tab's components (in the current gr.Tabs): tab, br_company, br_vs, br_lang,
    br_make, br_md_dl, br_html_dl, br_out."""
    with gr.Tab(t("tab_briefing", L0), id="briefing", elem_id="tab-briefing") as tab_brief:
        with gr.Row():
            br_company = gr.Dropdown(choices0["company"], value=None, label=t("br_company", L0), elem_id="br-company")
            br_vs = gr.Dropdown([""] + choices0["company"], value="", label=t("br_vs", L0), elem_id="br-vs")
            br_lang = gr.Radio(LANG_CHOICES, value=L0, label=t("br_lang", L0), elem_id="br-lang")
        br_make = gr.Button(t("br_make", L0), variant="primary", elem_id="br-make")
        with gr.Row():
            br_md_dl = gr.DownloadButton(t("br_md", L0), visible=False, elem_id="br-md")
            br_html_dl = gr.DownloadButton(t("br_html", L0), visible=False, elem_id="br-html")
        br_out = gr.HTML("", elem_id="br-out")
    return SimpleNamespace(
        tab=tab_brief,
        br_company=br_company,
        br_vs=br_vs,
        br_lang=br_lang,
        br_make=br_make,
        br_md_dl=br_md_dl,
        br_html_dl=br_html_dl,
        br_out=br_out,
    )


def wire_briefing(settings: Any, br: SimpleNamespace) -> None:
    """Make: build (or compare), render, write the two files, show the page."""

    def on_brief(company, vs, blang):
        if not company:
            return gr.skip(), gr.skip(), R.messages_html([("info", t("br_none", pick_lang(blang)))], "br-msg")
        blang = pick_lang(blang)
        try:
            if vs and vs != company:
                b = compare(company, vs, lang=blang, settings=settings)
            else:
                b = build_briefing(company, lang=blang, settings=settings)
            md = render_markdown(b)
            page = render_html(b)  # escaped, self-contained, with a CSP that loads nothing
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

    br.br_make.click(
        on_brief,
        [br.br_company, br.br_vs, br.br_lang],
        [br.br_md_dl, br.br_html_dl, br.br_out],
        api_visibility="private",
    )
