"""A generation's reader files, stored in its state collection on the Chroma server and fetched by
replicas into their own data directory.

The writer uploads the files a local reader opens (rag.index.reader_files: chunks.jsonl,
documents.json, vectors.f32/json; the BM25 postings in lexical/; manifest.json), so a replica opens
a generation exactly like a local one: texts and metadata from the chunk file, the vectors mapped,
the postings mapped. Reading the generation back record by record from Chroma instead
(`collection.get` of every chunk's text, ~90 metadata keys and vector) took 9.1 s and 2.5 GB at
20,000 chunks and grew with the library.

Records of the state collection (`casebook_state-<tag>-gNNNNNN`):

    "fNNN:PPPPPP"   part PPPPPP of file NNN: metadata {"kind": "part", "file", "part", "data"}, where
                    data is base64 of the zlib-compressed bytes (at most PART_BYTES before
                    compression). In metadata, not as the record's document: Chroma indexes every
                    document for full-text search (trigrams), which made uploads ~15× slower.
    "files"         written last: metadata {"kind": "files", "format", "index"}; index is the JSON
                    list of [relative path, size, sha256, parts] of every file.

A replica downloads the parts into a temporary folder beside `<data dir>/replica/<state name>/`,
checks every file's size and sha256, and renames the folder into place (a folder there is complete).
A missing or corrupted part is an error naming the file, never a silently different index.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rag.index.postings import is_writer_part

FORMAT = 1
PART_BYTES = 1 << 20  # file bytes per stored part (before compression)
PARTS_PER_REQUEST = 4  # parts per add / get request (bounded request size: ≤ ~6 MB)
FETCH_THREADS = 4  # parallel get requests of a download
INDEX_ID = "files"
READER_FILES = ("manifest.json", "chunks.jsonl", "documents.json", "vectors.f32", "vectors.json")


class RemoteFilesError(RuntimeError):
    """A generation's files on the server are incomplete or do not match their checksums."""


def generation_files(gen_dir: Path) -> list[str]:
    """Relative paths of the files a reader needs from a generation directory (all must exist)."""
    lexical = gen_dir / "lexical"
    paths = [
        *READER_FILES,
        *(f"lexical/{p.name}" for p in sorted(lexical.iterdir()) if p.is_file() and not is_writer_part(p.name)),
    ]
    missing = [p for p in paths if not (gen_dir / p).is_file()]
    if missing or not lexical.is_dir():
        raise FileNotFoundError(f"{gen_dir}: reader files missing: {', '.join(missing) or 'lexical/'}")
    return paths


def _part_id(file_no: int, part: int) -> str:
    return f"f{file_no:03d}:{part:06d}"


def _parts(path: Path) -> Iterable[bytes]:
    with open(path, "rb") as f:
        while block := f.read(PART_BYTES):
            yield block


def upload_files(coll: Any, gen_dir: Path) -> int:
    """Store every reader file of `gen_dir` in `coll` (an empty collection), the index record
    last; returns the number of records written."""
    index = []
    pending: list[tuple[str, dict[str, Any]]] = []

    def flush() -> None:
        if pending:
            coll.add(
                ids=[i for i, _ in pending],
                metadatas=[m for _, m in pending],
                embeddings=[[float(n), 1.0] for n in range(len(pending))],
            )
            pending.clear()

    records = 0
    for file_no, rel in enumerate(generation_files(gen_dir)):
        h = hashlib.sha256()
        size = parts = 0
        for block in _parts(gen_dir / rel):
            h.update(block)
            size += len(block)
            data = base64.b64encode(zlib.compress(block, 1)).decode("ascii")
            pending.append((_part_id(file_no, parts), {"kind": "part", "file": file_no, "part": parts, "data": data}))
            parts += 1
            if len(pending) >= PARTS_PER_REQUEST:
                flush()
        index.append([rel, size, h.hexdigest(), parts])
        records += parts
    flush()
    meta = {"kind": "files", "format": FORMAT, "index": json.dumps(index, ensure_ascii=False)}
    coll.add(ids=[INDEX_ID], metadatas=[meta], embeddings=[[0.0, 1.0]])
    return records + 1


def read_index(coll: Any) -> list[tuple[str, int, str, int]] | None:
    """[(relative path, size, sha256, parts)] of a state collection; None if it holds no files
    (a generation published before them: lexical token lists and manifest as texts)."""
    got = coll.get(ids=[INDEX_ID], include=["metadatas"])
    if not got["ids"]:
        return None
    meta = got["metadatas"][0] or {}
    if meta.get("format") != FORMAT:
        raise RemoteFilesError(f"files of format {meta.get('format')!r}, this version reads {FORMAT}")
    return [(str(p), int(s), str(h), int(n)) for p, s, h, n in json.loads(meta["index"])]


def fetch_files(coll: Any, index: list[tuple[str, int, str, int]], root: Path, name: str) -> Path:
    """`root/name`: the files of `index` downloaded from `coll` and verified (downloaded once: an
    existing folder is complete, it was renamed into place after its checks)."""
    final = root / name
    if final.is_dir():
        return final
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for file_no, (rel, size, sha, parts) in enumerate(index):
            _fetch_one(coll, file_no, rel, size, sha, parts, tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():  # not another process of this data dir that fetched it first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _fsync_dir(root)
    return final


def _fetch_one(coll: Any, file_no: int, rel: str, size: int, sha: str, parts: int, tmp: Path) -> None:
    if Path(rel).is_absolute() or ".." in Path(rel).parts:
        raise RemoteFilesError(f"unexpected file name {rel!r}")
    path = tmp / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    ids = [_part_id(file_no, p) for p in range(parts)]
    batches = [ids[s : s + PARTS_PER_REQUEST] for s in range(0, len(ids), PARTS_PER_REQUEST)]
    h = hashlib.sha256()
    written = 0

    def get(batch: list[str]) -> list[bytes]:
        got = coll.get(ids=batch, include=["metadatas"])
        by_id = dict(zip(got["ids"], got["metadatas"]))
        out = []
        for pid in batch:
            meta = by_id.get(pid)
            if not meta or "data" not in meta:
                raise RemoteFilesError(f"{rel}: part {pid} is missing on the server")
            try:
                out.append(zlib.decompress(base64.b64decode(meta["data"], validate=True)))
            except (ValueError, zlib.error) as e:
                raise RemoteFilesError(f"{rel}: part {pid} is corrupted ({e})") from e
        return out

    with open(path, "wb") as f, ThreadPoolExecutor(FETCH_THREADS) as pool:
        for w in range(0, len(batches), FETCH_THREADS):  # in order, FETCH_THREADS requests at a time
            for blocks in pool.map(get, batches[w : w + FETCH_THREADS]):
                for block in blocks:
                    h.update(block)
                    written += len(block)
                    f.write(block)
        f.flush()
        os.fsync(f.fileno())
    if written != size or h.hexdigest() != sha:
        raise RemoteFilesError(
            f"{rel}: {written} bytes with sha256 {h.hexdigest()[:12]}…, expected {size} bytes "
            f"with {sha[:12]}… (a corrupted or foreign part on the server)"
        )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prune(root: Path, keep: set[str]) -> list[str]:
    """Remove the downloaded generations of `root` not named in `keep` (and stale temp folders of
    this process); returns the names removed."""
    removed = []
    if not root.is_dir():
        return removed
    for p in root.iterdir():
        stale_tmp = p.name.startswith(".tmp-") and p.name.endswith(f"-{os.getpid()}")
        if p.is_dir() and (stale_tmp or (not p.name.startswith(".") and p.name not in keep)):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
    return removed
