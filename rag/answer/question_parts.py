"""The parts of a question with several parts: "What valuation did Mistral AI reach, and who led the
round?" → two questions, each read and answered on its own line (rag.answer.compose); "… before and
after the rollout?" → one part per side; a lead without a question word ("In 2023, …") frames every part.
"""

from __future__ import annotations

import re

from rag.ingest.japanese import tag

# a second question may start with one of these: "…, and to how many employees?", "…, and over what period?"
_PREP = r"(?:to|for|from|in|at|by|with|on|over|within|during)"
_ELLIPTIC_HEAD = r"^" + _PREP + r"\s+(?:how (?:many|much|long)|what|which|whom|when|where)\b"
_EN_Q = r"(?:who|whom|whose|what|when|where|which|how|why|did|does|do|is|was|were|are|has|have|had)"
# a second question may start with a preposition: "…, and to how many employees?"
_EN_SPLIT = re.compile(
    r"\s*(?:,\s*(?:and\s+|as well as\s+)?|\s+and\s+|;\s*)(?=(?:" + _PREP + r"\s+)?" + _EN_Q + r"\b)",
    re.I,
)
_BEFORE_AFTER = {
    "en": re.compile(r"\b(?P<a>before) and (?P<b>after)\b", re.I),
    "ja": re.compile(r"(?P<a>従来|(?:AI)?導入前|以前)と(?P<b>(?:AI)?導入後|現在)(?:で|の|では)?(?:それぞれ)?"),
}
_JA_Q = r"(?:誰|だれ|いつ|いくら|何|なに|どこ|どの|どれ|どう|どんな|なぜ|何人|何社|いくつ)"
_JA_AND = re.compile(
    r"^(?P<pre>.*の)?(?P<a>[^、と]{2,}?)(?:と|および|及び)(?P<b>[^、と]{2,}?)(?P<post>(?:は|を|が).*)$"
)


_JA_AND_COMMA = re.compile(r"^(?P<a>.+?)(?:と|および|及び|や)[、，]\s*(?P<b>[^、，]+?)(?P<post>(?:は|を|が)?[?？]?)$")


# "…, and to how many employees?" / "…, and by whom?": a second question that is only its question words
_ELLIPTIC = re.compile(
    _ELLIPTIC_HEAD + r"(?:\s+[\w\-]+){0,3}[\s?.]*$",
    re.I,
)
_AUX = r"(?:did|does|do|was|were|is|are|has|have|had|will|would|can|could)"
_CLAUSE = re.compile(
    r"^(?:how|what|which|when|where|who|whom|whose)\b.*?\s(?P<aux>" + _AUX + r")\s+(?P<rest>.+?)[\s?.]*$", re.I
)


# "When Microsoft's money was paid out, what multiple …?": a clause that sets the scene, not a question
_SUBORDINATE = re.compile(r"^(?:when|if|after|before|once|while|since)\s+(?!" + _AUX + r"\b)", re.I)


# "What were Scale AI's Army contract of August 2024 and its additional contract of September 2024 worth?":
# two things of one owner, the second named by "its" / "their"
_AND_ITS = re.compile(
    r"^(?P<wh>(?:what|how (?:many|much)|when|who)\s+" + _AUX + r")\s+(?P<a>.+?)\s+and\s+(?:its|their)\s+"
    r"(?P<b>.+?)(?P<tail>\s+worth)?[\s?.]*$",
    re.I,
)


def _and_its(q: str) -> list[str] | None:
    m = _AND_ITS.match(q)
    owner = re.match(r"(?P<o>.+?['’]s)\s+\S", m.group("a")) if m else None
    if not m or not owner:
        return None
    tail = m.group("tail") or ""
    return [f"{m.group('wh')} {m.group('a')}{tail}?", f"{m.group('wh')} {owner.group('o')} {m.group('b')}{tail}?"]


# "What was Runway's revenue in 2023 and in 2024?", "… score on GPQA and on MATH?": one question asked of two
# things, the preposition said again (or two years): one part each
_AND_AGAIN = re.compile(
    r"^(?P<head>.+?)\s+(?P<p>in|on|for|at)\s+(?:(?P<y1>(?:19|20)\d\d)\s+and\s+(?:in\s+)?(?P<y2>(?:19|20)\d\d)|"
    r"(?P<a>[^,?]+?)\s+and\s+(?P=p)\s+(?P<b>[^,?]+?))[\s?.]*$",
    re.I,
)


_UNIT_WORD = re.compile(
    r"(?:percent(?:age)?s?|%|minutes?|hours?|days?|weeks?|months?|years?|dollars?|yen|euros?)", re.I
)


def _and_again(q: str) -> list[str] | None:
    m = _AND_AGAIN.match(q)
    if not m or not re.match(_EN_Q + r"\b", m.group("head"), re.I):
        return None
    a, b = (m.group("y1"), m.group("y2")) if m.group("y1") else (m.group("a"), m.group("b"))
    if _UNIT_WORD.fullmatch(a) or _UNIT_WORD.fullmatch(b):
        return None  # "…, in minutes and in percent?": one figure in two units, read together
    return [f"{m.group('head')} {m.group('p')} {a}?", f"{m.group('head')} {m.group('p')} {b}?"]


# "How many people were on the team when it started, compared with today?" / "… Series A investors get back, compared
# with Series B investors?": the question asked again of the compared thing
_COMPARED = re.compile(r"^(?P<head>.+?),?\s+compared (?:with|to)\s+(?P<b>[^,?]+?)[\s?.]*$", re.I)
_TIME_B = re.compile(r"(?:today|now|currently|at present|these days)", re.I)
_TIME_A = re.compile(
    r"\b(?:when it (?:started|launched|began)|at (?:the )?(?:start|launch|outset)|initially|at first)\b", re.I
)


def _compared(q: str) -> list[str] | None:
    m = _COMPARED.match(q)
    if not m or not re.match(_EN_Q + r"\b", m.group("head"), re.I) and not _SUBORDINATE.match(m.group("head")):
        return None
    head, b = m.group("head").rstrip(" ,"), m.group("b").strip()
    if _TIME_B.fullmatch(b):
        if not _TIME_A.search(head):
            return None
        second = _TIME_A.sub(b, head, count=1)
    else:  # the compared thing takes the place of the phrase with the same last word ("Series A investors")
        words, bw = head.split(), b.split()
        ends = [i for i, w in enumerate(words) if w.casefold() == bw[-1].casefold()]
        if not ends or ends[-1] + 1 < len(bw):
            return None
        i = ends[-1]
        second = " ".join([*words[: i + 1 - len(bw)], *bw, *words[i + 1 :]])
    return [f"{head}?", f"{second}?"]


def _completed(piece: str, first: str) -> str:
    """An elliptic second question completed with the first one's clause: "to how many employees?" after
    "When did KDDI start offering KDDI AI-Chat?" → "to how many employees did KDDI start offering KDDI
    AI-Chat?" (read alone, it named nothing to count)."""
    m = _CLAUSE.match(first)
    if not m or not _ELLIPTIC.match(piece):
        return piece
    return f"{piece.rstrip('?. ')} {m.group('aux')} {m.group('rest')}?"


_ELLIPTIC_PART = re.compile(_ELLIPTIC_HEAD, re.I)


def is_elliptic(part: str) -> bool:
    """A part made from an elliptic second question ("over what period has ConnectAI had?"): it asks
    about what the part before it asked about."""
    return bool(_ELLIPTIC_PART.match(part.strip()))


def split_parts(question: str, lang: str) -> list[str]:
    """The parts of a question with several parts (at most 3), or [question]."""
    q = (question or "").strip()
    if not q:
        return [q]
    asked = [p.strip(" 、，,") for p in re.split(r"(?<=[？?])\s*(?=\S)", q) if p.strip(" 、，,")]
    if 1 < len(asked) <= 3 and all(len(p) >= 4 for p in asked):
        return asked  # 「HCAのAIスケジューリングの名前は？何病院で使われている？」: two questions, two parts
    ba = _BEFORE_AFTER.get(lang, _BEFORE_AFTER["en"]).search(q)
    if ba:  # "… before and after the rollout?" / 「従来とAI導入後でそれぞれ…」: one figure for each side
        return [q[: ba.start()] + ba.group(side) + q[ba.end() :] for side in ("a", "b")]
    if lang == "en":
        pieces = [p.strip() for p in _EN_SPLIT.split(q) if p.strip()]
        m = (
            re.fullmatch(r"(how (?:many|much)|what)\s+(after|before)\??", pieces[-1], re.I)
            if len(pieces) == 2
            else None
        )
        if m and re.search(rf"\b{'before' if m.group(2).lower() == 'after' else 'after'}\b", pieces[0], re.I):
            # "… before the AI copy tool, and how many after?": the second part is the first one turned round
            a, b = ("before", "after") if m.group(2).lower() == "after" else ("after", "before")
            return [pieces[0].rstrip(".,;") + "?", re.sub(rf"\b{a}\b", b, pieces[0].rstrip(".,;?"), count=1) + "?"]
        if len(pieces) > 1 and (not re.search(r"\b" + _EN_Q + r"\b", pieces[0], re.I) or _SUBORDINATE.match(pieces[0])):
            # "In 2023, how many … and how many …?": a lead without a question word frames every part
            pieces = [f"{pieces[0].rstrip(',')}, {p}" for p in pieces[1:]] if len(pieces) > 2 else [q]
        if len(pieces) == 1 and (two := _and_its(q) or _and_again(q) or _compared(q)):
            return two
        if len(pieces) > 1 and all(len(p.split()) >= 2 for p in pieces):
            pieces = [pieces[0], *(_completed(p, pieces[0]) for p in pieces[1:])]
            return [p if p.endswith("?") else p.rstrip(".,;") + "?" for p in pieces][:3]
        return [q]
    m = _JA_AND_COMMA.match(q)
    if m and len(m.group("a")) >= 2 and len(m.group("b")) >= 2:
        # 「XのAと、Bは？」: two things asked about X → 「XのAは？」「XのBは？」
        a, b = m.group("a"), m.group("b")
        pre = a[: a.rfind("の") + 1] if "の" in a else ""
        return [a + "は？", (pre if not b.startswith(pre) else "") + b + m.group("post")]
    for sep in ("、", "，"):
        if sep in q:
            left, right = q.split(sep, 1)
            if re.search(_JA_Q, right) and (re.search(_JA_Q, left) or "は" in left) and len(left) >= 4:
                if not re.search(_JA_Q, left) and left.endswith("は") and _ends_in_verb(right):
                    break  # 「…AIは、品質管理規定の何ページを対象にしている？」: the topic of one question
                return [left.rstrip("？?") + "？", right]
    m = _JA_AND.match(q)
    if m and m.group("pre"):
        pre, post = m.group("pre") or "", m.group("post")
        return [pre + m.group("a") + post, pre + m.group("b") + post]
    return [q]


def _ends_in_verb(text: str) -> bool:
    """The sentence ends in a verb phrase (…を対象にしている？), not in a noun asked about (…社員数は？)."""
    words = [f.split(",")[0] for _s, _w, f in tag(text.rstrip("？?。 "))]
    return bool(words) and words[-1] in ("動詞", "助動詞")
