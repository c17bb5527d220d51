"""The extractive unit scorer's name detection (used by the refusal gate's typed cover)."""

from __future__ import annotations

from rag.answer import extractive as X
from rag.answer.extractive.scoring import _type_match, proper_nouns
from rag.answer.units import units_from_lines


def test_a_run_of_nouns_holding_a_proper_noun_is_one_name() -> None:
    """fugashi tags 三井 and 住友 as proper nouns and フィナンシャル / グループ as common ones: the
    name is the whole run, and a name the question does not hold."""
    names = proper_nouns("項目: 親会社 / 内容: 三井住友フィナンシャルグループ")
    assert "三井住友フィナンシャルグループ" in names
    assert "東京都港区" in proper_nouns("本社所在地: 東京都港区")
    latin = proper_nouns("Arthur Mensch（CEO）")
    assert "Arthur Mensch" in latin and "ArthurMensch" not in latin  # Latin words keep their own rule


def test_the_parent_company_row_carries_a_name_the_question_lacks() -> None:
    """「三井住友カードの親会社はどこ？」 was refused ("no passage carries the asked-for kind of value"):
    the row's only proper nouns (三井, 住友) are words of the question, so it carried no new name."""
    info = X.analyze("三井住友カードの親会社はどこ？")
    rows = units_from_lines(["| 項目 | 内容 |", "|---|---|", "| **親会社** | 三井住友フィナンシャルグループ |"])
    row = next(u for u in rows if "親会社" in u.text)
    types, _ = _type_match(info, row)
    assert "name" in types
    company = next(u for u in units_from_lines(["| 項目 | 内容 |", "|---|---|", "| **企業名** | 三井住友カード |"]))
    assert "name" not in _type_match(info, company)[0]  # the company asked about is no answer
