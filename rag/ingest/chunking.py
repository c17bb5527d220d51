"""Embedding-sized chunks of a Document's sections (`chunk_document`); sections come from
`rag.ingest.sections`, the cutting of long sections from `rag.ingest.pieces`.

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
"""

from __future__ import annotations

from rag.ingest.japanese import has_word_chars
from rag.ingest.pieces import CountTokens, _atoms, _chunks_from_atoms, _Counter
from rag.ingest.sections import _HEADING, _body_lines, heading_text, split_sections
from rag.schema import PATH_SEP, Chunk, Document, Section

VERSION = 3  # 3: profile values of *_percent keys carry their %

DEFAULT_TARGET_TOKENS = 256
"""Default chunk size in model tokens (≈ 600 Japanese characters with multilingual-e5)."""
FOLD_TOKENS = 48
"""A parent section whose own text is at most this many tokens joins its first child's chunk."""


def chunk_header(title: str, path: tuple[str, ...]) -> str:
    """First line of a chunk's text: "<title> › <path>" (just the path when it starts with the title)."""
    ps = PATH_SEP.join(path)
    if not title or (path and (title in path[0] or path[0] in title)):
        return ps or title
    return f"{title}{PATH_SEP}{ps}" if ps else title


def chunk_body(text: str) -> str:
    """A chunk's text without its first (title/heading path) line."""
    return text.split("\n", 1)[1] if "\n" in text else ""


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
