"""Answer-stage benchmark and refusal calibration.

    python -m eval.bench_answer                      # latency p50/p95 of ask() after warm-up + dev-set scores
    python -m eval.bench_answer --calibrate          # recompute the refusal thresholds on the dev set
    python -m eval.bench_answer --calibrate --write  # … and store them in rag/answer/refusal.py (CALIBRATION)

Index: --data-dir DIR (an existing casebook index), else CASEBOOK_DATA_DIR / the default data dir
when it holds an index, else a temporary index of the seed + the shared corpus is built first
(several minutes: embedding every chunk).

Calibration: for every dev question (eval/questions/dev.jsonl) the real pipeline runs up to the
refusal gate (retrieval with the question's filters → rag.answer.extractive analysis → rag.answer.refusal.evidence);
rag.answer.refusal.calibrate places max_missing (per language), min_typed_cover and min_best in the middle of the widest gap
giving the best refusal accuracy (ties: fewest answerable questions refused). --write rewrites the block between
"# --- CALIBRATION" and "# --- END CALIBRATION" in rag/answer/refusal.py with the values, the date, the
question file and the figures, so the stored constants always say how they were obtained.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval import metrics as M
from eval.questionset import load_questions as load_q
from rag.answer import DEFAULT_K, LLM_SOURCES, ask, refusal
from rag.answer import extractive as X
from rag.config import Settings
from rag.index import get_library, index_library
from rag.search import Filters, retrieve

REPO = Path(__file__).resolve().parents[1]
DEV = REPO / "eval" / "questions" / "dev.jsonl"
REFUSAL_PY = Path(refusal.__file__)  # rag/answer/refusal.py: --write rewrites its CALIBRATION block


def percentile(vals: list[float], p: float) -> float:
    v = sorted(vals)
    if not v:
        return 0.0
    pos = (len(v) - 1) * p / 100
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def load_questions(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def get_settings(data_dir: str | None) -> Any:
    if data_dir:
        return Settings.from_env(data_dir=Path(data_dir))
    s = Settings.from_env()
    if get_library(s).exists():
        return s
    shared = REPO.parent / "shared" / "corpus" / "cases"
    lib = [REPO / "seeds"] + ([shared] if shared.is_dir() else [])
    tmp = Path(tempfile.mkdtemp(prefix="casebook-bench-"))
    s = Settings.from_env(data_dir=tmp, library=tuple(lib))

    print(f"building a temporary index of {', '.join(map(str, lib))} in {tmp} …", file=sys.stderr)
    report = index_library(s, lib)
    for line in report.lines():
        print(line, file=sys.stderr)
    return s


def _filters(d: dict[str, Any] | None) -> Any:
    if not d:
        return None

    return Filters.from_dict(d)


# ----------------------------------------------------------------------------- calibration


def collect_evidence(settings: Any, questions: list[dict[str, Any]]) -> list[tuple[Any, bool, dict[str, Any]]]:
    snap = get_library(settings).snapshot()
    idf = X._idf(snap)
    out = []
    for q in questions:
        hits = retrieve(
            q["question"],
            filters=_filters(q.get("filters")),
            k=max(DEFAULT_K, X.UNIT_SECTIONS, LLM_SOURCES),
            settings=settings,
        )
        info = X.analyze(q["question"], snap)
        scored = X.score_units(info, hits)
        chosen = X.select(info, scored)
        ev = refusal.evidence(info, hits, scored, chosen, idf)
        out.append((ev, bool(q["answerable"]), q))
    return out


def write_calibration(cal: dict[str, Any], note: str) -> None:
    src = REFUSAL_PY.read_text(encoding="utf-8")
    start = src.index("# --- CALIBRATION")
    end = src.index("# --- END CALIBRATION")
    first_line_end = src.index("\n", start) + 1
    body = (
        "CALIBRATION = {\n"
        f'    "max_missing": {json.dumps(cal["max_missing"])},\n'
        f'    "min_typed_cover": {cal["min_typed_cover"]!r},\n'
        f'    "min_best": {cal["min_best"]!r},\n'
        f'    "note": {note!r},\n'
        "}\n"
    )
    REFUSAL_PY.write_text(src[:first_line_end] + body + src[end:], encoding="utf-8")


def _load_sets(paths: list[str]) -> list[dict[str, Any]]:
    return [q for p in paths for q in load_questions(Path(p))]


def cmd_calibrate(args: argparse.Namespace) -> int:
    if any("heldout" in Path(p).name for p in args.questions):
        print("held-out sets are never used to choose anything (calibrate on dev sets)", file=sys.stderr)
        return 2
    settings = get_settings(args.data_dir)
    qs = _load_sets(args.questions)
    recs = collect_evidence(settings, qs)
    cal = refusal.calibrate([(ev, a) for ev, a, _ in recs], [q["lang"] for _, _, q in recs])
    n_un = sum(1 for _, a, _ in recs if not a)
    print(json.dumps(cal, indent=1))
    for ev, a, q in recs:
        refuse, why = refusal.decide(ev, cal, q["lang"])
        if refuse == a or args.verbose:
            mark = "ok " if refuse != a else "ERR"
            print(
                f"{mark} {q['id']:<16} answerable={a!s:<5} refuse={refuse!s:<5} miss_w={ev.miss_w:.2f} "
                f"typed_cover={ev.typed_cover:.2f} best={ev.best:.2f} {why}"
            )
    note = (
        f"calibrated {_dt.date.today().isoformat()} by `python -m eval.bench_answer --calibrate` on "
        f"{' + '.join(Path(p).name for p in args.questions)} ({len(recs)} questions, {n_un} unanswerable): refusal accuracy "
        f"{cal['accuracy']:.3f}, {cal['answerable_refused']} answerable refused; gaps {cal['gaps']}"
    )
    print(note)
    if args.write:
        write_calibration(cal, note)
        print(f"written to {REFUSAL_PY}")
    return 0


# ----------------------------------------------------------------------------- latency + scores


def cmd_bench(args: argparse.Namespace) -> int:
    settings = get_settings(args.data_dir)
    qs = _load_sets(args.questions)
    # warm-up: model, tagger, snapshot, caches
    for q in qs[: args.warmup]:
        ask(q["question"], filters=_filters(q.get("filters")), settings=settings)
    totals: list[float] = []
    stages: dict[str, list[float]] = {}
    answers = []
    for _ in range(args.repeat):
        for q in qs:
            t = time.perf_counter()
            a = ask(q["question"], filters=_filters(q.get("filters")), settings=settings)
            totals.append((time.perf_counter() - t) * 1000)
            for kk, v in a.timings.items():
                stages.setdefault(kk, []).append(v)
            answers.append((q, a))
    print(f"{len(totals)} answers (after {args.warmup} warm-up) on {settings.data_dir}")
    print(f"wall    p50 {percentile(totals, 50):8.1f} ms   p95 {percentile(totals, 95):8.1f} ms")
    for kk in sorted(stages, key=lambda s: (s == "total", s)):
        v = stages[kk]
        print(f"{kk:<16} p50 {percentile(v, 50):8.1f} ms   p95 {percentile(v, 95):8.1f} ms   max {max(v):8.1f}")
    no_ret = [a.timings.get("total", 0) - a.timings.get("retrieve", 0) for _, a in answers]
    print(
        f"{'answer-only':<16} p50 {percentile(no_ret, 50):8.1f} ms   p95 {percentile(no_ret, 95):8.1f} ms  "
        "(total minus retrieval)"
    )
    if args.scores:
        qobjs = {qq.id: qq for p in args.questions for qq in load_q(Path(p))[0]}
        rows = []
        for q, a in answers[: len(qs)]:
            qo = qobjs.get(q["id"])
            if qo is not None:
                rows.append(M.score_answer(qo, a)["metrics"])
        if rows:
            for key in ("fact_recall", "refusal_accuracy", "language_match", "citation_precision", "pass_rate"):
                vals = [r[key] for r in rows if r.get(key) is not None]
                if vals:
                    print(f"{key:<20} {sum(vals) / len(vals):.3f}  (n={len(vals)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.bench_answer", description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", help="an existing casebook index (data directory)")
    ap.add_argument(
        "--questions", nargs="+", default=[str(DEV)], help="question set(s); several are concatenated (dev sets only)"
    )
    ap.add_argument("--calibrate", action="store_true", help="recompute the refusal thresholds")
    ap.add_argument("--write", action="store_true", help="with --calibrate: store them in rag/answer/refusal.py")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-scores", dest="scores", action="store_false", help="skip the dev-set metrics")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    if args.calibrate:
        return cmd_calibrate(args)
    return cmd_bench(args)


if __name__ == "__main__":
    sys.exit(main())
