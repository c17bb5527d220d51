"""How a name span is shown: its Latin form for an English asker when the unit gives one beside it
("アルチュール・メンシュ（Arthur Mensch）" → Arthur Mensch; a role in brackets is no such form: 「ダリオ・アモデイ
（CEO）」), and without the question's own words at its head ("CEO Sebastian Siemiatkowski")."""

from __future__ import annotations

import re

from rag.answer.reader.answer_types import NOT_NAMES, Span, nfkc

_PAREN_AFTER = re.compile(r"^\s*[（(]([^）)]{1,60})[）)]")
_PAREN_BEFORE = re.compile(r"[（(]\s*$")
_LATIN = re.compile(r"[A-Za-z]")
_JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def name_variant(text: str, span: Span, lang: str) -> str:
    """The Latin form of a name for English askers when the unit gives one beside it in parentheses."""
    t = nfkc(text)
    s = span.text
    if lang != "en" or _LATIN.search(s) and not _JA.search(s):
        return s
    m = _PAREN_AFTER.match(t[span.end :])
    roles = m and all(w.lower() in NOT_NAMES for w in re.findall(r"[A-Za-z\-]+", m.group(1)))
    if m and _LATIN.search(m.group(1)) and not _JA.search(m.group(1)) and not roles:
        return m.group(1).strip()  # (a role in parentheses is no Latin form: 「ダリオ・アモデイ（CEO）」)
    # "Arthur Mensch（アルチュール・メンシュ）": the span is the part in parentheses
    if _PAREN_BEFORE.search(t[: span.start]):
        head = t[: span.start].rstrip()[:-1].rstrip()
        m2 = re.search(r"([A-Z][A-Za-z0-9&'.\-]*(?:\s+[A-Za-z0-9&'.\-]+){0,5})$", head)
        if m2:
            return m2.group(1).strip()
    return s


def without_label(name: str, tokens: frozenset[str]) -> str:
    """A name span without the question's own words at its head: "CEO Sebastian Siemiatkowski" →
    "Sebastian Siemiatkowski" for "Who is Klarna's CEO?" (the label is written before the name; a
    trailing word is the name's own: "UCF Lake Nona Hospital")."""
    words = name.split()
    head = 0
    while head < len(words) - 1 and words[head].casefold() in tokens:
        head += 1
    rest = " ".join(words[head:])
    # a number is no name: "Article 46" answers "Which GDPR article …?" whole (was "46")
    return rest if head and not re.fullmatch(r"[\d.,\-]+", rest) else name
