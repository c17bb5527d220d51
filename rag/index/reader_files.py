"""What an index run writes for readers beside the Chroma collection, and how a reader loads it.

A generation directory holds, in one chunk order (in server mode too: the indexer uploads these
files to the Chroma server and replicas download them, rag.index.remote_files):

    chunks.jsonl     one line per chunk: {"id", "doc", "text", "meta"}: the embedded text, the key
                     of its document's shared metadata and its own (heading path, lines, order, kind,
                     tokens)
    documents.json   {doc key (the uid): the metadata every chunk of that document shares} (facets,
                     doc_id, title, source, the flattened front matter)
    vectors.f32      the unit-length vectors, float32 rows (vectors.json: {"rows", "dim"})
    lexical/         the BM25 postings (rag.index.postings)

so a reader (rag.index.library) loads a generation without asking Chroma for every record: at
100,000 chunks `collection.get` of the texts and metadata took minutes and several GB (each of the
~90 metadata keys of a chunk is a row of Chroma's metadata table), while these files load in
seconds and the vectors are mapped, not copied. The chunk metadata a reader holds is a
`ChunkMeta`: the chunk's few own keys over its document's shared dict (one per document, not one
copy per chunk), read like the dict Chroma returns.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.index.postings import PostingsBuilder
from rag.index.postings_carry import write_carried

CHUNK_KEYS = ("heading_path", "heading_json", "start_line", "end_line", "order", "kind", "n_tokens")
"""Metadata keys that differ between the chunks of one document (rag.index.store.chunk_metadata)."""
FILES = ("chunks.jsonl", "documents.json", "vectors.f32", "vectors.json")
_MISSING = object()


class ChunkMeta(Mapping[str, Any]):
    """A chunk's metadata: its own keys over its document's shared ones (read-only)."""

    __slots__ = ("_doc", "_own")

    def __init__(self, own: dict[str, Any], doc: dict[str, Any]):
        self._own = own
        self._doc = doc

    def __getitem__(self, key: str) -> Any:
        v = self._own.get(key, _MISSING)
        return self._doc[key] if v is _MISSING else v

    def get(self, key: str, default: Any = None) -> Any:
        v = self._own.get(key, _MISSING)
        return self._doc.get(key, default) if v is _MISSING else v

    def __contains__(self, key: object) -> bool:
        return key in self._own or key in self._doc

    def __iter__(self) -> Iterator[str]:
        own = self._own
        yield from (k for k in self._doc if k not in own)  # the document's keys first, as stored
        yield from own

    def __len__(self) -> int:
        return len(self._own) + sum(1 for k in self._doc if k not in self._own)

    def __repr__(self) -> str:
        return f"ChunkMeta({dict(self)!r})"


def split_meta(meta: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the chunk's own keys, the document's shared keys) of one chunk's metadata."""
    own = {k: meta[k] for k in CHUNK_KEYS if k in meta}
    return own, {k: v for k, v in meta.items() if k not in own}


def _doc_key(docs: dict[str, dict[str, Any]], cid: str, shared: dict[str, Any]) -> str:
    """The key of `shared` in `docs`: the uid, shared by the chunks of one document (a chunk whose
    document keys differ from those of its document's first chunk keeps its own; never seen)."""
    uid = str(shared.get("uid") or shared.get("doc_id") or "")
    doc = docs.setdefault(uid, shared)
    if doc is shared or doc == shared:
        return uid
    docs[f"{uid}\x00{cid}"] = shared
    return f"{uid}\x00{cid}"


def share_metas(ids: Sequence[str], metas: Sequence[Mapping[str, Any]]) -> dict[str, ChunkMeta]:
    """{chunk id: ChunkMeta}, one shared dict per document."""
    docs: dict[str, dict[str, Any]] = {}
    out: dict[str, ChunkMeta] = {}
    for cid, m in zip(ids, metas):
        own, shared = split_meta(m or {})
        out[cid] = ChunkMeta(own, docs[_doc_key(docs, cid, shared)])
    return out


class ReaderFilesWriter:
    """Collects every chunk of a run (in store order) into the reader files and the postings.

    `carry_from`: the previous generation's `lexical/` folder, whose postings the chunks added with
    `tokens=None` keep (rag.index.postings_carry); those come first, in that folder's order."""

    def __init__(self, gdir: Path, carry_from: Path | None = None):
        self.gdir = gdir
        self.lexical = PostingsBuilder()  # the chunks with tokens only, when carrying
        self.carry_from = carry_from
        self.carried: list[str] = []
        self._docs: dict[str, dict[str, Any]] = {}
        self._rows = 0
        self._dim = 0
        self._chunks = open(gdir / "chunks.jsonl", "w", encoding="utf-8")  # noqa: SIM115
        self._vectors = open(gdir / "vectors.f32", "wb")  # noqa: SIM115

    def add(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        texts: Sequence[str],
        metas: Sequence[Mapping[str, Any]],
        tokens: Sequence[Sequence[str]] | None,
    ) -> None:
        if tokens is None:
            if self.carry_from is None or len(self.lexical):
                raise ValueError("chunks without tokens are carried postings: first, and with carry_from")
            self.carried += ids
        else:
            for cid, text, toks in zip(ids, texts, tokens):
                self.lexical.add(cid, toks, text)
        lines = []
        for cid, text, meta in zip(ids, texts, metas):
            own, shared = split_meta(meta)
            key = _doc_key(self._docs, cid, shared)
            lines.append(json.dumps({"id": cid, "doc": key, "text": text, "meta": own}, ensure_ascii=False) + "\n")
        self._chunks.writelines(lines)
        v = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1)
        v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        self._vectors.write(np.ascontiguousarray(v, dtype=np.float32).tobytes())
        self._rows += len(ids)
        self._dim = v.shape[1] if len(ids) else self._dim

    def finish(self, k1: float, b: float) -> None:
        """Write the postings and close the files (fsynced; the caller publishes afterwards).
        Raises CarryError where the previous postings cannot be carried."""
        if self.carry_from is not None and self.carried:
            write_carried(self.gdir / "lexical", self.carry_from, self.carried, self.lexical, k1, b)
        else:
            self.lexical.write(self.gdir / "lexical", k1, b)
        for f in (self._chunks, self._vectors):
            f.flush()
            os.fsync(f.fileno())
            f.close()
        for name, data in (("documents.json", self._docs), ("vectors.json", {"rows": self._rows, "dim": self._dim})):
            with open(self.gdir / name, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())

    def __len__(self) -> int:
        """Chunks added."""
        return self._rows

    def close(self) -> None:
        for f in (self._chunks, self._vectors):
            if not f.closed:
                f.close()


def has_reader_files(gdir: Path) -> bool:
    return all((gdir / f).is_file() for f in FILES)


def read_documents(gdir: Path) -> dict[str, dict[str, Any]]:
    """documents.json: {doc key: the metadata its chunks share}."""
    return json.loads((gdir / "documents.json").read_text(encoding="utf-8"))


def map_vectors(gdir: Path) -> np.ndarray:
    """vectors.f32 mapped read-only, (rows, dim) as vectors.json gives them."""
    shape = json.loads((gdir / "vectors.json").read_text(encoding="utf-8"))
    rows, dim = int(shape["rows"]), int(shape["dim"])
    if not rows:
        return np.zeros((0, dim), np.float32)
    return np.memmap(gdir / "vectors.f32", dtype=np.float32, mode="r", shape=(rows, dim))


def read_reader_files(gdir: Path) -> tuple[list[str], dict[str, str], dict[str, ChunkMeta], np.ndarray] | None:
    """(chunk ids, texts, metadata, vectors mapped read-only) of a local generation; None for a
    generation written before these files (read from Chroma instead)."""
    if not has_reader_files(gdir):
        return None
    docs = read_documents(gdir)
    ids: list[str] = []
    texts: dict[str, str] = {}
    metas: dict[str, ChunkMeta] = {}
    empty: dict[str, Any] = {}
    with open(gdir / "chunks.jsonl", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            cid = rec["id"]
            ids.append(cid)
            texts[cid] = rec["text"]
            metas[cid] = ChunkMeta(rec["meta"], docs.get(rec["doc"], empty))
    vectors = map_vectors(gdir)
    if len(vectors) != len(ids):
        raise RuntimeError(f"{gdir}: {len(vectors)} vectors for {len(ids)} chunks")
    return ids, texts, metas, vectors
