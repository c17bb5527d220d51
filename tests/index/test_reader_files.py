"""rag.index.reader_files + rag.index.postings: a reader loads a generation from the files the index
run wrote, and gets exactly what Chroma holds (texts, metadata, vectors) and the BM25 scores of the
in-memory index built from the same tokens."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.index import Library, get_library, index_library
from rag.index import generations as gens
from rag.index.lexical import LexicalIndex, token_pairs
from rag.index.reader_files import FILES, ChunkMeta, share_metas
from rag.ingest import char_bigrams, tokenize
from rag.search.retrieval import Retriever
from tests.conftest import FIXTURES, SEEDS


def test_chunk_meta_reads_like_the_dict() -> None:
    doc = {"doc_id": "D", "uid": "D@1", "country": "日本", "tags": ["LLM"]}
    m = ChunkMeta({"order": 3, "kind": "section"}, doc)
    full = {**doc, "order": 3, "kind": "section"}
    assert dict(m) == full and m == full and list(m) == list(full) and len(m) == len(full)
    assert m["country"] == "日本" and m.get("order") == 3 and m.get("nope", 7) == 7 and "tags" in m
    assert {"cid": "x", **m} == {"cid": "x", **full}
    with pytest.raises(KeyError):
        m["nope"]


def test_share_metas_shares_a_document_and_keeps_exceptions() -> None:
    a = {"doc_id": "D", "uid": "D@1", "country": "日本", "order": 0, "heading_path": "A"}
    b = {"doc_id": "D", "uid": "D@1", "country": "日本", "order": 1, "heading_path": "B"}
    odd = {"doc_id": "D", "uid": "D@1", "country": "米国", "order": 2}  # never written by an index run
    got = share_metas(["a", "b", "c"], [a, b, odd])
    assert [dict(got[c]) for c in "abc"] == [a, b, odd]
    assert got["a"]._doc is got["b"]._doc and got["c"]._doc is not got["a"]._doc


def test_reader_files_hold_what_chroma_holds(indexed_settings: Settings) -> None:
    snap = get_library(indexed_settings).snapshot()
    gdir = gens.gen_dir(indexed_settings.data_dir, snap.generation)
    assert (gdir / "chunks.jsonl").is_file() and (gdir / "lexical" / "meta.json").is_file()
    assert not (gdir / "lexical.json").exists()
    got = snap.store.collection.get(include=["documents", "metadatas", "embeddings"])
    assert sorted(snap.vector_ids) == sorted(got["ids"]) and len(snap.metas) == len(got["ids"])
    for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
        assert snap.texts[cid] == text
        assert isinstance(snap.metas[cid], ChunkMeta) and dict(snap.metas[cid]) == meta, cid
    vecs = np.asarray(got["embeddings"], dtype=np.float32)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    row = {cid: i for i, cid in enumerate(snap.vector_ids)}
    # the same unit vectors (up to float32 rounding of the norm: SIMD sums depend on alignment)
    assert np.allclose(snap.vectors[[row[c] for c in got["ids"]]], vecs, rtol=0, atol=1e-6)
    # one shared metadata dict per document
    assert len({id(m._doc) for m in snap.metas.values()}) == len(snap.documents)


def test_postings_score_as_the_in_memory_index_of_the_same_tokens(indexed_settings: Settings) -> None:
    snap = get_library(indexed_settings).snapshot()
    lex = snap.lexical
    mem = LexicalIndex(lex.chunk_ids, lex.tokens, texts=[snap.texts[c] for c in lex.chunk_ids])
    assert lex.tokens_of(0) == tokenize(snap.texts[lex.chunk_ids[0]])
    for q in ("ミストラルAIの評価額は？", "Hugging Faceの資金調達", "ChatGPT Enterpriseの導入"):
        toks = tokenize(q)
        for field, terms in (("words", toks), ("pairs", token_pairs(toks)), ("chars", char_bigrams(q))):
            # the same weights; a term's rows are summed in another order (float32 rounding only)
            a, b = lex.scores(terms, field), mem.scores(terms, field)
            assert np.allclose(a, b, rtol=1e-6, atol=0), (q, field)
            top, top_mem = lex.search(terms, 10, field=field), mem.search(terms, 10, field=field)
            assert np.allclose([s for _, s in top], [s for _, s in top_mem], rtol=1e-6, atol=0)
    assert lex.idf() == pytest.approx(mem.idf())


def test_a_generation_written_before_the_reader_files_is_read_and_carried_over(tmp_path: Path) -> None:
    """The older layout (lexical.json token lists, everything else in Chroma) still loads, gives the
    same snapshot, and the next index run carries its unchanged files over into the new layout."""
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(SEEDS / "000_2a18f7e169fe24df.txt", lib / "seed.txt")
    settings = Settings.from_env(data_dir=tmp_path / "data", library=(lib,))
    first = index_library(settings, [lib])
    new = Library(settings).snapshot()
    gdir = gens.gen_dir(settings.data_dir, first.generation)
    (gdir / "lexical.json").write_text(json.dumps(new.lexical.token_data(), ensure_ascii=False), encoding="utf-8")
    shutil.rmtree(gdir / "lexical")
    for name in FILES:
        (gdir / name).unlink()
    old = Library(settings).snapshot()
    assert old.vector_ids and sorted(old.vector_ids) == sorted(new.vector_ids)
    assert {c: dict(m) for c, m in old.metas.items()} == {c: dict(m) for c, m in new.metas.items()}
    assert old.texts == new.texts
    q = "ミストラルAIの評価額は？"
    assert [h.chunk_ids for h in Retriever(settings).run(q, snapshot=old)] == [
        h.chunk_ids for h in Retriever(settings).run(q, snapshot=new)
    ]

    shutil.copy(FIXTURES / "docs" / "fm_subject.md", lib / "fm_subject.md")
    second = index_library(settings)
    assert second.unchanged == 1 and second.indexed == 1 and second.published
    gdir2 = gens.gen_dir(settings.data_dir, second.generation)
    assert (gdir2 / "lexical" / "meta.json").is_file() and (gdir2 / "chunks.jsonl").is_file()
    snap = Library(settings).snapshot()
    carried = [c for c in new.lexical.chunk_ids if c in snap.texts]
    assert carried and len(carried) == len(new.lexical.chunk_ids)
    pos = {c: i for i, c in enumerate(snap.lexical.chunk_ids)}
    assert all(snap.lexical.tokens_of(pos[c]) == new.lexical.tokens_of(i) for i, c in enumerate(carried))
