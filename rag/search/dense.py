"""The dense side of retrieval: the chunks nearest to a query vector (`dense_query`), by an exact
matrix product over the snapshot's vectors or by Chroma's HNSW index."""

from __future__ import annotations

from collections.abc import Set
from typing import Any

import numpy as np

from rag.search.snap_index import snapshot_index


def dense_query(
    snap: Any, qv: np.ndarray, k: int, where: dict | None = None, allowed: Set[str] | None = None
) -> list[tuple[str, float]]:
    """(chunk_id, cosine) best first. Exact (one matrix product over the snapshot's vectors,
    restricted to `allowed`) when the snapshot holds its vectors (see rag.library.EXACT_DENSE_MAX);
    otherwise Chroma's HNSW index with `where` as the filter. Callers pass both, describing the
    same restriction. Only distances are fetched from Chroma: texts and metadata are already in
    the snapshot (fetching them costs ~30x more)."""
    n = len(snap.metas)
    if n == 0 or k <= 0:
        return []
    vectors = getattr(snap, "vectors", None)
    if vectors is not None:
        ids = snap.vector_ids
        q = np.asarray(qv, dtype=np.float32)
        q = q / (float(np.linalg.norm(q)) or 1.0)
        if allowed is not None:  # only the allowed rows are scored (a focus document: a few dozen)
            pos = snapshot_index(snap).vector_pos
            rows = np.sort(np.fromiter((pos[c] for c in allowed if c in pos), dtype=np.int64))
            if not len(rows):
                return []
            sub = vectors[rows] @ q
            top = np.argsort(-sub, kind="stable")[:k]
            return [(ids[rows[i]], float(sub[i])) for i in top]
        scores = vectors @ q
        if k < len(scores):
            part = np.argpartition(-scores, k - 1)[:k]
            top = part[np.argsort(-scores[part], kind="stable")]
        else:
            top = np.argsort(-scores, kind="stable")
        return [(ids[i], float(scores[i])) for i in top]
    try:
        r = snap.store.collection.query(
            query_embeddings=[np.asarray(qv, dtype=np.float32)],
            n_results=min(k, n),
            where=where or None,
            include=["distances"],
        )
        return [(cid, 1.0 - float(d)) for cid, d in zip(r["ids"][0], r["distances"][0])]
    except AttributeError:  # a store without a Chroma collection: its own query()
        return [(cid, cos) for cid, cos, _t, _m in snap.store.query(qv, k, where=where)]
