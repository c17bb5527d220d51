"""Compare an evaluation run with a previous results.json (the baseline).

    diff = compare(old_results, new_results, tolerance=0.02)
    print("\\n".join(diff.lines())); sys.exit(diff.exit_code)
    accept(new_results_path_or_dict, baseline_path)      # the new run becomes the baseline

Gating (exit code 1):
* an aggregate "higher is better" metric (metrics.METRIC_KEYS present in both runs) drops by more
  than `tolerance` (absolute, default 0.02);
* a count of faults (metrics.COUNT_METRIC_KEYS, e.g. wrong_entity_answers: answers to unanswerable
  questions that carry figures; lower is better) grows by one or more;
* a question (matched by id) that passed in the baseline fails now;
* only when `latency_tolerance` is set: latency_p50_ms / latency_p95_ms grow by more than that
  fraction (0.25 = 25 % slower).
Everything else (per-question metric changes, new/removed questions, per-kind/lang changes) is
reported but does not gate.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import metrics as M
from .report import atomic_write_bytes, dumps_results

DEFAULT_TOLERANCE = 0.02
EPS = 1e-9


class BaselineError(Exception):
    pass


@dataclass
class MetricChange:
    key: str
    old: float | None
    new: float | None
    delta: float | None
    status: str  # "regression" | "improvement" | "worse" | "better" | "same" | "added" | "removed"
    gated: bool = False


@dataclass
class QuestionChange:
    id: str
    status: str  # "regression" | "improvement" | "changed" | "new" | "removed"
    old_pass: bool | None
    new_pass: bool | None
    metrics: dict[str, list[float | None]] = field(default_factory=dict)  # key -> [old, new]


@dataclass
class BaselineDiff:
    tolerance: float
    latency_tolerance: float | None
    aggregate: list[MetricChange] = field(default_factory=list)
    groups: dict[str, list[MetricChange]] = field(default_factory=dict)  # "by_kind/x" -> changes beyond tolerance
    questions: list[QuestionChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[str]:
        out = [
            f"aggregate {c.key}: {_f(c.old)} → {_f(c.new)} ({c.delta:+.3f})"
            for c in self.aggregate
            if c.status == "regression"
        ]
        out += [f"question {q.id}: pass → fail" for q in self.questions if q.status == "regression"]
        return out

    @property
    def improvements(self) -> list[str]:
        out = [
            f"aggregate {c.key}: {_f(c.old)} → {_f(c.new)} ({c.delta:+.3f})"
            for c in self.aggregate
            if c.status == "improvement"
        ]
        out += [f"question {q.id}: fail → pass" for q in self.questions if q.status == "improvement"]
        return out

    @property
    def failed(self) -> bool:
        return bool(self.regressions)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(regressions=self.regressions, improvements=self.improvements, exit_code=self.exit_code)
        return d

    def lines(self) -> list[str]:
        out: list[str] = list(self.notes)
        out.append(
            f"aggregate (tolerance {self.tolerance:g}"
            + (
                f", latency tolerance {self.latency_tolerance:g}"
                if self.latency_tolerance is not None
                else ", latency not gated"
            )
            + "):"
        )
        for c in self.aggregate:
            if c.status == "same":
                continue
            tag = {
                "regression": "REGRESSION",
                "improvement": "improved",
                "worse": "worse",
                "better": "better",
                "added": "added",
                "removed": "removed",
            }.get(c.status, c.status)
            delta = f"{c.delta:+.3f}" if c.delta is not None else ""
            out.append(f"  {tag:<11} {c.key:<24} {_f(c.old):>8} → {_f(c.new):<8} {delta}")
        if all(c.status == "same" for c in self.aggregate):
            out.append("  no change")
        if self.groups:
            out.append("groups (changes beyond the tolerance, not gated):")
        for gname, changes in self.groups.items():
            out.append(f"  {gname}: " + ", ".join(f"{c.key} {_f(c.old)}→{_f(c.new)}" for c in changes))
        order = {"regression": 0, "improvement": 1, "changed": 2, "new": 3, "removed": 4}
        qs = sorted(self.questions, key=lambda q: (order.get(q.status, 9), q.id))
        if qs:
            out.append("questions:")
        for q in qs:
            tag = {"regression": "REGRESSION", "improvement": "improved"}.get(q.status, q.status)
            head = f"  {tag:<11} {q.id}"
            if q.status in ("regression", "improvement"):
                head += f": {'pass' if q.old_pass else 'fail'} → {'pass' if q.new_pass else 'fail'}"
            elif q.status == "new":
                head += f" ({'pass' if q.new_pass else 'fail'})"
            ch = ", ".join(f"{k} {_f(o)}→{_f(n)}" for k, (o, n) in q.metrics.items())
            out.append(head + (f"  [{ch}]" if ch else ""))
        n_reg = len(self.regressions)
        out.append(
            f"baseline check: {'FAIL' if n_reg else 'OK'} ({n_reg} regression{'s' if n_reg != 1 else ''}, "
            f"{len(self.improvements)} improvement{'s' if len(self.improvements) != 1 else ''})"
        )
        return out


def _f(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def load_results(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BaselineError(f"{path}: cannot read baseline: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("aggregate"), dict):
        raise BaselineError(f"{path}: not a results.json (no 'aggregate' object)")
    return data


def _metric_change(key: str, old: Any, new: Any, tolerance: float, latency_tolerance: float | None) -> MetricChange:
    o, n = _num(old), _num(new)
    if o is None and n is None:
        return MetricChange(key, None, None, None, "same")
    if o is None:
        return MetricChange(key, None, n, None, "added")
    if n is None:
        return MetricChange(key, o, None, None, "removed")
    d = n - o
    if abs(d) <= EPS:
        return MetricChange(key, o, n, 0.0, "same")
    if key in M.METRIC_KEYS:
        if d < -tolerance - EPS:
            return MetricChange(key, o, n, d, "regression", True)
        if d > tolerance + EPS:
            return MetricChange(key, o, n, d, "improvement")
        return MetricChange(key, o, n, d, "worse" if d < 0 else "better")
    if key in M.COUNT_METRIC_KEYS:  # lower is better; any growth of a fault count is a regression
        if d > EPS:
            return MetricChange(key, o, n, d, "regression", True)
        return MetricChange(key, o, n, d, "improvement")
    if key in M.LATENCY_KEYS:
        if latency_tolerance is not None and o > 0 and n > o * (1 + latency_tolerance) + EPS:
            return MetricChange(key, o, n, d, "regression", True)
        if latency_tolerance is not None and n < o * (1 - latency_tolerance) - EPS:
            return MetricChange(key, o, n, d, "improvement")
        return MetricChange(key, o, n, d, "worse" if d > 0 else "better")
    return MetricChange(key, o, n, d, "better" if d > 0 else "worse")  # counts: informative only


def compare(
    old: dict[str, Any],
    new: dict[str, Any],
    tolerance: float = DEFAULT_TOLERANCE,
    latency_tolerance: float | None = None,
) -> BaselineDiff:
    diff = BaselineDiff(tolerance=tolerance, latency_tolerance=latency_tolerance)
    om, nm = old.get("meta") or {}, new.get("meta") or {}
    diff.notes.append(
        f"baseline: {om.get('finished') or om.get('started') or '?'}, "
        f"{len(old.get('questions') or [])} questions ({om.get('question_file')})"
    )
    if (
        om.get("question_file")
        and nm.get("question_file")
        and Path(str(om["question_file"])).name != Path(str(nm["question_file"])).name
    ):
        diff.notes.append(f"note: different question files ({om['question_file']} vs {nm['question_file']})")

    oa, na = old.get("aggregate") or {}, new.get("aggregate") or {}
    keys = [k for k in M.AGGREGATE_KEYS if k in oa or k in na]
    keys += sorted(k for k in set(oa) | set(na) if k not in keys)
    diff.aggregate = [_metric_change(k, oa.get(k), na.get(k), tolerance, latency_tolerance) for k in keys]

    for scope in ("by_kind", "by_lang"):
        og, ng = old.get(scope) or {}, new.get(scope) or {}
        for g in sorted(set(og) & set(ng)):
            changes = []
            for k in M.METRIC_KEYS + M.COUNT_METRIC_KEYS:
                c = _metric_change(k, og[g].get(k), ng[g].get(k), tolerance, None)
                if c.status in ("regression", "improvement"):
                    c.status = "worse" if c.status == "regression" else "better"
                    c.gated = False
                    changes.append(c)
            if changes:
                diff.groups[f"{scope}/{g}"] = changes

    oq = {r["id"]: r for r in old.get("questions") or [] if isinstance(r, dict) and "id" in r}
    nq = {r["id"]: r for r in new.get("questions") or [] if isinstance(r, dict) and "id" in r}
    for qid, r in nq.items():
        if qid not in oq:
            diff.questions.append(QuestionChange(qid, "new", None, bool(r.get("pass"))))
            continue
        o = oq[qid]
        op, np_ = bool(o.get("pass")), bool(r.get("pass"))
        changed: dict[str, list[float | None]] = {}
        omet, nmet = o.get("metrics") or {}, r.get("metrics") or {}
        for k in M.METRIC_KEYS + M.COUNT_METRIC_KEYS:
            a, b = _num(omet.get(k)), _num(nmet.get(k))
            if (a is None) != (b is None) or (a is not None and b is not None and abs(a - b) > EPS):
                changed[k] = [a, b]
        if op and not np_:
            status = "regression"
        elif np_ and not op:
            status = "improvement"
        elif changed:
            status = "changed"
        else:
            continue
        diff.questions.append(QuestionChange(qid, status, op, np_, changed))
    for qid, o in oq.items():
        if qid not in nq:
            diff.questions.append(QuestionChange(qid, "removed", bool(o.get("pass")), None))
    return diff


def accept(results: dict[str, Any] | str | Path, baseline_path: str | Path) -> Path:
    """Make `results` (a results dict or the path of a results.json) the baseline, atomically."""
    dest = Path(baseline_path)
    if isinstance(results, dict):
        atomic_write_bytes(dest, dumps_results(results).encode("utf-8"))
    else:
        src = Path(results)
        if src.resolve() != dest.resolve():
            atomic_write_bytes(dest, src.read_bytes())
    return dest


__all__ = [
    "BaselineDiff",
    "BaselineError",
    "DEFAULT_TOLERANCE",
    "MetricChange",
    "QuestionChange",
    "accept",
    "compare",
    "load_results",
]
