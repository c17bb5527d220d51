"""Carrying unchanged chunks from the published generation into the next one, at a cost that follows
the change, not the library.

The chunks of unchanged files are read back from the old generation's reader files (texts, metadata,
vectors mapped, BM25 tokens), never from Chroma: at 100,000 chunks `collection.get` with embeddings
took minutes. In local mode the new generation's Chroma directory starts as a file copy of the old
one, from which the chunks of changed and deleted files are then deleted: inserting 100,000 carried
vectors into a fresh HNSW graph took most of a 319 s one-file re-index, the copy takes seconds. The
old generation is never written to (a reader may have it open); a copy that does not hold exactly the
carried chunks afterwards is thrown away and the collection built by insertion as before.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import Settings
from rag.index.lexical import LexicalIndex
from rag.index.postings import is_postings_folder
from rag.index.reader_files import ChunkMeta, has_reader_files, map_vectors, read_documents
from rag.index.store import VectorStore

BATCH = 500
Record = tuple[list[str], np.ndarray, list[str], list[dict[str, Any]], list[list[str]] | None]
"""(chunk ids, vectors, texts, metadata, BM25 tokens) of a batch of carried chunks."""


def open_store_from_copy(
    settings: Settings, generation: int, old_dir: Path, gdir: Path, ef: Any, stale: Sequence[str], carried: int
) -> VectorStore | None:
    """The new generation's collection as a copy of the old one without the `stale` chunks, or None
    where that cannot be had (server mode, no old Chroma directory, a count that does not match)."""
    if settings.chroma_url or not (old_dir / "chroma").is_dir():
        return None
    target = gdir / "chroma"
    shutil.rmtree(target, ignore_errors=True)
    store = None
    try:
        shutil.copytree(old_dir / "chroma", target)
        store = VectorStore(settings, generation, gdir, ef)
        stale = list(stale)
        for s in range(0, len(stale), BATCH):
            store.collection.delete(ids=stale[s : s + BATCH])
        if store.count() == carried:
            return store
    except Exception:  # a copy Chroma cannot open or edit: build by insertion instead
        pass
    if store is not None:
        close_store(store)
    shutil.rmtree(target, ignore_errors=True)
    return None


def carried_records(
    old_dir: Path, ids: Sequence[str], old_store: Any = None, with_tokens: bool = True
) -> Iterator[Record]:
    """The chunks `ids` of the generation in `old_dir`, in batches: from its reader files (in their
    order), or from `old_store` (its Chroma collection) for a generation written before them.
    Without `with_tokens` (postings carried as they are) the tokens are None."""
    if with_tokens:
        lexical = (
            LexicalIndex.open(old_dir / "lexical")
            if is_postings_folder(old_dir / "lexical")
            else LexicalIndex.load(old_dir / "lexical.json")
        )
        pos = {cid: i for i, cid in enumerate(lexical.chunk_ids)}

    def tokens(batch_ids: list[str]) -> list[list[str]] | None:
        return [lexical.tokens_of(pos[c]) if c in pos else [] for c in batch_ids] if with_tokens else None

    if has_reader_files(old_dir):
        for ids_, vecs, texts, metas in _from_files(old_dir, ids):
            yield ids_, vecs, texts, metas, tokens(ids_)
        return
    if old_store is None:
        raise RuntimeError(f"{old_dir}: no reader files and no Chroma collection to carry chunks from")
    for s in range(0, len(ids), BATCH):
        got = old_store.get(list(ids[s : s + BATCH]), with_embeddings=True)
        yield got["ids"], np.asarray(got["embeddings"]), got["documents"], got["metadatas"], tokens(got["ids"])


def _from_files(gdir: Path, ids: Sequence[str]) -> Iterator[tuple[list[str], np.ndarray, list[str], list[dict]]]:
    """Batches of (ids, vectors, texts, full metadata) of the chunks `ids`, in the files' order."""
    wanted = set(ids)
    docs = read_documents(gdir)
    vectors = map_vectors(gdir)
    batch: tuple[list[str], list[int], list[str], list[dict]] = ([], [], [], [])
    found = 0
    with open(gdir / "chunks.jsonl", encoding="utf-8") as f:
        for row, line in enumerate(f):
            rec = json.loads(line)
            if rec["id"] not in wanted:
                continue
            found += 1
            batch[0].append(rec["id"])
            batch[1].append(row)
            batch[2].append(rec["text"])
            batch[3].append(dict(ChunkMeta(rec["meta"], docs.get(rec["doc"], {}))))
            if len(batch[0]) >= BATCH:
                yield batch[0], np.asarray(vectors[batch[1]]), batch[2], batch[3]
                batch = ([], [], [], [])
    if batch[0]:
        yield batch[0], np.asarray(vectors[batch[1]]), batch[2], batch[3]
    if found != len(wanted):
        raise RuntimeError(f"{gdir}: {len(wanted) - found} of the chunks to carry are missing from chunks.jsonl")


def close_store(store: Any) -> None:
    try:
        store.client.close()
    except Exception:
        pass
