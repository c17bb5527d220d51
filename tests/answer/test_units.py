"""The one unit splitter (rag.answer.units) and the unit scorer's view of it (rag.answer.extractive.units)."""

from __future__ import annotations

from rag.answer import units as U
from rag.answer.extractive import units as XU
from rag.schema import Hit

LINES = [
    "主な成果：",
    "- **対象**: 全従業員約2万人",
    "",
    "| 項目 | 内容 | ソース |",
    "|---|---|---|",
    "| 設立 | 2018年 | [Blog](https://example.com/a) |",
    "",
    "> 「年間削減時間が2.4倍に増加」",
    "```",
    "投資コスト: $132,000/month",
    "```",
    "- [参考記事](https://example.com/b)",
]


def test_fences_are_skipped_unless_code():
    plain = [u.text for u in U.units_from_lines(LINES, 10)]
    code = [u.text for u in U.units_from_lines(LINES, 10, code=True)]
    assert "投資コスト: $132,000/month" not in plain
    assert "投資コスト: $132,000/month" in code
    assert [t for t in code if t != "投資コスト: $132,000/month"] == plain


def test_unit_fields():
    units = {u.kind + ":" + u.text: u for u in U.units_from_lines(LINES, 10)}
    row = units["row:項目: 設立 / 内容: 2018年 / ソース: Blog"]
    assert (row.start, row.end, row.cells[-1]) == (13, 15, "Blog")
    assert row.quote == ("| 項目 | 内容 | ソース |", "| 設立 | 2018年 | [Blog](https://example.com/a) |")
    bullet = units["bullet:対象: 全従業員約2万人"]
    assert bullet.context == "主な成果：" and bullet.quote == ("- **対象**: 全従業員約2万人",)
    assert "sentence:「年間削減時間が2.4倍に増加」" in units  # the blockquote marker is not part of the text
    assert units["bullet:参考記事"].is_link and not bullet.is_link


def test_scorer_view(tmp_path):
    f = tmp_path / "case.md"
    f.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    hit = Hit("D", "T", ("h",), "\n".join(LINES), 1, len(LINES), 1.0, str(f))
    view = {u.kind + ":" + u.text: u for u in XU.section_units(hit)}
    row = view["row:項目: 設立 / 内容: 2018年"]  # the source column is left out of the scorer's row text
    assert (row.start, row.end) == (4, 6) and {"設立", "2018"} <= row.tokens
    bullet = view["bullet:対象: 全従業員約2万人"]
    assert bullet.quote == ["- 対象: 全従業員約2万人"]  # quoted as its cleaned line
    assert "row:投資コスト: $132,000/month" not in view and "sentence:投資コスト: $132,000/month" in view
    assert XU.section_units(hit) is XU.section_units(hit)  # cached
