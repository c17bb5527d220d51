"""rag.answer.reader.role_names through the span extractor: the name written next to the asked role
word, not a quoted title or slogan in the same sentence. Real fugashi and glossary; the trained span
weights."""

from __future__ import annotations

import pytest

from rag.answer.reader.features import question_info
from rag.answer.reader.span import extract_span
from rag.answer.units import Unit


@pytest.mark.parametrize(
    "question,unit,name",
    [
        (
            "Who is the president of Nippon Life mentioned in the case?",
            "清水博社長が「ノーデジタル、ノーライフ」というスローガンを掲げ、全従業員に対するDX意識改革を推進。",
            "清水博",
        ),
        (
            "Who is Cohere's CEO?",
            "Aidan Gomez (CEO・共同創業者): 「Attention Is All You Need」論文の共著者（Google Brain, 2017年当時20歳）",
            "Aidan Gomez",
        ),
        ("リクルートのCEOは誰？", "出木場久征会長兼CEO: 「AI進化は2～30年に一度の機会」と位置づけ", "出木場久征"),
        (
            "CohereのCEOは誰？",
            "Aidan Gomez (CEO・共同創業者): 「Attention Is All You Need」論文の共著者",
            "Aidan Gomez",
        ),
        (
            "Who founded Perplexity AI?",
            "Perplexity AIは、2022年にStanford PhD出身のAravind Srinivas氏が創業したAI検索エンジン企業である。",
            "Aravind Srinivas",
        ),
    ],
)
def test_the_name_next_to_the_asked_role(question: str, unit: str, name: str) -> None:
    qi = question_info(question, "en" if question.isascii() else "ja")
    assert extract_span(qi, Unit(unit, "sentence", 1, 1, 0)).text == name


def test_a_question_asking_for_no_role_is_left_to_the_span_scorer() -> None:
    """ "Which company led the round?" names no role: the CEO next to "CEO" is not chosen for it."""
    qi = question_info("Which company led the round?", "en")
    got = extract_span(qi, Unit("Andreessen Horowitzがリードし、CEOのWinston Weinberg氏が発表", "sentence", 1, 1, 0))
    assert got.text == "Andreessen Horowitz"
