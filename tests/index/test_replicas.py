"""Replicas on one Chroma server: readers with EMPTY data dirs serve what a writer published there.

A real `chroma run` on a loopback port; writer A indexes into it; readers B and C (own, empty data
dirs: no CURRENT.json, no generations) download the generation's reader files from the server into
`<data dir>/replica/` and open them like a local generation (vectors mapped, no `collection.get` of
every chunk), return the same hits and answers, follow a newly published generation without a
restart, and keep serving the previous one when an indexer is killed mid-run. A corrupted or
missing part on the server is an error, and a generation published before the files still opens.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.answer import ask
from rag.config import Settings
from rag.index import Library, get_library
from rag.index import library as library_module
from rag.index.indexer import index_library
from rag.index.lexical import LexicalIndex
from rag.index.library import REPLICA_DIR
from rag.index.remote_files import RemoteFilesError
from rag.index.remote_state import library_name, read_remote_pointer
from rag.index.store import make_client_url
from rag.search import retrieve

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "docs"
QUESTIONS = (
    "ノルトヴィント・ロボティクスの導入後の誤出荷率は？",
    "Mistral AIの評価額は？",
    "北星会の看護記録の記録時間削減率は？",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
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
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)


def _big_doc() -> str:
    sections = "\n\n".join(
        f"## {i}. 拠点{i}の取り組み\n\n"
        + "".join(f"拠点{i}では工程{j}の自動化で作業時間を{(i * j) % 50 + 1}%短縮した。" for j in range(1, 40))
        for i in range(1, 60)
    )
    return f"---\nid: BIG_900\ntitle: 大型の事例\nsubject:\n  name: 大型製造株式会社\n---\n\n{sections}\n"


def _hits(settings: Settings) -> list[list[tuple[str, int, int]]]:
    return [[(h.doc_id, h.start_line, h.end_line) for h in retrieve(q, k=5, settings=settings)] for q in QUESTIONS]


def _answers(settings: Settings) -> list[tuple[str, bool, list[tuple[str, int, int]]]]:
    out = []
    for q in QUESTIONS:
        a = ask(q, settings=settings)
        out.append((a.text, a.refused, [(c.doc_id, c.start_line, c.end_line) for c in a.citations]))
    return out


def _wait_generation(lib: Library, generation: int, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while lib.snapshot().generation != generation:
        assert time.monotonic() < end, f"reader still at {lib.snapshot().generation}, expected {generation}"
        time.sleep(0.2)


def _serve(data_dir: Path, chroma_url: str) -> tuple[subprocess.Popen, str]:
    """`casebook serve` with an empty data dir and only CASEBOOK_CHROMA_URL to find the library."""
    port = _free_port()
    env = {**os.environ, "CASEBOOK_DATA_DIR": str(data_dir), "CASEBOOK_CHROMA_URL": chroma_url}
    env.pop("CASEBOOK_LIBRARY", None)
    cmd = [sys.executable, "-m", "rag.cli.main", "serve", "--port", str(port), "--no-warmup"]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}/api"


def _api(base: str, path: str, body: dict | None = None, timeout: float = 120) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def _wait_api(proc: subprocess.Popen, base: str, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, "casebook serve exited"
        try:
            _api(base, "/docs", timeout=5)
            return
        except OSError:
            assert time.monotonic() < end, "casebook serve did not come up"
            time.sleep(0.5)


def _served(base: str) -> tuple[list, list, list[str]]:
    """(search sections, answers without timings, doc ids) of one `casebook serve`."""
    q = urllib.parse.quote
    sections = [_api(base, f"/search?q={q(x)}&k=5")["sections"] for x in QUESTIONS]
    answers = [{k: v for k, v in _api(base, "/ask", {"question": x}).items() if k != "timings"} for x in QUESTIONS]
    docs = sorted(d["doc_id"] for d in _api(base, "/docs")["documents"])
    return sections, answers, docs


def _local_state(data_dir: Path) -> list[str]:
    """What a reader must NOT have locally (outside its download cache `replica/`): a pointer,
    generation dirs, lexical or manifest files of a local index run."""
    if not data_dir.exists():
        return []
    return sorted(
        str(p.relative_to(data_dir))
        for p in data_dir.rglob("*")
        if (p.name in ("CURRENT.json", "lexical.json", "manifest.json") or p.name == "generations")
        and REPLICA_DIR not in p.relative_to(data_dir).parts[:1]
    )


def _replicas(data_dir: Path) -> list[str]:
    """The generations a replica downloaded (complete folders under `<data dir>/replica/`)."""
    root = data_dir / REPLICA_DIR
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def _check_downloaded(lib: Library, state: str) -> None:
    """The snapshot was opened from files downloaded into the replica's data dir: its vectors are
    mapped from there (a `collection.get` of every chunk would give an in-memory array)."""
    snap = lib.snapshot()
    folder = lib.settings.data_dir / REPLICA_DIR / state
    for name in ("manifest.json", "chunks.jsonl", "documents.json", "vectors.f32", "lexical/meta.json"):
        assert (folder / name).is_file(), name
    assert isinstance(snap.vectors, np.memmap) and Path(snap.vectors.filename) == folder / "vectors.f32"
    assert snap.vectors.shape[0] == len(snap.texts) == len(snap.lexical) == snap.store.count()


def test_two_replicas_follow_the_server(tmp_path: Path, chroma_url: str) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    for p in (REPO / "seeds").iterdir():
        shutil.copy(p, lib / p.name)
    shutil.copy(FIXTURES / "fm_subject.md", lib / "fm_subject.md")

    writer = Settings.from_env(data_dir=tmp_path / "A", library=(lib,), chroma_url=chroma_url)
    rep = index_library(writer, [lib])
    assert rep.published and rep.chunks > 0

    # two `casebook serve` replicas (empty data dirs D, E) start in the background meanwhile
    servers = [_serve(tmp_path / name, chroma_url) for name in ("D", "E")]
    try:
        _readers(tmp_path, chroma_url, writer, rep, lib, servers)
    finally:
        for proc, _ in servers:
            proc.terminate()
        for proc, _ in servers:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _readers(
    tmp_path: Path,
    chroma_url: str,
    writer: Settings,
    rep: Any,
    lib: Path,
    servers: list[tuple[subprocess.Popen, str]],
) -> None:
    b = Settings.from_env(data_dir=tmp_path / "B", library=(), chroma_url=chroma_url)
    c = Settings.from_env(data_dir=tmp_path / "C", library=(), chroma_url=chroma_url)
    lib_b, lib_c = get_library(b), get_library(c)  # the instances retrieve()/ask() use
    for r in (lib_b, lib_c):
        assert r.exists()
        snap = r.snapshot()
        assert snap.generation == rep.generation
        assert snap.store.count() == rep.chunks == len(snap.lexical)
        assert {d["doc_id"] for d in snap.documents} == {"GENAI_042", "FIX_101"}
    ptr1 = read_remote_pointer(chroma_url)
    assert ptr1 is not None
    for r in (lib_b, lib_c):
        _check_downloaded(r, ptr1.state)
    assert not (writer.data_dir / REPLICA_DIR).exists()  # the writer opens its own generation dir

    # the same hits and answers from both replicas, and the same as the writer's own data dir
    hits_b = _hits(b)
    assert hits_b == _hits(c) == _hits(writer)
    assert hits_b[0][0][0] == "FIX_101", hits_b[0]
    answers_b = _answers(b)
    assert answers_b == _answers(c)
    assert not answers_b[0][1] and answers_b[0][2], answers_b[0]  # a cited answer about Nordwind
    assert "誤出荷" in answers_b[0][0], answers_b[0][0]

    for proc, base in servers:  # the `casebook serve` replicas are up and serve generation 1
        _wait_api(proc, base)
        assert _api(base, "/docs")["generation"] == rep.generation

    # an update published by A is picked up by both replicas without a restart
    shutil.copy(FIXTURES / "fm_organization.md", lib / "fm_organization.md")
    rep2 = index_library(writer)
    assert rep2.published and rep2.generation > rep.generation and rep2.indexed == 1
    ptr2 = read_remote_pointer(chroma_url)
    assert ptr2 is not None and ptr2.state != ptr1.state
    for r in (lib_b, lib_c):
        _wait_generation(r, rep2.generation)
        assert len({d["doc_id"] for d in r.snapshot().documents}) == 3
        _check_downloaded(r, ptr2.state)
    hits2 = _hits(b)
    assert hits2 == _hits(c)
    assert hits2 != hits_b  # the new document changed the answers' sources
    hokusei = {d["doc_id"] for d in lib_b.snapshot().documents if "北星" in d["title"]}
    assert len(hokusei) == 1 and hits2[2][0][0] in hokusei, hits2[2]
    answers2 = _answers(b)
    assert answers2 == _answers(c)

    # an indexer killed while embedding leaves both replicas on the previous generation
    (lib / "big.md").write_text(_big_doc(), encoding="utf-8")
    env = {
        **os.environ,
        "CASEBOOK_DATA_DIR": str(writer.data_dir),
        "CASEBOOK_CHROMA_URL": chroma_url,
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli.main", "index"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen = threading.Event()
    err = bytearray()

    def watch() -> None:
        assert proc.stderr is not None
        while chunk := proc.stderr.read1(4096):
            err.extend(chunk)
            if b"embedding" in err:
                seen.set()

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    try:
        end = time.monotonic() + 300
        while not seen.wait(0.1):
            assert proc.poll() is None, f"the indexer ended before embedding: {err.decode(errors='replace')}"
            assert time.monotonic() < end, "the indexer never started embedding"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    t.join(5)
    assert proc.returncode == -signal.SIGKILL  # killed, not finished
    ptr = read_remote_pointer(chroma_url)
    assert ptr is not None and ptr.generation == rep2.generation
    time.sleep(1.5)  # longer than the readers' pointer poll interval
    for r in (lib_b, lib_c):
        snap = r.snapshot()
        assert snap.generation == rep2.generation
        assert "BIG_900" not in {d["doc_id"] for d in snap.documents}
    assert _hits(b) == _hits(c) == hits2
    assert _answers(b) == _answers(c) == answers2

    # the readers never needed (nor made) any index state of their own beside their downloads
    assert _local_state(b.data_dir) == _local_state(c.data_dir) == []
    assert _replicas(b.data_dir) == _replicas(c.data_dir) == sorted([ptr1.state, ptr2.state])

    # the next run from A completes the update; both replicas follow it
    rep3 = index_library(writer)
    assert rep3.published and rep3.generation > rep2.generation
    ptr3 = read_remote_pointer(chroma_url)
    assert ptr3 is not None
    for r in (lib_b, lib_c):
        _wait_generation(r, rep3.generation)
        assert "BIG_900" in {d["doc_id"] for d in r.snapshot().documents}
        _check_downloaded(r, ptr3.state)
        # the download of generation 1 is removed; generation 2's stays (the previous snapshot's)
        assert _replicas(r.settings.data_dir) == sorted([ptr2.state, ptr3.state])
    assert _hits(b) == _hits(c) == _hits(writer)

    # the two `casebook serve` replicas, up since generation 1, serve the latest one without a
    # restart, with the same sections and answers
    assert [_api(base, "/docs")["generation"] for _, base in servers] == [rep3.generation] * 2
    served = [_served(base) for _, base in servers]
    assert served[0] == served[1]
    assert "BIG_900" in served[0][2] and len(served[0][2]) == 4
    assert served[0][0][0][0]["doc_id"] == "FIX_101"
    assert not served[0][1][0]["refused"] and served[0][1][0]["citations"]
    assert [_local_state(tmp_path / n) for n in ("B", "C", "D", "E")] == [[], [], [], []]
    assert [_replicas(tmp_path / n)[-1:] for n in ("D", "E")] == [[ptr3.state]] * 2


def test_replica_files_checked_and_old_state_readable(tmp_path: Path, chroma_url: str) -> None:
    """A missing or corrupted part of the generation's files on the server is an error naming the
    file, never a different index (and nothing half-downloaded stays); once the server holds the
    right parts again, a replica opens. A state collection of the earlier format (BM25 token lists
    and manifest as texts, no files) is still read, from Chroma."""
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(FIXTURES / "fm_subject.md", lib / "fm_subject.md")
    shutil.copy(FIXTURES / "fm_organization.md", lib / "fm_organization.md")
    writer = Settings.from_env(data_dir=tmp_path / "A", library=(lib,), chroma_url=chroma_url)
    rep = index_library(writer, [lib])
    assert rep.published and rep.chunks > 0
    expected = _hits(writer)
    ptr = read_remote_pointer(chroma_url)
    assert ptr is not None
    coll = make_client_url(chroma_url).get_collection(ptr.state, embedding_function=None)
    index = json.loads(coll.get(ids=["files"], include=["metadatas"])["metadatas"][0]["index"])
    file_no = next(i for i, (rel, *_) in enumerate(index) if rel == "chunks.jsonl")
    part = f"f{file_no:03d}:000000"
    original = coll.get(ids=[part], include=["metadatas"])["metadatas"][0]

    def reader(name: str) -> Settings:
        return Settings.from_env(data_dir=tmp_path / name, library=(), chroma_url=chroma_url)

    other = base64.b64encode(zlib.compress(b'{"id": "x"}\n')).decode()
    for n, (meta, message) in enumerate(
        [
            ({**original, "data": other}, "chunks.jsonl: .* bytes with sha256"),  # valid data, wrong bytes
            ({**original, "data": "@@not base64@@"}, "chunks.jsonl: part .* is corrupted"),
            (None, "chunks.jsonl: part .* is missing"),
        ]
    ):
        if meta is None:
            coll.delete(ids=[part])
        else:
            coll.update(ids=[part], metadatas=[meta])
        s = reader(f"R{n}")
        with pytest.raises(RemoteFilesError, match=message):
            get_library(s).snapshot()
        assert _replicas(s.data_dir) == [] and not any((s.data_dir / REPLICA_DIR).iterdir())

    coll.add(ids=[part], metadatas=[original], embeddings=[[0.0, 1.0]])  # the right part again
    s = reader("R0")  # the same Library that failed: it retries
    assert get_library(s).snapshot().generation == ptr.generation
    _check_downloaded(get_library(s), ptr.state)
    assert _hits(s) == expected

    # the earlier format: lexical token lists and manifest as texts of the state collection
    client = make_client_url(chroma_url)
    old = client.create_collection(ptr.state + "-old", embedding_function=None)
    gdir = writer.data_dir / "generations" / f"g{ptr.generation:06d}"
    texts = {
        "lexical": json.dumps(LexicalIndex.open(gdir / "lexical").token_data(), ensure_ascii=False),
        "manifest": (gdir / "manifest.json").read_text(encoding="utf-8"),
    }
    for kind, text in texts.items():
        old.add(
            ids=[f"{kind}:000000"],
            documents=[text],
            metadatas=[{"kind": kind, "part": 0, "parts": 1}],
            embeddings=[[0.0, 1.0]],
        )
    root = client.get_collection("casebook_state", embedding_function=None)
    root.upsert(
        ids=[library_name()],
        metadatas=[{**ptr.__dict__, "state": old.name, "published": "old"}],
        embeddings=[[0.0, 1.0]],
    )
    s = reader("OLD")
    snap = get_library(s).snapshot()
    assert snap.generation == ptr.generation and not isinstance(snap.vectors, np.memmap)
    assert _replicas(s.data_dir) == []
    assert _hits(s) == expected


def test_replica_serves_the_current_generation_while_the_next_downloads(
    tmp_path: Path, chroma_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one thread downloads and opens a newly published generation, the replica's other
    threads keep answering from the current snapshot instead of waiting for the download."""
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(FIXTURES / "fm_subject.md", lib / "fm_subject.md")
    writer = Settings.from_env(data_dir=tmp_path / "A", library=(lib,), chroma_url=chroma_url)
    rep = index_library(writer, [lib])
    reader = get_library(Settings.from_env(data_dir=tmp_path / "R", library=(), chroma_url=chroma_url))
    snap1 = reader.snapshot()
    assert snap1.generation == rep.generation

    started, release = threading.Event(), threading.Event()
    real_fetch = library_module.fetch_generation

    def held_fetch(*args: Any, **kwargs: Any) -> Any:  # the real download, once the test lets it go
        started.set()
        assert release.wait(60)
        return real_fetch(*args, **kwargs)

    monkeypatch.setattr(library_module, "fetch_generation", held_fetch)
    shutil.copy(FIXTURES / "fm_organization.md", lib / "fm_organization.md")
    rep2 = index_library(writer)
    assert rep2.published and rep2.generation > rep.generation
    time.sleep(library_module.REMOTE_POLL_S + 0.3)  # the readers' pointer poll sees the new generation
    opened: dict[str, Any] = {}
    opener = threading.Thread(target=lambda: opened.update(snap=reader.snapshot()))
    opener.start()
    try:
        assert started.wait(30), "the new generation was never fetched"
        t = time.monotonic()
        assert reader.snapshot() is snap1  # answered at once from the current generation
        assert time.monotonic() - t < 5
    finally:
        release.set()
        opener.join(60)
    assert opened["snap"].generation == rep2.generation
    assert reader.snapshot() is opened["snap"]
    assert _hits(reader.settings) == _hits(writer)
