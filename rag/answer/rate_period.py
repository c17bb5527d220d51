"""A figure asked per year is not answered with the figure per month beside it (and the other way round).

Case studies often give a rate twice: 「年間336M超（月間5,800万）」, 「対象300人の月間削減総時間: 1,800時間」
next to the yearly total. The reader scores the unit, not the period the figure is counted over, and
answered "How many interactions a year …?" with 月間5,800万. When the question names one period of a
rate (年間 / annual / a year, 月間 / monthly / a month, 1日 / daily / a day, 週 / weekly) and the answer's
span is marked with another one (the mark right before it, inside it, or "/月" right after it), the
answer moves to a value of the asked kind marked with the asked period: in the same unit first, then
in a close unit (at least `SHARE` of the best unit's probability). With no such value it stays.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.answer.reader import ReadUnit
from rag.answer.reader.answer_types import compatible, nfkc, typed_spans
from rag.answer.typed_answer import asked_kinds, widened

SHARE = 0.5
_ASKED = {
    "year": re.compile(
        r"年間|毎年|1年(?:間|あたり|当たり)|\b(?:a|per|each|every) year\b|\bannual(?:ly)?\b|\byearly\b", re.I
    ),
    "month": re.compile(r"月間|毎月|月(?:あたり|当たり)|\b(?:a|per|each|every) month\b|\bmonthly\b", re.I),
    "day": re.compile(r"(?<![月\d])1日(?:あたり|当たり)?|毎日|日次|\b(?:a|per|each|every) day\b|\bdaily\b", re.I),
    "week": re.compile(r"週間?あたり|毎週|\b(?:a|per|each|every) week\b|\bweekly\b", re.I),
}
# the marks a document puts on a figure: before it (年間336M, 月間削減総時間: 1,800時間) or after it (/月)
_BEFORE = {
    "year": r"年間|年平均|毎年|/年",
    "month": r"月間|毎月|月平均|/月",
    "day": r"(?<![月\d])1日|日次|毎日|/日",
    "week": r"週|毎週",
}
_AFTER = {"year": r"^\s*/\s*年", "month": r"^\s*/\s*月", "day": r"^\s*/\s*日", "week": r"^\s*/\s*週"}
_REACH = 12  # characters before a figure its mark may stand at (「月間削減総時間: 」)


def asked_period(part: str) -> str | None:
    """The one rate period the question names, or None (none, or several)."""
    found = [p for p, rx in _ASKED.items() if rx.search(nfkc(part))]
    return found[0] if len(found) == 1 else None


def _marks(text: str, start: int, end: int) -> set[str]:
    """The periods marked on the figure at text[start:end]: the nearest mark before it (within _REACH
    characters, not across another figure's end) and a "/月" after it."""
    found: set[str] = set()
    before = text[max(0, start - _REACH) : end]
    best = -1
    for p, rx in _BEFORE.items():
        for m in re.finditer(rx, before):
            if m.start() > best:
                best, found = m.start(), {p}
    for p, rx in _AFTER.items():
        if re.match(rx, text[end:]):
            found.add(p)
    return found


def _span_at(text: str, span: str) -> tuple[int, int] | None:
    i = text.find(span)
    return (i, i + len(span)) if i >= 0 else None


def _asked_value(u: ReadUnit, period: str, kinds: Sequence[str]) -> str | None:
    t = nfkc(u.text)
    for sp in typed_spans(t, names=False):
        if any(compatible(k, sp.kind) for k in kinds) and period in _marks(t, sp.start, sp.end):
            return sp.text
    return None


def rate_period_first(part: str, units: Sequence[ReadUnit], pool: Sequence[ReadUnit] = ()) -> list[ReadUnit]:
    """`units` with the answer moved to a figure of the asked rate period when the best unit's span is
    marked with another period (see the module docstring)."""
    period, kinds = asked_period(part), asked_kinds(part)
    if not units or not period or not kinds:
        return list(units)
    b = units[0]
    t = nfkc(b.text)
    at = _span_at(t, nfkc(b.span or ""))
    marks = _marks(t, *at) if at else set()
    if not marks or period in marks:
        return list(units)
    v = _asked_value(b, period, kinds)
    if v is not None:
        return [replace(b, span=v), *units[1:]]
    best = b.probability
    for u in sorted(widened(units, pool), key=lambda x: -x.probability):
        if u.probability < SHARE * best:
            break
        v = _asked_value(u, period, kinds)
        if v is not None:
            return [replace(u, span=v)] + [x for x in units if x is not u]
    return list(units)
