"""Run a question set through the answer API and build the results document.

    results = run_questions(questions, ask=None, k=10, settings=settings)

`ask(question, filters=None, history=None, settings=None) -> Answer` defaults to rag.answer.pipeline
(imported lazily). `k` is the rank cutoff of the evaluation: only the first k hits of each answer
are scored (hits beyond k count as not retrieved). An exception raised by `ask` is recorded on the
question ("error") and the question is scored as an empty, non-refused answer, i.e. it fails.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.answer import ask
from rag.schema import Answer

from . import metrics as M
from .questionset import Question

AskFn = Callable[..., Any]
Progress = Callable[[int, int, dict[str, Any]], None]

RESULTS_VERSION = 1
TOP_HITS = 10


def default_ask() -> AskFn:
    return ask


def make_filters(d: dict[str, Any] | None) -> Any:
    """rag.search.filters.Filters.from_dict(d) when that API exists, else the dict itself."""
    if not d:
        return None
    try:
        from rag.search.filters import Filters  # noqa: PLC0415
    except ImportError:
        return dict(d)
    from_dict = getattr(Filters, "from_dict", None)
    if from_dict is None:
        return dict(d)
    return from_dict(dict(d))


def settings_summary(settings: Any) -> dict[str, Any]:
    if settings is None:
        return {}
    if dataclasses.is_dataclass(settings):
        raw = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    else:
        raw = dict(getattr(settings, "__dict__", {}))
    out: dict[str, Any] = {}
    for key, v in raw.items():
        if isinstance(v, (tuple, list)):
            out[key] = [str(x) for x in v]
        elif v is None or isinstance(v, (bool, int, float, str)):
            out[key] = v
        else:
            out[key] = str(v)
    return out


def _empty_answer(q: Question) -> Any:
    return Answer(question=q.question, text="", lang="")


def _record(q: Question, answer: Any, scored: dict[str, Any], wall_ms: float, error: str | None) -> dict[str, Any]:
    hits = list(getattr(answer, "hits", None) or [])
    cites = list(getattr(answer, "citations", None) or [])
    ok = scored.get("citations_ok") or []
    return {
        "id": q.id,
        "question": q.question,
        "lang": q.lang,
        "kind": q.kind,
        "answerable": q.answerable,
        "filters": q.filters,
        "gold": [{"doc": g.doc, "section": g.section} for g in q.gold],
        "facts": q.facts,
        "pass": bool(scored["pass"]),
        "metrics": scored["metrics"],
        "answer": getattr(answer, "text", "") or "",
        "answer_line": scored.get("answer_line", ""),
        "answer_lang": getattr(answer, "lang", None),
        "refused": bool(getattr(answer, "refused", False)),
        "citations": [
            {
                "n": getattr(c, "n", i),
                "doc": getattr(c, "doc_id", ""),
                "path": list(getattr(c, "heading_path", ()) or ()),
                "quote": list(getattr(c, "quote", None) or []),
                "ok": ok[i - 1] if i - 1 < len(ok) else None,
            }
            for i, c in enumerate(cites, 1)
        ],
        "top_hits": [
            {
                "rank": i,
                "doc": getattr(h, "doc_id", ""),
                "path": list(getattr(h, "heading_path", ()) or ()),
                "score": float(getattr(h, "score", 0.0) or 0.0),
            }
            for i, h in enumerate(hits[:TOP_HITS], 1)
        ],
        "gold_rank": scored.get("gold_rank"),
        "doc_rank": scored.get("doc_rank"),
        "missing_facts": scored.get("missing_facts", []),
        "reasons": scored.get("reasons", []),
        "flagged": list(getattr(answer, "flagged", None) or []),
        "timings": {
            k: float(v) for k, v in (getattr(answer, "timings", None) or {}).items() if isinstance(v, (int, float))
        },
        "wall_ms": round(wall_ms, 3),
        "error": error,
    }


def evaluate_one(q: Question, ask: AskFn, *, k: int = 10, settings: Any = None) -> dict[str, Any]:
    error: str | None = None
    tb: str | None = None
    t0 = time.perf_counter()
    try:
        filters = make_filters(q.filters)
        answer = ask(q.question, filters=filters, history=None, settings=settings)
    except Exception as e:  # noqa: BLE001 — one failing question must not stop the run
        error = f"{type(e).__name__}: {e}"
        tb = traceback.format_exc()[-2000:]
        answer = _empty_answer(q)
    wall_ms = (time.perf_counter() - t0) * 1000.0
    scored = M.score_answer(q, answer, k=k)
    if error:
        scored["reasons"].insert(0, f"error: {error.splitlines()[0]}")
    rec = _record(q, answer, scored, wall_ms, error)
    if tb:
        rec["traceback"] = tb
    return rec


def run_questions(
    questions: list[Question],
    ask: AskFn | None = None,
    *,
    k: int = 10,
    settings: Any = None,
    question_file: str | Path | None = None,
    load_errors: list[str] | None = None,
    warmup: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Ask every question and return the results document (see build_results)."""
    ask = ask or default_ask()
    started = _dt.datetime.now(_dt.UTC)
    warmup_ms = None
    if warmup and questions:
        t0 = time.perf_counter()
        try:
            ask(questions[0].question, filters=make_filters(questions[0].filters), history=None, settings=settings)
        except Exception:  # noqa: BLE001 — the real call reports it
            pass
        warmup_ms = (time.perf_counter() - t0) * 1000.0
    records: list[dict[str, Any]] = []
    for i, q in enumerate(questions, 1):
        rec = evaluate_one(q, ask, k=k, settings=settings)
        records.append(rec)
        if progress:
            progress(i, len(questions), rec)
    return build_results(
        records,
        k=k,
        settings=settings,
        question_file=question_file,
        load_errors=load_errors,
        started=started,
        extra_meta={"warmup_ms": warmup_ms} if warmup_ms is not None else None,
    )


def build_results(
    records: list[dict[str, Any]],
    *,
    k: int = 10,
    settings: Any = None,
    question_file: str | Path | None = None,
    load_errors: list[str] | None = None,
    started: _dt.datetime | None = None,
    extra_meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Aggregate per-question records into the results document written as results.json."""
    finished = _dt.datetime.now(_dt.UTC)
    started = started or finished
    agg, vac = M.aggregate(records)
    by_kind: dict[str, dict[str, float]] = {}
    by_lang: dict[str, dict[str, float]] = {}
    vacuous: dict[str, Any] = {"aggregate": vac, "by_kind": {}, "by_lang": {}}
    for name, groups, target in (
        ("by_kind", M.group_by(records, "kind"), by_kind),
        ("by_lang", M.group_by(records, "lang"), by_lang),
    ):
        for key, recs in groups.items():
            target[key], v = M.aggregate(recs)
            if v:
                vacuous[name][key] = v
    meta = {
        "version": RESULTS_VERSION,
        "question_file": str(question_file) if question_file else None,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "seconds": round((finished - started).total_seconds(), 3),
        "k": k,
        "n_questions": len(records),
        "load_errors": list(load_errors or []),
        "settings": settings_summary(settings),
        "vacuous": vacuous,
        "vacuous_rule": (
            "a metric that applies to no question of a group is reported as 1.0 "
            "(latency and counts: 0.0) and listed here; per-question inapplicable metrics are null"
        ),
        "pass_rule": (
            f"answerable: not refused, every fact group satisfied and a gold section in the top {M.PASS_K} hits; "
            "unanswerable: refused"
        ),
    }
    if extra_meta:
        meta.update(extra_meta)
    return {
        "meta": meta,
        "aggregate": agg,
        "by_kind": by_kind,
        "by_lang": by_lang,
        "latency": M.stage_latencies(records),
        "questions": records,
    }
