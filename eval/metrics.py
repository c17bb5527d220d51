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
  introduce evidence ("According to the library:"); see split_answer.
* Language: Answer.lang must equal the question's lang; for an answer that is not a refusal its own
  text must exist and be in that language, decided by the share of Japanese (kana/kanji) among
  Japanese + Latin letters: >= JA_SHARE reads as Japanese, below as English (for English, quoted
  spans and Japanese-only parenthesised glosses are removed first). A templated lead-in followed by
  quotes has no own text and scores 0 in either language.
* answer_line_fact_recall: fact recall over the answer's own text only (a fact that appears only in a
  quote does not count). For an English question a fact spelled the Japanese way also counts in its
  English form (eval.fact_forms: "350人" as "350 people", "2024年10月" as "October 2024").
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

from .fact_forms import english_forms
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


# ------------------------------------------------------------------------------------ answer lines
# The answer's own text = its lines minus the quoted evidence. Evidence is what the answer reproduces
# from its sources rather than says itself:
#   * blockquote lines ("> …") and lines that are one quoted span (「…」, “…”, "…");
#   * lines (bullet marker and [n] markers stripped) that reproduce a cited quote: at least
#     EVIDENCE_QUOTE_SHARE of one quote string of a citation (by word characters, pieces split at
#     " / ", "|", ":" …) occurs in the line, AND at least EVIDENCE_LINE_SHARE of the line's word
#     characters lie in pieces found verbatim in the sources (citation quotes, hit and related texts).
#     Both sides are needed: a quote with a lead-in ("見出し： 文 [1]") or a table row rendered as
#     "header: value / …" is evidence; an English line that mentions a figure of the quote, or a short
#     Japanese line that states one span of it ("評価額：117億ユーロ"), is the answer's own text.
# An own line that ends with a colon and introduces evidence (or ends the answer) is a lead-in such
# as "According to the library:", not an answer line. Inline quoted spans stay part of an answer line.
_KANA_KANJI_RE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")
_QUOTED_RE = re.compile(r"「[^」]*」|『[^』]*』|“[^”]*”|\"[^\"\n]*\"|‘[^’\n]*’")
_WHOLE_QUOTE_RE = re.compile(r"^(?:「[^」]*」|『[^』]*』|“[^”]*”|\"[^\"]*\")[。.]?$")
_JA_GLOSS_RE = re.compile(
    r"[（(][\s\u3000-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    r"\uff61-\uff9f・･]+[）)]"
)
_CITE_RE = re.compile(r"\[\d+(?:\s*[,，、]\s*\d+)*\]")
_LINE_MARK_RE = re.compile(r"^\s*(?:[-*+•・]|\d{1,3}[.)])\s+")
_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL_RE = re.compile(r"https?://\S+")
_PIECE_SPLIT_RE = re.compile(r"\s+/\s+|\||[:：]|[;；]\s|\s+-\s+")
EVIDENCE_QUOTE_SHARE = 0.6
EVIDENCE_LINE_SHARE = 0.8
MIN_EVIDENCE_CHARS = 4  # a line with fewer word characters is never taken for a quote
JA_SHARE = 0.25  # text whose letters are at least this share Japanese reads as Japanese, below it as English


def _wc(s: str) -> str:
    """Word characters only (letters, digits, kana, kanji), NFKC + casefold."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", s or "").casefold() if ch.isalnum())


def _pieces(s: str) -> list[str]:
    return [p for p in (_wc(x) for x in _PIECE_SPLIT_RE.split(s or "")) if p]


def _line_content(line: str) -> str:
    s = re.sub(r"\s*" + _CITE_RE.pattern, "", line)
    s = _LINE_MARK_RE.sub("", s)
    return _WS_RE.sub(" ", s.replace("**", "")).strip()


def _is_evidence(content: str, quotes: list[str], sources_wc: str) -> bool:
    line_wc = _wc(content)
    if len(line_wc) < MIN_EVIDENCE_CHARS:
        return False
    reproduces_quote = False
    for q in quotes:
        q = _line_content(q)  # "2. 文" quotes a numbered item
        # a rendered table row may leave out a source column: try the quote without its links too
        for variant in (_URL_RE.sub(" ", _MD_LINK_RE.sub(r"\1", q)), _URL_RE.sub(" ", _MD_LINK_RE.sub(" ", q))):
            qp = [p for p in _pieces(variant) if len(p) >= 2]
            total = sum(len(p) for p in qp)
            if total >= MIN_EVIDENCE_CHARS and sum(len(p) for p in qp if p in line_wc) >= EVIDENCE_QUOTE_SHARE * total:
                reproduces_quote = True
                break
        if reproduces_quote:
            break
    if not reproduces_quote:
        return False
    lp = _pieces(content)
    total = sum(len(p) for p in lp)
    covered = sum(len(p) for p in lp if len(p) >= 2 and p in sources_wc)
    return total > 0 and covered >= EVIDENCE_LINE_SHARE * total


def split_answer(answer: Any) -> tuple[list[str], list[str]]:
    """(answer lines, evidence lines) of an answer's text; lead-in lines belong to neither.

    Answer lines keep their inline quoted spans; [n] citation markers and bullet markers are removed."""
    text = getattr(answer, "text", "") or ""
    quotes: list[str] = []
    for c in getattr(answer, "citations", None) or []:
        quotes += [q for q in (getattr(c, "quote", None) or []) if q]
    sources = list(quotes)
    for h in list(getattr(answer, "hits", None) or []) + list(getattr(answer, "related", None) or []):
        sources.append(getattr(h, "text", "") or "")
    sources_wc = "\n".join(_wc(s) for s in sources)
    kinds: list[tuple[str, str]] = []  # (kind, content) with kind in own | evidence
    for raw in text.splitlines():
        s = raw.strip()
        if not s:
            continue
        if s.startswith(">"):
            kinds.append(("evidence", s.lstrip("> ")))
            continue
        content = _line_content(s)
        if not _wc(content):
            continue
        if _WHOLE_QUOTE_RE.match(content) or (quotes and _is_evidence(content, quotes, sources_wc)):
            kinds.append(("evidence", content))
        else:
            kinds.append(("own", content))
    own: list[str] = []
    evidence: list[str] = []
    for i, (kind, content) in enumerate(kinds):
        if kind == "evidence":
            evidence.append(content)
            continue
        nxt = kinds[i + 1][0] if i + 1 < len(kinds) else None
        if content.rstrip().endswith((":", "：")) and nxt in (None, "evidence"):
            continue  # a lead-in ("According to the library:"), not an answer line
        own.append(content)
    return own, evidence


def answer_line_text(answer: Any) -> str:
    """The answer's own text (see split_answer), one line per answer line."""
    return "\n".join(split_answer(answer)[0])


def japanese_share(text: str) -> tuple[float, int, int]:
    """(share of Japanese letters among Japanese + Latin letters, Japanese count, Latin count)."""
    ja = len(_KANA_KANJI_RE.findall(text or ""))
    lat = len(_LATIN_RE.findall(text or ""))
    return (ja / (ja + lat) if ja + lat else 0.0), ja, lat


def script_matches(text: str, lang: str) -> bool:
    """Is `text` written in `lang`? Decided by the share of Japanese vs Latin letters after removing
    [n] markers (and, for English, quoted spans and Japanese-only parenthesised glosses such as the
    katakana reading after a name)."""
    t = _CITE_RE.sub(" ", text or "")
    if lang == "ja":
        share, ja, _ = japanese_share(t)
        return ja >= 2 and share >= JA_SHARE
    if lang == "en":
        t = _JA_GLOSS_RE.sub(" ", _QUOTED_RE.sub(" ", t))
        share, _, lat = japanese_share(t)
        return lat >= 2 and share < JA_SHARE
    return False


def language_match(answer: Any, lang: str) -> bool:
    """Answer.lang is the question's language and the answer's own text (quoted evidence and lead-ins
    removed) is written in it. An answer that is only a lead-in and quotes has no own text: a miss.
    A refusal is its own text (an empty refusal only needs the right Answer.lang)."""
    if getattr(answer, "lang", None) != lang:
        return False
    if getattr(answer, "refused", False):
        text = getattr(answer, "text", "") or ""
        return not text.strip() or script_matches(text, lang)
    own = answer_line_text(answer)
    return bool(own.strip()) and script_matches(own, lang)


_FIGURE_RE = re.compile(r"\d")


def carries_figures(answer: Any) -> bool:
    """Does the answer text (quotes included, [n] markers excluded) contain a figure (any digit)?"""
    return bool(_FIGURE_RE.search(_CITE_RE.sub(" ", unicodedata.normalize("NFKC", getattr(answer, "text", "") or ""))))


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
            line_facts = (
                q.facts if q.lang != "en" else [[*g, *(f for a in g for f in english_forms(a))] for g in q.facts]
            )
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
