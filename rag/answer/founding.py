"""The founding date a document gives: "When was X founded?" / 「Xはいつ設立された？」 is answered by
the unit of X's document that states X's founding year (the canonical facet `founded_year`, which
rag/ingest/facets.yaml reads from the many front-matter spellings and from a 設立 table row) next
to a founding word, rather than by any dated sentence that says 設立.

    units = founding_first(question, units, snapshot)   # → reordered ReadUnits, or None

Why: a founding question meets many dated 設立 sentences that are not about the company's own
founding (「2025年2月、…「SB OpenAI 株式会社」を設立しました」, 「2026年に日本支社設立の可能性」, 「東京拠点
の設立（2025年第2-3四半期予想）」), and the reader ranks them above the line that states it
(「設立年: 1981年」, 「2016年の創業から…」). The document's own record decides which line states it.

A question asks about a founding when it is a date question whose content words are all the glossary's
terms for "founded" (rag/search/glossary.yaml: 設立, 創業; an English question through its glossary
terms: founded / established / set up …), besides company names and date words (`asks_founding`). Only the documents of the library companies the question
names are looked at; a unit counts when it holds that document's founding year and a founding
term; its answer span becomes the date there ("2023年4月", "1981年"), in the document's words.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from rag.answer.extractive import analyze
from rag.answer.extractive.companies import doc_names, find_companies
from rag.answer.reader import ReadUnit
from rag.answer.reader.answer_types import nfkc, typed_spans
from rag.search import glossary

FOUNDED_KEY = "founded"  # the glossary entry whose Japanese terms name a founding
FACET = "founded_year"  # the canonical facet (rag/ingest/facets.yaml)


@lru_cache(maxsize=1)
def founding_terms() -> tuple[str, ...]:
    return tuple(t for t in glossary.load().get(FOUNDED_KEY, ()) if re.search(r"[\u3040-\u9fff]", t))


_DATE_WORDS = frozenset({"年", "月", "日", "年月", "時期", "year", "month", "date"})


def asks_founding(question: str, snapshot: Any = None) -> bool:
    """Does the question ask when a company was founded, and nothing else: every content word of it
    (rag.answer.extractive.analyze; company names, question words and date words aside) is a
    founding term (設立, 創業, 設立年; founded / established / set up through the glossary)?
    "When did Anthropic set up its Japanese subsidiary?" is not: 日本法人 is founded, not Anthropic."""
    terms = founding_terms()
    info = analyze(question, snapshot)
    if info.wants != {"date"}:  # "When was it founded, and by whom?" asks for a name too
        return False
    concepts = info.concepts
    founding = [c for c in concepts if any(t in a for a in c.alts for t in terms)]
    return bool(founding) and all(c in founding or c.label in _DATE_WORDS for c in concepts)


_years_lock = threading.Lock()
_years_cache: dict[int, tuple[Any, dict[str, int]]] = {}


def founded_years(snapshot: Any) -> dict[str, int]:
    """doc_id → the founding year its metadata records (cached per snapshot)."""
    key = id(snapshot)
    with _years_lock:
        got = _years_cache.get(key)
        if got is not None and got[0] is snapshot:
            return got[1]
    out: dict[str, int] = {}
    for m in (getattr(snapshot, "metas", {}) or {}).values():
        d, y = m.get("doc_id"), m.get(FACET)
        if d and d not in out and isinstance(y, (int, float)) and 1000 < int(y) < 3000:
            out[str(d)] = int(y)
    with _years_lock:
        if len(_years_cache) > 8:
            _years_cache.clear()
        _years_cache[key] = (snapshot, out)
    return out


def _date_with_year(text: str, year: int) -> str | None:
    for s in typed_spans(text, names=False):
        if s.kind == "date" and re.search(rf"(?<!\d){year}(?!\d)", s.text):
            return s.text
    return None


def founding_first(question: str, units: Sequence[ReadUnit], snapshot: Any) -> list[ReadUnit] | None:
    """The units that state the founding date of a company the question names (best reader
    probability first, the span set to that date), or None when the rule does not apply."""
    if not units or units[0].answer_type != "date" or snapshot is None or not asks_founding(question, snapshot):
        return None
    docs, _ = doc_names(snapshot)
    ids = {d.key: d.doc_id for d in docs}
    named = {ids.get(k, k) for k, _ in find_companies(question, snapshot)}
    years = founded_years(snapshot)
    terms = founding_terms()
    out = []
    for u in units:
        year = years.get(u.doc_id) if u.doc_id in named else None
        text = nfkc(u.text)
        if year is None or not any(t in text for t in terms):
            continue
        span = _date_with_year(text, year)
        if span:
            out.append(replace(u, span=span, span_kind="date"))
    return out or None
