"""Carried postings (rag.index.postings_carry) equal postings built from scratch for the same chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.index.lexical import K1, B, PostingsBuilder
from rag.index.postings import FIELDS, StoredPostings, is_writer_part
from rag.index.postings_carry import CarryError, can_carry, write_carried
from rag.ingest.japanese import tokenize

OLD = {
    "a": "ミストラルAIは2023年4月にパリで設立された。",
    "b": "評価額は約140億ドルに達し、ASMLが出資を主導した。",
    "c": "クラーナのAIアシスタントは230万件の会話を処理した。",
    "d": "顧客満足度は従来と同水準を保った。",
    "e": "Harvey serves law firms such as Allen & Overy.",
}
NEW = {
    "f": "トヨタ自動車の売上は公開されていない。",  # new words, pairs and bigrams
    "a2": "ミストラルAIの創業者はアルチュール・メンシュである。",  # shares terms with old chunks
}


def _build(folder: Path, texts: dict[str, str]) -> PostingsBuilder:
    b = PostingsBuilder()
    for cid, text in texts.items():
        b.add(cid, tokenize(text), text)
    if folder is not None:
        b.write(folder, K1, B)
    return b


@pytest.mark.parametrize("carried", [["a", "c", "d"], ["a", "b", "c", "d", "e"], [], ["e"]])
def test_carried_postings_equal_a_fresh_build(tmp_path: Path, carried: list[str]) -> None:
    old = tmp_path / "old"
    _build(old, OLD)
    assert can_carry(old)
    new = _build(None, NEW)
    write_carried(tmp_path / "carried", old, carried, new, K1, B)
    ref_texts = {c: OLD[c] for c in carried} | NEW
    _build(tmp_path / "ref", ref_texts)
    got, ref = StoredPostings(tmp_path / "carried"), StoredPostings(tmp_path / "ref")
    assert got.chunk_ids == ref.chunk_ids == list(ref_texts)
    assert got.terms == ref.terms
    assert [got.tokens_of(i) for i in range(len(ref_texts))] == [tokenize(t) for t in ref_texts.values()]
    for f in FIELDS:
        for part in ("hash", "indptr", "docs", "tfs", "lengths"):
            assert np.array_equal(
                np.load(tmp_path / "carried" / f"{f}.{part}.npy"), np.load(tmp_path / "ref" / f"{f}.{part}.npy")
            ), (f, part)
        w_got = np.load(tmp_path / "carried" / f"{f}.weights.npy")
        w_ref = np.load(tmp_path / "ref" / f"{f}.weights.npy")
        assert np.allclose(w_got, w_ref, rtol=1e-6), f


def test_chunks_out_of_the_old_order_are_refused(tmp_path: Path) -> None:
    _build(tmp_path / "old", OLD)
    with pytest.raises(CarryError):
        write_carried(tmp_path / "x", tmp_path / "old", ["c", "a"], _build(None, NEW), K1, B)
    with pytest.raises(CarryError):
        write_carried(tmp_path / "x", tmp_path / "old", ["zz"], _build(None, NEW), K1, B)


def test_writer_parts_are_named_and_missing_ones_prevent_a_carry(tmp_path: Path) -> None:
    old = tmp_path / "old"
    _build(old, OLD)
    parts = sorted(p.name for p in old.iterdir() if is_writer_part(p.name))
    assert parts == sorted(f"{f}.{p}.npy" for f in FIELDS for p in ("tfs", "lengths"))
    (old / "chars.tfs.npy").unlink()
    assert not can_carry(old)
