"""rag.answer.asked_noun: the noun a "which / what X" question asks a name of, and the unit speaking of it."""

from __future__ import annotations

import pytest

from rag.answer.asked_noun import asked_noun, noun_first
from rag.answer.reader import ReadUnit


@pytest.mark.parametrize(
    ("question", "form"),
    [
        ("Which regulators looked into Microsoft's deal with Inflection AI?", "規制当局"),
        ("Which Australian laws does Macquarie Bank's Gemini rollout have to comply with?", "法"),
        ("What security certifications does Hugging Face's Enterprise Hub hold?", "認証"),
        ("Which bureau led the Tokyo Metropolitan Government's ChatGPT rollout?", "局"),
        ("Who is the chief executive of Harvey, the legal AI platform?", "CEO"),  # the role asked
        ("Who is Klarna's CEO?", "CEO"),
    ],
)
def test_the_asked_noun_in_japanese(question: str, form: str) -> None:
    assert form in asked_noun(question)


@pytest.mark.parametrize("question", ["Who leads the AI team?", "What is SoftBank's environment built on?"])
def test_no_asked_noun(question: str) -> None:
    assert asked_noun(question) == ()


def _u(text: str, path: str, p: float) -> ReadUnit:
    return ReadUnit("D", (path,), 1, 1, text, "", "name", "name", p, 0.8)


def test_a_unit_speaking_of_the_asked_noun_comes_first() -> None:
    """The best unit shares the question's other words (Microsoft) and holds a person's title; the unit
    under 「規制上の懸念」 names the regulator."""
    q = "Which regulators looked into Microsoft's deal with Inflection AI?"
    best = _u("Mustafa Suleyman: Microsoft AI の Executive Vice President に就任", "5.2 人材移動の影響", 0.6)
    cma = _u("英国 CMA（Competition and Markets Authority）:", "5.4 規制上の懸念", 0.09)
    far = _u("米国 FTC（Federal Trade Commission）:", "5.4 規制上の懸念", 0.05)  # below NOUN_SHARE of the best
    assert noun_first(q, [best, cma, far], "en")[0] is cma
    assert noun_first(q, [best, far], "en")[0] is best
    assert noun_first(q, [best, cma], "ja")[0] is best  # English questions only
    # a best unit that speaks of the noun and holds a new name stays first
    ok = _u("規制当局 FRB（Federal Reserve Board）のガイダンス", "11.3 規制", 0.6)
    assert noun_first(q, [ok, cma], "en")[0] is ok


def test_a_which_question_of_another_type_takes_the_unit_naming_the_noun() -> None:
    """ "Which bureau led …?" is typed "other" (bureau asks no name by itself): the unit naming a bureau
    (局) with a name the question does not state comes before a count of bureaus."""
    q = "Which bureau led the Tokyo Metropolitan Government's ChatGPT rollout?"
    best = _u("各部局（28局全体）", "体制", 0.25)
    named = _u("主導部門: 東京都デジタルサービス局", "体制", 0.2)
    assert noun_first(q, [best, named], "en")[0] is named
    assert noun_first(q.replace("Which", "What"), [best, named], "en")[0] is best  # "which" only
