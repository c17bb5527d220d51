"""A ReadUnit for tests of the answer path's post-reading rules (a stand-in for what the reader returns)."""

from __future__ import annotations

from typing import Any

from rag.answer.reader import ReadUnit


def read_unit(text: str, span: str, p: float, answer: str = "count", **fields: Any) -> ReadUnit:
    """A unit of document "D" whose answer (and span) is of kind `answer`, with probability `p`; `fields`
    override (e.g. the unit's own `kind`, "row")."""
    base: dict[str, Any] = dict(
        doc_id="D",
        heading_path=("s",),
        start_line=1,
        end_line=1,
        text=text,
        span=span,
        answer_type=answer,
        span_kind=answer,
        probability=p,
        top_probability=0.8,
    )
    return ReadUnit(**{**base, **fields})
