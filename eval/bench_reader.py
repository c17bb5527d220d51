"""Reader latency on a real index: rag.answer.reader.read over the top 6 sections of each question.

    CASEBOOK_DATA_DIR=… python -m eval.bench_reader [QUESTIONS.jsonl] [--repeat 3] [--cold 8]

Prints (figures, not assertions):
  warm-up      units in the library (rag.answer.reader.library_units), seconds to embed them all into a fresh
               unit-vector cache (what an index run would add), units per second
  warm         read() p50/p95 per question with every unit vector cached — "dense" (e5 cosine, the
               question vector given, as the answer path has it from retrieval) and "lexical"; the
               split into units / vectors / scoring / spans; "first_pass" is the first round over the
               questions (the process's tokenizer / span caches not yet holding these units), p50/p95
               all rounds together
  cold         read() on a cache that holds none of the question's units (the first question that
               meets a section when nothing was embedded at index time), for --cold questions
Retrieval is not timed (it happens before, in the answer path). Questions default to the dev set.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from eval.questionset import load_questions
from eval.runner import make_filters
from rag.answer.reader import VectorCache, candidates_of, library_units, read
from rag.config import Settings
from rag.index import get_embedder, get_library
from rag.search import get_retriever

REPO = Path(__file__).resolve().parents[1]


def pct(v: list[float], p: float) -> float:
    return round(float(np.percentile(np.asarray(v), p)), 2) if v else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("questions", nargs="?", type=Path, default=REPO / "eval" / "questions" / "dev.jsonl")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cold", type=int, default=8)
    args = ap.parse_args(argv)
    if "heldout" in args.questions.name:
        print("held-out sets are not used by the reader's tooling")
        return 2

    settings = Settings.from_env()
    snap = get_library(settings).snapshot()
    retr = get_retriever(settings)
    emb = get_embedder(settings)
    qs, _ = load_questions(args.questions)
    prepared = []
    for q in qs:
        hits = retr.run(q.question, make_filters(q.filters), 8)
        prepared.append((q, hits, retr.embed_query(q.question)))
    n_units = [len(candidates_of(h)) for _, h, _ in prepared]

    units = library_units(snap)
    texts = list(dict.fromkeys(u.text for u in units))
    warm_cache = VectorCache(emb)  # in memory: measures embedding, not the disk
    t0 = time.perf_counter()
    warm_cache.get(texts, batch=64)
    warm_s = time.perf_counter() - t0

    res: dict[str, object] = {
        "questions": len(prepared),
        "candidate_units_per_question": {"p50": pct(n_units, 50), "max": max(n_units)},
        "warm_up": {
            "library_units": len(texts),
            "seconds": round(warm_s, 1),
            "units_per_s": round(len(texts) / warm_s, 1),
            "engine": getattr(settings, "embed_engine", ""),
        },
    }
    for variant in ("dense", "lexical"):
        for q, hits, qv in prepared[:3]:  # first-call costs (model load, tagger) out of the figures
            read(q.question, hits, q.lang, variant=variant, cache=warm_cache, qvec=qv)
        times: list[float] = []
        first: list[float] = []
        parts: dict[str, list[float]] = {}
        for rep in range(args.repeat):
            for q, hits, qv in prepared:
                tm: dict[str, float] = {}
                t = time.perf_counter()
                read(q.question, hits, q.lang, variant=variant, cache=warm_cache, qvec=qv, timings=tm)
                ms = (time.perf_counter() - t) * 1e3
                times.append(ms)
                if rep == 0:
                    first.append(ms)
                for k, v in tm.items():
                    parts.setdefault(k, []).append(v)
        res[f"warm_{variant}_ms"] = {
            "first_pass_p50": pct(first, 50),
            "first_pass_p95": pct(first, 95),
            "p50": pct(times, 50),
            "p95": pct(times, 95),
            "parts_p95": {k: pct(v, 95) for k, v in parts.items()},
        }
    cold: list[float] = []
    for q, hits, qv in prepared[: args.cold]:
        c = VectorCache(emb)
        t = time.perf_counter()
        read(q.question, hits, q.lang, variant="dense", cache=c, qvec=qv)
        cold.append((time.perf_counter() - t) * 1e3)
    res["cold_dense_ms"] = {"n": len(cold), "p50": pct(cold, 50), "p95": pct(cold, 95)}
    print(json.dumps(res, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
