"""The unit scorer's chosen units as reader units (`from_scored`), and re-indexed into one company's own
sections (`rebase`): what the answer quotes beside the reader's units (rag.answer.compose)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag.answer.reader import ReadUnit
from rag.schema import Hit


def from_scored(chosen: Sequence[Any], hits: Sequence[Hit]) -> list[ReadUnit]:
    """The unit scorer's chosen units (rag.answer.extractive.select) as ReadUnits over `hits`."""
    out = []
    for c in chosen:
        u, h = c.unit, hits[c.hit_index]
        out.append(
            ReadUnit(
                doc_id=h.doc_id,
                heading_path=tuple(h.heading_path),
                start_line=u.start,
                end_line=u.end,
                text=u.text,
                span=u.text,
                answer_type="",
                span_kind="unit",
                probability=float(c.score),
                top_probability=0.0,
                section=c.hit_index,
                quote=tuple(u.src.quote) if u.src is not None else tuple(u.quote),
                unit=u.src,
            )
        )
    return out


def rebase(hits: Sequence[Hit], extra: Sequence[ReadUnit]) -> tuple[list[Hit], list[ReadUnit]]:
    """`hits` of one document, and the units of `extra` from that document re-indexed into them."""
    out = list(hits)
    doc = out[0].doc_id if out else None
    where = {(h.doc_id, tuple(h.heading_path), h.start_line): i for i, h in enumerate(out)}
    units = []
    for u in extra:
        if u.doc_id != doc:
            continue
        i = next((j for (d, hp, _s), j in where.items() if d == u.doc_id and hp == tuple(u.heading_path)), None)
        if i is not None:
            units.append(ReadUnit(**{**u.__dict__, "section": i}))
    return out, units
