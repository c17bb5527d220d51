"""Who holds the asked title: "Who is the CEO of Panasonic Connect?" is answered by a name the document
writes next to that title, never by another name of a close unit.

"Who is the CEO of Panasonic Connect?" was answered "Microsoft Azure OpenAI Service", "What's the name of
the MUFG CFO …?" with "information_density — Very High", "… the Scale AI CFO who told CNBC …" with the
quoted phrase (dev-5; the documents name no such person). A title the question asks for (CEO, CFO, 社長,
会長 …; not "founded", whose documents say 立案 / 設立 in many ways) is written next to its holder's name:
the first close unit whose answer is so written answers; when none is, the part is not in the library.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.reader import ReadUnit
from rag.answer.reader.features import question_info
from rag.answer.reader.role_names import TITLE_ROLES, holds_role

ROLE_SHARE = 0.3  # a unit naming the holder, when at least this share of the best unit's probability


def asked_titles(part: str) -> list[str]:
    """The titles a "who is the X" / 「Xは誰」 question asks for, in the forms the glossary gives."""
    qi = question_info(part)
    if qi.qtype.kind != "name":
        return []
    titles = {t for t in qi.tokens if t.casefold() in TITLE_ROLES}
    # a title the question itself gives a holder ("CEOのAravind Srinivas以外に…") frames it, it is not asked
    given = {t for t in titles if re.search(rf"(?i:{re.escape(t)})\s*(?:の|:|：|,)?\s*[A-Z][a-z]", part)}
    return sorted(titles - given, key=len, reverse=True)


def role_holder_first(part: str, units: Sequence[ReadUnit]) -> list[ReadUnit] | None:
    """`units` with the first close one whose span is written next to the asked title first; `units` as
    they are when no title is asked; None when no close unit names a holder of it."""
    titles = asked_titles(part)
    if not units or not titles:
        return list(units)
    best = units[0].probability
    for u in units:
        if u.probability < ROLE_SHARE * best:
            break
        if u.span and u.span != u.text and holds_role(u.text, u.span, titles):
            return [u] + [x for x in units if x is not u]
    return None
