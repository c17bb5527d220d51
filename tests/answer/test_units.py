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


def test_row_shown_with_its_header_and_exact_lines():
    """Issue #14: a table row is quoted as its cells paired with the header, citing its exact lines."""
    units = [u for u in U.units_from_lines(LINES, 10) if u.kind == "row"]
    assert len(units) == 1
    row = units[0]
    # one label and one value column (the source column is a reference): "label: value"
    assert U.shown_text(row) == "設立: 2018年"
    assert (row.start, row.end) == (13, 15)  # header line to the row line, as before
    assert LINES[row.end - 10] == row.quote[-1]  # the exact row line stays the quote
    table = [
        "| ラウンド | 時期 | 金額（EUR） | 評価額（EUR） |",
        "|---|---|---|---|",
        "| **Seed** | 2023年6月 | €105M | 非公開 |",
        "| **Series C** | 2025年9月 | **€1,700M** | **€11,700M** |",
        "| Bridge | - | €50M | |",
    ]
    rows = U.units_from_lines(table, 179)
    shown = [U.shown_text(u) for u in rows]
    assert shown == [
        "Seed — 時期: 2023年6月 / 金額（EUR）: €105M / 評価額（EUR）: 非公開",
        "Series C — 時期: 2025年9月 / 金額（EUR）: €1,700M / 評価額（EUR）: €11,700M",
        "Bridge — 金額（EUR）: €50M",  # empty cells left out
    ]
    assert [(u.start, u.end) for u in rows] == [(179, 181), (179, 182), (179, 183)]
    assert "|" not in "".join(shown) and "**" not in "".join(shown)
    # headerless rows: the cells in order
    assert U.row_display((), ("A", "", "B")) == "A / B"


def test_shown_text_of_other_units_is_their_clean_text():
    bullet, sentence = (next(u for u in U.units_from_lines(LINES, 10) if u.kind == k) for k in ("bullet", "sentence"))
    assert bullet.quote == ("- **対象**: 全従業員約2万人",)
    assert U.shown_text(bullet) == "対象: 全従業員約2万人"  # no list marker, no **
    assert U.shown_text(sentence) == sentence.text
