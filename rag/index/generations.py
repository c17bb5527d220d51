"""Index generations: a pointer file names the complete, current generation.

A writer builds generation n+1 in its own directory (and, in server mode, its own collection),
then replaces the pointer atomically (in server mode, first the server's: rag.index.remote_state).
A run killed at any moment leaves the pointer at the last complete generation, which stays
readable; the next run deletes the leftovers.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.index.remote_state import publish_remote
from rag.index.store import server_collection_name

POINTER = "CURRENT.json"


def gen_dir(data_dir: Path, generation: int) -> Path:
    return data_dir / "generations" / f"g{generation:06d}"


def write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


@dataclass(frozen=True)
class Pointer:
    generation: int
    embedder: str
    chroma_url: str | None

    @property
    def as_dict(self) -> dict[str, Any]:
        return {"generation": self.generation, "embedder": self.embedder, "chroma_url": self.chroma_url}


def read_pointer(data_dir: Path) -> Pointer | None:
    try:
        d = json.loads((data_dir / POINTER).read_text(encoding="utf-8"))
        return Pointer(int(d["generation"]), str(d["embedder"]), d.get("chroma_url"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def pointer_stamp(data_dir: Path) -> tuple[int, int] | None:
    """Cheap change detector for readers (inode + mtime of the pointer file)."""
    try:
        st = os.stat(data_dir / POINTER)
        return (st.st_ino, st.st_mtime_ns)
    except OSError:
        return None


def publish(data_dir: Path, pointer: Pointer) -> None:
    """Make `pointer.generation` current: in server mode first on the server (its state uploaded,
    then the server's pointer moved: what replicas follow), then in the local pointer file."""
    if pointer.chroma_url:
        publish_remote(
            pointer.chroma_url,
            pointer.generation,
            pointer.embedder,
            server_collection_name(data_dir, pointer.generation),
            gen_dir(data_dir, pointer.generation),
        )
    write_json_atomic(data_dir / POINTER, pointer.as_dict)


@contextlib.contextmanager
def writer_lock(data_dir: Path) -> Iterator[None]:
    """One index writer per data directory at a time (others wait)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "index.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def existing_generations(data_dir: Path) -> list[int]:
    root = data_dir / "generations"
    out = []
    if root.is_dir():
        for p in root.iterdir():
            if p.name.startswith("g") and p.name[1:].isdigit():
                out.append(int(p.name[1:]))
    return sorted(out)


def collect_garbage(data_dir: Path, keep: set[int]) -> list[int]:
    """Delete generation directories not in `keep` (the current one and its predecessor)."""
    removed = []
    for g in existing_generations(data_dir):
        if g not in keep:
            shutil.rmtree(gen_dir(data_dir, g), ignore_errors=True)
            removed.append(g)
    return removed
