"""Incremental index runs: load → chunk → embed → Chroma + BM25, published as a new generation.

Unchanged files (same content hash) keep their chunks, vectors and tokens, copied from the previous
generation without re-embedding; changed files are re-chunked; deleted files disappear. Nothing is
published until the new generation is complete (see rag.generations).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import Settings
from rag.index import generations as gens
from rag.index.carry import carried_records, close_store, open_store_from_copy
from rag.index.embeddings import ChromaEmbeddingFunction, embedder_name, get_index_embedder
from rag.index.lexical import K1, B
from rag.index.postings_carry import CarryError, can_carry
from rag.index.reader_files import ReaderFilesWriter, has_reader_files
from rag.index.store import VectorStore, chunk_metadata, drop_generation
from rag.ingest import (
    FACETS_VERSION,
    PACKAGED_MAPPING,
    FacetMapping,
    chunk_document,
    chunking,
    iter_library,
    japanese,
    load_document,
    profile_chunk,
    tokenize,
)
from rag.schema import Chunk, Document, LoadError, LoadIssue

INDEX_FORMAT = 1
Progress = Callable[[str, int, int], None]  # (message, done, total)
EmbedProgress = Callable[[int, int], None]  # (chunks embedded, chunks to embed)
EmbedChunks = Callable[[Any, list[Chunk], EmbedProgress | None], np.ndarray]  # (embedder, chunks, progress)
EMBED_BATCH = 32  # chunks per embed_passages call: progress granularity, bounded activations
WINDOW_CHUNKS = 512  # new chunks held in memory at once (files are embedded and stored by windows)


@dataclass
class IndexReport:
    generation: int = 0
    files: int = 0  # supported files found
    indexed: int = 0  # new or changed files (re)indexed
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    chunks: int = 0  # chunks in the published generation
    embedded: int = 0  # chunks embedded in this run
    documents: int = 0
    errors: list[LoadIssue] = field(default_factory=list)
    warnings: list[LoadIssue] = field(default_factory=list)
    seconds: float = 0.0
    published: bool = False
    rebuilt: bool = False
    copied_store: bool = False  # the Chroma collection began as a copy of the previous one
    carried_postings: bool = False  # the BM25 postings were carried, not rebuilt from tokens

    def lines(self) -> list[str]:
        out = [
            f"generation {self.generation}: {self.documents} documents, {self.chunks} chunks "
            f"({self.files} files: {self.indexed} indexed, {self.unchanged} unchanged, "
            f"{self.removed} removed, {self.failed} failed; {self.embedded} chunks embedded) "
            f"in {self.seconds:.2f} s"
        ]
        out += [f"error: {_one_line(e)}" for e in self.errors]
        out += [f"warning: {_one_line(w)}" for w in self.warnings]
        return out


def _one_line(issue: LoadIssue) -> str:
    return str(issue).replace("\n", "\\n").replace("\r", "\\r")


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _pipeline_signature(settings: Settings, embedder_name: str) -> str:
    # the packaged mapping lives in rag/ingest: an edit to it must re-index (it was looked for here)
    mapping_src = Path(settings.facets_file) if settings.facets_file else PACKAGED_MAPPING
    mapping_hash = file_hash(mapping_src)[:12] if mapping_src and mapping_src.exists() else "none"
    return "|".join(
        [
            f"format{INDEX_FORMAT}",
            embedder_name,
            f"chunk{getattr(chunking, 'VERSION', 1)}",
            f"tok{getattr(japanese, 'VERSION', 1)}",
            f"facets{FACETS_VERSION}-{mapping_hash}",
        ]
    )


def load_manifest(data_dir: Path, generation: int) -> dict[str, Any] | None:
    try:
        return json.loads((gens.gen_dir(data_dir, generation) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def library_files(settings: Settings, roots: list[Path]) -> list[Path]:
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    return iter_library([*roots, settings.uploads_dir])


def index_library(
    settings: Settings,
    paths: list[Path] | None = None,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    embed_progress: EmbedProgress | None = None,
    embed_chunks: EmbedChunks | None = None,
) -> IndexReport:
    """Bring the index in line with the library folders; returns what was done.

    `progress(file name, files done, files)` while files are read and chunked; then
    `embed_progress(chunks embedded, chunks)` while the new chunks are embedded (without it, that
    phase is reported through `progress("embedding chunks", done, total)`). `embed_chunks`
    replaces `embed_sorted` as the source of the new chunks' vectors (eval.bench_scale gives the
    copies of a synthetic library their source chunks' vectors)."""
    t0 = time.perf_counter()
    with gens.writer_lock(settings.data_dir):
        try:
            report = _index_locked(settings, paths, rebuild, progress, embed_progress, embed_chunks)
        except CarryError:  # a hash the carried postings cannot take: build them from tokens instead
            report = _index_locked(settings, paths, rebuild, progress, embed_progress, embed_chunks, False)
    report.seconds = time.perf_counter() - t0
    return report


@dataclass
class _Plan:
    """What an index run starts from: the previous generation, the library's files and their hashes,
    and which of them are unchanged (kept), failed unchanged (kept errors) or to be (re)read."""

    old_gen: int
    roots: list[Path]
    hashes: dict[str, str]
    bad_names: int
    signature: str
    usable_old: bool
    old_files: dict[str, Any]
    keep: dict[str, Any]
    keep_errors: dict[str, Any]
    todo: list[str]
    roots_changed: bool


def _hash_files(files: list[Path], report: IndexReport) -> tuple[dict[str, str], int]:
    """Content hashes of the readable files; unreadable ones and names that are not UTF-8 are reported."""
    hashes: dict[str, str] = {}
    bad_names = 0
    for p in files:
        try:
            str(p).encode("utf-8")
        except UnicodeEncodeError:
            name = os.fsencode(p).decode("utf-8", "backslashreplace")
            report.errors.append(LoadIssue(name, None, "file name is not valid UTF-8: rename the file", "error"))
            bad_names += 1
            continue
        try:
            hashes[str(p.resolve())] = file_hash(p)
        except OSError as e:
            report.errors.append(LoadIssue(str(p), None, f"cannot read file: {e.strerror or e}", "error"))
    return hashes, bad_names


def _plan(settings: Settings, paths: list[Path] | None, rebuild: bool, report: IndexReport) -> _Plan:
    pointer = gens.read_pointer(settings.data_dir)
    old_gen = pointer.generation if pointer else 0
    old = load_manifest(settings.data_dir, old_gen) if pointer else None
    if paths:
        roots = [Path(p).resolve() for p in paths]
    elif old and old.get("roots"):
        roots = [Path(p) for p in old["roots"]]
    else:
        roots = [Path(p).resolve() for p in settings.library]
    files = library_files(settings, roots)
    report.files = len(files)
    hashes, bad_names = _hash_files(files, report)
    # The model is loaded only when there is something to embed: a no-change run stays instant
    # whatever the engine's load time (ONNX ~1 s, sentence-transformers 4–18 s).
    signature = _pipeline_signature(settings, embedder_name(settings))
    usable_old = (
        old is not None
        and not rebuild
        and old.get("signature") == signature
        and pointer is not None
        and pointer.chroma_url == settings.chroma_url
    )
    old_files: dict[str, Any] = old["files"] if usable_old else {}
    old_errors: dict[str, Any] = old.get("errors", {}) if usable_old else {}
    keep = {k: v for k, v in old_files.items() if hashes.get(k) == v["hash"]}
    keep_errors = {k: v for k, v in old_errors.items() if hashes.get(k) == v["hash"]}
    plan = _Plan(
        old_gen,
        roots,
        hashes,
        bad_names,
        signature,
        usable_old,
        old_files,
        keep,
        keep_errors,
        [k for k in hashes if k not in keep and k not in keep_errors],
        bool(old) and [str(r) for r in roots] != old.get("roots"),
    )
    report.rebuilt = not usable_old
    report.unchanged = len(keep) + len(keep_errors)
    report.removed = len([k for k in list(old_files) + list(old_errors) if k not in hashes])
    for v in keep_errors.values():
        report.errors.append(LoadIssue(**v["issue"]))
    for v in keep.values():
        report.warnings += [LoadIssue(**i) for i in v.get("issues", [])]
    return plan


def _index_locked(
    settings: Settings,
    paths: list[Path] | None,
    rebuild: bool,
    progress: Progress | None,
    embed_progress: EmbedProgress | None = None,
    embed_chunks: EmbedChunks | None = None,
    carry_postings: bool = True,
) -> IndexReport:
    data_dir = settings.data_dir
    report = IndexReport()
    plan = _plan(settings, paths, rebuild, report)
    if plan.usable_old and not plan.todo and not report.removed and not plan.roots_changed:
        report.generation = plan.old_gen
        report.documents = len(plan.old_files)
        report.chunks = sum(len(v["chunk_ids"]) for v in plan.old_files.values())
        report.failed = len(plan.keep_errors)
        old_and_older = {g for g in gens.existing_generations(data_dir) if g <= plan.old_gen}
        gens.collect_garbage(data_dir, old_and_older)  # killed runs' leftovers
        return report

    embedder = get_index_embedder(settings, sum(_size(k) for k in plan.todo))
    new_gen = max([plan.old_gen, *gens.existing_generations(data_dir)]) + 1
    gdir = gens.gen_dir(data_dir, new_gen)
    shutil.rmtree(gdir, ignore_errors=True)  # leftovers of a killed run
    gdir.mkdir(parents=True)
    store, out = _carry_unchanged(
        settings, plan, new_gen, gdir, ChromaEmbeddingFunction(embedder), carry_postings, report
    )
    files_out, errors_out = _index_changed(
        settings, plan, embedder, store, out, report, progress, embed_progress, embed_chunks or embed_sorted
    )
    _check_duplicate_ids(files_out, report)
    out.finish(K1, B)
    gens.write_json_atomic(
        gdir / "manifest.json",
        {
            "generation": new_gen,
            "signature": plan.signature,
            "embedder": embedder.name,
            "roots": [str(r) for r in plan.roots],
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": files_out,
            "errors": errors_out,
        },
    )
    count = store.count()
    close_store(store)
    if count != len(out):
        raise RuntimeError(f"index generation {new_gen} has {count} vectors for {len(out)} chunks")
    gens.publish(data_dir, gens.Pointer(new_gen, embedder.name, settings.chroma_url))
    report.published = True
    for g in gens.existing_generations(data_dir):
        if g not in (new_gen, plan.old_gen):
            drop_generation(settings, g, gens.gen_dir(data_dir, g))
    gens.collect_garbage(data_dir, {new_gen, plan.old_gen})
    report.generation = new_gen
    report.documents = len(files_out)
    report.chunks = len(out)
    report.failed = len(errors_out) + plan.bad_names
    return report


def _carry_unchanged(
    settings: Settings,
    plan: _Plan,
    new_gen: int,
    gdir: Path,
    ef: ChromaEmbeddingFunction,
    carry_postings: bool,
    report: IndexReport,
) -> tuple[Any, ReaderFilesWriter]:
    """The new generation's store and reader files, holding the unchanged files' chunks (rag.index.carry):
    in local mode the old collection is copied and the changed files' chunks deleted from the copy, not
    re-inserted; the BM25 postings are carried in bulk (rag.index.postings_carry)."""
    carry = [cid for v in plan.keep.values() for cid in v["chunk_ids"]]
    old_dir = gens.gen_dir(settings.data_dir, plan.old_gen)
    from_files = bool(carry) and has_reader_files(old_dir)
    carry_lex = carry_postings and from_files and can_carry(old_dir / "lexical")
    # in server mode too: uploaded for replicas (rag.index.remote_files)
    out = ReaderFilesWriter(gdir, carry_from=old_dir / "lexical" if carry_lex else None)
    store = None
    if carry:
        carry_set = set(carry)
        stale = [cid for v in plan.old_files.values() for cid in v["chunk_ids"] if cid not in carry_set]
        store = open_store_from_copy(settings, new_gen, old_dir, gdir, ef, stale, len(carry))
    copied = report.copied_store = store is not None
    report.carried_postings = carry_lex
    if store is None:
        store = VectorStore(settings, new_gen, gdir, ef, create=True)
    if carry:
        old_store = None if from_files else VectorStore(settings, plan.old_gen, old_dir, ef)
        for ids, vecs, texts, metas, toks in carried_records(old_dir, carry, old_store, with_tokens=not carry_lex):
            if not copied:
                store.add(ids, vecs, texts, metas)
            out.add(ids, vecs, texts, metas, toks)
        if old_store is not None:
            close_store(old_store)
    return store, out


def _index_changed(
    settings: Settings,
    plan: _Plan,
    embedder: Any,
    store: Any,
    out: ReaderFilesWriter,
    report: IndexReport,
    progress: Progress | None,
    embed_progress: EmbedProgress | None,
    embed_chunks: EmbedChunks,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load and chunk the new and changed files, embed their chunks in windows of about WINDOW_CHUNKS
    (shortest first inside a window: batches of similar lengths, no padding waste), and store them per
    file. The window bounds memory: documents and chunks are dropped once stored. Returns the
    manifest's files and errors (unchanged ones included)."""
    todo, hashes = plan.todo, plan.hashes
    mapping = FacetMapping.load(settings.facets_file)
    files_out: dict[str, Any] = dict(plan.keep)
    errors_out: dict[str, Any] = dict(plan.keep_errors)
    window: list[tuple[str, Document, list[Chunk]]] = []
    to_embed = embed_progress or _embed_to(progress)
    sizes = {k: _size(k) for k in todo}
    read = {"bytes": 0, "chunks": 0, "files": 0}

    def flush() -> None:
        chunks_in = [c for _, _, chunks in window for c in chunks]
        base = report.embedded
        # the run's chunk total, estimated from the bytes still to read at the chunks per byte seen so
        # far (exact in the last window): a progress bar keeps one total and a steady ETA across windows
        left = sum(sizes[k] for k in todo[read["files"] :])
        rate = read["chunks"] / read["bytes"] if read["bytes"] else 0.0
        total = base + len(chunks_in) + round(left * rate)
        step = (lambda d, t: to_embed(base + d, total)) if to_embed else None
        vectors = embed_chunks(embedder, chunks_in, step)
        report.embedded += len(chunks_in)
        at = 0
        for key, doc, chunks in window:
            texts = [c.text for c in chunks]
            vecs = vectors[at : at + len(chunks)]
            at += len(chunks)
            metas = [chunk_metadata(c, doc.facets, doc.uid, doc.source, doc.title) for c in chunks]
            chunk_ids = [c.chunk_id for c in chunks]
            store.add(chunk_ids, vecs, texts, metas)
            out.add(chunk_ids, vecs, texts, metas, [tokenize(t) for t in texts])
            report.indexed += 1
            report.warnings += doc.issues
            files_out[key] = {
                "hash": hashes[key],
                "doc_id": doc.doc_id,
                "uid": doc.uid,
                "title": doc.title,
                "encoding": doc.encoding,
                "chunk_ids": [c.chunk_id for c in chunks],
                "facets": doc.facets,
                "issues": [w.__dict__ for w in doc.issues],
            }
        window.clear()

    for i, key in enumerate(todo):
        if progress:
            progress(Path(key).name, i, len(todo))
        try:
            doc = load_document(Path(key), mapping=mapping, max_bytes=settings.max_file_bytes)
            window.append((key, doc, _chunks_for(doc, embedder, chunk_document, profile_chunk)))
            read["bytes"] += sizes[key]
            read["chunks"] += len(window[-1][2])
        except LoadError as e:
            errors_out[key] = {"hash": hashes[key], "issue": e.issue.__dict__}
            report.errors.append(e.issue)
        except Exception as e:  # a bug must not stop the other files
            issue = LoadIssue(key, None, f"could not be indexed: {type(e).__name__}: {e}", "error")
            errors_out[key] = {"hash": hashes[key], "issue": issue.__dict__}
            report.errors.append(issue)
        read["files"] = i + 1
        if sum(len(chunks) for _, _, chunks in window) >= WINDOW_CHUNKS:
            flush()
    if window:
        flush()
    if progress:
        progress("", len(todo), len(todo))
    return files_out, errors_out


def _size(key: str) -> int:
    try:
        return Path(key).stat().st_size
    except OSError:
        return 0


def _embed_to(progress: Progress | None) -> EmbedProgress | None:
    if progress is None:
        return None
    return lambda done, total: progress("embedding chunks", done, total)


def embed_sorted(embedder: Any, chunks: list[Chunk], progress: EmbedProgress | None = None) -> np.ndarray:
    """Vectors of `chunks` (in their order). Batches of `EMBED_BATCH` chunks of similar length (sorted
    by tokens: no padding waste in batching engines), taken alternately from the short and the long
    end, so the chunks/s rate and the ETA of a progress bar hold steady through the run."""
    out = np.zeros((len(chunks), embedder.dim), np.float32)
    order = sorted(range(len(chunks)), key=lambda i: (chunks[i].n_tokens or len(chunks[i].text), i))
    batches = [order[s : s + EMBED_BATCH] for s in range(0, len(order), EMBED_BATCH)]
    lo, hi, done = 0, len(batches) - 1, 0
    if progress:
        progress(0, len(chunks))
    for step in range(len(batches)):
        if step % 2 == 0:
            batch, lo = batches[lo], lo + 1
        else:
            batch, hi = batches[hi], hi - 1
        out[batch] = embedder.embed_passages([chunks[i].text for i in batch])
        done += len(batch)
        if progress:
            progress(done, len(chunks))
    return out


def _chunks_for(doc: Document, embedder: Any, chunk_document: Callable, profile_chunk: Callable) -> list[Chunk]:
    chunks = list(chunk_document(doc, embedder.count_tokens, max_tokens=embedder.max_tokens))
    prof = profile_chunk(doc, embedder.count_tokens, embedder.max_tokens)
    if prof:
        chunks += prof if isinstance(prof, list) else [prof]
    seen: set[str] = set()
    for c in chunks:
        if c.chunk_id in seen:
            raise RuntimeError(f"duplicate chunk id {c.chunk_id}")
        seen.add(c.chunk_id)
    return chunks


def _check_duplicate_ids(files: dict[str, Any], report: IndexReport) -> None:
    by_id: dict[str, list[str]] = {}
    for path, v in files.items():
        by_id.setdefault(v["doc_id"], []).append(path)
    for doc_id, paths in by_id.items():
        if len(paths) > 1:
            report.warnings.append(
                LoadIssue(
                    paths[1], None, f"duplicate doc_id {doc_id!r} (also in {paths[0]}); both kept, told apart by file"
                )
            )
