"""The case-study documents as the dev-set checker (check_dev.py) sees them: files found by doc id
(front matter keys id / case_id / case_study_id, else the file stem), their ##-level sections (a section
runs from its heading line to the next heading of the same or a higher level; fenced code is skipped),
and the text folding used to compare headings and to find facts (the same rules as eval/metrics.py,
number boundaries respected). Standard library only, like the checker: no project imports.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from pathlib import Path

HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
FENCE_RE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
ID_KEY_RE = re.compile(r"^(id|case_id|case_study_id)[ \t]*:[ \t]*(.*?)[ \t]*$")
JA_CHAR_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")


# ----------------------------------------------------------------------------- text helpers


def fold_heading(s: str) -> str:
    """NFKC + collapse runs of whitespace; used to compare heading texts."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", s)).strip()


_WS_RE = re.compile(r"\s+")
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_DIGIT_WS_RE = re.compile(r"(?<=\d)\s+(?=\d)")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_TILDES = dict.fromkeys(map(ord, "\u301c\uff5e\u223c"), "~")


def fold_fact(s: str) -> str:
    """Folding for fact matching, the same rules as the evaluation's scorer (eval/metrics.py):
    NFKC, casefold, dash/tilde variants unified, thousands separators removed ("1,700" -> "1700"),
    whitespace removed except between two digits (kept as one space, a number boundary)."""
    s = unicodedata.normalize("NFKC", s or "").translate(_ZERO_WIDTH)
    s = s.casefold().translate(_DASHES).translate(_TILDES)
    s = _THOUSANDS_RE.sub("", s)
    s = _DIGIT_WS_RE.sub("\x00", s)
    s = _WS_RE.sub("", s)
    return s.replace("\x00", " ")


def _continues_number(text: str, i: int, step: int) -> bool:
    """Is there a digit (or a '.'/',' followed by a digit) just before (step=-1) / at (step=+1) index i?"""
    if step < 0:
        if i <= 0:
            return False
        c = text[i - 1]
        return c.isdigit() or (c in ".," and i >= 2 and text[i - 2].isdigit())
    if i >= len(text):
        return False
    c = text[i]
    return c.isdigit() or (c in ".," and i + 1 < len(text) and text[i + 1].isdigit())


def contains_fact(folded_text: str, folded_alt: str) -> bool:
    """Substring test on folded strings; a match starting (ending) with a digit must not continue a
    longer number on that side, so "40%" is not found in "140%" and "13" not in "13.5"."""
    if not folded_alt:
        return False
    start = 0
    while True:
        i = folded_text.find(folded_alt, start)
        if i < 0:
            return False
        j = i + len(folded_alt)
        if not (folded_alt[0].isdigit() and _continues_number(folded_text, i, -1)) and not (
            folded_alt[-1].isdigit() and _continues_number(folded_text, j, +1)
        ):
            return True
        start = i + 1


def ja_ratio(text: str) -> float:
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if JA_CHAR_RE.match(c)) / len(chars)


# ----------------------------------------------------------------------------- documents


class Doc:
    def __init__(self, doc_id: str, path: Path, body_lines: list[str]):
        self.doc_id = doc_id
        self.path = path
        self.lines = body_lines
        # sections: folded heading -> list of (level, heading, text)
        self.sections: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        self._parse()
        body = "\n".join(body_lines)
        self.lang = "ja" if ja_ratio(body) >= 0.05 else "en"

    def _parse(self) -> None:
        heads: list[tuple[int, int, str]] = []  # (line index, level, text)
        fence: str | None = None
        for i, line in enumerate(self.lines):
            m = FENCE_RE.match(line)
            if m:
                mark = m.group(1)
                if fence is None:
                    fence = mark[0] * 3
                elif mark.startswith(fence):
                    fence = None
                continue
            if fence is not None:
                continue
            h = HEADING_RE.match(line)
            if h and h.group(2):
                heads.append((i, len(h.group(1)), h.group(2)))
        for k, (i, level, text) in enumerate(heads):
            end = len(self.lines)
            for j, lvl2, _ in heads[k + 1 :]:
                if lvl2 <= level:
                    end = j
                    break
            self.sections[fold_heading(text)].append((level, text, "\n".join(self.lines[i:end])))

    def section_texts(self, heading: str) -> list[tuple[int, str, str]]:
        """(level, heading as written, section text) for every heading equal to `heading` after folding."""
        return list(self.sections.get(fold_heading(heading), []))


def split_front_matter(text: str) -> tuple[list[str], list[str]]:
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                return lines[1:i], lines[i + 1 :]
    return [], lines


def doc_id_from_front_matter(fm: list[str]) -> str | None:
    found: dict[str, str] = {}
    for line in fm:
        m = ID_KEY_RE.match(line)  # top-level keys only (no indentation)
        if m and m.group(1) not in found:
            val = m.group(2)
            val = re.sub(r"[ \t]+#.*$", "", val).strip().strip("\"'").strip()
            if val:
                found[m.group(1)] = val
    for key in ("id", "case_id", "case_study_id"):
        if key in found:
            return found[key]
    return None


def load_docs(dirs: list[Path]) -> tuple[dict[str, Doc], list[str]]:
    docs: dict[str, Doc] = {}
    problems: list[str] = []
    for d in dirs:
        if not d.is_dir():
            problems.append(f"document folder not found: {d}")
            continue
        for path in sorted(list(d.glob("*.md")) + list(d.glob("*.txt"))):
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as e:
                problems.append(f"cannot read {path}: {e}")
                continue
            fm, body = split_front_matter(text)
            doc_id = doc_id_from_front_matter(fm) or path.stem
            if doc_id in docs:
                problems.append(f"duplicate doc id {doc_id!r}: {docs[doc_id].path} and {path}")
                continue
            docs[doc_id] = Doc(doc_id, path, body)
    return docs, problems
