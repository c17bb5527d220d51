"""rag.answer.role_holder: a title the question asks is answered by a name written next to it."""

from __future__ import annotations

import pytest

from rag.answer.reader.role_names import holds_role
from rag.answer.role_holder import asked_titles, role_holder_first
from tests.answer.readunits import read_unit


@pytest.mark.parametrize(
    ("question", "titles"),
    [
        ("Who is the CEO of Panasonic Connect?", ["ceo"]),
        ("What's the name of the MUFG CFO who sits on the bank's AI promotion committee?", ["cfo"]),
        ("ソフトバンクの社長は誰？", ["社長"]),
        ("Who founded Perplexity AI?", []),  # founding is written in many ways (立案, 設立): not checked
        ("Perplexity AIの共同創業者として、CEOのAravind Srinivas以外に名前が挙がっているのは誰？", []),  # CEO given
        ("How many employees does Cohere have?", []),
    ],
)
def test_asked_titles(question: str, titles: list[str]) -> None:
    assert asked_titles(question) == titles


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("CEOのAravind Srinivas氏は、OpenAIで研究した", "Aravind Srinivas"),
        ("出木場久征会長兼CEO", "出木場久征"),
        ("CEO: Winston Weinberg", "Winston Weinberg"),
        ("Aidan Gomez (CEO・共同創業者)", "Aidan Gomez"),
        ("Ali Ghodsi - CEO & Co-founder：戦略方向を主導", "Ali Ghodsi"),
    ],
)
def test_a_name_next_to_the_title_holds_it(text: str, name: str) -> None:
    assert holds_role(text, name, ["ceo", "会長"])


def test_a_name_far_from_the_title_does_not() -> None:
    text = "Microsoft Azure OpenAI Serviceを採用し、CEOが全社展開を指示"
    assert not holds_role(text, "Microsoft Azure OpenAI Service", ["ceo"])


def test_no_holder_among_close_units_leaves_the_part_missing() -> None:
    """ "Who is the CEO of Panasonic Connect?" was answered "Microsoft Azure OpenAI Service"."""
    u = read_unit("インフラ: Microsoft Azure OpenAI Service", "Microsoft Azure OpenAI Service", 0.7, answer="name")
    assert role_holder_first("Who is the CEO of Panasonic Connect?", [u]) is None
    v = read_unit("CEO: 樋口泰行", "樋口泰行", 0.5, answer="name")
    assert role_holder_first("Who is the CEO of Panasonic Connect?", [u, v])[0] is v
    assert role_holder_first("What infrastructure does Panasonic Connect use?", [u])[0] is u  # no title asked
