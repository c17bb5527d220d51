"""Questions that ask how a figure changed ("何分から何分になった？", "… before and after its AI
assistant?", "where did ROAS start and where did it end up?") answered with both ends: 80分 → 45分.

Read part by part, such a question gets one end per part at best (the "after" side is often the
only value the reader's best unit is scored for: 「従来方式: 80分 / AI導入後: 45分」 answered 45分), or a
third figure of the same sentence (「35人（2024初期）→ 350人（2025年9月）の10倍成長」 answered 10倍), or
"not in the library" for the side that sits in the same unit as the other. The documents write a
change in two ways, and `transition` finds both in one unit:
- a transition: two values of one kind joined by an arrow or 〜から〜に (「50%→80%」, 「4週間から1週間に
  短縮」, 「約100-120時間 → AI導入後: 50-70時間」), a parenthesised period between them allowed;
- a before / after pair of labelled cells (「従来方式: 80分 / AI導入後: 45分」, 「従来時間: 4-6週間 / AI支援時間:
  2-3日」).
The values must be of the kind the question asks (`asked_kinds`), or of one numeric kind when it
names none. `change_unit` looks in the reader's likeliest units for the whole question (never in a
unit far below the best); when none holds a pair, the question is read part by part as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.answer.reader import ReadUnit
from rag.answer.reader.answer_types import NUMERIC, Span, compatible, nfkc, typed_spans
from rag.answer.typed_answer import asked_kinds
from rag.answer.units import label_value

TOP = 3  # units of the whole question's reading looked at, best first
SHARE = 0.5  # … while their probability is at least this share of the best
ARROW = {"ja": "→", "en": " → "}

_JA_WH = r"(?:何|いくつ|どれ|いくら)"
_ASKS = {
    "ja": re.compile(
        rf"{_JA_WH}[^、。？?]{{0,10}}から[^、。？?]{{0,10}}{_JA_WH}"  # 何分から何分に
        r"|(?:従来|導入前|以前|当初|初期|開始時)[^。？?]{0,30}(?:導入後|現在|今|AI(?:で|導入後|活用後|により))"
        r"|(?:導入|活用)?前後で"
        r"|から[^、。？?]{1,15}(?:で|まで|にかけて)[^、。？?]{0,6}どれ(?:だけ|くらい|ほど)"  # not 何%: a rate is asked
        r"[^、。？?]{0,3}(?:増|減|伸|成長|変化|変わ)"
    ),
    "en": re.compile(
        r"\bfrom how (?:many|much|long)\b[^?]*\bto how\b|\bbefore and after\b"
        r"|\bstart(?:ed)?\b[^?]*\bend(?:ed)? up\b"
        r"|\b(?:when it (?:started|began|launched)|at (?:the )?(?:start|outset|launch)|initially|at first)\b"
        r"[^?]*\b(?:compared with|versus|vs\.?|and)\s+(?:today|now|currently)\b"
        r"|\b(?:go|went|grow|grew|rise|rose|fall|fell|drop|dropped|change|changed)\s+from\b[^?]*\bto (?:what|how)\b",
        re.I,
    ),
}

_BETWEEN = re.compile(r"^\s*(?:→|⇒|➡|⟶|->|から)\s*(?:[^\s:：/|]{1,12}[:：])?\s*$")
_PAREN = re.compile(r"[（(][^（）()]{0,20}[）)]")
_BEFORE_KEY = re.compile(r"従来|導入前|以前|当初|初期|旧|手動|人手|手作業|before|manual|previous", re.I)
_AFTER_KEY = re.compile(r"導入後|活用後|AI|現在|新|改善後|after|current", re.I)
_CELL = re.compile(r"(?:^|\s[—/|]\s)([^:：/|—]{1,24})[:：]\s*([^/|]+?)(?=\s[/|]\s|$)")


def asks_change(question: str, lang: str) -> bool:
    """The question asks for a figure before and after a change (both ends)."""
    return bool(_ASKS["ja" if lang == "ja" else "en"].search(nfkc(question)))


def _kind_ok(span: Span, kinds: Sequence[str]) -> bool:
    if kinds:
        return any(compatible(k, span.kind) for k in kinds)
    return span.kind in NUMERIC


def transition(text: str, kinds: Sequence[str] = ()) -> tuple[str, str] | None:
    """The first (before, after) pair of values of the asked kind in `text`, or None."""
    t = nfkc(text)
    inside = [m.span() for m in _PAREN.finditer(t)]  # 「35人（2024初期）→ 350人」: the period is no end
    spans = [
        s for s in typed_spans(t, names=False) if _kind_ok(s, kinds) and not any(a <= s.start < b for a, b in inside)
    ]
    for a, b in zip(spans, spans[1:]):
        between = _PAREN.sub("", t[a.end : b.start])
        if a.kind == b.kind and a.text != b.text and _BETWEEN.match(between):
            if "から" in between and not re.match(r"\s*(?:に|へ|まで)", t[b.end : b.end + 3]):
                continue  # 「分析から新LP公開まで」: から between two things, not two values
            return a.text, b.text
    cells = [(k.strip(), v) for k, v in _CELL.findall(t)]
    for i, (key, value) in enumerate(cells):
        if not _BEFORE_KEY.search(key) or _AFTER_KEY.search(key):
            continue
        first = next((s for s in typed_spans(value, names=False) if _kind_ok(s, kinds)), None)
        for key2, value2 in cells[i + 1 :]:
            second = next((s for s in typed_spans(value2, names=False) if _kind_ok(s, kinds)), None)
            if first and second and _AFTER_KEY.search(key2) and first.kind == second.kind and first.text != second.text:
                return first.text, second.text
    return None


def change_unit(question: str, lang: str, units: Sequence[ReadUnit]) -> ReadUnit | None:
    """The likeliest unit of the whole question's reading that holds both ends of the asked change,
    with "before → after" as its span; None when the question asks no change or no such unit is near."""
    if not units or not asks_change(question, lang):
        return None
    kinds = asked_kinds(question)
    best = units[0].probability
    for u in units[:TOP]:
        if u.probability < SHARE * best:
            break
        pair = transition(u.text, kinds)
        if pair:
            kind = typed_spans(pair[1], names=False)[0].kind
            return replace(u, span=pair[0] + ARROW["ja" if lang == "ja" else "en"] + pair[1], span_kind=kind)
    return None


def change_label(text: str) -> str:
    """What changed, as the unit names it: a table row's key (「発注時間/日（千葉県試験店）」 of its first cell) or
    a line's label (「配送・返品処理: 自己解決率50%→80%」); "" when it names none in a few words."""
    if " / " in text:  # a table row read with its header: 「メトリクス: 発注時間/日 / 従来方式: 80分 / …」
        key = text.split(" / ")[0].partition(": ")[2]
    else:
        key = label_value(text)[0]
    key = key.strip()
    if _BEFORE_KEY.search(key) or _AFTER_KEY.search(key):
        return ""  # 「従来プロセス: 約100-120時間 → AI導入後: 50-70時間」: a side's label, not what changed
    return key if len(key) <= 30 else ""


# the question asks about the state before a change: its "before" value is the answer
_ASKS_BEFORE = re.compile(
    r"従来|導入前|以前|当初|初期|開始時|もともと|手作業|人手|\bbefore\b|\bprevious(?:ly)?\b|\bformerly\b|\bused to\b|"
    r"\boriginally\b|\binitially\b|\bat first\b|\bwithout\b|\bmanual(?:ly)?\b|\blegacy\b|\bold\b|"
    r"\bwhen (?:it|they|the [\w\-]+) (?:started|began|launched)\b|\bat (?:the )?(?:start|outset|launch)\b",
    re.I,
)


def after_first(question: str, units: Sequence[ReadUnit], pool: Sequence[ReadUnit] = ()) -> list[ReadUnit]:
    """A question that does not ask about the state before a change is not answered by the value a unit
    labels as before it (「従来: …1万件以上発生」 for "How many … were self-resolved with its generative
    AI?", whose answer 「生成AI導入後: 約2,100件の自動自己解決」 is the next unit): a close unit (SHARE of the
    best) whose label is no "before" comes first — from `units`, or from `pool` (the part's whole reading)
    in the same section, holding a value of the asked kind."""
    if not units or _ASKS_BEFORE.search(nfkc(question)) or not _before(units[0]):
        return list(units)
    best, kinds = units[0], asked_kinds(question)
    seen = {id(u) for u in units}
    more = [x for x in pool if id(x) not in seen and x.heading_path == best.heading_path and x.doc_id == best.doc_id]
    for u in sorted([*units[1:], *more], key=lambda x: -x.probability):
        if u.probability < SHARE * best.probability:
            break
        if _before(u) or not u.span or u.span == u.text:
            continue
        if kinds and not any(_kind_ok(s, kinds) for s in typed_spans(u.span, names=False)):
            continue
        return [u] + [x for x in units if x is not u]
    return list(units)


def _before(u: ReadUnit) -> bool:
    key = label_value(u.text)[0]
    return bool(key) and bool(_BEFORE_KEY.search(key)) and not _AFTER_KEY.search(key)


# a question about what happened (実際に, 実績, actually, so far): a target or forecast is no answer to it
_ASKS_ACTUAL = re.compile(r"実際に|実際の|実績|\bactually\b|\bso far\b|\bto date\b|\bin practice\b", re.I)
_TARGET = re.compile(
    r"目標|計画|予定|見込|予測|予想|想定|ターゲット|\btarget|\bgoal|\bforecast|\bplanned\b|\bexpected\b", re.I
)


def actual_first(question: str, units: Sequence[ReadUnit]) -> list[ReadUnit] | None:
    """For a question about what actually happened: the first close unit (SHARE of the best) whose text is
    no target or forecast (「目標値: 500施設以上（2024年末）」 answered "how many facilities had actually
    introduced it by the end of 2024?"); None when every close unit is one (the part is then missing)."""
    if not units or not _ASKS_ACTUAL.search(nfkc(question)) or not _TARGET.search(nfkc(units[0].text)):
        return list(units)
    for u in units[1:]:
        if u.probability < SHARE * units[0].probability:
            break
        if u.span and u.span != u.text and not _TARGET.search(nfkc(u.text)):
            return [u] + [x for x in units if x is not u]
    return None
