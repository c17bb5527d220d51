"""Markdown sections and embedding-sized chunks of a Document.

Sections (`split_sections`)
  ATX headings (`#`…`######`, up to 3 spaces of indent, not inside ``` / ~~~ fences; a fence
  that never closes is ignored rather than swallowing the rest of the file) split the body.
  Heading text is the line without the `#`s, an optional closing `#` sequence and surrounding
  whitespace, otherwise as written (emoji, `**bold**`, full-width digits stay).
  heading_path = enclosing headings, outermost first.
  *Title heading*: when the body has exactly one level-1 heading and it is the first heading,
  it is the document's title and is NOT put on the paths of the sections under it (every
  chunk would otherwise carry it, which says nothing about where an answer is and only
  lengthens citations); the title heading's own section (text between it and the next heading)
  has the path (title heading,). Several `#` headings are ordinary path elements.
  Text before the first heading is a level-0 section with the path (doc.title,); when it is
  blank it is given to the first section instead. Line numbers are 1-based file lines
  (doc.body_start_line is the body's first line); sections partition the body's lines.

Chunks (`chunk_document`)
  * One chunk per section when the section fits `target_tokens` (default 256 model tokens,
    ≈ 600 Japanese characters with multilingual-e5, the size that worked for hybrid retrieval)
    × 1.25; longer sections are cut into about equal pieces of ≤ target_tokens at the best
    boundary available: heading > blank line > line break > sentence end (。！？!? or English
    ". ") > clause (、, spaces) > characters (the last two only for a sentence longer than the
    whole window; nothing is ever dropped). A "**Label**" or "…：" line stays with what it
    introduces. Table rows and bullet items (with their indented continuation lines) are never
    cut unless one alone is longer than the window; a table cut in pieces repeats its header
    row and separator at the top of every piece.
  * Folding: a section with no content (a heading followed directly by another heading) is
    folded into the next chunk; a parent section whose own intro is tiny (≤ FOLD_TOKENS) is
    folded into its first child's chunk, whose path contains the parent's heading anyway.
    Sibling sections are never merged, however small (the smallest are ~20-token bullet lists
    under level-4 headings): each chunk's heading_path is exactly its section's path, so a
    gold heading is on the path of the chunk holding the answer.
  * Chunk text = "<doc title> › <heading path>\n<section lines>" (just the path when it
    starts with the title). The title matters: BM25 alone on eval/questions/dev.jsonl finds a
    gold section in the top 5 for 97% of the Japanese questions with it, 91% without (most
    chunks never name their company). The heading lines themselves (now in the first line)
    are left out; so are lines without any letter/digit/kana/kanji (rules, ``` fences,
    box-drawing art); every other line is copied as written (trailing spaces trimmed).
    `chunk_body(text)` returns the part after the first line.
  * count_tokens is applied to the final text (it includes the model's prefix and special
    tokens) and every chunk has n_tokens == count_tokens(text) <= max_tokens. It is called once
    per chunk, once per section that gets cut (skipped when the document's tokens-per-character
    already show the section is far too long), once per short parent intro (folding), and once
    for the empty string.
  * start_line/end_line are file lines; ranges are widened over skipped blank/rule lines so
    that every body line lies in some chunk's range.

Profile (`profile_chunk`)
  The front matter rendered as "label (key.path): value" lines (nested keys dotted, lists
  joined with 、, lists of mappings one line per item; big numbers also written as 140億ドル /
  $14B), heading_path ("プロフィール",), kind "profile", line range 1 … body_start_line-1,
  cut at field (line) boundaries into chunks of about target_tokens, so that a question about
  the valuation or the founding year meets a short, focused chunk. Profile chunks have
  order PROFILE_ORDER_BASE + i (chunk_id "<uid>#100000", …) so they never collide with the
  section chunks' ids (order 0, 1, …).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rag.ingest.japanese import has_word_chars, sentence_spans
from rag.schema import PATH_SEP, Chunk, Document, Section

VERSION = 2

DEFAULT_TARGET_TOKENS = 256
"""Default chunk size in model tokens (≈ 600 Japanese characters with multilingual-e5)."""
SPLIT_FACTOR = 1.25
"""A section is kept whole up to target × SPLIT_FACTOR tokens."""
FOLD_TOKENS = 48
"""A parent section whose own text is at most this many tokens joins its first child's chunk."""
PROFILE_HEADING = "プロフィール"
PROFILE_ORDER_BASE = 100_000

CountTokens = Callable[[str], int]

# ----------------------------------------------------------------------------- Markdown lines

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?=[ \t]|$)(.*)$")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_TABLE_ROW = re.compile(r"^\s*\|")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•・]|\d{1,3}[.)])\s+")
_CLAUSE_CUT = re.compile(r"(?<=[、，,;；:：])|(?<=\s)(?=\S)")


def _body_lines(body: str) -> list[str]:
    lines = body.split("\n")
    if lines and lines[-1] == "" and len(lines) > 1:
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def heading_text(raw: str) -> str:
    """Text of an ATX heading's content part: closing #s and surrounding whitespace removed."""
    t = raw.strip()
    t = _CLOSING_HASHES.sub("", t) if t.endswith("#") else t
    return t.strip()


def _fence_mask(lines: list[str]) -> list[bool]:
    """True for lines inside (or delimiting) a closed fenced code block."""
    mask = [False] * len(lines)
    i, n = 0, len(lines)
    while i < n:
        m = _FENCE.match(lines[i])
        if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
            ch, size = m.group(1)[0], len(m.group(1))
            j = i + 1
            while j < n:
                c = _FENCE.match(lines[j])
                if c and c.group(1)[0] == ch and len(c.group(1)) >= size and not c.group(2).strip():
                    break
                j += 1
            if j < n:
                for k in range(i, j + 1):
                    mask[k] = True
                i = j + 1
                continue
        i += 1
    return mask


def _headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line index, level, text) of the ATX headings outside fenced code."""
    mask = _fence_mask(lines)
    out = []
    for i, ln in enumerate(lines):
        if mask[i] or "#" not in ln[:4]:
            continue
        m = _HEADING.match(ln)
        if m:
            out.append((i, len(m.group(1)), heading_text(m.group(2))))
    return out


# ----------------------------------------------------------------------------- sections


def split_sections(doc: Document) -> list[Section]:
    """The body's sections in order; see the module docstring for the rules."""
    lines = _body_lines(doc.body)
    if not lines:
        return []
    base = doc.body_start_line
    heads = _headings(lines)
    h1 = [h for h in heads if h[1] == 1]
    title_idx = heads[0][0] if heads and len(h1) == 1 and heads[0][1] == 1 else None

    sections: list[Section] = []
    first = heads[0][0] if heads else len(lines)
    pre_blank = not any(ln.strip() for ln in lines[:first])
    if first > 0 and (not pre_blank or not heads):
        sections.append(
            Section(doc.doc_id, (doc.title,) if doc.title else (), 0, base, base + first - 1, "\n".join(lines[:first]))
        )
    stack: list[tuple[int, str]] = []
    for k, (i, level, text) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        start = 0 if (k == 0 and pre_blank) else i
        if i == title_idx:
            path: tuple[str, ...] = (text,) if text else ((doc.title,) if doc.title else ())
        else:
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
            path = tuple(t for _, t in stack if t)
        sections.append(Section(doc.doc_id, path, level, base + start, base + end - 1, "\n".join(lines[start:end])))
    return sections


# ----------------------------------------------------------------------------- atoms


@dataclass
class _Atom:
    text: str
    start: int  # file line
    end: int
    est: float = 0.0
    q: int = 1  # quality of a cut just before this atom: 3 heading, 2 blank, 1 line, 0 sentence, -1 clause, -9 never
    sep: str = "\n"  # what joins it to the previous atom in a piece
    table: int = -1  # table id, -1 when not a table row
    header: bool = False  # a table's header row or separator


def _atoms(lines: list[str], first_line: int, skip: set[int]) -> tuple[list[_Atom], dict[int, list[str]]]:
    """Atoms of the lines (index i is file line first_line + i), skipping indices in `skip`."""
    mask = _fence_mask(lines)
    atoms: list[_Atom] = []
    tables: dict[int, list[str]] = {}
    gap = 2  # quality of the next cut
    table_id = -1
    table_rows = 0
    for i, raw in enumerate(lines):
        ln = raw.rstrip()
        fl = first_line + i
        if i in skip:
            gap = max(gap, 3)
            table_id = -1
            continue
        s = ln.strip()
        if not s:
            gap = max(gap, 2)
            table_id = -1
            continue
        if mask[i]:
            if has_word_chars(s):
                atoms.append(_Atom(ln, fl, fl, q=gap))
                gap = 1
            continue
        if _TABLE_ROW.match(ln):
            if table_id < 0:
                table_id = len(tables)
                tables[table_id] = []
                table_rows = 0
            table_rows += 1
            is_header = table_rows == 1 or (table_rows == 2 and bool(_TABLE_SEP.match(ln)))
            q = gap
            if table_rows == 2 and is_header:
                q = -9
            elif table_rows == 3 and len(tables[table_id]) == 2:
                q = -9  # not between the header and the first data row
            if is_header:
                tables[table_id].append(ln)
            atoms.append(_Atom(ln, fl, fl, q=q, table=table_id, header=is_header))
            gap = 1
            continue
        table_id = -1
        if not has_word_chars(s):  # --- rules, box art without text
            gap = max(gap, 2 if re.fullmatch(r"[-*_=\s]{3,}", s) else 1)
            continue
        if (
            atoms
            and gap <= 1
            and raw[:1] in (" ", "\t")
            and not _BULLET.match(ln)
            and _BULLET.match(atoms[-1].text.split("\n", 1)[0])
            and atoms[-1].end == fl - 1
        ):
            atoms[-1].text += "\n" + ln  # continuation of a bullet item
            atoms[-1].end = fl
            continue
        if _HEADING.match(ln):
            gap = max(gap, 3)
        atoms.append(_Atom(ln, fl, fl, q=gap))
        gap = 1
    for k, a in enumerate(atoms):
        if a.q >= 2 and k:
            a.sep = "\n\n"
        if k and 0 < a.q <= 2 and _is_lead_in(atoms[k - 1].text):
            a.q = 0  # keep "**Label**" / "…：" lines with what they introduce
    return atoms, tables


_LEAD_IN = re.compile(r"^\s*(?:\*\*[^*]{1,60}\*\*[:：]?|[^|]{0,200}[:：])\s*$")


def _is_lead_in(text: str) -> bool:
    return "\n" not in text and len(text) <= 200 and bool(_LEAD_IN.match(text))


def _split_atom(a: _Atom, limit_chars: int) -> list[_Atom]:
    """Finer atoms of an atom longer than `limit_chars`: lines, sentences, clauses, characters."""
    if "\n" in a.text:
        parts = a.text.split("\n")
        out = []
        for k, p in enumerate(parts):
            out.append(
                _Atom(
                    p,
                    a.start + k,
                    a.start + k,
                    q=a.q if k == 0 else 1,
                    sep=a.sep if k == 0 else "\n",
                    table=a.table,
                    header=a.header,
                )
            )
        return out
    text = a.text
    spans = sentence_spans(text)
    cuts = [s for s, _ in spans[1:]]
    q = 0
    if not cuts:
        cuts = [m.start() for m in _CLAUSE_CUT.finditer(text) if 0 < m.start() < len(text)]
        q = -1
    if not cuts:
        cuts = list(range(limit_chars, len(text), max(1, limit_chars)))
        q = -2
    # group at the cut points into pieces of at most limit_chars where possible
    bounds = [0]
    last = 0
    prev_cut = 0
    for c in cuts + [len(text)]:
        if c - last > limit_chars and prev_cut > last:
            bounds.append(prev_cut)
            last = prev_cut
        prev_cut = c
    bounds.append(len(text))
    out = []
    for k in range(len(bounds) - 1):
        piece = text[bounds[k] : bounds[k + 1]]
        if not piece:
            continue
        out.append(
            _Atom(
                piece,
                a.start,
                a.end,
                q=a.q if k == 0 else q,
                sep=a.sep if k == 0 else "",
                table=a.table,
                header=a.header and k == 0,
            )
        )
    if len(out) == 1 and len(out[0].text) > limit_chars and q > -2:
        # no usable boundary within the limit: force characters
        return [
            _Atom(
                text[i : i + limit_chars],
                a.start,
                a.end,
                q=a.q if i == 0 else -2,
                sep=a.sep if i == 0 else "",
                table=a.table,
            )
            for i in range(0, len(text), max(1, limit_chars))
        ]
    return out


def _refine(atoms: list[_Atom], limit_est: float, ratio: float) -> list[_Atom]:
    """Split every atom whose estimate exceeds limit_est (recursively)."""
    out: list[_Atom] = []
    limit_chars = max(1, int(limit_est / max(ratio, 1e-6)))
    for a in atoms:
        if a.est <= limit_est or len(a.text) <= 1:
            out.append(a)
            continue
        finer = _split_atom(a, limit_chars)
        for f in finer:
            f.est = len(f.text) * ratio
        if len(finer) == 1 and finer[0].text == a.text:
            out.append(a)
            continue
        out.extend(_refine(finer, limit_est, ratio))
    return out


def _pack(atoms: list[_Atom], budget: float, hard: float | None = None) -> list[list[_Atom]]:
    """Greedy packing into pieces of about `budget` (never over `hard` when avoidable),
    cutting at the best boundary at hand: the highest cut quality among the positions that
    leave the piece at least half full, the latest of those on a tie."""
    hard = max(budget, hard if hard is not None else budget)
    pieces: list[list[_Atom]] = []
    cur: list[_Atom] = []
    cur_est = 0.0
    for a in atoms:
        while cur and cur_est + a.est > budget:
            best_j, best_key, acc = None, None, 0.0
            for j in range(1, len(cur) + 1):
                acc += cur[j - 1].est
                if acc < 0.5 * budget:
                    continue
                q = cur[j].q if j < len(cur) else a.q
                if q <= -9:
                    continue
                key = (q, j)
                if best_key is None or key > best_key:
                    best_key, best_j = key, j
            if best_j is None:
                if cur_est + a.est <= hard:
                    break  # a little over the budget rather than an orphaned line
                keys = [((cur[j].q if j < len(cur) else a.q), j) for j in range(1, len(cur) + 1)]
                best_j = max(keys)[1]
            pieces.append(cur[:best_j])
            cur = cur[best_j:]
            cur_est = sum(x.est for x in cur)
        cur.append(a)
        cur_est += a.est
    if cur:
        pieces.append(cur)
    # a tiny tail goes back to its predecessor when they fit together
    if len(pieces) > 1:
        tail = sum(x.est for x in pieces[-1])
        prev = sum(x.est for x in pieces[-2])
        if tail < 0.35 * budget and prev + tail <= hard:
            last = pieces.pop()
            pieces[-1] = pieces[-1] + last
    return pieces


def _render(piece: list[_Atom], tables: dict[int, list[str]], repeat_headers: bool = True) -> str:
    """Body text of a piece; table headers repeated where a piece starts inside a table."""
    out: list[str] = []
    have_header = {a.table for a in piece if a.header} if repeat_headers else {a.table for a in piece}
    inserted: set[int] = set()
    for k, a in enumerate(piece):
        sep = "" if k == 0 else a.sep
        if a.table >= 0 and not a.header and a.table not in have_header and a.table not in inserted:
            inserted.add(a.table)
            hdr = "\n".join(tables.get(a.table, []))
            if hdr:
                out.append(("" if k == 0 else ("\n\n" if a.sep == "\n\n" else "\n")) + hdr)
                sep = "\n"
        out.append(sep + a.text)
    return "\n".join(ln.rstrip() for ln in "".join(out).strip("\n").split("\n"))


# ----------------------------------------------------------------------------- chunking


def chunk_header(title: str, path: tuple[str, ...]) -> str:
    """First line of a chunk's text: "<title> › <path>" (just the path when it starts with the title)."""
    ps = PATH_SEP.join(path)
    if not title or (path and (title in path[0] or path[0] in title)):
        return ps or title
    return f"{title}{PATH_SEP}{ps}" if ps else title


def chunk_body(text: str) -> str:
    """A chunk's text without its first (title/heading path) line."""
    return text.split("\n", 1)[1] if "\n" in text else ""


class _Counter:
    """count_tokens, plus what it has taught about this document: the tokens of the model's
    prefix/specials (counted once) and the tokens per character of the texts counted so far."""

    def __init__(self, count_tokens: CountTokens, max_tokens: int):
        self.f = count_tokens
        self.max = max_tokens
        self.overhead = max(0, int(count_tokens("")))
        self.calls = 1
        self._chars = 0
        self._tokens = 0

    def __call__(self, text: str) -> int:
        self.calls += 1
        n = int(self.f(text))
        if len(text) >= 50:
            self._chars += len(text)
            self._tokens += max(0, n - self.overhead)
        return n

    def ratio(self) -> float | None:
        """Tokens per character seen so far (None until enough text was counted)."""
        return self._tokens / self._chars if self._chars >= 1000 else None


def _fit_header(header: str, counter: _Counter, n: int) -> tuple[str, int]:
    """The header line and its token count (prefix included; `n` for the header as given),
    shortened if it would crowd the window."""
    limit = max(counter.overhead + 8, counter.max // 3)
    if n <= limit:
        return header, n
    h = header
    while len(h) > 1:
        h = h[: max(1, int(len(h) * 0.7))]
        n = counter(h + "…")
        if n <= limit:
            return h + "…", n
    return "", counter.overhead


def _chunks_from_atoms(
    atoms: list[_Atom],
    tables: dict[int, list[str]],
    header: str,
    counter: _Counter,
    target: int,
    whole_text_tokens: int | None = None,
) -> list[tuple[str, int, int, int]]:
    """(text, n_tokens, start_line, end_line) for the atoms under one header; all ≤ max."""
    if not atoms:
        return []
    max_tokens = counter.max
    threshold = min(max_tokens, max(target * SPLIT_FACTOR, target))
    text = header + "\n" + _render(atoms, tables)  # always one first line (see chunk_body)
    known = counter.ratio()
    if whole_text_tokens is not None:
        n = whole_text_tokens
    elif known is not None and len(text) * known > 2.5 * threshold:
        n = int(counter.overhead + len(text) * known)  # clearly too long: cut without counting it
    else:
        n = counter(text)
        if n <= threshold:
            return [(text, n, atoms[0].start, max(a.end for a in atoms))]
    long_h = counter(header)
    header, h_tokens = _fit_header(header, counter, long_h)
    prefix = header + "\n"

    content_tokens = max(1, n - long_h)
    ratio = content_tokens / max(1, sum(len(a.text) + 1 for a in atoms))
    room = max(1, target - h_tokens)
    hard_room = max(1, max_tokens - h_tokens)
    for a in atoms:
        a.est = (len(a.text) + 1) * ratio
    pieces_n = max(1, math.ceil(content_tokens / room))
    budget = min(content_tokens / pieces_n * 1.08, hard_room * 0.9)
    atoms = _refine(atoms, hard_room, ratio)  # only what cannot fit; emit() verifies the rest
    out: list[tuple[str, int, int, int]] = []

    def emit(piece: list[_Atom], budget: float, depth: int = 0) -> None:
        text = prefix + _render(piece, tables)
        k = counter(text)
        if k > max_tokens and len(piece) == 1 and piece[0].table >= 0:
            # a repeated table header that does not fit is left out rather than the rows cut
            plain = prefix + _render(piece, tables, repeat_headers=False)
            if plain != text:
                kp = counter(plain)
                if kp <= max_tokens:
                    text, k = plain, kp
        if k <= max_tokens or depth > 40 or (len(piece) == 1 and len(piece[0].text) <= 1):
            # (over the window only when even one character does not fit: never drop text)
            out.append((text, k, piece[0].start, max(a.end for a in piece)))
            return
        if len(piece) == 1:
            a = piece[0]
            finer = _split_atom(a, max(1, len(a.text) // 2))
            if len(finer) <= 1:
                h = len(a.text) // 2
                finer = [
                    _Atom(a.text[:h], a.start, a.end, q=a.q, sep=a.sep, table=a.table),
                    _Atom(a.text[h:], a.start, a.end, q=-2, sep="", table=a.table),
                ]
            for f in finer:
                f.est = (len(f.text) + 1) * ratio
            subs = _pack(finer, sum(f.est for f in finer) / 2 * 1.05)
            if len(subs) == 1:
                subs = [[f] for f in finer]
            for sub in subs:
                emit(sub, budget / 2, depth + 1)
            return
        smaller = max(1.0, min(budget, sum(a.est for a in piece)) * 0.6)
        subs = _pack(piece, smaller)
        if len(subs) == 1:
            mid = len(piece) // 2
            subs = [piece[:mid], piece[mid:]]
        for sub in subs:
            emit(sub, smaller, depth + 1)

    for piece in _pack(atoms, budget, hard_room * 0.85):
        emit(piece, budget)
    return out


def _is_proper_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return 0 < len(a) < len(b) and b[: len(a)] == a


def chunk_document(
    doc: Document,
    count_tokens: CountTokens,
    max_tokens: int = 512,
    target_tokens: int = DEFAULT_TARGET_TOKENS,
) -> list[Chunk]:
    """Section chunks of `doc` (no profile chunk: see profile_chunk); see the module docstring."""
    lines = _body_lines(doc.body)
    sections = split_sections(doc)
    if not sections:
        return []
    base = doc.body_start_line
    counter = _Counter(count_tokens, max_tokens)
    target = max(8, min(target_tokens, max_tokens))

    def content(sec: Section) -> str:
        """The section's lines that carry text (no heading, blank or rule lines)."""
        sl = lines[sec.start_line - base : sec.end_line - base + 1]
        return "\n".join(s for s in (ln.strip() for ln in sl) if s and has_word_chars(s) and not _HEADING.match(s))

    def tiny(text: str) -> bool:
        # no model spends less than a token per 4 characters: longer texts are never tiny
        return len(text) <= 4 * FOLD_TOKENS and counter(text) - counter.overhead <= FOLD_TOKENS

    has_content = {id(sec): bool(content(sec)) for sec in sections}
    groups: list[list[Section]] = []
    pending: list[Section] = []
    for k, sec in enumerate(sections):
        pending.append(sec)
        nxt = sections[k + 1] if k + 1 < len(sections) else None
        if nxt is not None:
            body = content(sec)
            # Text may only be carried into the next section's chunk when that chunk's path
            # still contains the text's own heading (an intro joins its first child, never a sibling).
            carried_ok = all(
                _is_proper_prefix(p.heading_path, nxt.heading_path)
                for p in pending
                if p is not sec and has_content[id(p)]
            )
            if not body and carried_ok:
                continue  # nothing but a heading: joins the next chunk
            if (
                body
                and carried_ok
                and sec.level > 0
                and _is_proper_prefix(sec.heading_path, nxt.heading_path)
                and tiny(body)
            ):
                continue  # a short intro joins its first child, whose path has its heading
        groups.append(pending)
        pending = []

    chunks: list[Chunk] = []
    for group in groups:
        with_text = [g for g in group if has_content[id(g)]]
        path = (with_text or group)[-1].heading_path
        first = group[0].start_line
        last = group[-1].end_line
        glines = lines[first - base : last - base + 1]
        skip: set[int] = set()
        for sec in group:
            if sec.level > 0:
                idx = _heading_index(lines, sec, base)
                if idx is not None:
                    ht = heading_text(_HEADING.match(lines[idx]).group(2))
                    if not ht or ht in path or (doc.title and (ht in doc.title or doc.title in ht)):
                        skip.add(idx - (first - base))
        atoms, tables = _atoms(glines, first, skip)
        if not atoms:
            continue
        pieces = _chunks_from_atoms(atoms, tables, chunk_header(doc.title, path), counter, target)
        for j, (text, n, s, e) in enumerate(pieces):
            chunks.append(Chunk("", doc.doc_id, path, text, first if j == 0 else s, e, 0, "section", n))

    # widen the ranges over skipped lines so that every body line is in some chunk
    if chunks:
        last_line = base + len(lines) - 1
        chunks[0].start_line = min(chunks[0].start_line, base)
        for a, b in zip(chunks, chunks[1:]):
            if a.end_line < b.start_line - 1:
                a.end_line = b.start_line - 1
        chunks[-1].end_line = max(chunks[-1].end_line, last_line)
    for order, c in enumerate(chunks):
        c.order = order
        c.chunk_id = f"{doc.uid}#{order:04d}"
    return chunks


def _heading_index(lines: list[str], sec: Section, base: int) -> int | None:
    """Index (in lines) of a section's heading line: its first non-blank line."""
    for i in range(sec.start_line - base, sec.end_line - base + 1):
        if lines[i].strip():
            return i if _HEADING.match(lines[i]) else None
    return None


# ----------------------------------------------------------------------------- profile

_KEY_LABELS = {
    "title": "タイトル",
    "title_ja": "タイトル",
    "case_title": "タイトル",
    "subtitle": "サブタイトル",
    "name": "名称",
    "name_ja": "名称",
    "company_name": "会社名",
    "company": "会社",
    "organization": "組織",
    "aliases": "別名",
    "country": "国",
    "company_country": "国",
    "region": "地域",
    "hq": "本社",
    "headquarters": "本社",
    "hq_location": "本社所在地",
    "industry": "業界",
    "sub_industry": "業界詳細",
    "sector": "業界",
    "category": "カテゴリ",
    "founded": "設立",
    "founded_year": "設立年",
    "founding_year": "設立年",
    "company_founded": "設立",
    "founded_month": "設立月",
    "employees": "従業員数",
    "company_employees": "従業員数",
    "website_url": "ウェブサイト",
    "website": "ウェブサイト",
    "valuation_usd": "評価額（米ドル）",
    "valuation_eur": "評価額（ユーロ）",
    "valuation_jpy": "評価額（円）",
    "funding_total_usd": "資金調達総額（米ドル）",
    "funding_total_eur": "資金調達総額（ユーロ）",
    "total_funding_usd": "資金調達総額（米ドル）",
    "revenue": "売上",
    "company_revenue": "売上",
    "ceo": "CEO",
    "co_founder": "共同創業者",
    "founders": "創業者",
    "founders_team": "創業チーム",
    "key_investors": "主要投資家",
    "lead_investors": "主要投資家",
    "largest_investor": "最大投資家",
    "ai_tool": "AIツール",
    "ai_tools": "AIツール",
    "ai_vendor": "AIベンダー",
    "ai_model": "AIモデル",
    "use_case_primary": "主なユースケース",
    "use_case_secondary": "その他のユースケース",
    "use_cases": "ユースケース",
    "business_impact": "ビジネス効果",
    "tags": "タグ",
}
_WORD_LABELS = {
    "valuation": "評価額",
    "funding": "資金調達",
    "total": "合計",
    "revenue": "売上",
    "arr": "ARR",
    "employees": "従業員数",
    "employee": "従業員",
    "founded": "設立",
    "year": "年",
    "month": "月",
    "date": "日付",
    "country": "国",
    "region": "地域",
    "industry": "業界",
    "investors": "投資家",
    "investor": "投資家",
    "customers": "顧客",
    "customer": "顧客",
    "users": "ユーザー",
    "user": "ユーザー",
    "growth": "成長",
    "rate": "率",
    "percent": "％",
    "cost": "コスト",
    "savings": "削減",
    "time": "時間",
    "hours": "時間",
    "series": "シリーズ",
    "seed": "シード",
    "round": "ラウンド",
    "amount": "金額",
    "market": "市場",
    "share": "シェア",
    "japan": "日本",
    "score": "スコア",
    "products": "製品",
    "product": "製品",
    "models": "モデル",
    "model": "モデル",
    "risk": "リスク",
    "challenges": "課題",
    "success": "成功",
    "factors": "要因",
    "impact": "効果",
    "team": "チーム",
    "ceo": "CEO",
    "cto": "CTO",
    "headquarters": "本社",
    "hq": "本社",
    "contracts": "契約",
    "usd": "米ドル",
    "eur": "ユーロ",
    "jpy": "円",
    "yen": "円",
    "million": "百万",
    "billion": "十億",
}
_CURRENCY = {
    "usd": ("ドル", "$"),
    "dollar": ("ドル", "$"),
    "dollars": ("ドル", "$"),
    "eur": ("ユーロ", "€"),
    "euro": ("ユーロ", "€"),
    "jpy": ("円", "¥"),
    "yen": ("円", "¥"),
}
_NOT_AMOUNT = re.compile(r"(year|month|date|id|version|score|count_|_count|stars|rank)")


def _fmt_sig(x: float) -> str:
    s = f"{x:.4g}"
    if "e" in s:
        s = f"{x:.0f}"
    return s


def _human_number(key: str, value: float) -> str:
    """ "140億ドル / $14B" style renderings of a large amount, "" when not useful."""
    parts = key.lower().split("_")
    mult = 1.0
    if "billion" in parts:
        mult = 1e9
    elif "million" in parts:
        mult = 1e6
    v = float(value) * mult
    cur = next((_CURRENCY[p] for p in parts if p in _CURRENCY), None)
    if (abs(v) < 10_000 and mult == 1.0) or _NOT_AMOUNT.search(key.lower()):
        return ""
    if abs(v) >= 1e12:
        ja = _fmt_sig(v / 1e12) + "兆"
    elif abs(v) >= 1e8:
        ja = _fmt_sig(v / 1e8) + "億"
    elif abs(v) >= 1e4:
        ja = _fmt_sig(v / 1e4) + "万"
    else:
        ja = _fmt_sig(v)
    if abs(v) >= 1e9:
        en = _fmt_sig(v / 1e9) + "B"
    elif abs(v) >= 1e6:
        en = _fmt_sig(v / 1e6) + "M"
    elif abs(v) >= 1e3:
        en = _fmt_sig(v / 1e3) + "K"
    else:
        en = _fmt_sig(v)
    if cur:
        return f"{ja}{cur[0]} / {cur[1]}{en}"
    return f"{ja} / {en}"


def _label(path: list[str]) -> str:
    key = path[-1]
    lab = _KEY_LABELS.get(key)
    if lab is None:
        parts = key.lower().split("_")
        if any(w in _WORD_LABELS for w in parts):
            lab = "".join(_WORD_LABELS.get(w, w.upper() if len(w) <= 2 and w.isalnum() else "") for w in parts)
        else:
            lab = ""
    dotted = ".".join(path)
    return f"{lab} ({dotted})" if lab else dotted


def _scalar(key: str, v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        text = f"{v:g}" if isinstance(v, float) else str(v)
        human = _human_number(key, v)
        return f"{text}（{human}）" if human else text
    return " ".join(str(v).split())


def profile_lines(front_matter: dict[str, Any]) -> list[str]:
    """The front matter as readable "label (key.path): value" lines."""
    out: list[str] = []

    def walk(value: Any, path: list[str]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, path + [str(k)])
            return
        key = path[-1] if path else ""
        if isinstance(value, (list, tuple)):
            items = [x for x in value if x is not None and x != ""]
            if not items:
                return
            if all(not isinstance(x, (dict, list, tuple)) for x in items):
                out.append(f"{_label(path)}: " + "、".join(_scalar(key, x) for x in items))
                return
            for x in items:
                if isinstance(x, dict):
                    kv = "; ".join(f"{k}: {_flat(v, str(k))}" for k, v in x.items() if v is not None and v != "")
                    out.append(f"{_label(path)}: {kv}")
                else:
                    out.append(f"{_label(path)}: {_flat(x, key)}")
            return
        if value is None or value == "":
            return
        if path:
            out.append(f"{_label(path)}: {_scalar(key, value)}")

    def _flat(v: Any, key: str) -> str:
        if isinstance(v, dict):
            return ", ".join(f"{k}: {_flat(x, str(k))}" for k, x in v.items())
        if isinstance(v, (list, tuple)):
            return "、".join(_flat(x, key) for x in v)
        return _scalar(key, v)

    walk(front_matter or {}, [])
    return out


def profile_chunk(
    doc: Document,
    count_tokens: CountTokens,
    max_tokens: int = 512,
    target_tokens: int = DEFAULT_TARGET_TOKENS,
) -> list[Chunk]:
    """The front matter as "profile" chunk(s) (see module docstring); [] without front matter."""
    if not doc.front_matter or doc.body_start_line <= 1:
        return []
    plines = profile_lines(doc.front_matter)
    if not plines:
        return []
    counter = _Counter(count_tokens, max_tokens)
    end = doc.body_start_line - 1
    atoms = [_Atom(t, 1, end, q=1) for t in plines]
    _tables: dict[int, list[str]] = {}
    path = (PROFILE_HEADING,)
    # cut at field (line) boundaries; a field is only cut when alone longer than the window
    pieces = _chunks_from_atoms(
        atoms, _tables, chunk_header(doc.title, path), counter, max(8, min(target_tokens, max_tokens))
    )
    out = []
    for i, (text, n, _s, _e) in enumerate(pieces):
        order = PROFILE_ORDER_BASE + i
        out.append(Chunk(f"{doc.uid}#{order:04d}", doc.doc_id, path, text, 1, end, order, "profile", n))
    return out
