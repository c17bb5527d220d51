"""Answer units of a retrieved section (`section_units`): the section is re-read from its source
file (line numbers exact; the hit text when the file changed) and cut into sentences of
paragraphs, bullet items (with the line they hang from), table rows (kept with the table's header
row) and front-matter profile fields (one per list item)."""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.extractive.text import _MD_LINK, _URL, _jp, clean_md, squash, toks
from rag.ingest import chunk_body, read_text
from rag.schema import Hit

_file_lock = threading.Lock()
_file_cache: dict[str, tuple[tuple[float, int], list[str]]] = {}


def file_lines(path: str) -> list[str] | None:
    """Lines of a library file (decoded like the indexer does), cached by mtime/size; None if unreadable."""
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    stamp = (st.st_mtime, st.st_size)
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


@dataclass
class Unit:
    text: str  # display text (markdown cleaned)
    quote: list[str]  # what the citation quotes (header row + row for tables)
    kind: str  # sentence | bullet | row | profile
    start: int | None  # file lines (1-based, inclusive), None when unknown
    end: int | None
    order: int
    tokens: frozenset[str] = frozenset()
    context: str = ""  # preceding lead-in (the line a bullet list hangs from)
    is_link: bool = False  # a reference/link line (a URL or a markdown link)


_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BULLET = re.compile(r"^(\s*)(?:[-*+•・]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")


def _is_link(raw: str) -> bool:
    """A reference line: a URL or markdown link with little other content."""
    if not (_URL.search(raw) or _MD_LINK.search(raw)):
        return False
    rest = _URL.sub("", _MD_LINK.sub("", raw))
    return len(re.findall(r"[0-9A-Za-z\u3040-\u30ff\u3400-\u9fff]", rest)) < 12


def _cells(row: str) -> list[str]:
    r = row.strip()
    if r.startswith("|"):
        r = r[1:]
    if r.endswith("|"):
        r = r[:-1]
    return [clean_md(c.strip()) for c in re.split(r"(?<!\\)\|", r)]


_SOURCE_HEADERS = frozenset({"ソース", "出典", "source", "sources", "参考", "参照", "リンク", "link", "url", "引用元"})


def _row_text(header: list[str] | None, row: list[str]) -> str:
    if header and len(header) == len(row):
        pairs = [
            f"{h}: {v}" if h else v
            for h, v in zip(header, row)
            if v and v not in ("-", "—") and h.strip().lower() not in _SOURCE_HEADERS
        ]
        return " / ".join(pairs)
    return " | ".join(c for c in row if c)


def units_from_lines(lines: Sequence[str], first_line: int) -> list[Unit]:
    """Units of markdown lines; `first_line` is the file line number of lines[0]."""
    jp = _jp()
    out: list[Unit] = []
    header: list[str] | None = None
    header_raw: str | None = None
    header_line = 0
    in_table = False
    lead_in = ""
    in_fence = False
    i = 0
    n = len(lines)
    while i < n:
        raw = lines[i]
        ln = first_line + i
        s = raw.strip()
        i += 1
        if s.startswith("```") or s.startswith("~~~"):
            in_fence = not in_fence
            continue
        if not s or not jp.has_word_chars(s):
            if not s:
                in_table = False
            continue
        if _HEADING.match(raw):
            in_table = False
            lead_in = ""
            h = clean_md(re.sub(r"^\s*#+\s*|\s*#+\s*$", "", raw))
            if h and jp.has_word_chars(h):
                out.append(Unit(h, [h], "heading", ln, ln, len(out)))
            continue
        if s.startswith("|"):
            if not in_table:
                # a table starts: this row is the header when the next line is a separator
                nxt = lines[i].strip() if i < n else ""
                if _TABLE_SEP.match(nxt):
                    header, header_raw, header_line = _cells(s), s, ln
                    in_table = True
                    i += 1
                    continue
                header, header_raw = None, None
                in_table = True
            if _TABLE_SEP.match(s):
                continue
            cells = _cells(s)
            text = _row_text(header, cells)
            quote = [header_raw, s] if header_raw else [s]
            out.append(
                Unit(
                    text,
                    quote,
                    "row",
                    header_line if header_raw else ln,
                    ln,
                    len(out),
                    context=lead_in,
                    is_link=_is_link(s),
                )
            )
            continue
        in_table = False
        m = _BULLET.match(raw)
        if m:
            body = raw[m.end() :]
            end = ln
            # indented continuation lines belong to the item
            while (
                i < n
                and lines[i].strip()
                and not _BULLET.match(lines[i])
                and lines[i].startswith((" ", "\t"))
                and not lines[i].strip().startswith("|")
            ):
                body += " " + lines[i].strip()
                end = first_line + i
                i += 1
            text = clean_md(body)
            if text and jp.has_word_chars(text):
                out.append(
                    Unit(
                        text,
                        [clean_md(raw.strip())],
                        "bullet",
                        ln,
                        end,
                        len(out),
                        context=lead_in,
                        is_link=_is_link(body),
                    )
                )
            continue
        for sent in jp.split_sentences(raw):
            t = clean_md(sent)
            if t and jp.has_word_chars(t):
                out.append(Unit(t, [t], "sentence", ln, ln, len(out), context=lead_in, is_link=_is_link(sent)))
        lead_in = clean_md(s)[:80]
    return out


_PROFILE_LINE = re.compile(r"^(?P<label>[^:：]{1,60}?)(?:\s*\((?P<key>[\w.]+)\))?\s*[:：]\s*(?P<value>.+)$")


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


def _profile_units(hit: Hit, flines: list[str] | None) -> list[Unit]:
    """Front-matter profile lines → units (list values split into one unit per item)."""

    text = hit.text
    if "\n" in text:  # a one-line profile text is the profile line itself
        text = chunk_body(text)
    out: list[Unit] = []
    rng = (max(1, hit.start_line or 1), hit.end_line or 0)
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        m = _PROFILE_LINE.match(line)
        if not m:
            continue
        label = m.group("label").strip()
        key = m.group("key") or (label if re.fullmatch(r"[\w.]+", label) else "")
        value = m.group("value").strip()
        if key in _PROFILE_SKIP or key.startswith(("quality.", "fm.quality")) or label in _PROFILE_SKIP:
            continue
        shown_label = label
        if shown_label == key and "." in key:
            shown_label = key.split(".")[-1]
        items = [value]
        parts = [p.strip() for p in value.split("、") if p.strip()]
        if len(parts) >= 3 and len(value) > 60:
            items = parts
        elif key.endswith("founders_team") or value.startswith("name:"):
            items = [value]
        for it in items:
            text_u = f"{shown_label}: {it}"
            s, e = _locate_profile(flines, rng, key, it)
            out.append(Unit(text_u, [text_u], "profile", s, e, len(out), is_link=bool(_URL.search(it))))
    return out


def _locate_profile(
    flines: list[str] | None, rng: tuple[int, int], key: str, value: str
) -> tuple[int | None, int | None]:
    if not flines:
        return (None, None)
    lo, hi = rng
    hi = min(hi or len(flines), len(flines))
    leaf = key.split(".")[-1] if key else ""
    probe = re.sub(r"（[^）]*）$", "", value).strip()  # "14000000000（140億ドル / $14B）" → "14000000000"
    if probe.startswith("name:"):
        probe = probe.split(";")[0].split(":", 1)[1].strip()
    cands = [probe[:60]] if probe else []
    for i in range(lo - 1, hi):
        ln = flines[i]
        if cands and cands[0] and cands[0] in ln:
            if not leaf or leaf in ln or not re.match(r"^\s*[\w.]+\s*:", ln) or probe in ln:
                return (i + 1, i + 1)
    if leaf:
        for i in range(lo - 1, hi):
            if re.match(rf"^\s*-?\s*{re.escape(leaf)}\s*:", flines[i]):
                return (i + 1, i + 1)
    return (None, None)


_units_lock = threading.Lock()
_units_cache: dict[tuple, list[Unit]] = {}


def section_units(hit: Hit) -> list[Unit]:
    """Candidate units of one retrieved section (cached per file version and range)."""
    flines = file_lines(hit.source)
    stamp = None
    if hit.source:
        try:
            st = os.stat(hit.source)
            stamp = (st.st_mtime, st.st_size)
        except OSError:
            stamp = None
    key = (hit.source, stamp, hit.start_line, hit.end_line, hit.kind, len(hit.text), hash(hit.text))
    with _units_lock:
        got = _units_cache.get(key)
    if got is not None:
        return got
    if hit.kind == "profile":
        units = _profile_units(hit, flines)
    else:
        units = []
        if flines and hit.start_line and hit.end_line and hit.end_line <= len(flines):
            seg = flines[hit.start_line - 1 : hit.end_line]
            units = units_from_lines(seg, hit.start_line)
            # the file must still hold the indexed text: most unit texts occur in the hit text
            if units and not _consistent(units, hit.text):
                units = []
        if not units:
            units = units_from_lines(hit.text.split("\n"), 0)
            for u in units:
                u.start = u.end = None
    for u in units:
        u.tokens = toks(u.text)
    with _units_lock:
        if len(_units_cache) > 4096:
            _units_cache.clear()
        _units_cache[key] = units
    return units


def _consistent(units: list[Unit], text: str) -> bool:
    t = re.sub(r"[|*`#>\-]", "", squash("\n".join(clean_md(x) for x in text.split("\n"))))
    body = [u for u in units if u.kind != "heading"]
    if not body:
        return True
    sample = body[:: max(1, len(body) // 8)][:8]
    ok = sum(
        1
        for u in sample
        if re.sub(r"[|*`#>\-]", "", squash(clean_md(u.quote[-1]) if u.kind == "row" else u.text))[:30] in t
    )
    return ok >= max(1, math.ceil(len(sample) * 0.6))
