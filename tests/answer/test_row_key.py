"""rag.answer.row_key: a question that describes a table row by its other cells is answered with the
row's key (the row of 036_flow_advertising_copy_ai.md's model table)."""

from __future__ import annotations

from rag.answer.reader import ReadUnit
from rag.answer.row_key import row_key_answer
from rag.answer.units import Unit
from tests.answer.readunits import read_unit

HEADER = ("ツール", "用途", "理由")
CELLS = ("**Gemini（Advanced）**", "多言語対応", "海外向け案件の効率化")


def _row(span: str, answer_type: str = "other", cells: tuple[str, ...] = CELLS) -> ReadUnit:
    text = " / ".join(f"{h}: {c.strip('*')}" for h, c in zip(HEADER, cells))
    unit = Unit(text=text, kind="row", start=256, end=256, order=3, header=HEADER, cells=cells)
    return read_unit(
        text,
        span,
        0.9,
        answer_type,
        doc_id="GUGA_0036",
        heading_path=("選定したAIツール・モデル",),
        start_line=252,
        end_line=256,
        span_kind="unit",
        top_probability=0.9,
        kind="row",
        unit=unit,
    )


def test_the_row_the_question_describes_answers_with_its_key() -> None:
    q = "広告企業Wで、海外向け案件の多言語対応に使われているAIモデルは何ですか？"
    assert row_key_answer(q, _row("効率化")).span == "Gemini（Advanced）"


def test_a_question_that_does_not_say_the_cell_keeps_the_span() -> None:
    q = "広告企業WがGeminiを選んだ理由は何ですか？"  # names the key, asks for the reason
    assert row_key_answer(q, _row("海外向け案件の効率化")).span == "海外向け案件の効率化"
    q2 = "広告企業Wはどんな理由でモデルを選びましたか？"  # the reason cell is not the question's words
    assert row_key_answer(q2, _row("海外向け案件の効率化")).span == "海外向け案件の効率化"


def test_figures_and_long_first_cells_are_left_alone() -> None:
    q = "海外向け案件の多言語対応の件数は？"
    assert row_key_answer(q, _row("効率化", answer_type="count")).span == "効率化"
    long_key = (
        "汎用性と精度のバランスが最高で長文の指示理解にも優れる主力のコピー生成ツールとして選定された",
    ) + CELLS[1:]
    q2 = "広告企業Wで、海外向け案件の多言語対応に使われているAIモデルは何ですか？"
    assert row_key_answer(q2, _row("効率化", cells=long_key)).span == "効率化"
