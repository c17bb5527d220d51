"""Unit vectors: e5 vectors of unit texts, embedded once and kept in memory and an append-only file.

`VectorCache` keeps e5 passage (or query) vectors of unit texts, keyed by a hash of model name and text,
in memory and (optionally) in an append-only file, so a library's units are embedded once
(`VectorCache.ensure(texts)` at index time, or lazily at answer time). A record cut short by a killed
process is dropped on load.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

_REC_DTYPE_CACHE: dict[int, np.dtype] = {}


def _rec_dtype(dim: int) -> np.dtype:
    dt = _REC_DTYPE_CACHE.get(dim)
    if dt is None:
        dt = _REC_DTYPE_CACHE[dim] = np.dtype([("key", "S16"), ("vec", "<f4", (dim,))])
    return dt


class VectorCache:
    """e5 passage vectors of unit texts; in memory, plus an append-only file when `path` is given.

    Keys are the first 16 bytes of sha1(model name + NUL + text); records are (key, float32[dim])."""

    MAX_CHARS = 1000  # a longer unit is embedded from its first MAX_CHARS characters (window-safe)

    def __init__(self, embedder: Any, path: Path | str | None = None, query: bool = False):
        self.embedder = embedder
        self.path = Path(path) if path else None
        self.query = query  # "query: " vectors (embed_queries) instead of passages
        self._lock = threading.Lock()
        self._vecs: dict[bytes, np.ndarray] = {}
        self._loaded = False
        self.misses = 0
        self.hits = 0

    def _key(self, text: str) -> bytes:
        kind = "q" if self.query else "p"
        return hashlib.sha1(f"{self.embedder.name}\0{kind}\0{text}".encode()).digest()[:16]

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.path is None or not self.path.exists():
            return
        dt = _rec_dtype(self.embedder.dim)
        size = self.path.stat().st_size
        n = size // dt.itemsize
        if size != n * dt.itemsize:  # a write cut short (killed process): drop the partial record
            os.truncate(self.path, n * dt.itemsize)
        if n:
            recs = np.fromfile(self.path, dtype=dt, count=n)
            for k, v in zip(recs["key"], recs["vec"]):
                self._vecs[bytes(k)] = v

    def _embed(self, texts: list[str]) -> np.ndarray:
        cut = [t[: self.MAX_CHARS] for t in texts]
        if self.query:
            many = getattr(self.embedder, "embed_queries", None)
            if many is not None:
                return np.asarray(many(cut), dtype=np.float32)
            return np.stack([self.embedder.embed_query(t) for t in cut]).astype(np.float32)
        try:
            return self.embedder.embed_passages(cut)
        except ValueError:  # over the model window: halve the over-long ones until they fit
            out = []
            for t in cut:
                while True:
                    try:
                        out.append(self.embedder.embed_passages([t])[0])
                        break
                    except ValueError:
                        t = t[: max(1, len(t) // 2)]
            return np.asarray(out, dtype=np.float32)

    def get(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        """Vectors of `texts` (n, dim), embedding (and storing) the ones not seen before."""
        with self._lock:
            self._load()
            keys = [self._key(t) for t in texts]
            missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in self._vecs))
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        for i in range(0, len(missing), batch):
            part = missing[i : i + batch]
            vecs = self._embed(part)
            with self._lock:
                new = [(self._key(t), v) for t, v in zip(part, vecs)]
                for k, v in new:
                    self._vecs[k] = np.asarray(v, dtype=np.float32)
                self._append(new)
        with self._lock:
            if not texts:
                return np.zeros((0, self.embedder.dim), np.float32)
            return np.stack([self._vecs[k] for k in keys]).astype(np.float32)

    ensure = get

    def _append(self, new: list[tuple[bytes, np.ndarray]]) -> None:
        if self.path is None or not new:
            return
        dt = _rec_dtype(self.embedder.dim)
        recs = np.zeros(len(new), dtype=dt)
        recs["key"] = [k for k, _ in new]
        recs["vec"] = np.stack([v for _, v in new])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, recs.tobytes())
        finally:
            os.close(fd)

    def __len__(self) -> int:
        with self._lock:
            self._load()
            return len(self._vecs)
