"""Per-question scoring and aggregation.

Matching rules
* Sections: a retrieved section matches a gold {"doc", "section"} when hit.doc_id == doc and the
  gold heading is one of the elements of hit.heading_path, both compared after NFKC and whitespace
  folding (emoji and ``**`` kept as written; comparison is case-sensitive).
* Facts: an alternative occurs in a text when its folded form is a substring of the folded text:
  NFKC, casefold, dash/tilde variants unified, thousands separators removed ("1,700" → "1700"),
  whitespace removed (except between two digits, where it stays a boundary). A match that starts
  (ends) with a digit must not continue a longer number on that side: "40%" does not occur in
  "140%", "13" does not occur in "13.5".
* Answer lines: the answer's own text is its text minus the quoted evidence (blockquotes, lines that
  reproduce a cited quote, wholly quoted lines) and minus lead-in lines that end with a colon and
  introduce evidence ("According to the library:"); see eval.answer_text.split_answer.
* Language: Answer.lang must equal the question's lang; for an answer that is not a refusal its own
  text must exist and be in that language, decided by the share of Japanese (kana/kanji) among
  Japanese + Latin letters: >= JA_SHARE reads as Japanese, below as English (for English, quoted
  spans and Japanese-only parenthesised glosses are removed first). A templated lead-in followed by
  quotes has no own text and scores 0 in either language.
* answer_line_fact_recall: fact recall over the answer's own text only (a fact that appears only in a
  quote does not count). For an English question a fact spelled the Japanese way also counts in its
  English form (eval.fact_forms: "350人" as "350 people", "2024年10月" as "October 2024"); for a
  Japanese question an amount spelled the Latin way also counts in its Japanese form ("$130.1M" as
  1億3,010万ドル, "47B" as 470億), as the Japanese answer line renders it.
* wrong_entity_answers: per unanswerable question 1 when the answer is not a refusal and its text
  carries a figure (a digit, quotes included), else 0; aggregated as a count (lower is better).

Metric values are in [0, 1] per question, or None when the metric does not apply (section and
doc hits, MRR, facts and citations for unanswerable questions; citation precision for refused
answers or answers without citations). Aggregates are means over the questions where the metric
applies (COUNT_METRIC_KEYS: sums). When no question of a group applies the value is reported as 1.0
(vacuously satisfied; counts: 0) and the key is listed in results["meta"]["vacuous"] so that reports
can show it as n/a.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from .answer_text import answer_line_text, carries_figures, language_match
from .fact_forms import english_forms, japanese_forms
from .questionset import Gold, Question

KS = (1, 3, 5, 10)
PASS_K = 5  # an answerable question passes only with a gold section in the top PASS_K hits

# Per-question metrics, all "higher is better", aggregated as means.
METRIC_KEYS: tuple[str, ...] = (
    *(f"section_hit@{k}" for k in KS),
    "mrr@10",
    *(f"doc_hit@{k}" for k in KS),
    "fact_recall",
    "answer_line_fact_recall",
    "all_facts_pass",
    "citation_precision",
    "language_match",
    "refusal_accuracy",
    "pass_rate",
)
# Per-question 0/1 flags of a fault, "lower is better", aggregated as counts (sums).
COUNT_METRIC_KEYS: tuple[str, ...] = ("wrong_entity_answers",)
LATENCY_KEYS = ("latency_p50_ms", "latency_p95_ms")
COUNT_KEYS = ("n", "n_answerable", "n_errors")
AGGREGATE_KEYS: tuple[str, ...] = METRIC_KEYS + COUNT_METRIC_KEYS + LATENCY_KEYS + COUNT_KEYS
VACUOUS_VALUE = 1.0

# ------------------------------------------------------------------------------------ folding
_WS_RE = re.compile(r"\s+")
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_DIGIT_WS_RE = re.compile(r"(?<=\d)\s+(?=\d)")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_TILDES = dict.fromkeys(map(ord, "\u301c\uff5e\u223c"), "~")


def fold_heading(s: str) -> str:
    """NFKC + runs of whitespace collapsed to one space, trimmed."""
    return _WS_RE.sub(" ", unicodedata.normalize("NFKC", s or "")).strip()


def fold_fact(s: str) -> str:
    """Folding used for fact matching (see the module docstring)."""
    s = unicodedata.normalize("NFKC", s or "").translate(_ZERO_WIDTH)
    s = s.casefold().translate(_DASHES).translate(_TILDES)
    s = _THOUSANDS_RE.sub("", s)
    s = _DIGIT_WS_RE.sub("\x00", s)  # keep a boundary between two numbers
    s = _WS_RE.sub("", s)
    return s.replace("\x00", " ")


def _continues_number_before(text: str, i: int) -> bool:
    if i <= 0:
        return False
    c = text[i - 1]
    if c.isdigit():
        return True
    return c in ".," and i >= 2 and text[i - 2].isdigit()


def _continues_number_after(text: str, j: int) -> bool:
    if j >= len(text):
        return False
    c = text[j]
    if c.isdigit():
        return True
    return c in ".," and j + 1 < len(text) and text[j + 1].isdigit()


def contains_folded(folded_text: str, folded_alt: str) -> bool:
    if not folded_alt:
        return False
    start = 0
    check_start = folded_alt[0].isdigit()
    check_end = folded_alt[-1].isdigit()
    while True:
        i = folded_text.find(folded_alt, start)
        if i < 0:
            return False
        j = i + len(folded_alt)
        if not (check_start and _continues_number_before(folded_text, i)) and not (
            check_end and _continues_number_after(folded_text, j)
        ):
            return True
        start = i + 1


def fact_in_text(alternative: str, text: str) -> bool:
    """True when `alternative` occurs in `text` under the fact folding rules."""
    return contains_folded(fold_fact(text), fold_fact(alternative))


def satisfied_groups(facts: list[list[str]], text: str) -> list[bool]:
    folded = fold_fact(text)
    return [any(contains_folded(folded, fold_fact(a)) for a in grp) for grp in facts]


# ------------------------------------------------------------------------------------ sections
def section_matches(doc_id: str, heading_path: Iterable[str], gold: Gold) -> bool:
    if doc_id != gold.doc:
        return False
    want = fold_heading(gold.section)
    return any(fold_heading(h) == want for h in heading_path or ())


def first_rank(hits: list[Any], pred) -> int | None:
    for i, h in enumerate(hits, 1):
        if pred(h):
            return i
    return None


# ------------------------------------------------------------------------------------ scoring
def _path(x: Any) -> tuple[str, ...]:
    return tuple(getattr(x, "heading_path", ()) or ())


def score_answer(q: Question, answer: Any, k: int = 10) -> dict[str, Any]:
    """Metrics and diagnostics of one answer. Only the first `k` hits are considered.

    Returns {"metrics": {key: float|None}, "pass": bool, "gold_rank", "doc_rank",
    "missing_facts", "satisfied_facts", "citations_ok", "language_ok", "answer_line", "reasons"}."""
    hits = list(getattr(answer, "hits", None) or [])[: max(k, 0)]
    text = getattr(answer, "text", "") or ""
    refused = bool(getattr(answer, "refused", False))
    citations = list(getattr(answer, "citations", None) or [])
    m: dict[str, float | None] = dict.fromkeys(METRIC_KEYS + COUNT_METRIC_KEYS)
    own_text = "" if refused else answer_line_text(answer)
    out: dict[str, Any] = {
        "gold_rank": None,
        "doc_rank": None,
        "missing_facts": [],
        "satisfied_facts": [],
        "citations_ok": [],
        "answer_line": own_text,
        "reasons": [],
    }
    reasons: list[str] = out["reasons"]

    # refusal (both directions)
    m["refusal_accuracy"] = 1.0 if refused == (not q.answerable) else 0.0
    if q.answerable and refused:
        reasons.append("refused an answerable question")
    if not q.answerable and not refused:
        reasons.append("answered an unanswerable question instead of refusing")
    if not q.answerable:
        wrong = (not refused) and carries_figures(answer)
        m["wrong_entity_answers"] = 1.0 if wrong else 0.0
        if wrong:
            reasons.append("the answer to an unanswerable question carries figures (wrong entity)")

    # language
    lang_ok = language_match(answer, q.lang)
    m["language_match"] = 1.0 if lang_ok else 0.0
    out["language_ok"] = lang_ok
    if not lang_ok:
        why = ""
        if getattr(answer, "lang", None) == q.lang:
            why = (
                " but the answer has no text of its own (only a lead-in and quotes)"
                if not refused and not own_text
                else " but the answer's own text is not in that language"
            )
        reasons.append(f"language mismatch: expected {q.lang}, answer lang={getattr(answer, 'lang', None)!r}{why}")

    section_ok = True
    facts_ok = True
    if q.answerable:
        if q.gold:
            rank = first_rank(hits, lambda h: any(section_matches(h.doc_id, _path(h), g) for g in q.gold))
            gold_docs = {g.doc for g in q.gold}
            drank = first_rank(hits, lambda h: h.doc_id in gold_docs)
            out["gold_rank"], out["doc_rank"] = rank, drank
            for kk in KS:
                m[f"section_hit@{kk}"] = 1.0 if rank is not None and rank <= kk else 0.0
                m[f"doc_hit@{kk}"] = 1.0 if drank is not None and drank <= kk else 0.0
            m["mrr@10"] = 1.0 / rank if rank is not None and rank <= 10 else 0.0
            section_ok = rank is not None and rank <= PASS_K
            if not section_ok:
                where = f"first at rank {rank}" if rank else "not retrieved"
                reasons.append(f"no gold section in the top {PASS_K} hits ({where})")
        if q.facts:
            sat = satisfied_groups(q.facts, text)
            out["satisfied_facts"] = [g for g, ok in zip(q.facts, sat) if ok]
            out["missing_facts"] = [g for g, ok in zip(q.facts, sat) if not ok]
            m["fact_recall"] = sum(sat) / len(sat)
            forms = english_forms if q.lang == "en" else japanese_forms
            line_facts = [[*g, *(f for a in g for f in forms(a))] for g in q.facts]
            m["answer_line_fact_recall"] = sum(satisfied_groups(line_facts, own_text)) / len(sat)
            facts_ok = all(sat)
            m["all_facts_pass"] = 1.0 if facts_ok else 0.0
            if not facts_ok:
                reasons.append("missing facts: " + "; ".join(" | ".join(g) for g in out["missing_facts"]))
        if not refused and citations:
            verdicts = [_citation_ok(c, q, hits, getattr(answer, "related", None) or []) for c in citations]
            out["citations_ok"] = verdicts
            m["citation_precision"] = sum(verdicts) / len(verdicts)
        passed = (not refused) and facts_ok and section_ok
    else:
        passed = refused
    m["pass_rate"] = 1.0 if passed else 0.0
    out["metrics"] = m
    out["pass"] = passed
    return out


def _citation_ok(c: Any, q: Question, hits: list[Any], related: list[Any]) -> bool:
    doc_id = getattr(c, "doc_id", "")
    path = _path(c)
    if any(section_matches(doc_id, path, g) for g in q.gold):
        return True
    if not q.facts:
        return False
    texts = list(getattr(c, "quote", None) or [])
    for h in list(hits) + list(related):
        if getattr(h, "doc_id", None) == doc_id and _path(h) == path:
            texts.append(getattr(h, "text", "") or "")
    folded = fold_fact("\n".join(texts))
    return any(contains_folded(folded, fold_fact(a)) for grp in q.facts for a in grp)


# ------------------------------------------------------------------------------------ aggregation
def percentile(values: list[float], p: float) -> float:
    """Linear-interpolation percentile (numpy's default); 0.0 for no values."""
    vals = sorted(v for v in values if v is not None and not math.isnan(v))
    if not vals:
        return 0.0
    if len(vals) == 1:
        return float(vals[0])
    pos = (len(vals) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(vals) - 1)
    return float(vals[lo] + (vals[hi] - vals[lo]) * (pos - lo))


def total_ms(record: dict[str, Any]) -> float | None:
    t = (record.get("timings") or {}).get("total")
    if isinstance(t, (int, float)):
        return float(t)
    w = record.get("wall_ms")
    return float(w) if isinstance(w, (int, float)) else None


def aggregate(records: list[dict[str, Any]]) -> tuple[dict[str, float], list[str]]:
    """Means of per-question metrics (records as built by the runner: "metrics", "pass",
    "answerable", "timings", "wall_ms", "error"). Returns (aggregate, vacuous keys)."""
    agg: dict[str, float] = {}
    vacuous: list[str] = []
    for key in METRIC_KEYS:
        vals = [r["metrics"].get(key) for r in records]
        vals = [float(v) for v in vals if v is not None]
        if vals:
            agg[key] = sum(vals) / len(vals)
        else:
            agg[key] = VACUOUS_VALUE
            vacuous.append(key)
    for key in COUNT_METRIC_KEYS:
        vals = [(r.get("metrics") or {}).get(key) for r in records]
        vals = [float(v) for v in vals if v is not None]
        agg[key] = float(sum(vals))
        if not vals:
            vacuous.append(key)
    lat = [t for t in (total_ms(r) for r in records) if t is not None]
    agg["latency_p50_ms"] = percentile(lat, 50)
    agg["latency_p95_ms"] = percentile(lat, 95)
    if not lat:
        vacuous.extend(LATENCY_KEYS)
    agg["n"] = len(records)
    agg["n_answerable"] = sum(1 for r in records if r.get("answerable"))
    agg["n_errors"] = sum(1 for r in records if r.get("error"))
    return agg, vacuous


def stage_latencies(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """p50/p95/mean/max/n in ms for every stage found in the records' timings."""
    stages: dict[str, list[float]] = defaultdict(list)
    for r in records:
        for name, v in (r.get("timings") or {}).items():
            if isinstance(v, (int, float)):
                stages[name].append(float(v))
        if "total" not in (r.get("timings") or {}) and isinstance(r.get("wall_ms"), (int, float)):
            stages["total"].append(float(r["wall_ms"]))
    out: dict[str, dict[str, float]] = {}
    for name in sorted(stages, key=lambda s: (s == "total", s)):
        vals = stages[name]
        out[name] = {
            "p50": percentile(vals, 50),
            "p95": percentile(vals, 95),
            "mean": sum(vals) / len(vals),
            "max": max(vals),
            "n": len(vals),
        }
    return out


def group_by(records: list[dict[str, Any]], field: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[str(r.get(field))].append(r)
    return dict(sorted(groups.items()))
