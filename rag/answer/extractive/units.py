"""The unit scorer's view of a section's answer units (`section_units`): the units of
rag.answer.units (the one splitter of the answer step; lines inside code fences included, since
case files draw figures and tables as text in fences), each with the scorer's own row text (the
source / 出典 columns left out: a date or a name in a source column is not an answer), its quote
(a bullet or heading as its cleaned line) and its BM25 tokens."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.answer import units as shared
from rag.answer.extractive.text import toks
from rag.schema import Hit


@dataclass
class Unit:
    text: str  # display text (markdown cleaned)
    quote: list[str]  # what the citation quotes (header row + row for tables)
    kind: str  # sentence | bullet | row | profile | heading
    start: int | None  # file lines (1-based, inclusive), None when unknown
    end: int | None
    order: int
    tokens: frozenset[str] = frozenset()
    context: str = ""  # preceding lead-in (the line a bullet list hangs from)
    is_link: bool = False  # a reference/link line (a URL or a markdown link)
    # the shared unit this view is of (its shown text, its exact source lines)
    src: shared.Unit | None = field(default=None, compare=False, repr=False)


_SOURCE_HEADERS = shared.SOURCE_HEADERS


def _row_text(header: Sequence[str], row: Sequence[str]) -> str:
    if header and len(header) == len(row):
        pairs = [
            f"{h}: {v}" if h else v
            for h, v in zip(header, row)
            if v and v not in ("-", "—") and h.strip().lower() not in _SOURCE_HEADERS
        ]
        return " / ".join(pairs)
    return " | ".join(c for c in row if c)


def _view(u: shared.Unit) -> Unit:
    text, quote = u.text, list(u.quote)
    if u.kind == "row":
        text = _row_text(u.header, u.cells)
    elif u.kind == "bullet":
        quote = [shared.clean_md(u.quote[0])]
    elif u.kind == "heading":
        quote = [u.text]
    return Unit(text, quote, u.kind, u.start, u.end, u.order, toks(text), u.context, u.is_link, u)


_lock = threading.Lock()
_views: dict[int, tuple[list[shared.Unit], list[Unit]]] = {}


def section_units(hit: Hit) -> list[Unit]:
    """Candidate units of one retrieved section (cached with the shared units they view)."""
    units = shared.section_units(hit, code=True)
    with _lock:
        got = _views.get(id(units))
    if got is not None and got[0] is units:
        return got[1]
    out = [_view(u) for u in units]
    with _lock:
        if len(_views) > 4096:
            _views.clear()
        _views[id(units)] = (units, out)
    return out
