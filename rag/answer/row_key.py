"""A question that describes a table row by its other cells asks for the row's key.

「海外向け案件の多言語対応に使われているAIモデルは何ですか？」 names the row 「Gemini（Advanced） | 多言語対応 |
海外向け案件の効率化」 by its use and its reason; the reader found the row and answered with a piece of the
reason cell (効率化), which the question had already said. When the answer is no figure or date, the
span's cell is mostly the question's own words (at least `ECHO` of its character bigrams occur in the
question) and the row's first cell — its key — is not, the key is the answer (a name in it, or the
whole cell when it is short).
"""

from __future__ import annotations

import re
from dataclasses import replace

from rag.answer.reader import ReadUnit
from rag.answer.reader.answer_types import NUMERIC, nfkc

ECHO = 0.5
MAX_KEY = 40  # characters: a longer first cell is a description, not a key


def _bigrams(s: str) -> set[str]:
    t = re.sub(r"[\s*`_|:：、。,.()（）]+", "", nfkc(s)).casefold()
    return {t[i : i + 2] for i in range(len(t) - 1)}


def _echo(cell: str, question: str) -> float:
    grams = _bigrams(cell)
    return len(grams & _bigrams(question)) / len(grams) if grams else 0.0


def row_key_answer(part: str, b: ReadUnit) -> ReadUnit:
    """`b` answered with its row's key when the question describes the row by the span's cell."""
    if b.kind != "row" or b.unit is None or b.answer_type in NUMERIC or len(b.unit.cells) < 2:
        return b
    cells = [c.strip().strip("*").strip() for c in b.unit.cells]
    span = nfkc(b.span or "")
    where = next((i for i, c in enumerate(cells) if span and span in nfkc(c)), None)
    key = cells[0]
    if not where or not key or len(key) > MAX_KEY or nfkc(key) in nfkc(part):
        return b  # the span is the key already, or the key is no short name the question lacks
    if _echo(cells[where], part) < ECHO or _echo(key, part) >= ECHO:
        return b
    return replace(b, span=key, span_kind="name")
