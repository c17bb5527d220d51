"""The noun an English "which / what X …" question asks a name of ("who is the X of …": the role), and the
unit that speaks of it.

"Which regulators looked into Microsoft's deal with Inflection AI?" asks for regulators; the reader's
best unit may hold a new name of another sort ("Mustafa Suleyman: … Executive Vice President") because
it shares the question's other words (Microsoft, Inflection). `noun_first` puts first a close unit that
names the asked noun (its Japanese glossary forms: 規制当局, 規制) in its text or heading and holds a
name the question does not state, when the best unit does neither.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.reader import ReadUnit
from rag.answer.reader.answer_types import nfkc, typed_spans
from rag.answer.reader.features import question_info, squash, type_match
from rag.search.glossary import matches

NOUN_SHARE = 0.1  # a unit naming the asked noun, when at least this share of the best unit's probability

_WH = re.compile(r"^\s*(?:which|what)\s+((?:[\w'’\-]+\s+){0,3}?)(?:does|do|did|is|are|was|were|has|have|had)\b", re.I)
# no auxiliary ("Which regulators looked into …"): the word after the wh-word (after a capitalised adjective)
_WH_OPEN = re.compile(r"^\s*(?:[Ww]hich|[Ww]hat)\s+(?:[A-Z][\w'’\-]*\s+)?([a-z][\w\-]*)")

# "Who is the chief executive of Harvey, …?" / "Who is Klarna's CEO?": the role asked
_WHO_ROLE = re.compile(
    r"^\s*[Ww]ho\s+(?:is|was|are|were)\s+(?:the\s+|its\s+|their\s+)?((?:[\w'’\-]+\s+){0,2}?[\w'’\-]+)\s+(?:of|at|for|in)\b"
)
_WHOSE_ROLE = re.compile(
    r"^\s*[Ww]ho\s+(?:is|was|are|were)\s+[\w .&\-]+?['’]s\s+((?:[\w\-]+\s+){0,2}[\w\-]+)\s*\??\s*$"
)


def asked_phrase(part: str) -> str:
    """The words of the noun a "which / what X …" / "who is the X of …" question asks about ("What GPUs
    does …" → "GPUs"); "" when it asks no such noun."""
    m = _WH.match(part) or _WH_OPEN.match(part) or _WHO_ROLE.match(part) or _WHOSE_ROLE.match(part)
    return m.group(1).strip() if m else ""


def asked_noun(part: str) -> tuple[str, ...]:
    """The Japanese glossary forms of the noun a "which / what X …" question asks about ("Which Australian
    laws does …" → 法, 法律); () when the question asks no such noun or the glossary lacks it."""
    phrase = asked_phrase(part)
    found = matches(phrase) if phrase else []
    return found[-1][1] if found else ()


def _speaks_of(u: ReadUnit, forms: Sequence[str]) -> bool:
    hay = nfkc(" ".join([u.text, *u.heading_path])).casefold()
    return any(nfkc(f).casefold() in hay for f in forms)


def noun_first(part: str, units: Sequence[ReadUnit], lang: str) -> list[ReadUnit]:
    """For an English name question asking about a noun: when the best unit neither speaks of the noun nor
    holds a name the question does not state, the first close unit that does both comes first."""
    if lang != "en" or not units:
        return list(units)
    qi = question_info(part, lang)
    # "Which bureau …?" asks a name though the question type says "other" (bureau is no name-asking noun)
    if qi.qtype.kind != "name" and not (qi.qtype.kind == "other" and re.match(r"\s*[Ww]hich\b", part)):
        return list(units)
    forms = asked_noun(part)
    if not forms:
        return list(units)

    def new_name(text: str) -> bool:
        if qi.qtype.kind == "name":
            return type_match(qi, text)
        return any(s.kind == "name" and squash(s.text) not in qi.squashed for s in typed_spans(text))

    best = units[0]
    if _speaks_of(best, forms) and new_name(best.text):
        return list(units)
    for u in units[1:]:
        if u.probability < NOUN_SHARE * best.probability:
            break
        if _speaks_of(u, forms) and new_name(u.text):
            return [u] + [x for x in units if x is not u]
    return list(units)
