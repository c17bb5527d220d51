"""BM25 over pre-tokenised chunks (the tokenizer is pluggable: see rag.japanese.tokenize).

Kept beside the Chroma collection of the same index generation. Stored as the token lists
(JSON), so loading rebuilds the sparse weight matrix in milliseconds and nothing is unpickled.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from scipy import sparse


@dataclass
class LexicalIndex:
    chunk_ids: list[str] = field(default_factory=list)
    tokens: list[list[str]] = field(default_factory=list)
    k1: float = 1.2
    b: float = 0.75

    def __post_init__(self) -> None:
        self._build()

    def _build(self) -> None:
        self._pos = {cid: i for i, cid in enumerate(self.chunk_ids)}
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[float] = []
        lengths = np.array([len(t) for t in self.tokens], dtype=np.float64)
        for d, toks in enumerate(self.tokens):
            for term, tf in Counter(toks).items():
                rows.append(vocab.setdefault(term, len(vocab)))
                cols.append(d)
                tfs.append(tf)
        self._vocab = vocab
        n = len(self.tokens)
        if not n or not vocab:
            self._matrix = sparse.csr_matrix((len(vocab), n), dtype=np.float32)
            return
        avgdl = float(lengths.mean()) or 1.0
        rows_a = np.asarray(rows)
        cols_a = np.asarray(cols)
        tf_a = np.asarray(tfs, dtype=np.float64)
        df = np.bincount(rows_a, minlength=len(vocab)).astype(np.float64)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        norm = tf_a + self.k1 * (1.0 - self.b + self.b * lengths[cols_a] / avgdl)
        weights = idf[rows_a] * tf_a * (self.k1 + 1.0) / norm
        self._matrix = sparse.csr_matrix(
            (weights.astype(np.float32), (rows_a, cols_a)), shape=(len(vocab), n)
        )

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def scores(self, query_tokens: Iterable[str]) -> np.ndarray:
        """BM25 score of every chunk (0 where no query term occurs)."""
        ids = sorted({self._vocab[t] for t in query_tokens if t in self._vocab})
        if not ids:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self._matrix[ids].sum(axis=0)).ravel()

    def search(
        self, query_tokens: Sequence[str], k: int = 10, allowed: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """Top-k (chunk_id, score) with score > 0, restricted to `allowed` chunk ids if given."""
        s = self.scores(query_tokens)
        if allowed is not None:
            mask = np.zeros(len(s), dtype=bool)
            for cid in allowed:
                i = self._pos.get(cid)
                if i is not None:
                    mask[i] = True
            s = np.where(mask, s, 0.0)
        nz = np.flatnonzero(s > 0)
        if not len(nz):
            return []
        top = nz[np.argsort(-s[nz], kind="stable")[:k]]
        return [(self.chunk_ids[i], float(s[i])) for i in top]

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"k1": self.k1, "b": self.b, "chunk_ids": self.chunk_ids, "tokens": self.tokens},
                      f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> "LexicalIndex":
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return cls(data["chunk_ids"], data["tokens"], data.get("k1", 1.2), data.get("b", 0.75))
