"""BM25 over pre-tokenised chunks (the tokenizer is pluggable: see rag.japanese.tokenize).

Kept beside the Chroma collection of the same index generation. Three fields, each its own BM25
matrix:

* ``words``: the tokens themselves;
* ``pairs``: adjacent token pairs ("企業 評価"), a cheap phrase/proximity signal that separates
  paragraphs of one article sharing the same words in another order;
* ``chars``: character bigrams of the chunk texts (rag.japanese.char_bigrams).
Query terms are in the field's own vocabulary: tokens, `token_pairs(tokens)`, `char_bigrams(q)`.

Two ways to get one: an index run writes the three fields as postings with their weights
(rag.index.postings, the `lexical/` folder of a generation) and `LexicalIndex.open` maps them:
nothing is rebuilt when a reader loads it. Built in memory from token lists (`LexicalIndex(ids,
tokens, texts=…)`, and `load` of a `lexical.json` of token lists, the format of generations
written before the postings), the "pairs" and "chars" matrices are built on first use, "chars"
from the texts given (without texts the field matches nothing).

k1/b are scoring parameters, not part of the stored index (changing them needs no re-index:
postings written with other k1/b are rebuilt in memory from their stored tokens).
k1 = 0.3 (term presence matters more than repetition): on JSQuAD v1.3 validation (1,145
paragraphs, 4,442 questions) BM25 alone gives R@1 0.893 at k1=1.2, 0.902 at 0.9, 0.909 at 0.3,
and the hybrid retriever 0.909 → 0.920; b (0.3 … 0.9) moved R@1 by < 0.003 and stays at 0.75.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from rag.index.postings import FIELDS, MappedField, PostingsBuilder, StoredPostings, bm25_weights, token_pairs
from rag.ingest import char_bigrams

K1 = 0.3
B = 0.75

__all__ = ["B", "FIELDS", "K1", "LexicalIndex", "PostingsBuilder", "token_pairs"]


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
        rows_a = np.asarray(rows)
        cols_a = np.asarray(cols)
        weights, self.df = bm25_weights(rows_a, cols_a, np.asarray(tfs, dtype=np.float64), lengths, len(vocab), k1, b)
        self.matrix = sparse.csr_matrix((weights, (rows_a, cols_a)), shape=(len(vocab), n))

    def scores(self, terms: Iterable[str]) -> np.ndarray:
        ids = sorted({self.vocab[t] for t in terms if t in self.vocab})
        if not ids:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.matrix[ids].sum(axis=0)).ravel()


class LexicalIndex:
    """The BM25 fields of one index generation, in chunk_ids order."""

    def __init__(
        self,
        chunk_ids: Sequence[str] = (),
        tokens: Sequence[Sequence[str]] = (),
        k1: float = K1,
        b: float = B,
        texts: Sequence[str] | None = None,  # chunk texts in chunk_ids order (the "chars" field)
    ):
        self.chunk_ids = list(chunk_ids)
        self._tokens = [list(t) for t in tokens]
        self.k1 = k1
        self.b = b
        self.texts = list(texts) if texts is not None else None
        self._stored: StoredPostings | None = None
        self._pos_map: dict[str, int] | None = None
        self._fields: dict[str, _Bm25Field | MappedField] = {"words": _Bm25Field(self._tokens, k1, b)}
        self._lock = threading.Lock()

    @classmethod
    def open(cls, folder: Path, texts: Mapping[str, str] | None = None, k1: float = K1, b: float = B) -> LexicalIndex:
        """The postings an index run wrote (rag.index.postings), mapped from disk. Written with
        other k1/b, they are rebuilt in memory from their tokens (and `texts`, for "chars")."""
        stored = StoredPostings(folder)
        if (stored.k1, stored.b) != (k1, b):
            ids = stored.chunk_ids
            toks = [stored.tokens_of(i) for i in range(len(ids))]
            return cls(ids, toks, k1, b, [texts.get(c, "") for c in ids] if texts is not None else None)
        self = cls.__new__(cls)
        self.chunk_ids = stored.chunk_ids
        self._tokens = []
        self.k1, self.b, self.texts = k1, b, None
        self._stored = stored
        self._pos_map = None
        self._fields = {f: stored.field(f) for f in FIELDS}
        self._lock = threading.Lock()
        return self

    @property
    def tokens(self) -> list[list[str]]:
        """Every chunk's word tokens (materialised from disk for opened postings: the export path)."""
        if self._stored is not None:
            return [self._stored.tokens_of(i) for i in range(len(self.chunk_ids))]
        return self._tokens

    def tokens_of(self, i: int) -> list[str]:
        """The word tokens of the i-th chunk."""
        return self._stored.tokens_of(i) if self._stored is not None else self._tokens[i]

    @property
    def _pos(self) -> dict[str, int]:
        if self._pos_map is None:
            self._pos_map = {cid: i for i, cid in enumerate(self.chunk_ids)}
        return self._pos_map

    def _field(self, name: str) -> _Bm25Field | MappedField:
        got = self._fields.get(name)
        if got is None:
            if name not in FIELDS:
                raise ValueError(f"unknown lexical field {name!r} (one of {FIELDS})")
            with self._lock:
                got = self._fields.get(name)
                if got is None:
                    if name == "pairs":
                        docs = [token_pairs(t) for t in self._tokens]
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
        df = f.df
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        if isinstance(f, MappedField):
            assert self._stored is not None
            return dict(zip(self._stored.terms, idf.tolist()))
        return {t: float(idf[i]) for t, i in f.vocab.items()}

    def scores(self, query_terms: Iterable[str], field: str = "words") -> np.ndarray:
        """BM25 score of every chunk for terms of `field` (0 where no query term occurs)."""
        return self._field(field).scores(query_terms)

    def search(
        self, query_terms: Sequence[str], k: int = 10, allowed: Set[str] | None = None, field: str = "words"
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
            json.dump(self.token_data(), f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def token_data(self) -> dict[str, Any]:
        """{"chunk_ids", "tokens"}: the token-list form (lexical.json; a Chroma server's copy)."""
        return {"chunk_ids": self.chunk_ids, "tokens": self.tokens}

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
