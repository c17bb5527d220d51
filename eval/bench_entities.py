"""Entity-check benchmark: rag.answer.entities.check_entities per question on a library of N copies.

    python -m eval.bench_entities                  # the 49 real documents, then 10x and 40x copies
    python -m eval.bench_entities --copies 0 20

The library is the real documents (seeds/ + ../shared/corpus/{cases,more}) plus renamed copies
(eval.scale_corpus: other company names, ids and numbers), loaded by the real ingest path. Each
question of the dev and held-out sets is checked twice on the same entity index: with the
name postings (rag.answer.entity_lookup, what ships) and with a scan of the whole library's text
(the postings switched off), and the two results must be identical. Printed: documents, entity
index build time, postings build time, check_entities mean ms a question both ways, differences.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from eval.bench_scale import QUESTION_SETS
from eval.scale_corpus import load_sources, source_files, write_library
from rag.answer import entities, entity_lookup
from rag.ingest import load_document


def _snapshot(docs: list) -> SimpleNamespace:
    """The parts of a rag.index Snapshot the entity index reads (one chunk per document)."""
    return SimpleNamespace(
        documents=[{"doc_id": d.doc_id, "title": d.title, "facets": d.facets} for d in docs],
        metas={i: {"doc_id": d.doc_id} for i, d in enumerate(docs)},
        texts={i: d.body for i, d in enumerate(docs)},
    )


def _questions() -> list[str]:
    out: list[str] = []
    for path in QUESTION_SETS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and (q := json.loads(line)["question"]) not in out:
                out.append(q)
    return out


def _check_all(questions: list[str], snap) -> tuple[list, float]:
    t = time.perf_counter()
    got = [entities.check_entities(q, snap) for q in questions]
    return got, (time.perf_counter() - t) * 1000 / len(questions)


def run(copies: int, questions: list[str]) -> dict:
    sources = load_sources(source_files())
    plan = [(i, n) for n in range(copies + 1) for i in range(len(sources))]
    with tempfile.TemporaryDirectory() as tmp:
        write_library(sources, plan, Path(tmp))
        docs = [load_document(p) for p in sorted(Path(tmp).iterdir())]
    snap = _snapshot(docs)
    t = time.perf_counter()
    idx = entities.entity_index(snap)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    entity_lookup._postings(idx)
    postings_s = time.perf_counter() - t
    _check_all(questions[:5], snap)  # warm the per-name caches
    with_post, ms_post = _check_all(questions, snap)
    keep = entity_lookup._candidates
    entity_lookup._candidates = lambda keys, post: None  # no narrowing: scan the joined text
    try:
        scanned, ms_scan = _check_all(questions, snap)
    finally:
        entity_lookup._candidates = keep
    diffs = sum(a != b for a, b in zip(with_post, scanned, strict=True))
    return {
        "documents": len(docs),
        "text_mb": round(len(idx.text.encode()) / 1e6, 1),
        "index_build_s": round(build_s, 2),
        "postings_build_s": round(postings_s, 2),
        "ms_per_question_postings": round(ms_post, 2),
        "ms_per_question_scan": round(ms_scan, 2),
        "questions": len(questions),
        "differences": diffs,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, nargs="+", default=[0, 10, 40], help="copies of each document")
    args = ap.parse_args(argv)
    qs = _questions()
    bad = 0
    for n in args.copies:
        r = run(n, qs)
        bad += r["differences"]
        print(json.dumps(r), flush=True)
    print(f"median question length {statistics.median(len(q) for q in qs)} chars")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
