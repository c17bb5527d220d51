"""Text helpers for quoting documents: the line-shape patterns (bullets, tables, fences, headings,
amounts, money), NFKC and case folding, a line cleaned of Markdown as shown in a briefing, the
evidence key that checks a quote against the cited lines, clause-aware truncation, and keyword
matching."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from rag.answer.value_text import MONTHS

MAX_QUOTE_CHARS = 160

# English month names, shared by the profile and the English value rendering (the answer line's own)
_MONTHS = tuple(MONTHS)


_WS = re.compile(r"\s+")
_BULLET = re.compile(r"^\s*(?:[-*+•・]|\d{1,3}[.)])\s+")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_AMOUNT = re.compile(
    r"(?:[$€¥￥£]\s?\d[\d,.]*\s?(?:[KMBT]\b|億|万|兆)?)"
    r"|(?:\d[\d,.]*\s?(?:%|％|億|万|兆|円|ドル|ユーロ|倍|時間|分|人|名|件|社|店|FTE|[MBKT]\b|x\b))",
)
_MONEY = re.compile(
    r"(?:[$€¥￥£]\s?\d)|(?:\d[\d,.]*\s?(?:[KMBT]\b|億|万|兆)?\s?(?:円|ドル|ユーロ|USD|EUR|JPY|GBP))", re.I
)
_DIGITS = re.compile(r"\d")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def _fold(text: str) -> str:
    return _WS.sub(" ", nfkc(text)).strip().casefold()


def clean_markdown(line: str) -> str:
    """A line as shown: emphasis/code marks, bullet markers and table pipes removed, spaces collapsed."""
    s = line.strip()
    table = bool(_TABLE_ROW.match(s))
    s = s.replace("**", "").replace("__", "").replace("`", "")
    if table:
        cells = [c.strip() for c in s.strip().strip("|").split("|")]
        s = " | ".join(c for c in cells if c)
    else:
        s = _BULLET.sub("", s, count=1)
        if len(s) > 2 and s[0] == "*" and s[-1] == "*" and s[1] != "*":
            s = s[1:-1]  # *italic line*
    return _WS.sub(" ", s).strip()


def evidence_key(text: str) -> str:
    """Comparison form used to check that a quote occurs in cited lines (NFKC, no commas, no
    Markdown emphasis or pipes, no whitespace)."""
    s = nfkc(text).replace("**", "").replace("__", "").replace("`", "").replace("*", "")
    s = s.replace(",", "").replace("|", "")
    return _WS.sub("", s)


def _truncate(text: str, limit: int = MAX_QUOTE_CHARS) -> tuple[str, str]:
    """(shown text, quote): long text is cut (at a clause boundary when possible) with "…"."""
    if len(text) <= limit:
        return text, text
    cut = text[: limit - 1]
    m = max(cut.rfind(c) for c in "、，,;；。 ")
    if m >= limit // 2:
        cut = cut[: m + 1]
    cut = cut.rstrip(" 、，,;；")
    return cut + "…", cut


def _contains_any(text_folded: str, words: Iterable[str]) -> list[str]:
    return [w for w in words if w and _fold(w) in text_folded]
