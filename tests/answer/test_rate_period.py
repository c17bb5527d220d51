"""rag.answer.rate_period: a figure asked per year is answered with the yearly figure, not the monthly
one beside it (real span extraction on the documents' own sentences)."""

from __future__ import annotations

import pytest

from rag.answer.rate_period import asked_period, rate_period_first
from rag.answer.reader import ReadUnit
from tests.answer.readunits import read_unit

FARGO = "Wells Fargoは、Fargoを通じて、2024年に年間336M超（月間5,800万）のインタラクションを処理し"
MONTHLY = "対象300人の月間削減総時間: 1,800時間"
YEARLY = "年間削減総時間: 21,600時間"


def _unit(text: str, span: str, p: float, kind: str = "count") -> ReadUnit:
    return read_unit(text, span, p, kind)


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("ウェルズ・ファーゴのFargoは2024年に年間何件のインタラクションを処理した？", "year"),
        ("How many hours a year does Copilot save?", "year"),
        ("How many minutes a day does a store spend on ordering?", "day"),
        ("毎月何件の問い合わせがある？", "month"),
        ("2024年1月1日に何人が参加した？", None),  # a date, no rate
        ("年間と月間の件数は？", None),  # two periods: nothing to choose
        ("How many stores use it?", None),
    ],
)
def test_asked_period(question: str, period: str | None) -> None:
    assert asked_period(question) == period


def test_the_yearly_figure_of_the_same_sentence() -> None:
    q = "ウェルズ・ファーゴのFargoは2024年に年間何件のインタラクションを処理した？"
    got = rate_period_first(q, [_unit(FARGO, "月間5,800万", 0.9)])
    assert got[0].span == "年間336M"


def test_the_yearly_figure_of_a_close_unit() -> None:
    q = "内勤職300名の年間削減総時間は何時間？"
    units = [_unit(MONTHLY, "1,800時間", 0.8, "duration"), _unit(YEARLY, "21,600時間", 0.7, "duration")]
    got = rate_period_first(q, units)
    assert got[0].text == YEARLY and got[0].span == "21,600時間"


def test_a_far_unit_or_a_matching_span_changes_nothing() -> None:
    q = "内勤職300名の年間削減総時間は何時間？"
    far = [_unit(MONTHLY, "1,800時間", 0.8, "duration"), _unit(YEARLY, "21,600時間", 0.2, "duration")]
    assert rate_period_first(q, far)[0].span == "1,800時間"  # below SHARE of the best
    monthly_q = "内勤職300名の月間削減総時間は何時間？"
    assert rate_period_first(monthly_q, far)[0].span == "1,800時間"  # asked per month: right as it is
    unmarked = [_unit("削減総時間: 1,800時間", "1,800時間", 0.8, "duration"), far[1]]
    assert rate_period_first(q, unmarked)[0].span == "1,800時間"  # no other period marked on it
