"""BM25 over pre-tokenised chunks (the tokenizer is pluggable: see rag.japanese.tokenize).

Kept beside the Chroma collection of the same index generation. Stored as the token lists
(JSON), so loading rebuilds the sparse weight matrix in milliseconds and nothing is unpickled.
Three fields, each its own BM25 matrix (the last two built on first use):

* ``words``: the tokens themselves;
* ``pairs``: adjacent token pairs ("企業 評価"), a cheap phrase/proximity signal that separates
  paragraphs of one article sharing the same words in another order;
* ``chars``: character bigrams of the chunk texts (rag.japanese.char_bigrams), given at load time
  from the same generation's stored texts (without texts the field matches nothing).
Query terms are in the field's own vocabulary: tokens, `token_pairs(tokens)`, `char_bigrams(q)`.

k1/b are scoring parameters, not part of the stored index (changing them needs no re-index).
k1 = 0.3 (term presence matters more than repetition): on JSQuAD v1.3 validation (1,145
paragraphs, 4,442 questions) BM25 alone gives R@1 0.893 at k1=1.2, 0.902 at 0.9, 0.909 at 0.3,
and the hybrid retriever 0.909 → 0.920; b (0.3 … 0.9) moved R@1 by < 0.003 and stays at 0.75.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from rag.ingest import char_bigrams

K1 = 0.3
B = 0.75
FIELDS = ("words", "pairs", "chars")
_PAIR_SEP = " "  # tokens never contain a space (the tokenizer splits at whitespace)


def token_pairs(tokens: Sequence[str]) -> list[str]:
    """Adjacent token pairs, in order: [a, b, c] → ["a b", "b c"]."""
    return [f"{a}{_PAIR_SEP}{b}" for a, b in zip(tokens, tokens[1:])]


class _Bm25Field:
    """Term × document BM25 weight matrix of one field."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float, b: float):
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[float] = []
        for d, toks in enumerate(docs):
            for term, tf in Counter(toks).items():
                rows.append(vocab.setdefault(term, len(vocab)))
                cols.append(d)
                tfs.append(tf)
        self.vocab = vocab
        n = len(docs)
        self.n_docs = n
        if not n or not vocab:
            self.matrix = sparse.csr_matrix((len(vocab), n), dtype=np.float32)
            self.df = np.zeros(len(vocab))
            return
        lengths = np.array([len(t) for t in docs], dtype=np.float64)
        avgdl = float(lengths.mean()) or 1.0
        rows_a = np.asarray(rows)
        cols_a = np.asarray(cols)
        tf_a = np.asarray(tfs, dtype=np.float64)
        self.df = np.bincount(rows_a, minlength=len(vocab)).astype(np.float64)
        idf = np.log(1.0 + (n - self.df + 0.5) / (self.df + 0.5))
        norm = tf_a + k1 * (1.0 - b + b * lengths[cols_a] / avgdl)
        weights = idf[rows_a] * tf_a * (k1 + 1.0) / norm
        self.matrix = sparse.csr_matrix((weights.astype(np.float32), (rows_a, cols_a)), shape=(len(vocab), n))

    def scores(self, terms: Iterable[str]) -> np.ndarray:
        ids = sorted({self.vocab[t] for t in terms if t in self.vocab})
        if not ids:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.matrix[ids].sum(axis=0)).ravel()


@dataclass
class LexicalIndex:
    chunk_ids: list[str] = field(default_factory=list)
    tokens: list[list[str]] = field(default_factory=list)
    k1: float = K1
    b: float = B
    texts: list[str] | None = None  # chunk texts in chunk_ids order (the "chars" field)

    def __post_init__(self) -> None:
        self._pos = {cid: i for i, cid in enumerate(self.chunk_ids)}
        self._fields: dict[str, _Bm25Field] = {"words": _Bm25Field(self.tokens, self.k1, self.b)}
        self._lock = threading.Lock()

    def _field(self, name: str) -> _Bm25Field:
        got = self._fields.get(name)
        if got is None:
            if name not in FIELDS:
                raise ValueError(f"unknown lexical field {name!r} (one of {FIELDS})")
            with self._lock:
                got = self._fields.get(name)
                if got is None:
                    if name == "pairs":
                        docs = [token_pairs(t) for t in self.tokens]
                    else:
                        docs = [char_bigrams(t) for t in self.texts] if self.texts is not None else []
                        if len(docs) != len(self.chunk_ids):
                            docs = [[] for _ in self.chunk_ids]
                    got = self._fields[name] = _Bm25Field(docs, self.k1, self.b)
        return got

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def idf(self) -> dict[str, float]:
        """{word: BM25 idf} of the words field."""
        f = self._fields["words"]
        n = max(f.n_docs, 1)
        return {t: float(np.log(1.0 + (n - f.df[i] + 0.5) / (f.df[i] + 0.5))) for t, i in f.vocab.items()}

    def scores(self, query_terms: Iterable[str], field: str = "words") -> np.ndarray:
        """BM25 score of every chunk for terms of `field` (0 where no query term occurs)."""
        return self._field(field).scores(query_terms)

    def search(
        self, query_terms: Sequence[str], k: int = 10, allowed: set[str] | None = None, field: str = "words"
    ) -> list[tuple[str, float]]:
        """Top-k (chunk_id, score) with score > 0, restricted to `allowed` chunk ids if given."""
        s = self.scores(query_terms, field)
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
            json.dump({"chunk_ids": self.chunk_ids, "tokens": self.tokens}, f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, texts: Mapping[str, str] | None = None, k1: float = K1, b: float = B) -> LexicalIndex:
        """The stored token lists, scored with k1/b (older files' stored k1/b are ignored);
        texts (chunk_id → text, e.g. the generation's Chroma documents) feed the "chars" field."""
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return cls.from_data(data, texts, k1, b)

    @classmethod
    def from_data(
        cls, data: Mapping[str, Any], texts: Mapping[str, str] | None = None, k1: float = K1, b: float = B
    ) -> LexicalIndex:
        """From the parsed content of a saved index (e.g. a Chroma server's copy: rag.index.remote_state)."""
        ids = data["chunk_ids"]
        tx = [texts.get(c, "") for c in ids] if texts is not None else None
        return cls(ids, data["tokens"], k1, b, tx)
