"""The core of the per-document item builder: its state, source references for body lines, sections
to skip (sources, references…), and how a body sentence, bullet or table row becomes a quoted item
(a bullet with its lead-in, a table row with its header cells)."""

from __future__ import annotations

from typing import Any

from rag.brief.document import _Doc, _Unit
from rag.brief.labels import _li, labels
from rag.brief.records import BriefItem, _Ref
from rag.brief.text import MAX_QUOTE_CHARS, _contains_any, _fold, _truncate
from rag.config import Settings


class _BuilderBase:
    """The per-document builder's state (document, language, lines already quoted) and how a body unit
    becomes a quoted item with its source reference; the profile, figure and topic parts build on it."""

    def __init__(self, d: _Doc, lang: str, settings: Settings) -> None:
        self.d = d
        self.lang = lang
        self.settings = settings
        self.li = _li(lang)
        self.used_lines: set[int] = set()
        self.shown_keys: set[str] = set()  # front-matter paths already shown (a key appears once)
        self._origin_cache: dict[str, Any] = {}

    # ---------------------------------------------------------------- references

    def body_ref(self, start: int, end: int, quote: str) -> _Ref:
        return _Ref(self.d, self.d.path_of(start), start, end, quote)

    def _skip_section(self, si: int) -> bool:
        sec = self.d.sections[si]
        path = [p for p in sec.heading_path if p != self.d.title]
        return bool(path) and bool(_contains_any(_fold(" ".join(path)), labels()["skip_headings"]))

    def quote_item(self, u: _Unit, key: str) -> BriefItem:
        self.used_lines.add(u.line)
        if u.table:
            return self.table_item(u, key)
        shown, quote = _truncate(u.clean)
        if u.lead is not None and len(u.lead[1]) <= 40 and u.lead[0] < u.line:
            lead_line, lead = u.lead
            ref = _Ref(self.d, self.d.path_of(lead_line), lead_line, u.line, quote)
            return BriefItem(f"{lead} — {shown}", [], [lead, quote], "quote", "", shown, key, None, [ref])
        ref = self.body_ref(u.line, u.line, quote)
        return BriefItem(shown, [], [quote], "quote", "", shown, key, None, [ref])

    def table_item(self, u: _Unit, key: str) -> BriefItem:
        """A table row as "header: cell, …" (or "label: value" for two-cell rows); quotes = the cells."""
        cells = u.cells()
        sep = "：" if self.lang == "ja" else ": "
        joiner = "、" if self.lang == "ja" else "; "
        quotes = [c for c in cells if c]
        start = u.line
        if len(cells) == 2 and cells[0] and cells[1]:
            text = f"{cells[0]}{sep}{cells[1]}"
        elif u.header is not None and len(u.header[1]) == len(cells):
            pairs = []
            for h, c in zip(u.header[1], cells):
                if not c or c in ("-", "—"):
                    continue
                pairs.append(f"{h}{sep}{c}" if h and h not in ("-", "—") else c)
                if h:
                    quotes.append(h)
            text = joiner.join(pairs)
            start = u.header[0]
        else:
            text = " | ".join(quotes)
        shown, _q = _truncate(text, MAX_QUOTE_CHARS + 40)
        ref = _Ref(self.d, self.d.path_of(start), start, u.line, u.clean)
        return BriefItem(shown, [], quotes, "quote", "", shown, key, None, [ref])
