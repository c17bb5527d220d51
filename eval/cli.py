"""`casebook eval`: run a question set, write results/report/plots, compare with a baseline.

    casebook eval QUESTIONS.jsonl [--baseline RESULTS.json] [--accept] [--tolerance 0.02]
                  [--latency-tolerance FRACTION] [--out DIR] [--k 10] [--library PATH ...]
                  [--limit N] [--no-warmup] [--quiet] [--skip-invalid]
    casebook eval --jsquad PATH [--out DIR]

Exit codes: 0 ok; 1 baseline regression (an aggregate metric dropped by more than the tolerance,
or a question that passed in the baseline fails); 2 unusable input (missing file, any invalid line
in the question file unless --skip-invalid is given, no valid question, unreadable baseline, every
question raised an error, indexing failed). With --skip-invalid the invalid lines are left out and
the summary's `questions` line says how many were skipped. The question-set format is in README.md.
With --accept the new results.json is copied to the --baseline path and the exit code is 0 even
when the comparison found regressions (they are still printed).

`register(subparsers)` adds the subcommand to an argparse parser; `run(args)` executes it. For
tests and scripting, `args.ask` may hold a callable used instead of rag.answer.pipeline.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.index import index_library

from .baseline import BaselineError, accept, compare, load_results
from .questionset import invalid_lines, load_questions
from .report import summary_table, write_outputs
from .runner import default_ask, run_questions

DEFAULT_OUT_ROOT = Path("eval-results")


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "eval",
        help="evaluate a question set (section hit@k, MRR, facts, citations, language, refusals, latency)",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument(
        "questions",
        nargs="?",
        help='question set, JSON Lines, one question per line (format: README.md, "Question sets")',
    )
    p.add_argument("--baseline", metavar="RESULTS.json", help="previous results.json to compare with")
    p.add_argument("--accept", action="store_true", help="write the new results as the --baseline file")
    p.add_argument(
        "--tolerance",
        type=float,
        default=0.02,
        help="allowed absolute drop of an aggregate metric before failing (default 0.02)",
    )
    p.add_argument(
        "--latency-tolerance",
        type=float,
        default=None,
        metavar="FRACTION",
        help="also fail when p50/p95 latency grows by more than this fraction (default: not gated)",
    )
    p.add_argument("--out", metavar="DIR", help=f"output folder (default: {DEFAULT_OUT_ROOT}/<questions>-<timestamp>)")
    p.add_argument("--k", type=int, default=10, help="rank cutoff: hits scored per answer (default 10)")
    p.add_argument(
        "--library",
        nargs="+",
        metavar="PATH",
        help="index these files/folders into a temporary data dir and evaluate there",
    )
    p.add_argument("--jsquad", metavar="PATH", help="run the JSQuAD benchmark on this file (eval.jsquad)")
    p.add_argument("--limit", type=int, default=None, help="only the first N questions")
    p.add_argument(
        "--no-warmup",
        action="store_true",
        help="do not send one untimed question first (model loading then counts in latency)",
    )
    p.add_argument("--quiet", action="store_true", help="no per-question progress on stderr")
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="evaluate the valid lines when some lines are invalid (default: exit 2 on any invalid line)",
    )
    p.set_defaults(func=run)
    return p


def _err(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace) -> Any:
    data_dir = getattr(args, "data_dir", None)
    return Settings.from_env(data_dir=Path(data_dir).expanduser() if data_dir else None)


def _default_out(questions: str | None, tag: str = "eval") -> Path:
    stem = Path(questions).stem if questions else tag
    return DEFAULT_OUT_ROOT / f"{stem}-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"


def run_jsquad(path: str | Path, out: str | Path, settings: Any) -> int:
    """Hook for the JSQuAD benchmark: eval.jsquad.evaluate(path, out_dir, settings) -> dict."""
    path, out = Path(path), Path(out)
    if not path.is_file():
        _err(f"{path}: no such JSQuAD file")
        return 2
    try:
        from . import jsquad  # noqa: PLC0415
    except ImportError as e:
        _err(f"JSQuAD evaluation unavailable (eval.jsquad): {e}")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    summary = jsquad.evaluate(path, out, settings)
    print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    print(f"JSQuAD results in {out}")
    return 0


def _progress(quiet: bool):
    def show(i: int, n: int, rec: dict[str, Any]) -> None:
        if quiet:
            return
        mark = "ok  " if rec["pass"] else ("ERR " if rec.get("error") else "FAIL")
        t = (rec.get("timings") or {}).get("total", rec.get("wall_ms") or 0.0)
        print(f"[{i:>3}/{n}] {mark} {rec['id']}  {t:.0f} ms", file=sys.stderr, flush=True)

    return show


def run(args: argparse.Namespace) -> int:
    questions_path = getattr(args, "questions", None)
    lib = getattr(args, "library", None)
    if not questions_path and lib and len(lib) > 1 and str(lib[-1]).endswith(".jsonl"):
        # `eval --library DIR Q.jsonl`: argparse gave the question file to --library
        questions_path = args.questions = lib.pop()
    jsquad_path = getattr(args, "jsquad", None)
    if not questions_path and not jsquad_path:
        _err("give a question file (QUESTIONS.jsonl) or --jsquad PATH")
        return 2
    if getattr(args, "accept", False) and not getattr(args, "baseline", None):
        _err("--accept needs --baseline PATH (where to write the baseline)")
        return 2
    if getattr(args, "k", 10) < 1:
        _err("--k must be at least 1")
        return 2

    settings = _settings(args)
    out = Path(args.out) if getattr(args, "out", None) else _default_out(questions_path, "jsquad")
    code = 0
    tmp_dir: str | None = None
    try:
        if getattr(args, "library", None):
            missing = [p for p in args.library if not Path(p).exists()]
            if missing:
                _err(f"{missing[0]}: no such file or folder")
                return 2
            tmp_dir = tempfile.mkdtemp(prefix="casebook-eval-")
            settings = dataclasses.replace(settings, data_dir=Path(tmp_dir))
            code_ix = _index(settings, [Path(p) for p in args.library])
            if code_ix:
                return code_ix

        if jsquad_path:
            code = run_jsquad(jsquad_path, out / "jsquad" if questions_path else out, settings)
            if not questions_path or code:
                return code

        questions, problems = load_questions(questions_path)
        for p in problems:
            print(p, file=sys.stderr)
        if not questions:
            _err(f"{questions_path}: no valid question")
            return 2
        invalid = invalid_lines(problems)
        if invalid and not getattr(args, "skip_invalid", False):
            _err(
                f"{questions_path}: {len(invalid)} invalid line(s), listed above; fix them, or pass "
                f"--skip-invalid to evaluate the {len(questions)} valid question(s) without them"
            )
            return 2
        if getattr(args, "limit", None):
            questions = questions[: args.limit]

        baseline = None
        if getattr(args, "baseline", None) and Path(args.baseline).exists():
            try:
                baseline = load_results(args.baseline)
            except BaselineError as e:
                _err(str(e))
                return 2
        elif getattr(args, "baseline", None) and not getattr(args, "accept", False):
            _err(f"{args.baseline}: no such baseline file (use --accept to create it)")
            return 2

        return _evaluate(args, questions, problems, settings, out, baseline)
    finally:
        if tmp_dir:
            shutil.rmtree(tmp_dir, ignore_errors=True)


def _index(settings: Any, paths: list[Path]) -> int:
    print(f"indexing {', '.join(map(str, paths))} into {settings.data_dir} …", file=sys.stderr, flush=True)
    try:
        report = index_library(settings, paths)
    except Exception as e:  # noqa: BLE001
        _err(f"indexing failed: {type(e).__name__}: {e}")
        return 2
    for line in report.lines():
        print(line, file=sys.stderr)
    if not getattr(report, "published", True) or not getattr(report, "documents", 1):
        _err("indexing produced no usable index")
        return 2
    return 0


def _evaluate(
    args: argparse.Namespace,
    questions: list,
    problems: list[str],
    settings: Any,
    out: Path,
    baseline: dict[str, Any] | None,
) -> int:
    ask = getattr(args, "ask", None)
    if ask is None:
        try:
            ask = default_ask()
        except ImportError as e:
            _err(f"the answer API is unavailable (rag.answer.pipeline): {e}")
            return 2
    results = run_questions(
        questions,
        ask,
        k=getattr(args, "k", 10),
        settings=settings,
        question_file=args.questions,
        load_errors=problems,
        warmup=not getattr(args, "no_warmup", False),
        progress=_progress(getattr(args, "quiet", False)),
    )
    results["meta"]["skipped_lines"] = len(invalid_lines(problems))
    diff = None
    if baseline is not None:
        diff = compare(
            baseline,
            results,
            tolerance=getattr(args, "tolerance", 0.02),
            latency_tolerance=getattr(args, "latency_tolerance", None),
        )
    paths = write_outputs(results, out, diff)

    print(summary_table(results))
    if diff is not None:
        print()
        print(f"compared with {args.baseline}:")
        for line in diff.lines():
            print(line)
    print(f"\nresults: {paths['results']}\nreport:  {paths['report']}")

    n = len(results["questions"])
    if n and results["aggregate"].get("n_errors", 0) == n:
        first = next((r["error"] for r in results["questions"] if r.get("error")), "")
        _err(f"every question raised an error, e.g. {first}")
        return 2
    if getattr(args, "accept", False):
        dest = accept(paths["results"], args.baseline)
        print(f"baseline written: {dest}")
        return 0
    return diff.exit_code if diff is not None else 0
