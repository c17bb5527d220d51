"""rag.answer.entity_lookup: the postings narrow a name lookup down without changing its result."""

from __future__ import annotations

from rag.answer import entity_lookup
from rag.answer.entities import build_index
from rag.answer.entity_candidates import _flat, _fold

RECORDS = [
    ("A1", "Mistral AI", {"company": "Mistral AI"}, "Mistral AIはASMLから出資を受けた。Le Chatを提供。"),
    ("B2", "Klarna", {"company": "Klarna"}, "Klarna's email assistant; OpenAIと提携。mail-order is not AI."),
    ("C3", "三菱UFJ銀行", {"company": "三菱UFJフィナンシャル・グループ"}, "三菱UFJ銀行は生成AIを導入した。ai"),
    ("D4", "Rakuten", {}, "楽天グループ（Rakuten Group）はAIを使う。Mistral"),
]
NAMES = [
    "Mistral AI",
    "Mistral",
    "AI",
    "ai",
    "mail",
    "OpenAI",
    "Le Chat",
    "ASML",
    "Klarna's",
    "Rakuten Group",
    "三菱UFJ銀行",
    "生成AI",
    "楽天グループ",
    "楽天",
    "銀行",
    "Toyota",
    "トヨタ",
    "Group Rakuten",
]


def _scan(idx, name: str) -> tuple[list[int], list[int]]:
    f, flat = _fold(name), _flat(name)
    ascii_hits = entity_lookup.docs_with(idx.text, idx.starts, f, ascii_words=True) if f.isascii() else []
    flat_hits = entity_lookup.docs_with(idx.vocab, idx.flat_starts, flat) if flat else []
    return ascii_hits, flat_hits


def test_postings_give_the_scans_result() -> None:
    idx = build_index(RECORDS)
    for name in NAMES:
        f, flat = _fold(name), _flat(name)
        ascii_hits, flat_hits = _scan(idx, name)
        if f.isascii():
            assert entity_lookup.ascii_docs(idx, f) == ascii_hits, name
        if flat:
            assert entity_lookup.flat_docs(idx, flat) == flat_hits, name


def test_lookup_finds_and_misses() -> None:
    """Word boundaries hold for ASCII names ('ai' is not found in 'mail'); a name found nowhere is []."""
    idx = build_index(RECORDS)
    assert entity_lookup.ascii_docs(idx, _fold("mail")) == [1]
    assert entity_lookup.ascii_docs(idx, _fold("stral")) == []  # only inside a word
    assert entity_lookup.ascii_docs(idx, _fold("ai")) == [
        0,
        1,
        2,
        3,
    ]  # 生成AI, はAIを: a kana/kanji neighbour is a boundary
    assert entity_lookup.ascii_docs(idx, _fold("Toyota")) == []
    assert entity_lookup.flat_docs(idx, _flat("トヨタ")) == []
    assert entity_lookup.flat_docs(idx, _flat("三菱UFJ銀行")) == [2]
    assert entity_lookup.ascii_docs(idx, _fold("Mistral")) == [0, 3]
