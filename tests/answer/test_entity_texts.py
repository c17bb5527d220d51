"""The entity index's per-document folded texts (rag.answer.entity_texts): cached by content."""

from __future__ import annotations

from rag.answer.entities import build_index
from rag.answer.entity_texts import DocTextsCache

BODY = "Ｍｉｓｔｒａｌ　AIは2023年に設立された。best practices を採用。"


def test_a_document_left_unchanged_keeps_its_forms_and_a_changed_one_is_folded_again() -> None:
    cache = DocTextsCache()
    first = cache.get("m", "Mistral AI", ["フランス"], BODY)
    assert first.text.startswith("mistral ai") and "フランス" in first.text
    assert first.flat.startswith("mistralai") and " " not in first.flat
    assert first.facets_flat == "フランス" and "best" in first.lower_words and "mistral" not in first.lower_words
    cache.keep_only_used()
    assert cache.get("m", "Mistral AI", ["フランス"], str(BODY)) is first  # equal content, another build
    changed = cache.get("m", "Mistral AI", ["フランス"], BODY + "追記")
    assert changed is not first and changed.text.endswith("追記")
    assert cache.get("m", "Mistral AI", ["ドイツ"], BODY) is not first  # facet values are part of the key
    cache.keep_only_used()
    cache.keep_only_used()  # a build that used nothing: nothing stays
    assert cache.get("m", "Mistral AI", ["フランス"], BODY) is not first


def test_an_index_built_twice_is_the_same() -> None:
    recs = [
        ("GENAI_042", "Mistral AI", {"company": "Mistral AI", "country": "フランス"}, BODY),
        ("021_klarna", "Klarna", {"company": "Klarna"}, "Klarnaは best な体験を目指す。"),
    ]
    a, b = build_index(recs), build_index(recs)
    assert [(d.doc_id, d.names, d.text, d.flat) for d in a.docs] == [
        (d.doc_id, d.names, d.text, d.flat) for d in b.docs
    ]
    assert [p[1].pattern for p in a.patterns] == [p[1].pattern for p in b.patterns] and a.vocab == b.vocab
