"""The evaluation tab: run a question set (the dev set by default, a path, or an uploaded .jsonl)
through eval.runner, write eval's report into the data directory, and show its tables, its plots in a
gallery and the report and results files as downloads.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import traceback
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from eval.questionset import load_questions
from eval.report import write_outputs
from eval.runner import run_questions

from .i18n import pick_lang, t

DEFAULT_QUESTIONS = Path(__file__).resolve().parents[1] / "eval" / "questions" / "dev.jsonl"


def report_summary(report_md: str) -> str:
    """The tables of eval's report.md for display: without the plot images (shown in a gallery) and
    without the failed-question details (they quote document text; the full report is a download)."""
    head = report_md.split("\n## Failed questions", 1)
    lines = [ln for ln in head[0].splitlines() if not re.match(r"\s*!\[", ln)]
    if len(head) > 1:
        lines += ["", "## Failed questions" + head[1].split("\n", 1)[0] + " — see report.md"]
    return "\n".join(lines)


def eval_tab(L0: str) -> SimpleNamespace:
    """The evaluation tab's components (in the current gr.Tabs): tab, ev_path, ev_limit, ev_upload,
    ev_run, ev_summary, ev_plots, ev_files."""
    with gr.Tab(t("tab_eval", L0), id="eval", elem_id="tab-eval") as tab_eval:
        with gr.Row():
            ev_path = gr.Textbox(str(DEFAULT_QUESTIONS), label=t("ev_path", L0), scale=3, elem_id="ev-path")
            ev_limit = gr.Number(0, label=t("ev_limit", L0), precision=0, scale=1, elem_id="ev-limit")
        ev_upload = gr.File(label=t("ev_upload", L0), file_types=[".jsonl"], type="filepath", elem_id="ev-upload")
        ev_run = gr.Button(t("ev_run", L0), variant="primary", elem_id="ev-run")
        ev_summary = gr.Markdown("", elem_id="ev-summary", sanitize_html=True)
        ev_plots = gr.Gallery(label=t("ev_plots", L0), columns=3, height=380, object_fit="contain", elem_id="ev-plots")
        ev_files = gr.File(label=t("ev_report", L0), file_count="multiple", interactive=False, elem_id="ev-files")
    return SimpleNamespace(
        tab=tab_eval,
        ev_path=ev_path,
        ev_limit=ev_limit,
        ev_upload=ev_upload,
        ev_run=ev_run,
        ev_summary=ev_summary,
        ev_plots=ev_plots,
        ev_files=ev_files,
    )


def wire_eval(settings: Any, ev: SimpleNamespace, lang: gr.State) -> None:
    """Run: load the questions, answer them with progress, write the report, show it."""

    def on_eval(path, upload, limit, L, progress=gr.Progress()):
        try:
            return _eval(path, upload, limit, L, progress)
        except Exception as e:  # noqa: BLE001 — show it in the tab
            traceback.print_exc()
            return f"**{t('status_error', pick_lang(L))}:** `{type(e).__name__}: {e}`", [], None

    def _eval(path, upload, limit, L, progress):
        L = pick_lang(L)
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

    ev.ev_run.click(
        on_eval,
        [ev.ev_path, ev.ev_upload, ev.ev_limit, lang],
        [ev.ev_summary, ev.ev_plots, ev.ev_files],
        api_visibility="private",
    )
