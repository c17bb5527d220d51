"""Chroma access: one collection per index generation, local (PersistentClient) or server (HttpClient).

Local mode gives every generation its own Chroma directory, so a writer building generation n+1
never touches the files a reader of generation n has open; server mode names the collection after
the generation instead. Telemetry is always off and an explicit embedding function is always passed
(Chroma's default one would try to download a model).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from rag.config import Settings
from rag.schema import PATH_SEP, Chunk

BATCH = 1000


def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings  # noqa: PLC0415 — chromadb takes ~1.6 s to import

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def make_client(settings: Settings, local_path: Path | None = None):
    """HttpClient when `settings.chroma_url` is set, else a PersistentClient at `local_path`."""
    import chromadb  # noqa: PLC0415 — ~1.6 s to import: paid only when a store is opened

    if settings.chroma_url:
        return make_client_url(settings.chroma_url)
    assert local_path is not None
    local_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(local_path), settings=_chroma_settings())


def make_client_url(url: str):
    """HttpClient of the Chroma server at `url` (e.g. http://127.0.0.1:8000)."""
    import chromadb  # noqa: PLC0415 — ~1.6 s to import: paid only when a store is opened

    u = urlparse(url)
    return chromadb.HttpClient(
        host=u.hostname or "127.0.0.1",
        port=u.port or (443 if u.scheme == "https" else 8000),
        ssl=u.scheme == "https",
        settings=_chroma_settings(),
    )


def collection_name(settings: Settings, generation: int) -> str:
    if settings.chroma_url:
        return server_collection_name(settings.data_dir, generation)
    return "casebook"


def server_collection_name(data_dir: Path, generation: int) -> str:
    # One server may hold several writers' generations: the data dir's name keeps them apart.
    tag = hashlib.sha1(str(Path(data_dir).resolve()).encode()).hexdigest()[:8]
    return f"casebook-{tag}-g{generation:06d}"


STATE = "casebook_state"  # server-side reader state (rag.index.remote_state): not `casebook-…`


def state_collection_name(vector_collection: str) -> str:
    """A generation's state collection (lexical + manifest): `casebook-<tag>-gN` → `casebook_state-<tag>-gN`."""
    return STATE + vector_collection.removeprefix("casebook")


def _clean_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """Keep only values Chroma accepts: str/int/float/bool and non-empty homogeneous lists."""
    out: dict[str, Any] = {}
    for k, v in meta.items():
        if v is None:
            continue
        if isinstance(v, (bool, int, float, str)):
            out[k] = v
        elif isinstance(v, (list, tuple)):
            items = [x for x in v if x is not None and isinstance(x, (bool, int, float, str))]
            if not items:
                continue
            if len({type(x) for x in items}) > 1:
                items = [str(x) for x in items]
            out[k] = list(items)
        else:
            out[k] = json.dumps(v, ensure_ascii=False, default=str)
    return out


def chunk_metadata(chunk: Chunk, facets: dict[str, Any], uid: str, source: str, title: str) -> dict[str, Any]:
    meta = dict(facets)
    meta.update(
        doc_id=chunk.doc_id,
        uid=uid,
        title=title,
        source=source,
        heading_path=PATH_SEP.join(chunk.heading_path),
        heading_json=json.dumps(list(chunk.heading_path), ensure_ascii=False),
        start_line=chunk.start_line,
        end_line=chunk.end_line,
        order=chunk.order,
        kind=chunk.kind,
        n_tokens=chunk.n_tokens,
    )
    return _clean_meta(meta)


class VectorStore:
    """The Chroma collection of one index generation."""

    def __init__(
        self,
        settings: Settings,
        generation: int,
        gen_dir: Path,
        embedding_function: Any,
        create: bool = False,
        name: str | None = None,
        client: Any = None,
    ):
        """`name`/`client`: open a given collection (a server replica follows the published pointer,
        whose collection is named after the writer's data directory, not its own)."""
        self.settings = settings
        self.generation = generation
        self.client = client if client is not None else make_client(settings, gen_dir / "chroma")
        self.name = name or collection_name(settings, generation)
        if create:
            try:
                self.client.delete_collection(self.name)  # leftover of a killed run
            except Exception:
                pass
            self.collection = self.client.create_collection(
                self.name,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"generation": generation},
                embedding_function=embedding_function,
            )
        else:
            self.collection = self.client.get_collection(self.name, embedding_function=embedding_function)

    def count(self) -> int:
        return self.collection.count()

    def add(
        self, ids: Sequence[str], embeddings: np.ndarray, documents: Sequence[str], metadatas: Sequence[dict]
    ) -> None:
        for s in range(0, len(ids), BATCH):
            self.collection.add(
                ids=list(ids[s : s + BATCH]),
                embeddings=np.asarray(embeddings[s : s + BATCH], dtype=np.float32),
                documents=list(documents[s : s + BATCH]),
                metadatas=list(metadatas[s : s + BATCH]),
            )

    def get(self, ids: Sequence[str], with_embeddings: bool = False) -> dict[str, list]:
        include = ["documents", "metadatas"] + (["embeddings"] if with_embeddings else [])
        out: dict[str, list] = {"ids": [], "documents": [], "metadatas": [], "embeddings": []}
        ids = list(ids)
        for s in range(0, len(ids), BATCH):
            r = self.collection.get(ids=ids[s : s + BATCH], include=include)
            out["ids"] += r["ids"]
            out["documents"] += r["documents"]
            out["metadatas"] += r["metadatas"]
            if with_embeddings:
                out["embeddings"] += list(r["embeddings"])
        return out

    def query(self, embedding: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float, str, dict]]:
        """(chunk_id, cosine similarity, text, metadata), best first."""
        n = self.count()
        if n == 0:
            return []
        r = self.collection.query(
            query_embeddings=[np.asarray(embedding, dtype=np.float32)],
            n_results=min(k, n),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (cid, 1.0 - float(dist), doc, meta)
            for cid, dist, doc, meta in zip(r["ids"][0], r["distances"][0], r["documents"][0], r["metadatas"][0])
        ]

    def ids_where(self, where: dict) -> set[str]:
        r = self.collection.get(where=where, include=[])
        return set(r["ids"])

    def drop(self) -> None:
        try:
            self.client.delete_collection(self.name)
        except Exception:
            pass


def drop_generation(settings: Settings, generation: int, gen_dir: Path) -> None:
    """Remove a generation's collection on a server (local ones go with their directory)."""
    if not settings.chroma_url:
        return
    client = make_client(settings)
    name = collection_name(settings, generation)
    for n in (name, state_collection_name(name)):
        try:
            client.delete_collection(n)
        except Exception:
            pass


def iter_batches(items: Sequence, size: int) -> Iterable[Sequence]:
    for s in range(0, len(items), size):
        yield items[s : s + size]
