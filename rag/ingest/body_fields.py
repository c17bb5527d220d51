"""Facet sources read from a Markdown body: its first heading and the label/value pairs near its
top — `| **label** | value |` rows of a two-column table and `**label**: value` lines (bulleted or
not), the two ways a file without front matter writes its profile (fenced code skipped).
"""

from __future__ import annotations

import re

from rag.ingest.facet_values import _WS_RE, _nfkc

_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_TABLE_ROW_RE = re.compile(r"^\s*\|(.*)\|\s*$")
_TABLE_SEP_CELL_RE = re.compile(r"^:?-{2,}:?$")
# "**企業名**: オリンパス（Olympus）", "- **対象企業**：BBVA": a bold label of a few words, then a colon
_LABEL_LINE_RE = re.compile(r"^\s*(?:[-*+]\s+)?\*\*([^*\n]{1,30}?)\s*(?:\*\*\s*[:：]|[:：]\s*\*\*)\s*(\S.*?)\s*$")


def first_heading(body: str) -> str | None:
    """The first level-1 ATX heading of a Markdown body, else its first heading of any level."""
    first_any: str | None = None
    in_fence = False
    for line in body.split("\n"):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = _HEADING_RE.match(line)
        if not m:
            continue
        text = m.group(2).replace("**", "").replace("__", "").strip().strip("`").strip()
        if not text:
            continue
        if len(m.group(1)) == 1:
            return text
        if first_any is None:
            first_any = text
    return first_any


def _label_key(label: str) -> str:
    s = _nfkc(label).replace("*", "").replace("`", "").replace("__", "")
    return _WS_RE.sub("", s).casefold()


def _strip_md(value: str) -> str:
    return value.replace("**", "").replace("__", "").replace("`", "").strip()


def body_table(body: str, max_lines: int = 150) -> dict[str, str]:
    """`| **label** | value |` rows (two cells, bold optional) and `**label**: value` lines from the
    top of a body.

    Keys are normalised labels (NFKC, no spaces or emphasis, case-folded); the first row with a
    label wins. Fenced code is skipped.
    """
    out: dict[str, str] = {}
    in_fence = False
    for i, line in enumerate(body.split("\n")):
        if i >= max_lines:
            break
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = _TABLE_ROW_RE.match(line)
        if m:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", m.group(1))]
            if len(cells) != 2 or _TABLE_SEP_CELL_RE.match(cells[0].replace(" ", "")):
                continue
        else:
            m = _LABEL_LINE_RE.match(line)
            if not m:
                continue
            cells = [m.group(1), m.group(2)]
        key, value = _label_key(cells[0]), _strip_md(cells[1])
        if key and value and key not in out:
            out[key] = value
    return out
