"""Markdown sections of a Document (`split_sections`): ATX headings split the body.

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
"""

from __future__ import annotations

import re

from rag.schema import Document, Section

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?=[ \t]|$)(.*)$")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


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
