"""Server mode (`CASEBOOK_CHROMA_URL`): everything a reader needs lives in the Chroma server.

A replica with an empty local data directory serves the library from the server alone:

* the **pointer**: one record of the `casebook_state` collection (id = the library name,
  `CASEBOOK_CHROMA_LIBRARY`, default "library") whose metadata names the current generation, its
  vector collection, its state collection, the embedder and the publication time. It is replaced
  (one upsert, atomic for readers) only after the generation's collections are complete; readers
  only ever follow it.
* per generation, a **state collection** `casebook_state-<tag>-gNNNNNN` holding the generation's
  reader files (chunk texts and metadata, vectors, BM25 postings, manifest: rag.index.remote_files),
  which a replica downloads into its data directory once per generation and opens like a local
  generation. One published before them holds the BM25 token lists (`lexical.json` form) and
  `manifest.json` as texts (records "lexical:NNNNNN" / "manifest:NNNNNN"), still readable.

Names start with `casebook_state` (not `casebook-`), so they never mix with the vector collections.
The writer still keeps its local CURRENT.json and generation directory (its own next run reads them).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.index.remote_files import fetch_files, read_index, upload_files
from rag.index.store import STATE, make_client_url, state_collection_name

FILES = ("lexical", "manifest")  # the texts of a state collection published before the reader files


def library_name() -> str:
    """Which library of the server this process publishes / follows."""
    return os.environ.get("CASEBOOK_CHROMA_LIBRARY") or "library"


@dataclass(frozen=True)
class RemotePointer:
    generation: int
    embedder: str
    collection: str  # the generation's vector collection
    state: str  # the generation's state collection (lexical + manifest)
    published: str  # ISO time of publication

    @property
    def stamp(self) -> tuple[Any, ...]:
        return (self.generation, self.collection, self.published)


def _state_root(client: Any) -> Any:
    return client.get_or_create_collection(STATE, embedding_function=None)


def upload_generation(url: str, state: str, gen_dir: Path) -> None:
    """Store the generation's reader files in its state collection (rag.index.remote_files) and
    check that every record arrived; the caller moves the pointer only afterwards."""
    client = make_client_url(url)
    try:
        client.delete_collection(state)  # leftover of a killed run
    except Exception:
        pass
    coll = client.create_collection(state, embedding_function=None)
    expected = upload_files(coll, gen_dir)
    if coll.count() != expected:
        raise RuntimeError(f"state collection {state} has {coll.count()} records, expected {expected}")


def publish_remote(url: str, generation: int, embedder: str, collection: str, gen_dir: Path) -> RemotePointer:
    """Upload the generation's state, then move the server's pointer to it (one upsert)."""
    state = state_collection_name(collection)
    upload_generation(url, state, gen_dir)
    ptr = RemotePointer(generation, embedder, collection, state, datetime.now(UTC).isoformat(timespec="microseconds"))
    _state_root(make_client_url(url)).upsert(
        ids=[library_name()],
        documents=[json.dumps(ptr.__dict__)],
        metadatas=[{**ptr.__dict__}],
        embeddings=[[0.0, 1.0]],
    )
    return ptr


def read_remote_pointer(url: str, client: Any = None) -> RemotePointer | None:
    try:
        got = _state_root(client or make_client_url(url)).get(ids=[library_name()], include=["metadatas"])
        m = got["metadatas"][0]
        return RemotePointer(
            int(m["generation"]), str(m["embedder"]), str(m["collection"]), str(m["state"]), str(m["published"])
        )
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def fetch_generation(client: Any, state: str, root: Path) -> Path | None:
    """`root/<state>`: the generation's reader files downloaded from its state collection and
    verified (rag.index.remote_files); None for a state collection published before them."""
    coll = client.get_collection(state, embedding_function=None)
    index = read_index(coll)
    return None if index is None else fetch_files(coll, index, root, state)


def load_state(client: Any, state: str) -> dict[str, Any]:
    """{"lexical": parsed lexical.json, "manifest": parsed manifest.json} of a generation published
    before the reader files were (a state collection without them)."""
    coll = client.get_collection(state, embedding_function=None)
    got = coll.get(include=["documents", "metadatas"])
    parts: dict[str, list[tuple[int, str]]] = {k: [] for k in FILES}
    total: dict[str, int] = {}
    for doc, meta in zip(got["documents"], got["metadatas"]):
        parts[meta["kind"]].append((int(meta["part"]), doc))
        total[meta["kind"]] = int(meta["parts"])
    out = {}
    for kind in FILES:
        if len(parts[kind]) != total.get(kind, -1):
            raise RuntimeError(f"state collection {state}: {kind} is incomplete")
        out[kind] = json.loads("".join(doc for _, doc in sorted(parts[kind])))
    return out


class RemoteStamp:
    """Cheap change detector for readers: the server pointer, fetched at most every `interval` s."""

    def __init__(self, url: str, interval: float = 1.0):
        self.url = url
        self.interval = interval
        self._client: Any = None
        self._at = 0.0
        self._value: tuple[Any, ...] | None = None

    def get(self) -> tuple[Any, ...] | None:
        now = time.monotonic()
        if self._value is None or now - self._at >= self.interval:
            try:
                if self._client is None:
                    self._client = make_client_url(self.url)
                ptr = read_remote_pointer(self.url, self._client)
            except Exception:  # server briefly unreachable: keep serving what we have
                self._client = None
                return self._value
            self._value = ptr.stamp if ptr else None
            self._at = now
        return self._value
