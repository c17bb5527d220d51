"""English forms of Japanese-spelled facts (eval.fact_forms), as the English answer-line metric uses
them: a correct English statement of the figure counts, a wrong figure, unit or currency does not."""

from __future__ import annotations

import pytest

from eval import metrics as M
from eval.fact_forms import english_forms, japanese_forms
from eval.questionset import Gold, Question
from rag.schema import Answer


def _line_recall(fact: str, line: str, lang: str = "en") -> float:
    q = Question(
        id="f-1", question="q?", lang=lang, answerable=True, gold=[Gold("D", "S")], facts=[[fact]], kind="numeric"
    )
    return M.score_answer(q, Answer(question="q?", text=line, lang=lang))["metrics"]["answer_line_fact_recall"]


@pytest.mark.parametrize(
    "fact, right, wrong",
    [
        ("350人", "MUFG: 350 people.", "MUFG: 3,500 people."),
        ("約350人以上", "MUFG: about 350 people.", "MUFG: 300 people."),
        ("2024年10月", "MUFG: October 2024.", "MUFG: January 2026."),
        ("2023年4月1日", "April 1, 2023", "April 11, 2023"),
        ("130億ドル", "Anthropic: $13 billion.", "Anthropic: ¥13 billion."),
        ("600億円", "MUFG: ¥60 billion.", "MUFG: ¥600 billion."),
        ("約30〜40分", "about 30–40 minutes", "about 30–40 hours"),
        ("10倍", "Mistral AI: 10x faster.", "Mistral AI: 100x faster."),
        ("2分", "2 minutes versus 11", "2 hours"),
        ("3〜4ヶ月", "3–4 months", "3–4 weeks"),
        ("1.5万人", "15,000 employees", "1,500 employees"),
        ("100万", "1 million models", "10 million models"),
        ("40%", "40 percent", "140 percent"),
        # ranges of money and shares, and durations in 万
        ("135～205億円", "Olympus: ¥13.5–20.5 billion.", "Olympus: ¥135–205 million."),
        ("1-5億円", "initial investment — ¥100–500 million", "initial investment — ¥1–5 billion"),
        ("50%～70%", "Sumitomo Mitsui Card: 50–70%.", "Sumitomo Mitsui Card: 50–60%."),
        ("13.4万時間", "134,000 hours per month", "13,400 hours per month"),
    ],
)
def test_english_line_states_the_fact_or_misses_it(fact: str, right: str, wrong: str) -> None:
    assert _line_recall(fact, right) == 1.0
    assert _line_recall(fact, wrong) == 0.0


def test_forms_only_for_english_questions_and_only_for_figures() -> None:
    # a Japanese answer line must still spell the fact the Japanese way
    assert _line_recall("350人", "350 people", lang="ja") == 0.0
    assert _line_recall("350人", "350人です", lang="ja") == 1.0
    # words and names are not translated: only the set's own alternatives count
    assert english_forms("15の新医薬品") == [] and english_forms("アマゾン") == []
    assert _line_recall("臨床試験", "clinical trial") == 0.0
    # the unit of a duration is part of the fact: no bare number
    assert "2" not in english_forms("2分")


@pytest.mark.parametrize(
    "fact, right, wrong",
    [
        ("$130.1M", "ハギングフェイス：1億3,010万ドルです（2024年）。", "ハギングフェイス：1億3,000万ドルです。"),
        ("$235M", "Series Dは2億3,500万ドルです。", "Series Dは2億3,500万円です。"),  # the currency counts
        ("47B", "Mixtral 8x7Bは470億です。", "Mixtral 8x7Bは47億です。"),
        ("$8-12M", "年間コストは800万〜1,200万ドルです。", "年間コストは800万〜1,200万円です。"),
        ("$8-12M", "年間コストは800〜1,200万ドルです。", "年間コストは8〜12億ドルです。"),
        ("€11.7B", "評価額は117億ユーロです。", "評価額は117億ドルです。"),
    ],
)
def test_japanese_lines_state_latin_amounts_in_japanese(fact: str, right: str, wrong: str) -> None:
    """A Japanese answer line that renders "$130.1M" as 1億3,010万ドル states the fact; a wrong value,
    scale or currency does not."""
    assert _line_recall(fact, right, "ja") == 1.0
    assert _line_recall(fact, wrong, "ja") == 0.0


def test_only_scaled_latin_amounts_get_japanese_forms() -> None:
    assert japanese_forms("$0.99") == [] and japanese_forms("25%") == [] and japanese_forms("2024年") == []
