"""Who holds the asked role: for "Who is X's CEO?" / 「社長は誰？」 / "Who founded X?", the name written next
to the role word in the unit ("清水博社長", "CEOのAravind Srinivas氏", "Aidan Gomez (CEO・共同創業者)",
"X氏が創業") — not a quoted title or slogan elsewhere in the same sentence.

Why: the span scorer weighs quoted and proper-noun spans; in a sentence holding both the person and
a 「quoted」 phrase it chose the quote ("Who founded Perplexity AI?" → 「Google検索では求める回答が得ら
れない」, "Who is Cohere's CEO?" → 「Attention Is All You Need」). A role word of the question right before
or after a name is the document saying whose role it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.reader.answer_types import Span, nfkc

# role words, as the question's tokens give them (English words and their glossary Japanese forms)
ROLE_WORDS = frozenset(
    """ceo cto cfo coo cso cio president chairman chairwoman chair founder co-founder cofounder founded
    founders 社長 会長 代表 代表取締役 創業者 共同創業者 創業 創設者 設立者 最高経営責任者 最高技術責任者
    最高財務責任者 頭取 理事長 学長 院長""".split()
)
_TITLES_AT_END = re.compile(r"(?:会長|社長|代表取締役|代表|取締役|専務|常務|CEO|CTO|CFO|COO|兼|・|\s)+$")
_KANJI = re.compile(r"[\u4e00-\u9fff]")
HONORIFIC = re.compile(r"\s*(?:氏|さん|様|博士|教授)")  # after a person's name
_HONORIFIC = rf"(?:{HONORIFIC.pattern})?"
# between the name and a role word after it: 「X (CEO」「X（CEO」「X CEO」「X会長兼CEO」「X氏が創業」
_NAME_THEN_ROLE = re.compile(_HONORIFIC + r"(?:(?:[\s(（・]|会長|社長|代表取締役|取締役|兼)*|が)")
_ROLE_THEN_NAME = re.compile(r"\s*(?:の|:|：|は|である|兼)\s*|\s+")  # 「CEOのX」「CEO: X」「CEO X」


def _roles(tokens: frozenset[str]) -> list[str]:
    return sorted({t for t in tokens if t.casefold() in ROLE_WORDS}, key=len, reverse=True)


def role_name(tokens: frozenset[str], text: str, cands: Sequence[Span], scores: Sequence[float]) -> Span | None:
    """The best-scored name candidate written next to one of the question's role words, with a role word
    it swallowed cut off ("清水博社長" → "清水博"); None when the question names no role or no name
    sits next to one."""
    roles = _roles(tokens)
    if not roles:
        return None
    t = nfkc(text)
    folded = t.casefold()
    spots: list[tuple[int, int]] = []
    for r in roles:
        spots += [(m.start(), m.end()) for m in re.finditer(re.escape(r.casefold()), folded)]
    if not spots:
        return None
    best: tuple[float, Span] | None = None
    for c, sc in zip(cands, scores, strict=True):
        if c.kind != "name" and not re.fullmatch(r"[A-Z][\w.'\-]*(?:\s+[A-Z][\w.'\-]*)+", c.text):
            continue
        span = c
        for a, b in spots:  # a role word inside the run ("清水博社長"): the name is what precedes it
            if c.start < a < c.end and b == c.end:
                name = _TITLES_AT_END.sub("", t[c.start : a])
                start = c.start
                while start > 0 and _KANJI.match(t[start - 1]):  # 「出木場久征会長兼CEO」: 出 was read as a verb
                    start -= 1
                span = Span(start, c.start + len(name), c.kind, t[start : c.start + len(name)])
        if len(span.text) < 2 or any(a <= span.start < b for a, b in spots):
            continue
        near = any(
            _NAME_THEN_ROLE.fullmatch(t[span.end : a]) for a, _b in spots if a >= span.end and a - span.end <= 6
        ) or any(_ROLE_THEN_NAME.fullmatch(t[b : span.start]) for _a, b in spots if b <= span.start)
        if not near:
            continue
        if best is None or sc > best[0]:
            best = (sc, span)
    return best[1] if best else None


_DASHED = re.compile(r"\s*[-–—,、]\s*")  # "Ali Ghodsi - CEO & Co-founder"
TITLE_ROLES = frozenset(
    r for r in ROLE_WORDS if r not in {"founder", "co-founder", "cofounder", "founded", "founders", "創業"}
)


def holds_role(text: str, name: str, roles: Sequence[str]) -> bool:
    """Whether `text` writes `name` right next to one of `roles` (「CEOのX氏」, "X (CEO", 「X社長」)."""
    t, n = nfkc(text), nfkc(name)
    folded = t.casefold()
    spots = [(m.start(), m.end()) for r in roles for m in re.finditer(re.escape(r.casefold()), folded)]
    for m in re.finditer(re.escape(n), t):
        a, b = m.start(), m.end()
        for s, e in spots:
            if s >= b and s - b <= 6 and (_NAME_THEN_ROLE.fullmatch(t[b:s]) or _DASHED.fullmatch(t[b:s])):
                return True
            if e <= a and _ROLE_THEN_NAME.fullmatch(t[e:a]):
                return True
            if a <= s and e <= b:  # 「清水博社長」: the role inside the run
                return True
    return False
