"""ui/conversations.py: the per-user conversation store (real SQLite in a temporary data dir)."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest

from rag.schema import Answer, Citation, Hit
from ui.conversations import DB_NAME, ConversationStore, user_of


def _answer(q: str = "ミストラルAIのCEOは誰？") -> Answer:
    cite = Citation(
        1,
        "MISTRAL",
        "Mistral AI",
        "Mistral AI",
        ("概要", "経営陣"),
        "/lib/m.md",
        12,
        14,
        ["CEOはアルテュール・マンシュ。"],
    )
    hit = Hit(
        "MISTRAL",
        "Mistral AI",
        ("概要", "経営陣"),
        "## 経営陣\nCEOはアルテュール・マンシュ。\n",
        12,
        14,
        0.9,
        "/lib/m.md",
    )
    return Answer(
        q, "CEOはアルテュール・マンシュです [1]。", "ja", citations=[cite], hits=[hit], timings={"total": 312.0}
    )


@pytest.fixture
def store(tmp_path):
    return ConversationStore(tmp_path)


def test_create_append_load_round_trip(store, tmp_path):
    cid = store.create("alice")
    assert (tmp_path / DB_NAME).exists()
    assert store.append_turn("alice", cid, _answer(), {"country": "フランス"}) == 1
    assert store.append_turn("alice", cid, _answer("When was it founded?")) == 2
    turns = store.load("alice", cid)
    assert [t["turn"] for t in turns] == [1, 2]
    a = turns[0]["answer"]
    assert a.citations[0].heading_path == ("概要", "経営陣") and a.citations[0].start_line == 12
    assert a.hits[0].heading_path == ("概要", "経営陣") and a.timings == {"total": 312.0}
    assert turns[0]["filters"] == {"country": "フランス"}
    listed = store.list("alice")
    assert listed[0]["id"] == cid and listed[0]["turns"] == 2
    assert listed[0]["title"] == "ミストラルAIのCEOは誰？"  # titled by its first question


def test_users_are_separate(store):
    a = store.create("alice", "Alice's")
    store.create("bob", "Bob's")
    assert [c["title"] for c in store.list("alice")] == ["Alice's"]
    assert store.load("bob", a) == [] and store.get("bob", a) is None
    assert not store.rename("bob", a, "stolen") and not store.delete("bob", a)
    with pytest.raises(KeyError):
        store.append_turn("bob", a, _answer())
    assert store.get("alice", a)["title"] == "Alice's"


def test_rename_delete_and_order(store, tmp_path):
    c1 = store.create("local")
    c2 = store.create("local")
    store.append_turn("local", c1, _answer())
    assert [c["id"] for c in store.list("local")] == [c1, c2]  # most recently updated first
    assert store.rename("local", c2, "  Klarna  vs  MUFG ")
    assert store.get("local", c2)["title"] == "Klarna vs MUFG"
    assert not store.rename("local", c2, "   ")
    assert store.delete("local", c1)
    assert [c["id"] for c in store.list("local")] == [c2]
    con = sqlite3.connect(tmp_path / DB_NAME)
    assert con.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 0
    con.close()
    assert ConversationStore(tmp_path).list("local")[0]["title"] == "Klarna vs MUFG"  # persisted


def test_export_markdown_has_citations(store):
    cid = store.create("local", "CEO")
    store.append_turn("local", cid, _answer(), {"country": "フランス"})
    md = store.export_markdown("local", cid)
    assert md.startswith("# CEO\n")
    assert "## Q1. ミストラルAIのCEOは誰？" in md
    assert "- [1] Mistral AI — 概要 › 経営陣 (/lib/m.md, lines 12–14)" in md
    assert "  > CEOはアルテュール・マンシュ。" in md and "フランス" in md
    with pytest.raises(KeyError):
        store.export_markdown("bob", cid)


def test_user_of_request():
    assert user_of(None) == "local"
    assert user_of(SimpleNamespace(username=None)) == "local"
    assert user_of(SimpleNamespace(username="alice")) == "alice"
