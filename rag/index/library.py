"""Read side of the index: the current generation's Chroma collection, BM25 index and manifest.

`Library.snapshot()` returns the generation published last; a reader keeps using the snapshot it
got for a whole query, so a concurrent index run is seen entirely or not at all. A local generation
is read from its reader files (rag.index.reader_files: chunk texts and metadata, mapped vectors)
and BM25 postings (rag.index.postings), not record by record from Chroma; one written before them,
from Chroma and its lexical.json.

In server mode (`CASEBOOK_CHROMA_URL`) the pointer is read from the Chroma server
(rag.index.remote_state) and the generation's reader files are downloaded from it into the data
directory (rag.index.remote_files), never taken from a local index run: replicas with empty data
directories serve the same library and follow each newly published generation.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import Settings
from rag.index import generations as gens
from rag.index.embeddings import ChromaEmbeddingFunction, get_embedder
from rag.index.lexical import LexicalIndex
from rag.index.postings import is_postings_folder
from rag.index.reader_files import read_reader_files, share_metas
from rag.index.remote_files import READER_FILES, prune
from rag.index.remote_state import RemoteStamp, fetch_generation, load_state, read_remote_pointer
from rag.index.store import VectorStore, make_client_url, server_collection_name


class IndexMissing(RuntimeError):
    pass


@dataclass
class Snapshot:
    generation: int
    manifest: dict[str, Any]
    store: Any  # rag.store.VectorStore
    lexical: LexicalIndex
    texts: dict[str, str] = field(default_factory=dict)  # chunk_id → embedded text
    # chunk_id → Chroma metadata (a read-only Mapping: rag.index.reader_files.ChunkMeta)
    metas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # unit-length vectors (rows in vector_ids order; mapped from vectors.f32 when the generation
    # has it) for exact dense search; None above EXACT_DENSE_MAX chunks, where the Chroma HNSW
    # index answers instead (rag.search.dense.dense_query)
    vectors: Any = None
    vector_ids: list[str] = field(default_factory=list)

    @property
    def documents(self) -> list[dict[str, Any]]:
        """One entry per indexed file: path, doc_id, title, facets, chunk count, issues."""
        out = []
        for path, v in sorted(self.manifest.get("files", {}).items(), key=lambda kv: kv[1]["doc_id"]):
            out.append(
                {
                    "path": path,
                    **{k: v[k] for k in ("doc_id", "uid", "title", "facets", "issues")},
                    "chunks": len(v["chunk_ids"]),
                }
            )
        return out

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [{"path": p, **v["issue"]} for p, v in self.manifest.get("errors", {}).items()]


class Library:
    """Thread-safe access to the latest published index generation of a data directory."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._snap: Snapshot | None = None
        self._stamp: Any = None
        self._remote_stamp: RemoteStamp | None = None
        self._replica_in_use: set[str] = set()  # server mode: the downloaded generation folder in use
        self._opening = threading.Lock()  # server mode: held by the thread opening a new generation

    def exists(self) -> bool:
        if self.settings.chroma_url:
            return self._remote().get() is not None
        return gens.read_pointer(self.settings.data_dir) is not None

    def _remote(self) -> RemoteStamp:
        if self._remote_stamp is None:
            self._remote_stamp = RemoteStamp(str(self.settings.chroma_url), REMOTE_POLL_S)
        return self._remote_stamp

    def snapshot(self) -> Snapshot:
        if self.settings.chroma_url:
            return self._snapshot_remote(self._remote().get())
        stamp = gens.pointer_stamp(self.settings.data_dir)
        with self._lock:
            if self._snap is None or stamp != self._stamp:
                self._snap = self._open()
                self._stamp = stamp
            return self._snap

    def _snapshot_remote(self, stamp: Any) -> Snapshot:
        """Server mode: one thread opens a newly published generation (its download takes seconds
        in a large library) while the others keep answering from the current snapshot."""
        with self._lock:
            snap = self._snap
            if snap is not None and stamp == self._stamp:
                return snap
        if snap is not None and not self._opening.acquire(blocking=False):
            return snap  # another thread is opening the new generation
        if snap is None:
            self._opening.acquire()
        try:
            with self._lock:
                if self._snap is not None and stamp == self._stamp:  # opened meanwhile by another thread
                    return self._snap
            new = self._open_remote()
            with self._lock:
                self._snap, self._stamp = new, stamp
            return new
        finally:
            self._opening.release()

    def _open(self) -> Snapshot:
        data_dir = self.settings.data_dir
        ptr = gens.read_pointer(data_dir)
        if ptr is None:
            raise IndexMissing(f"no index in {data_dir}: run `casebook index` first")
        gdir = gens.gen_dir(data_dir, ptr.generation)
        manifest = json.loads((gdir / "manifest.json").read_text(encoding="utf-8"))
        embedder = get_embedder(self.settings)
        if manifest.get("embedder") != embedder.name:
            raise IndexMissing(
                f"the index was built with {manifest.get('embedder')!r} but the configured model is "
                f"{embedder.name!r}: run `casebook index --rebuild`"
            )
        store = VectorStore(self.settings, ptr.generation, gdir, ChromaEmbeddingFunction(embedder))
        snap = _open_files(ptr.generation, manifest, store, gdir)
        if snap is None:  # a generation written before the reader files: everything from Chroma
            lexical = json.loads((gdir / "lexical.json").read_text(encoding="utf-8"))
            return _assemble(ptr.generation, manifest, store, lexical)
        return snap

    def _open_remote(self) -> Snapshot:
        """Server mode: the generation the server's pointer names. Its reader files are downloaded
        into `<data dir>/replica/<state collection>/` once and opened like a local generation (the
        writer's own data dir opens its generation directory); a generation published before them
        is read from the server record by record."""
        url = str(self.settings.chroma_url)
        client = make_client_url(url)
        ptr = read_remote_pointer(url, client)
        if ptr is None:
            raise IndexMissing(f"no index published on {url}: run `casebook index` with CASEBOOK_CHROMA_URL set")
        embedder = get_embedder(self.settings)
        if ptr.embedder != embedder.name:
            raise IndexMissing(
                f"the index on {url} was built with {ptr.embedder!r} but the configured model is "
                f"{embedder.name!r}: configure the same engine, or re-index with `casebook index --rebuild`"
            )
        data_dir = self.settings.data_dir
        store = VectorStore(
            self.settings,
            ptr.generation,
            data_dir,
            ChromaEmbeddingFunction(embedder),
            name=ptr.collection,
            client=client,
        )
        own = gens.gen_dir(data_dir, ptr.generation)
        if server_collection_name(data_dir, ptr.generation) == ptr.collection and (own / READER_FILES[1]).is_file():
            folder: Path | None = own  # this data dir wrote the generation: no download
        else:
            folder = fetch_generation(client, ptr.state, data_dir / REPLICA_DIR)
        if folder is None:  # published before the reader files
            state = load_state(client, ptr.state)
            return _assemble(ptr.generation, state["manifest"], store, state["lexical"])
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        snap = _open_files(ptr.generation, manifest, store, folder)
        if snap is None:
            raise RuntimeError(f"{folder}: the generation's reader files are incomplete")
        if folder.parent == data_dir / REPLICA_DIR:
            # earlier downloads go, but never the folder in use nor the one the previous snapshot
            # (perhaps still answering a query) maps
            prune(folder.parent, {folder.name, *self._replica_in_use})
            self._replica_in_use = {folder.name}
        return snap


def _open_files(generation: int, manifest: dict[str, Any], store: VectorStore, folder: Path) -> Snapshot | None:
    """Snapshot of a generation folder with reader files (texts, metadata and vectors mapped, BM25
    postings mapped); None for one written before them."""
    files = read_reader_files(folder) if is_postings_folder(folder / "lexical") else None
    if files is None:
        return None
    ids, texts, metas, vectors = files
    lex = LexicalIndex.open(folder / "lexical", texts)
    if lex.chunk_ids != ids:
        raise RuntimeError(f"{folder}: the BM25 postings and the chunk file list different chunks")
    exact = len(ids) <= EXACT_DENSE_MAX
    return Snapshot(generation, manifest, store, lex, texts, metas, vectors if exact else None, ids)


def _assemble(generation: int, manifest: dict[str, Any], store: VectorStore, lexical_data: Any) -> Snapshot:
    """Snapshot of an opened generation: texts, metadata and (up to EXACT_DENSE_MAX) vectors."""
    exact = store.count() <= EXACT_DENSE_MAX
    got = store.collection.get(include=["documents", "metadatas", *(["embeddings"] if exact else [])])
    texts = dict(zip(got["ids"], got["documents"]))
    metas = share_metas(got["ids"], got["metadatas"])
    lexical = LexicalIndex.from_data(lexical_data, texts)
    vectors = None
    if exact and len(got["ids"]):
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return Snapshot(generation, manifest, store, lexical, texts, metas, vectors, list(got["ids"]))


EXACT_DENSE_MAX = 100_000
"""Up to this many chunks (150 MB of e5-small vectors), dense search is exact (one matrix product,
~1 ms per 10,000 chunks) on vectors loaded with the snapshot: deterministic and without the ~0.2 %
of top-50 misses HNSW had on the dev set, whose tail changes the fusion's min-max scaling from run
to run. Larger libraries query Chroma's HNSW index."""

REPLICA_DIR = "replica"
"""Server mode: where a replica keeps the generations it downloaded (`<data dir>/replica/<state>/`)."""

REMOTE_POLL_S = 1.0
"""Server mode: a reader asks the server for its pointer at most this often (a newly published
generation is served within this many seconds, without a restart)."""

_libraries: dict[tuple[str, str | None], Library] = {}


def get_library(settings: Settings) -> Library:
    """The Library of a data dir. Settings that differ only in the answer backend (`llm`) share it: the
    UI answers one question extractively and the next with the LLM without reopening the index."""
    key = (str(Path(settings.data_dir).resolve()), settings.chroma_url)
    lib = _libraries.get(key)
    if lib is None or replace(lib.settings, llm=None) != replace(settings, llm=None):
        lib = _libraries[key] = Library(settings)
    return lib
