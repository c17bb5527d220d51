"""The two measured processes of the scale benchmark (eval.bench_scale), each run as its own
subprocess so its memory figures are its own:

* `build`: `index_library` over the synthetic library, for real except the embedding model: each
  new chunk gets the vector of its source chunk (same source document, kind and position; the
  copies differ from their source only in names and numbers), through `index_library`'s
  `embed_chunks` hook;
* `serve`: a fresh process that loads the published generation as `casebook serve` does, then
  answers the question set without and with a selective filter, timing each hybrid retrieval, then
  answers ASK_QUESTIONS of them end to end (`ask`: retrieval, reader, composed answer);
* after the build, a re-index with nothing changed and one with one file edited (timed).
"""

from __future__ import annotations

import json
import mmap
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from rag.answer import ask
from rag.config import Settings
from rag.index import generations as gens
from rag.index import get_embedder, get_library, index_library
from rag.schema import Chunk
from rag.search import Filters
from rag.search.retrieval import Retriever
from rag.search.snap_index import snapshot_index

ASK_QUESTIONS = 60  # questions answered end to end (`rag.answer.ask`) by the serving process


def _status() -> dict[str, float]:
    got = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            got[key] = int(rest.split()[0]) / 1024
    return got


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident MB of this process (VmRSS, VmHWM: not ru_maxrss, which a child
    inherits from its parent at fork)."""
    got = _status()
    return got.get("VmRSS", 0.0), got.get("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_split_mb() -> tuple[float, float]:
    """(anonymous, file-backed) resident MB: mapped index files count in the second."""
    got = _status()
    return got.get("RssAnon", 0.0), got.get("RssFile", 0.0)


def _mapped(a: np.ndarray) -> bool:
    while isinstance(a, np.ndarray):
        if isinstance(a, np.memmap) and a.base is not None and not isinstance(a.base, np.ndarray):
            return True
        a = a.base
    return isinstance(a, mmap.mmap)


def deep_size(obj: Any) -> tuple[int, int]:
    """(bytes held in memory, bytes of mapped files) by `obj` and everything it references (each
    object once; numpy / scipy arrays by their buffers)."""
    seen: set[int] = set()
    stack = [obj]
    total = mapped = 0
    while stack:
        o = stack.pop()
        if id(o) in seen or o is None or isinstance(o, type):
            continue
        seen.add(id(o))
        if isinstance(o, np.ndarray):
            if _mapped(o):
                mapped += o.nbytes
            elif o.base is None:
                total += o.nbytes
            total += 112
            continue
        if sparse.issparse(o):
            stack += [getattr(o, a) for a in ("data", "indices", "indptr", "row", "col") if hasattr(o, a)]
            continue
        total += sys.getsizeof(o)
        if isinstance(o, dict):
            stack += list(o.keys()) + list(o.values())
        elif isinstance(o, (list, tuple, set, frozenset)):
            stack += list(o)
        elif hasattr(o, "__dict__") and not callable(o):
            stack.append(vars(o))
        elif hasattr(o, "__slots__"):
            stack += [getattr(o, s) for s in o.__slots__ if hasattr(o, s)]
    return total, mapped


def dir_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20 if path.exists() else 0.0


def _model_settings(engine: str, model_dir: Path) -> Settings:
    return Settings.from_env(data_dir=model_dir, embed_engine=engine)


# ------------------------------------------------------------------------------------- build
class SourceVectors:
    """`embed_chunks` for index_library: a chunk of a copy gets its source chunk's vector."""

    def __init__(self, work: Path):
        self.vectors = np.load(work / "source_vectors.npy")
        keys = json.loads((work / "source_keys.json").read_text(encoding="utf-8"))
        self.rows = {(d, k, o): i for i, (d, k, o) in enumerate(keys)}
        self.by_doc: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for i, (d, k, o) in enumerate(keys):
            self.by_doc.setdefault((d, k), []).append((o, i))
        self.source_of = json.loads((work / "copies.json").read_text(encoding="utf-8"))
        self.same_position = 0
        self.other_position = 0
        self.seconds = 0.0

    def row(self, c: Chunk) -> int:
        src = self.source_of.get(c.doc_id, c.doc_id)
        i = self.rows.get((src, c.kind, c.order))
        if i is not None:
            self.same_position += 1
            return i
        self.other_position += 1  # the copy has more chunks here than its source: the nearest one
        cands = self.by_doc.get((src, c.kind)) or self.by_doc.get((src, "section")) or [(0, 0)]
        return min(cands, key=lambda oi: abs(oi[0] - c.order))[1]

    def __call__(self, embedder: Any, chunks: list[Chunk], progress: Any = None) -> np.ndarray:
        t = time.perf_counter()
        out = (
            self.vectors[[self.row(c) for c in chunks]] if chunks else np.zeros((0, self.vectors.shape[1]), np.float32)
        )
        if progress:
            progress(len(chunks), len(chunks))
        self.seconds += time.perf_counter() - t
        return out


def build(work: Path, engine: str, model_dir: Path) -> dict[str, Any]:
    get_embedder(_model_settings(engine, model_dir)).count_tokens("warm")  # model caches stay in model_dir
    data_dir = work / "data"
    settings = Settings.from_env(data_dir=data_dir, embed_engine=engine, library=(work / "library",))
    reuse = SourceVectors(work)
    last = [time.perf_counter()]

    def progress(name: str, done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            print(f"  build: {done}/{total} files, RSS {rss_mb()[0]:.0f} MB", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    report = index_library(settings, [work / "library"], progress=progress, embed_chunks=reuse)
    seconds = time.perf_counter() - t0
    ptr = gens.read_pointer(data_dir)
    gdir = gens.gen_dir(data_dir, ptr.generation) if ptr else data_dir
    updates = _updates(settings, work / "library")
    return {
        **updates,
        "build_s": seconds,
        "vector_reuse_s": reuse.seconds,
        "chunks": report.chunks,
        "documents": report.documents,
        "failed": report.failed,
        "warnings": len(report.warnings),
        "reused_same_position": reuse.same_position,
        "reused_other_position": reuse.other_position,
        "build_peak_rss_mb": rss_mb()[1],
        "disk_generation_mb": dir_mb(gdir),
        "disk_chroma_mb": dir_mb(gdir / "chroma"),
        "disk_lexical_mb": dir_mb(gdir / "lexical") + dir_mb(gdir / "lexical.json"),
        "disk_reader_files_mb": sum(dir_mb(gdir / n) for n in ("chunks.jsonl", "documents.json", "vectors.f32")),
        "disk_manifest_mb": (gdir / "manifest.json").stat().st_size / 2**20 if (gdir / "manifest.json").exists() else 0,
    }


def _updates(settings: Settings, library: Path) -> dict[str, Any]:
    """Re-index with nothing changed, then with one file edited: the edited file's chunks are embedded
    for real by the engine, every other chunk is carried over from the published generation."""
    t = time.perf_counter()
    same = index_library(settings, [library])
    nochange_s = time.perf_counter() - t
    one = sorted(library.glob("*.md"))[0]
    one.write_text(
        one.read_text(encoding="utf-8") + "\n\n## 追記\n\nこの段落は再索引の計測のために加えられた。\n",
        encoding="utf-8",
    )
    t = time.perf_counter()
    changed = index_library(settings, [library])
    return {
        "reindex_nochange_s": nochange_s,
        "reindex_nochange_embedded": same.embedded,
        "reindex_one_file_s": time.perf_counter() - t,
        "reindex_one_file_embedded": changed.embedded,
        "reindex_peak_rss_mb": rss_mb()[1],
    }


# ------------------------------------------------------------------------------------- serve
def _pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))] if s else 0.0


def _run_queries(settings: Settings, snap: Any, questions: list[str], filters: Filters | None) -> dict[str, Any]:
    r = Retriever(settings)  # its own query-vector cache: every question is embedded in this pass
    lat, stages = [], {"embed": 0.0, "dense": 0.0, "bm25": 0.0, "fuse": 0.0}
    empty = 0
    for q in questions:
        tm: dict[str, float] = {}
        t = time.perf_counter()
        hits = r.run(q, filters, k=5, timings=tm, snapshot=snap)
        lat.append((time.perf_counter() - t) * 1000)
        empty += not hits
        for k in stages:
            stages[k] += tm.get(k, 0.0) / len(questions)
    return {"p50_ms": _pct(lat, 0.5), "p95_ms": _pct(lat, 0.95), "max_ms": max(lat), "no_hits": empty, **stages}


def serve(work: Path, engine: str, model_dir: Path, questions: list[str], country: str) -> dict[str, Any]:
    out: dict[str, Any] = {"rss_start_mb": rss_mb()[0]}
    t = time.perf_counter()
    get_embedder(_model_settings(engine, model_dir)).embed_query("warm-up")
    out["embedder_load_s"] = time.perf_counter() - t
    settings = Settings.from_env(data_dir=work / "data", embed_engine=engine)
    t = time.perf_counter()
    snap = get_library(settings).snapshot()
    out["snapshot_load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    snapshot_index(snap)
    out["derive_s"] = time.perf_counter() - t
    out["rss_loaded_mb"] = rss_mb()[0]
    out["rss_loaded_anon_mb"], out["rss_loaded_file_mb"] = rss_split_mb()
    retr = Retriever(settings)
    t = time.perf_counter()
    retr.run(questions[0], None, k=5, snapshot=snap)
    out["first_query_ms"] = (time.perf_counter() - t) * 1000
    filt = Filters.parse([f"country={country}"])
    t = time.perf_counter()
    retr.run(questions[1], filt, k=5, snapshot=snap)
    out["first_filtered_query_ms"] = (time.perf_counter() - t) * 1000
    out["ready_s"] = (
        out["snapshot_load_s"] + out["derive_s"] + (out["first_query_ms"] + out["first_filtered_query_ms"]) / 1000
    )
    resolved = filt.resolve(snap.metas)
    out["filter_selects"] = sum(1 for m in snap.metas.values() if resolved.matches(m))
    out["chunks"] = len(snap.metas)
    out["load_avg_before_queries"] = os.getloadavg()[0]
    out["unfiltered"] = _run_queries(settings, snap, questions, None)
    out["rss_after_unfiltered_mb"] = rss_mb()[0]
    out["filtered"] = _run_queries(settings, snap, questions, filt)
    out["rss_after_queries_mb"], out["serve_peak_rss_mb"] = rss_mb()
    out["rss_anon_mb"], out["rss_file_mb"] = rss_split_mb()
    out["load_avg_after_queries"] = os.getloadavg()[0]
    lat = []
    for q in questions[:ASK_QUESTIONS]:  # the whole answer path: retrieval, reader, composed answer
        t = time.perf_counter()
        ask(q, filters={}, settings=settings)
        lat.append((time.perf_counter() - t) * 1000)
    out["ask"] = {"n": len(lat), "p50_ms": _pct(lat, 0.5), "p95_ms": _pct(lat, 0.95), "max_ms": max(lat)}
    out["rss_after_ask_mb"], out["serve_peak_rss_mb"] = rss_mb()
    t = time.perf_counter()
    for name, obj in (
        ("bm25", snap.lexical),
        ("vectors", snap.vectors),
        ("texts", snap.texts),
        ("metas", snap.metas),
        ("snap_index", snapshot_index(snap)),
    ):
        held, mapped = deep_size(obj)
        out[f"mem_{name}_mb"], out[f"mapped_{name}_mb"] = held / 2**20, mapped / 2**20
    out["sizing_s"] = time.perf_counter() - t
    return out
