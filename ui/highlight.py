"""Where a citation's quote lies in document text: character spans to highlight.

`highlight_spans` finds quotes in one text (exact, else whitespace-insensitive, else ignoring
Markdown markup, width and case: an extractive answer quotes sentences with `**`/`|` removed).
`cited_marks` decides, line by line, what of a citation's line range to highlight: the spans of
its quotes, whole lines that are part of a quote (a table row, one line of a multi-line quote),
and, when no quote is found at all, every non-empty line of the range (the lines are the citation).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence

Span = tuple[int, int]


def _flex_pattern(quote: str) -> re.Pattern[str] | None:
    """A quote as a regex that tolerates differences in whitespace (line breaks inside a section)."""
    parts = [re.escape(p) for p in quote.split() if p]
    if not parts:
        return None
    return re.compile(r"\s*".join(parts))


_LOOSE_SKIP = set("*_`~#>|") | {"\u3000"}


def _compact(s: str) -> tuple[str, list[int]]:
    """`s` without whitespace and Markdown markup characters, NFKC-folded, plus each kept char's index."""
    out: list[str] = []
    idx: list[int] = []
    for i, ch in enumerate(s):
        if ch.isspace() or ch in _LOOSE_SKIP:
            continue
        for c in unicodedata.normalize("NFKC", ch).casefold():
            out.append(c)
            idx.append(i)
    return "".join(out), idx


def _loose_find(text: str, quote: str) -> Span | None:
    """Span of `quote` in `text` ignoring whitespace, Markdown emphasis/table markup, width and case
    (an extractive answer quotes sentences with `**`/`__`/`|` removed); else its longest piece."""
    ct, idx = _compact(text)
    for piece in [quote, *sorted(re.split(r"[…\n]|\.\.\.", quote), key=len, reverse=True)[:1]]:
        cq, _ = _compact(piece)
        if len(cq) < 4:
            continue
        i = ct.find(cq)
        if i >= 0:
            return idx[i], idx[i + len(cq) - 1] + 1
    return None


def _merge(spans: list[Span]) -> list[Span]:
    spans.sort()
    merged: list[Span] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def highlight_spans(text: str, quotes: Iterable[str]) -> list[Span]:
    """Character spans of `text` covered by the quotes (exact, else whitespace-insensitive), merged."""
    spans: list[Span] = []
    for q in quotes:
        q = (q or "").strip()
        if len(q) < 2:
            continue
        found = False
        start = 0
        while True:
            i = text.find(q, start)
            if i < 0:
                break
            spans.append((i, i + len(q)))
            found = True
            start = i + len(q)
        if not found:
            pat = _flex_pattern(q)
            if pat is not None:
                for m in pat.finditer(text):
                    if m.end() > m.start():
                        spans.append((m.start(), m.end()))
                        found = True
        if not found:
            span = _loose_find(text, q)
            if span:
                spans.append(span)
    return _merge(spans)


def highlight(text: str, quotes: Iterable[str]) -> str:
    """Escaped `text` with every quote wrapped in <mark> (the quotes are matched on the raw text)."""
    out: list[str] = []
    pos = 0
    for a, b in highlight_spans(text, quotes):
        out.append(html.escape(text[pos:a]))
        out.append(f"<mark>{html.escape(text[a:b])}</mark>")
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out)


_RULE_LINE = re.compile(r"^[\s|:\-=*_#>`~+]*$")  # blank, table alignment row, rule, bare markers


def cited_marks(
    lines: Sequence[str], first: int, start: int | None, end: int | None, quotes: Sequence[str]
) -> dict[int, list[Span]]:
    """{file line: spans of that line to highlight} for a citation of lines `start`–`end` quoting
    `quotes`; `lines[0]` is file line `first`. Only lines inside the citation's range are marked;
    without a usable range, the quotes are looked for in all of `lines`."""
    last = first + len(lines) - 1
    ranged = bool(start) and bool(end) and start <= end and not (end < first or start > last)
    lo, hi = (max(start, first), min(end, last)) if ranged else (first, last)  # type: ignore[type-var]
    quotes = [q for q in (quotes or []) if q and q.strip()]
    cq = [c for c in (_compact(q)[0] for q in quotes) if c]
    marks: dict[int, list[Span]] = {}
    for n in range(lo, hi + 1):
        s = lines[n - first]
        if _RULE_LINE.match(s):
            continue
        cl = _compact(s)[0]
        if len(cl) >= (2 if ranged else 6) and any(cl in q for q in cq):
            marks[n] = [(0, len(s))]  # the whole line is (part of) a quote
            continue
        spans = highlight_spans(s, quotes)
        if spans:
            marks[n] = spans
    if not marks and ranged:
        marks = {n: [(0, len(lines[n - first]))] for n in range(lo, hi + 1) if not _RULE_LINE.match(lines[n - first])}
    return marks
