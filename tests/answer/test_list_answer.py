"""A question that asks for several things of one kind takes every item of the answer's list
(rag.answer.list_answer), with a real case file's lines and the real reader's span extraction."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.list_answer import asks_several, list_items
from rag.answer.reader import ReadUnit
from rag.answer.reader.features import question_info
from rag.answer.reader.span import extract_span
from rag.answer.units import section_units
from rag.schema import Hit

LINES = [
    "## 10. セキュリティ・コンプライアンス",
    "",
    "**適用規制**",
    "- オーストラリア連邦銀行業法（Banking Act 1959）",
    "- オーストラリア個人情報保護法（Privacy Act 1988）",
    "",
    "**導入時期**",
    "- 2025年9月：ベータ利用開始",
]


@pytest.mark.parametrize(
    "question,several",
    [
        ("Which Australian laws does Macquarie Bank's rollout have to comply with?", True),
        ("What security certifications does the Enterprise Hub hold?", True),
        ("Which regulators looked into the deal?", True),
        ("What share of lawyers preferred its output?", False),  # asks a share: "lawyers" is no asked noun
        ("What is the status of the rollout?", False),
        ("Which law does it have to comply with?", False),
        ("どの法律に準拠する必要がある？", False),  # Japanese marks no plural
    ],
)
def test_a_plural_asked_noun_asks_for_several(question: str, several: bool) -> None:
    assert asks_several(question, "ja" if not question.isascii() else "en") is several


def _read(tmp_path: Path, question: str, text: str) -> tuple[ReadUnit, Hit]:
    f = tmp_path / "case.md"
    f.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    hit = Hit("D", "T", ("10. セキュリティ・コンプライアンス",), "\n".join(LINES[1:]), 2, len(LINES), 1.0, str(f))
    u = next(x for x in section_units(hit) if x.text == text)
    sp = extract_span(question_info(question, "en"), u)
    b = ReadUnit("D", hit.heading_path, u.start, u.end, u.text, sp.text, "name", sp.kind, 0.9, 0.9, u.kind, 0, unit=u)
    return b, hit


def test_every_law_of_the_list_answers_which_laws(tmp_path: Path) -> None:
    q = "Which Australian laws does Macquarie Bank's rollout have to comply with?"
    b, hit = _read(tmp_path, q, "オーストラリア連邦銀行業法（Banking Act 1959）")
    items = list_items(q, "en", b, hit)
    assert [i.span for i in items] == ["Banking Act 1959", "Privacy Act 1988"]
    assert items[0] is b and (items[1].start_line, items[1].end_line) == (5, 5)  # its own line, to cite


def test_one_law_asked_keeps_one_and_another_list_is_not_joined(tmp_path: Path) -> None:
    q = "Which law does Macquarie Bank's rollout have to comply with?"
    b, hit = _read(tmp_path, q, "オーストラリア連邦銀行業法（Banking Act 1959）")
    assert list_items(q, "en", b, hit) == []
    q2 = "Which milestones did the rollout reach?"
    b2, hit2 = _read(tmp_path, q2, "2025年9月：ベータ利用開始")
    assert list_items(q2, "en", b2, hit2) == []  # a list of one (the next lead-in starts another list)
