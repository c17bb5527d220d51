"""Answer units of a section: sentences, bullet items, table rows, front-matter profile fields. The one
splitter of the answer step: the reader (rag.answer.reader) reads these units, and the unit scorer
(rag.answer.extractive) scores its view of them.

    units = section_units(hit)                 # a retrieved section (rag.schema.Hit) → [Unit]
    units = units_from_lines(lines, first_line) # Markdown lines → [Unit] (first_line = file line of lines[0])

A unit is the smallest piece of text an answer quotes, with its line range in the source file
(1-based, inclusive) so that a citation can point at exactly the quoted lines:

* sentence — a sentence of a paragraph (rag.japanese.sentence_spans: 。！？!? and English ". ");
  blockquote markers are dropped; every line break ends a sentence;
* bullet — one list item (`-`, `*`, `+`, `•`, `・`, `1.`), with its indented continuation lines;
  `context` holds the line the list hangs from ("主な成果：");
* row — one table row, kept WITH the table's header row: `text` pairs each cell with its column
  header ("ラウンド: シリーズC / 金額: 17億ユーロ"), `header`/`cells` keep the columns for span
  extraction, and the line range runs from the header line to the row (the quote needs both);
* profile — one "label (key): value" field of a profile hit (front matter), a long 、-joined list
  split into one unit per item;
* heading — a heading line inside the section (a heading such as "2023年4月：設立" can carry an
  answer by itself).

An answer shows a unit as `shown_text(u)` (a row as "label — header: cell / …", see `row_display`)
and cites its exact source lines (`u.quote`, `u.start`–`u.end`).

Units of a section are re-read from the source file when it still holds the indexed text (line
numbers exact); otherwise they come from the hit's text with start/end None. Lines inside code
fences are skipped, except with `code=True`: the unit scorer reads them too (case files draw
figures and tables as text in fences, and its answers quote them), the reader was fitted without them.
`is_link` marks a reference line (a URL or Markdown link with little other text).
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.ingest import read_text
from rag.ingest.japanese import sentence_spans

KINDS = ("sentence", "bullet", "row", "profile", "heading")


@dataclass(frozen=True)
class Unit:
    text: str  # display text, Markdown markers removed (rows: "header: cell / …")
    kind: str  # one of KINDS
    start: int | None  # first file line (1-based, inclusive); None when unknown
    end: int | None  # last file line (inclusive)
    order: int  # position in the section
    context: str = ""  # the lead-in line a bullet list or table hangs from
    header: tuple[str, ...] = ()  # rows: the table's header cells
    cells: tuple[str, ...] = ()  # rows: the row's cells
    quote: tuple[str, ...] = field(default=(), compare=False)  # source lines to quote (rows: header + row)
    is_link: bool = field(default=False, compare=False)  # a reference line (a URL or a Markdown link)


# ----------------------------------------------------------------------------- source files

_file_lock = threading.Lock()
_file_cache: dict[str, tuple[tuple[float, int], list[str]]] = {}


def _stamp(path: str) -> tuple[float, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime, st.st_size)


def file_lines(path: str) -> list[str] | None:
    """Lines of a library file (decoded like the indexer does), cached by mtime/size; None if unreadable."""
    stamp = _stamp(path) if path else None
    if stamp is None:
        return None
    with _file_lock:
        got = _file_cache.get(path)
        if got and got[0] == stamp:
            return got[1]
    try:
        text, _enc, _issues = read_text(path)
    except Exception:  # noqa: BLE001 — a vanished or now-broken file: use the indexed text
        return None
    lines = text.split("\n")
    with _file_lock:
        if len(_file_cache) > 256:
            _file_cache.clear()
        _file_cache[path] = (stamp, lines)
    return lines


# ----------------------------------------------------------------------------- Markdown helpers

_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:https?://|/|#)[^)]*\)")
_URL = re.compile(r"https?://\S+")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BULLET = re.compile(r"^(\s*)(?:[-*+•・]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s")
_QUOTE = re.compile(r"^\s*(?:>\s*)+")
_WORD = re.compile(r"[0-9A-Za-z\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff10-\uff19\uff21-\uff5a\uff66-\uff9f]")


def has_word_chars(s: str) -> bool:
    return bool(_WORD.search(s or ""))


def is_link(raw: str) -> bool:
    """A reference line: a URL or Markdown link with little other content."""
    if not (_URL.search(raw) or _MD_LINK.search(raw)):
        return False
    rest = _URL.sub("", _MD_LINK.sub("", raw))
    return len(re.findall(r"[0-9A-Za-z\u3040-\u30ff\u3400-\u9fff]", rest)) < 12


def clean_md(s: str) -> str:
    """A Markdown line's text: emphasis/code markers, link targets and box-drawing arrows removed."""
    s = _MD_LINK.sub(r"\1", s or "")
    s = re.sub(r"^[\s│├└┌┐┘┬┴┼─━┃┣┗┏→←↓↑▶►•]+", "", s)
    s = re.sub(r"[\s│┃]+$", "", s)
    s = re.sub(r"\*\*|__|`", "", s)
    s = re.sub(r"(?<![\w*])\*(?=\S)([^*]+)(?<=\S)\*(?![\w*])", r"\1", s)
    return s.strip()


def raw_cells(row: str) -> list[str]:
    """Cells of a Markdown table row as written (escaped pipes kept inside cells)."""
    r = row.strip()
    if r.startswith("|"):
        r = r[1:]
    if r.endswith("|") and not r.endswith("\\|"):
        r = r[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", r)]


def table_cells(row: str) -> list[str]:
    """Cells of a Markdown table row (escaped pipes kept inside cells), cleaned."""
    return [clean_md(c) for c in raw_cells(row)]


_EMPTY_CELL = frozenset({"", "-", "—", "–", "n/a", "N/A"})


def row_text(header: Sequence[str], cells: Sequence[str]) -> str:
    """A row read with its header: "h1: c1 / h2: c2" (empty cells left out)."""
    if header and len(header) == len(cells):
        return " / ".join(f"{h}: {c}" if h else c for h, c in zip(header, cells) if c not in _EMPTY_CELL)
    return " | ".join(c for c in cells if c not in _EMPTY_CELL)


# column headers of reference columns (a source link is not part of what a row says)
SOURCE_HEADERS = frozenset({"ソース", "出典", "source", "sources", "参考", "参照", "リンク", "link", "url", "引用元"})


def row_display(header: Sequence[str], cells: Sequence[str], links: Sequence[bool] = ()) -> str:
    """A table row as an answer shows it: the row's label (first cell) then its other cells paired
    with their column names ("Series C — 時期: 2025年9月 / 金額: €1,700M"); a table of one label and
    one value column reads "label: value" ("従業員数: 約40,000名"). Empty cells and reference cells
    (a cell `links` marks, or one of a source column) are left out; every other cell is kept verbatim."""
    cells = [c.strip() for c in cells]
    if not header or len(header) != len(cells) or len(cells) < 2:
        return " / ".join(c for c in cells if c not in _EMPTY_CELL)
    ref = [
        bool(i and ((i < len(links) and links[i]) or h.strip().lower() in SOURCE_HEADERS)) for i, h in enumerate(header)
    ]
    label = cells[0]
    rest = [(h.strip(), c) for h, c, r in zip(header[1:], cells[1:], ref[1:]) if c not in _EMPTY_CELL and not r]
    if label in _EMPTY_CELL:
        return " / ".join(f"{h}: {c}" if h else c for h, c in rest)
    if not rest:
        return label
    if len(cells) - sum(ref) == 2:
        return f"{label}: {rest[0][1]}"
    return f"{label} — " + " / ".join(f"{h}: {c}" if h else c for h, c in rest)


def label_value(text: str) -> tuple[str, str]:
    """ "CEO: Winston Weinberg" → ("CEO", "Winston Weinberg"); ("", text) when the text has no label."""
    head, sep, rest = text.partition(": ")
    return (head, rest) if sep else ("", text)


def shown_text(u: Unit) -> str:
    """The unit as an answer quotes it: a table row read with its header (`row_display`), any other
    unit as its cleaned text (Markdown markers removed). The exact source lines stay in `u.quote`."""
    if u.kind == "row" and u.cells:
        raw = raw_cells(u.quote[-1]) if u.quote else []
        links = [is_link(c) for c in raw] if len(raw) == len(u.cells) else []
        return row_display(u.header, u.cells, links)
    return u.text


def _sentences(line: str) -> list[str]:
    return [line[a:b] for a, b in sentence_spans(line)]


# ----------------------------------------------------------------------------- lines → units


def units_from_lines(lines: Sequence[str], first_line: int | None = 1, code: bool = False) -> list[Unit]:
    """Units of Markdown `lines`; `first_line` is the file line number of lines[0] (None: unknown);
    `code`: also the lines inside code fences."""
    out: list[Unit] = []

    def ln(i: int) -> int | None:
        return None if first_line is None else first_line + i

    header: tuple[str, ...] = ()
    header_raw = ""
    header_i = -1
    in_table = False
    in_fence = False
    lead_in = ""
    i, n = 0, len(lines)
    while i < n:
        raw = lines[i]
        s = raw.strip()
        here = i
        i += 1
        if s.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if (in_fence and not code) or not s or not has_word_chars(s):
            if not s:
                in_table = False
            continue
        if _HEADING.match(raw):
            in_table, lead_in = False, ""
            h = clean_md(re.sub(r"^\s*#+\s*|\s*#+\s*$", "", raw))
            if has_word_chars(h):
                out.append(Unit(h, "heading", ln(here), ln(here), len(out), quote=(s,)))
            continue
        if s.startswith("|"):
            if not in_table:
                in_table = True
                nxt = lines[i].strip() if i < n else ""
                if _TABLE_SEP.match(nxt):  # this row is the header
                    header, header_raw, header_i = tuple(table_cells(s)), s, here
                    i += 1
                    continue
                header, header_raw, header_i = (), "", -1
            if _TABLE_SEP.match(s):
                continue
            cells = tuple(table_cells(s))
            text = row_text(header, cells)
            if not has_word_chars(text):
                continue
            start = ln(header_i) if header_raw else ln(here)
            out.append(
                Unit(
                    text,
                    "row",
                    start,
                    ln(here),
                    len(out),
                    lead_in,
                    header,
                    cells,
                    (header_raw, s) if header_raw else (s,),
                    is_link(s),
                )
            )
            continue
        in_table = False
        m = _BULLET.match(raw)
        if m:
            body = raw[m.end() :].strip()
            end = here
            while (
                i < n
                and lines[i].strip()
                and lines[i].startswith((" ", "\t"))
                and not _BULLET.match(lines[i])
                and not lines[i].strip().startswith("|")
            ):
                body += " " + lines[i].strip()
                end = i
                i += 1
            text = clean_md(body)
            if has_word_chars(text):
                out.append(
                    Unit(
                        text,
                        "bullet",
                        ln(here),
                        ln(end),
                        len(out),
                        lead_in,
                        quote=tuple(x.strip() for x in lines[here : end + 1]),
                        is_link=is_link(body),
                    )
                )
            continue
        body = _QUOTE.sub("", raw)
        for sent in _sentences(body):
            t = clean_md(sent)
            if has_word_chars(t):
                out.append(
                    Unit(t, "sentence", ln(here), ln(here), len(out), lead_in, quote=(t,), is_link=is_link(sent))
                )
        lead_in = clean_md(body)[:80]
    return out


# ----------------------------------------------------------------------------- profile fields

_PROFILE_LINE = re.compile(r"^(?P<label>[^:：]{1,60}?)(?:\s*\((?P<key>[\w.\-]+)\))?\s*[:：]\s*(?P<value>.+)$")
_PROFILE_SKIP = frozenset(
    {
        "id",
        "title",
        "category",
        "tier",
        "type",
        "version",
        "created_at",
        "updated_at",
        "doc_id",
        "schema_version",
        "language",
        "lang",
    }
)


def profile_units(
    text: str, flines: Sequence[str] | None = None, line_range: tuple[int, int] | None = None
) -> list[Unit]:
    """Units of a profile text ("label (key.path): value" lines, as rag.chunking.profile_lines writes
    them); each is located in the front matter lines `flines` of the file within `line_range` when possible."""
    lines = (text or "").split("\n")
    if len(lines) > 1 and " › " in lines[0]:
        lines = lines[1:]  # a whole chunk's "title › heading path" first line
    out: list[Unit] = []
    for line in lines:
        line = line.strip()
        m = _PROFILE_LINE.match(line)
        if not m:
            continue
        label = m.group("label").strip()
        key = m.group("key") or (label if re.fullmatch(r"[\w.\-]+", label) else "")
        value = m.group("value").strip()
        leaf = key.split(".")[-1] if key else label
        if leaf in _PROFILE_SKIP or key.startswith("quality."):
            continue
        shown = leaf if label == key else label
        parts = [p.strip() for p in value.split("、") if p.strip()]
        items = parts if len(parts) >= 3 and len(value) > 60 else [value]
        for it in items:
            s, e = _locate(flines, line_range, leaf, it)
            u = f"{shown}: {it}"
            out.append(Unit(u, "profile", s, e, len(out), quote=(u,), is_link=bool(_URL.search(it))))
    return out


def _locate(
    flines: Sequence[str] | None, rng: tuple[int, int] | None, leaf: str, value: str
) -> tuple[int | None, int | None]:
    if not flines:
        return None, None
    lo, hi = rng or (1, len(flines))
    lo, hi = max(1, lo or 1), min(hi or len(flines), len(flines))
    probe = re.sub(r"（[^）]*）$", "", value).strip()  # "14000000000（140億ドル / $14B）" → "14000000000"
    if probe.startswith("name:"):
        probe = probe.split(";")[0].split(":", 1)[1].strip()
    probe = probe[:40]
    key_line = None
    for i in range(lo - 1, hi):
        line = flines[i]
        if leaf and re.match(rf"^\s*-?\s*[\"']?{re.escape(leaf)}[\"']?\s*:", line):
            if key_line is None:
                key_line = i + 1
            if probe and probe in line:
                return i + 1, i + 1
    if probe:
        for i in range((key_line or lo) - 1, hi):
            if probe in flines[i]:
                return i + 1, i + 1
    return (key_line, key_line) if key_line else (None, None)


# ----------------------------------------------------------------------------- a retrieved section


def _squash(s: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", s or "").casefold())


def consistent(units: Sequence[Unit], text: str) -> bool:
    """Most units (a sample) occur in `text`: the file still holds what was indexed."""
    body = [u for u in units if u.kind != "heading"]
    if not body:
        return True
    flat = _squash(text)
    sample = body[:: max(1, len(body) // 8)][:8]
    ok = sum(1 for u in sample if _squash(u.cells[-1] if u.kind == "row" and u.cells else u.text)[:30] in flat)
    return ok * 10 >= len(sample) * 6


_units_lock = threading.Lock()
_units_cache: dict[tuple, list[Unit]] = {}


def section_units(hit: Any, code: bool = False) -> list[Unit]:
    """Units of one retrieved section (a rag.schema.Hit), cached per file version and line range;
    `code`: also the lines inside code fences."""
    source = getattr(hit, "source", "") or ""
    flines = file_lines(source)
    key = (source, _stamp(source), hit.start_line, hit.end_line, getattr(hit, "kind", ""), hash(hit.text), code)
    with _units_lock:
        got = _units_cache.get(key)
    if got is not None:
        return got
    if getattr(hit, "kind", "section") == "profile":
        units = profile_units(hit.text, flines, (hit.start_line, hit.end_line))
    else:
        units = []
        if flines and hit.start_line and hit.end_line and hit.end_line <= len(flines):
            units = units_from_lines(flines[hit.start_line - 1 : hit.end_line], hit.start_line, code)
            if units and not consistent(units, hit.text):
                units = []
        if not units:
            text = hit.text
            if "\n" in text and " › " in text.split("\n", 1)[0] and not text.startswith("#"):
                text = text.split("\n", 1)[1]  # the chunk header "title › heading path"
            units = units_from_lines(text.split("\n"), None, code)
    with _units_lock:
        if len(_units_cache) > 4096:
            _units_cache.clear()
        _units_cache[key] = units
    return units
