"""Questions that ask for several things of one kind ("Which Australian laws does … comply with?",
"What security certifications does … hold?") answered with every item of the list the answer sits in.

The reader picks one unit; when that unit is one bullet of a list whose other bullets carry a value of
the same kind (「オーストラリア連邦銀行業法（Banking Act 1959）」 and, on the next line, 「…個人情報保護法（Privacy
Act 1988）」), one item is half the answer. For an English question whose asked noun is plural (the
noun right after "which" / "what" and before the verb: "laws", "certifications", "regulators"), the
answer takes the bullets of that list (the contiguous bullets under the same lead-in, at most
`MAX_ITEMS`) whose span is of the answer's kind, in the document's order. Japanese marks no plural,
so a Japanese question keeps its one value.

`whole_list` is the other list rule, for both languages: a name answered from a "label: A、B、C" unit, or a
profile field split into one unit per item, answers with every item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.answer.reader import ReadUnit
from rag.answer.reader.features import question_info
from rag.answer.reader.span import extract_span
from rag.answer.units import Unit, label_value, section_units
from rag.schema import Hit

MAX_ITEMS = 6
_VERB = r"(?:does|do|did|is|are|was|were|has|have|had|can|could|will|would|should|must)"
# which / what, up to three modifiers (no preposition: "what share of lawyers" asks a share), then a plural noun
# (not -ss / -us / -is: business, status, analysis) and the verb
_PLURAL_ASK = re.compile(
    rf"\b(?:which|what)\s+(?:(?!(?:of|in|for|on|at|per|to)\s)[A-Za-z][\w'-]*\s+){{0,3}}?"
    rf"([a-z]{{3,}}(?<!ss)(?<!us)(?<!is)s)\s+(?:{_VERB}\b|\w+ed\b)",
    re.I,
)


def asks_several(question: str, lang: str) -> bool:
    """An English question whose asked noun is plural."""
    return lang == "en" and _PLURAL_ASK.search(question) is not None


def list_items(question: str, lang: str, b: ReadUnit, hit: Hit) -> list[ReadUnit]:
    """The answer unit `b` and the other bullets of its list whose span has b's kind (b first, then the
    document's order); [] when the question asks one thing, `b` is no bullet or the list has no such other item."""
    if b.kind != "bullet" or b.unit is None or not asks_several(question, lang):
        return []
    units = section_units(hit)
    at = next((i for i, u in enumerate(units) if (u.start, u.text) == (b.unit.start, b.unit.text)), None)
    if at is None:
        return []
    lo = hi = at
    while lo > 0 and _same_list(units[lo - 1], units[lo]):
        lo -= 1
    while hi + 1 < len(units) and _same_list(units[hi], units[hi + 1]):
        hi += 1
    run = units[lo : hi + 1]
    if not 2 <= len(run) <= MAX_ITEMS:
        return []
    qi = question_info(question, lang)
    out: list[ReadUnit] = []
    for u in run:
        if u is units[at]:
            out.append(b)
            continue
        sp = extract_span(qi, u)
        if sp.kind == b.span_kind and sp.text and sp.text != u.text:
            out.append(replace(b, text=u.text, span=sp.text, start_line=u.start, end_line=u.end, quote=u.quote, unit=u))
    return out if len(out) > 1 else []


def _same_list(a: Unit, b: Unit) -> bool:
    """Two bullets on consecutive lines under the same lead-in."""
    return (
        a.kind == b.kind == "bullet"
        and a.context == b.context
        and a.end is not None
        and b.start is not None
        and b.start == a.end + 1
    )


def whole_list(b: ReadUnit, units: Sequence[ReadUnit], lang: str) -> str:
    """The answer span; for a name question answered by a "label: A、B、C" unit, the whole list; for a
    profile field whose list was split into one unit per item, every item the reader has of that
    field, in the document's order."""
    span = b.span or b.text
    sep = "、" if lang == "ja" else ", "
    label, value = label_value(b.text)
    if not label:
        return span
    if b.kind in ("profile", "bullet", "sentence") and b.answer_type == "name":
        items = [x.strip() for x in value.split("、") if x.strip()]
        if len(items) > 1 and span in items and all(len(x) <= 40 for x in items):
            return sep.join(items)  # "共同投資家: A、B、C" answers "who invested?" with every name
    if b.kind != "profile" or b.unit is None:
        return span
    same = [
        u
        for u in units
        if u.kind == "profile"
        and u.unit is not None
        and (u.doc_id, u.heading_path, u.start_line) == (b.doc_id, b.heading_path, b.start_line)
        and label_value(u.text)[0] == label
    ]
    if len(same) < 2:
        return span
    same.sort(key=lambda u: u.unit.order if u.unit is not None else 0)
    return sep.join(dict.fromkeys(label_value(u.text)[1] for u in same))
