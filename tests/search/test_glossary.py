"""The English → Japanese glossary (rag.search.glossary): keys found on word boundaries, with inflections."""

from __future__ import annotations

import pytest

from rag.search import glossary


def _keys(question: str) -> dict[str, tuple[str, ...]]:
    return dict(glossary.matches(question))


@pytest.mark.parametrize(
    "question,word,term",
    [
        ("How many employees does it have?", "employees", "従業員"),
        ("Which images were generated?", "images", "画像"),
        ("By how much was the time reduced?", "reduced", "削減"),
        # the longest stem that is a key: "use" + d, never "us" (米国) + ed
        ("What share of staff actually used it?", "used", "利用"),
        ("She uses it daily.", "uses", "利用"),
    ],
)
def test_an_inflected_word_reads_as_its_longest_key(question: str, word: str, term: str) -> None:
    found = _keys(question)
    assert word in found, found
    assert term in found[word], found


def test_a_word_that_only_contains_a_key_is_not_matched() -> None:
    found = _keys("Houston business")
    assert "us" not in found and "houston" not in found, found


def test_expand_tokens_are_japanese_tokens_without_repeats() -> None:
    toks = glossary.expand_tokens("How many employees and staff use generative AI?")
    assert {"従業", "社員", "利用", "生成"} <= set(toks) and len(toks) == len(set(toks)), toks


def test_security_and_governance_words_reach_the_japanese_text() -> None:
    found = _keys("Which regulators and laws apply, how long do they keep logs, and what encryption is used?")
    assert {"regulators", "laws", "keep", "logs", "encryption"} <= set(found), found
    assert "暗号化" in found["encryption"] and "規制当局" in found["regulators"] and "保持" in found["keep"]


def test_the_first_year_is_its_japanese_period() -> None:
    """「合計（初年度）: 約$220万」 answers "How much did it spend in the first year?"."""
    found = _keys("How much did Radisson spend in the first year of its program?")
    assert "初年度" in found["first year"], found
