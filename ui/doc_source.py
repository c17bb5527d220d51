"""A library file's lines and section boundaries, for the source viewer.

Read through rag.ingest (decoded as the indexer decodes it, sections split by the same rules, so
line numbers agree with the citations), cached by path, modification time and size. A file that
cannot be read here (deleted, or a replica without the library on disk) gives None and the caller
falls back to the text stored in the index.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.units import file_lines
from rag.ingest import load_document, split_sections


@dataclass(frozen=True)
class DocText:
    path: str
    lines: list[str]  # the file's lines; lines[0] is line 1
    body_start: int  # file line of the body's first line; the lines above it are the front matter
    sections: list[tuple[int, int, tuple[str, ...]]]  # (first line, last line, heading path)


_lock = threading.Lock()
_cache: dict[str, tuple[tuple[float, int], DocText | None]] = {}


def doc_text(path: str | None) -> DocText | None:
    """The lines and sections of the library file at `path`; None when it cannot be read."""
    if not path:
        return None
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    stamp = (st.st_mtime, st.st_size)
    with _lock:
        got = _cache.get(path)
        if got and got[0] == stamp:
            return got[1]
    try:
        lines = file_lines(str(path))  # the answer side's cache of the same file's lines
        doc = load_document(path)
        sections = [(s.start_line, s.end_line, tuple(s.heading_path)) for s in split_sections(doc)]
        out: DocText | None = (
            DocText(str(path), lines, max(1, doc.body_start_line), sections) if lines is not None else None
        )
    except Exception:  # noqa: BLE001 — a vanished or now-broken file: the caller uses the indexed text
        out = None
    with _lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[path] = (stamp, out)
    return out


def section_range(doc: DocText, line: int, heading_path: Sequence[str] = (), end: int | None = None) -> tuple[int, int]:
    """First and last line of the section of `line` (…`end`) with `heading_path`: the section with that
    path overlapping the lines, else the one holding `line`; the front matter for a line above the body."""
    last = len(doc.lines)
    line = min(max(int(line or 1), 1), last)
    end = max(line, min(int(end or line), last))
    if line < doc.body_start:
        return 1, doc.body_start - 1
    path = tuple(heading_path or ())
    for s in doc.sections:
        if s[2] == path and s[0] <= end and line <= s[1]:
            return s[0], s[1]
    for s in doc.sections:
        if s[0] <= line <= s[1]:
            return s[0], s[1]
    return line, line
