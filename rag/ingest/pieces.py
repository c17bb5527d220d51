"""Cutting a run of text lines into pieces that fit the model window (used by section and profile
chunks): lines become atoms (table rows, bullet items with their continuation lines, other lines)
with the quality of a cut before each (heading > blank line > line break > sentence end > clause >
characters); greedy packing cuts at the best boundary at hand, every piece's token count is checked,
and a table cut in pieces repeats its header row and separator at the top of every piece.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from rag.ingest.japanese import has_word_chars, sentence_spans
from rag.ingest.sections import _HEADING, _fence_mask

SPLIT_FACTOR = 1.25
"""A section is kept whole up to target × SPLIT_FACTOR tokens."""

CountTokens = Callable[[str], int]

_TABLE_ROW = re.compile(r"^\s*\|")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•・]|\d{1,3}[.)])\s+")
_CLAUSE_CUT = re.compile(r"(?<=[、，,;；:：])|(?<=\s)(?=\S)")


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
