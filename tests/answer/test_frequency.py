"""How often (rag.answer.frequency): a Japanese frequency is one value, of its own kind, rendered in English."""

from __future__ import annotations

import pytest

from rag.answer.answer_line import make_answer_line
from rag.answer.frequency import FREQUENCY, frequency_en
from rag.answer.reader import question_info
from rag.answer.reader.answer_types import compatible, typed_spans
from rag.answer.reader.question_kind import question_type
from rag.answer.reader.span import extract_span
from rag.answer.units import Unit


@pytest.mark.parametrize(
    "ja,en",
    [
        ("月1回", "once a month"),
        ("年4回以上", "at least 4 times a year"),
        ("週3-5回", "3–5 times a week"),
        ("1日2回", "twice a day"),
        ("3ヶ月ごと", "every 3 months"),
        ("約2週間ごと", "about every 2 weeks"),
        ("毎日", "daily"),
        ("四半期ごと", "quarterly"),
        ("月次", "monthly"),
    ],
)
def test_a_frequency_in_english(ja: str, en: str) -> None:
    assert FREQUENCY.fullmatch(ja), ja
    assert frequency_en(ja) == en


@pytest.mark.parametrize("text", ["年次報告書を公開", "年間4,000億円", "3ヶ月で完了", "毎時間"])
def test_no_frequency_where_there_is_none(text: str) -> None:
    assert not [s for s in typed_spans(text) if s.kind == "frequency"], typed_spans(text)


def test_the_period_stays_with_the_count() -> None:
    """「月1回」 is how often; 「1回」 alone says nothing about it."""
    got = [
        (s.kind, s.text)
        for s in typed_spans("定期監査: コンプライアンスチームが月1回、AI利用の適正性を監査", names=False)
    ]
    assert got == [("frequency", "月1回")]


@pytest.mark.parametrize(
    "question,first",
    [
        ("How often does the bank audit its AI use?", "frequency"),
        ("How often do staff use it in a week?", "frequency"),
        ("How many times a year are penetration tests run?", "frequency"),
        ("監査はどのくらいの頻度で行われる？", "frequency"),
        ("How many people use it weekly?", "count"),
        ("How much time does the chatbot save per inquiry?", "number"),
    ],
)
def test_only_a_question_asking_how_often_asks_a_frequency(question: str, first: str) -> None:
    assert question_type(question).kinds[0] == first


def test_a_frequency_answers_no_other_kind() -> None:
    """ "毎日の問い合わせ" (daily inquiries) is no answer to how much time, how many, or how big."""
    assert compatible("frequency", "frequency")
    assert not any(compatible(k, "frequency") for k in ("duration", "count", "number", "amount", "date"))


def test_an_english_answer_line_states_the_frequency() -> None:
    line = make_answer_line(
        "en", "Salesforce", None, "年4回以上", "ペネトレーションテスト: 年4回以上の外部セキュリティテスト"
    )
    assert "at least 4 times a year" in line, line


def test_a_table_cell_gives_its_frequency_not_the_whole_cell() -> None:
    u = Unit(
        "課題: モデルドリフト / 対応策: 毎日のリアルタイムモデル再学習 / 成果: 精度維持",
        "row",
        3,
        3,
        0,
        header=("課題", "対応策", "成果"),
        cells=("モデルドリフト", "毎日のリアルタイムモデル再学習", "精度維持"),
    )
    assert extract_span(question_info("How often does Visa retrain its fraud models?"), u).text == "毎日"


def test_how_often_is_never_a_count_of_things() -> None:
    """ "100+ AI models" answers no "how often"; an interval or a number of times may."""
    assert question_type("How often does Visa retrain its fraud models?").kinds == ("frequency", "duration")
    assert question_type("How often do staff use it in a week?").kinds == ("frequency", "count")
