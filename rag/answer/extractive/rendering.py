"""Rendering of the unit scorer's answer (the fallback of an LLM answer that fails its checks): a lead
line in the question's language, one bullet per chosen unit with its [n], citations numbered in order
of first use and narrowed to the quoted lines (`render`, `make_citation`); `cite_units_for_claim`
finds the units that support a claim of an LLM answer."""

from __future__ import annotations

from collections.abc import Sequence

from rag.answer.extractive.question import _NUMBER, QuestionInfo
from rag.answer.extractive.scoring import Scored
from rag.answer.extractive.text import nfkc, squash, toks
from rag.answer.extractive.units import Unit, section_units
from rag.answer.units import shown_text
from rag.schema import Citation, Hit

LEAD = {"ja": "ライブラリの該当箇所によると：", "en": "According to the library:"}


def shown(u: Unit) -> str:
    """The unit as an answer shows it (a table row read with its header; rag.answer.units.shown_text)."""
    return shown_text(u.src) if u.src is not None else u.text


def make_citation(n: int, hit: Hit, units: Sequence[Unit]) -> Citation:
    quote: list[str] = []
    display: list[str] = []
    for u in units:
        for q in u.quote:
            if q not in quote:
                quote.append(q)
        if shown(u) not in display:
            display.append(shown(u))
    starts = [u.start for u in units if u.start]
    ends = [u.end for u in units if u.end]
    start = min(starts) if starts else hit.start_line
    end = max(ends) if ends else hit.end_line
    return Citation(
        n=n,
        doc_id=hit.doc_id,
        title=hit.title,
        company=str(hit.metadata.get("company") or ""),
        heading_path=tuple(hit.heading_path),
        source=hit.source,
        start_line=int(start or 0),
        end_line=int(end or 0),
        quote=quote,
        quote_display=display,
    )


def render(info: QuestionInfo, hits: Sequence[Hit], chosen: list[Scored]) -> tuple[str, list[Citation], list[str]]:
    n_of: dict[int, int] = {}
    units_of: dict[int, list[Unit]] = {}
    for c in chosen:
        if c.hit_index not in n_of:
            n_of[c.hit_index] = len(n_of) + 1
        units_of.setdefault(c.hit_index, []).append(c.unit)
    lines = [LEAD.get(info.lang, LEAD["en"]), ""]
    for c in chosen:
        u = c.unit
        text = shown(u)
        if u.kind == "bullet" and u.context and len(text) < 40 and c.unit.context.endswith(("：", ":")):
            text = f"{u.context} {text}"
        lines.append(f"- {text} [{n_of[c.hit_index]}]")
    citations = [make_citation(n, hits[hi], units_of[hi]) for hi, n in sorted(n_of.items(), key=lambda kv: kv[1])]
    return "\n".join(lines), citations, lines


def cite_units_for_claim(claim: str, hit: Hit, k: int = 1) -> list[Unit]:
    """The unit(s) of `hit` that best support `claim` (used to quote LLM answers' citations)."""
    units = section_units(hit)
    if not units:
        return []
    ct = toks(claim)
    cf = squash(claim)
    scored = []
    for u in units:
        ov = len(ct & u.tokens) / (len(ct) or 1)
        nums = set(_NUMBER.findall(nfkc(u.text)))
        nb = sum(1 for x in nums if x in nfkc(claim)) * 0.2
        sub = 0.5 if squash(u.text)[:25] and squash(u.text)[:25] in cf else 0.0
        scored.append((ov + nb + sub, -u.order, u))
    scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
    best = [u for s, _, u in scored[:k] if s > 0]
    if not best:
        for s in hit.sentences[:1]:
            for u in units:
                if squash(s)[:25] in squash(u.text):
                    return [u]
        return units[:1]
    return best
