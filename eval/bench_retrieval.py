"""Retrieval benchmark: JSQuAD (per method) + the bilingual dev set + latency on the case library.

    .venv/bin/python -m eval.bench_retrieval                      # everything
    .venv/bin/python -m eval.bench_retrieval --skip-jsquad        # dev set + latency only
    .venv/bin/python -m eval.bench_retrieval --ablation           # dev-set table of retrieval ideas
    .venv/bin/python -m eval.bench_retrieval --jsquad-limit 300   # quick JSQuAD run

Dev set (eval/questions/dev.jsonl): a hit = a Hit whose doc_id is a gold doc and whose heading
path contains the gold heading (NFKC + whitespace folding); answerable questions only; the
question's `filters` (if any) are applied. Reported: hit@1 / hit@5 per language.
Latency: retrieve() on the 13-document library (seed + shared cases), after warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from eval.jsquad import evaluate, format_table, format_variants
from rag.config import Settings
from rag.index import index_library
from rag.search import DEFAULT_CONFIG as D
from rag.search import Filters, Retriever, get_retriever, retrieve

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
CORPUS = REPO.parent / "shared" / "corpus" / "cases"
JSQUAD = REPO.parent / "shared" / "bench" / "jsquad" / "valid-v1.3.json"
DEV = REPO / "eval" / "questions" / "dev.jsonl"


def fold_heading(s: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", s)).strip()


def load_dev(path: Path = DEV) -> list[dict]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line:
            out.append(json.loads(line))
    return out


def is_hit(hit: Any, gold: Iterable[dict]) -> bool:
    path = {fold_heading(h) for h in hit.heading_path}
    return any(hit.doc_id == g["doc"] and fold_heading(g["section"]) in path for g in gold)


def dev_eval(
    settings: Any,
    config: Any = None,
    questions: list[dict] | None = None,
    k: int = 5,
    apply_filters: bool = True,
    misses: list | None = None,
) -> dict[str, Any]:
    """hit@1 / hit@5 (and MRR@5) per language over the answerable dev questions."""

    r = Retriever(settings, config)
    qs = [q for q in (questions or load_dev()) if q.get("answerable") and q.get("gold")]
    rows: dict[str, list[tuple[int | None]]] = {"ja": [], "en": []}
    for q in qs:
        f = Filters.from_dict(q.get("filters")) if apply_filters and q.get("filters") else None
        hits = r.run(q["question"], f, k)
        rank = next((i for i, h in enumerate(hits, 1) if is_hit(h, q["gold"])), None)
        rows.setdefault(q["lang"], []).append(rank)
        if misses is not None and (rank is None or rank > 1):
            misses.append(
                (
                    q["id"],
                    q["question"],
                    rank,
                    [(h.doc_id, h.heading_path[-1] if h.heading_path else "") for h in hits[:3]],
                )
            )
    out: dict[str, Any] = {}
    for lang, ranks in rows.items():
        n = len(ranks) or 1
        out[lang] = {
            "n": len(ranks),
            "hit@1": round(sum(1 for x in ranks if x == 1) / n, 4),
            "hit@5": round(sum(1 for x in ranks if x is not None and x <= 5) / n, 4),
            "mrr@5": round(sum(1 / x for x in ranks if x) / n, 4),
        }
    allr = rows["ja"] + rows["en"]
    n = len(allr) or 1
    out["all"] = {
        "n": len(allr),
        "hit@1": round(sum(1 for x in allr if x == 1) / n, 4),
        "hit@5": round(sum(1 for x in allr if x is not None and x <= 5) / n, 4),
    }
    return out


def build_library_index(data_dir: Path) -> Any:
    """Settings of a fresh index of the seed + shared cases in data_dir."""

    paths = [SEEDS] + ([CORPUS] if CORPUS.is_dir() else [])
    s = Settings.from_env(data_dir=data_dir, library=tuple(paths))
    rep = index_library(s, paths)
    if rep.errors:
        print("\n".join(rep.lines()), file=sys.stderr)
    return s


def library_latency(settings: Any, questions: list[str], rounds: int = 3) -> dict[str, dict[str, float]]:
    """retrieve() timings after warm-up; the query-vector cache is cleared before every call, so
    each measurement includes embedding the question."""

    for q in questions[:5]:
        retrieve(q, k=5, settings=settings)  # warm-up
    r = get_retriever(settings)
    lat: dict[str, list[float]] = {k: [] for k in ("embed", "dense", "bm25", "fuse", "total")}
    for _ in range(rounds):
        for q in questions:
            tm: dict[str, float] = {}
            r._qcache.clear()
            retrieve(q, k=5, settings=settings, timings=tm)
            for key in lat:
                lat[key].append(tm.get(key, 0.0))
    return {
        k: {"p50": round(float(np.percentile(v, 50)), 2), "p95": round(float(np.percentile(v, 95)), 2)}
        for k, v in lat.items()
    }


def ablation_configs() -> dict[str, Any]:
    """Named retrieval configurations measured on the dev set (the table in rag.search.retrieval)."""

    eq = (("ja", 1.0, 1.0), ("en", 1.0, 1.0))
    base = replace(
        D, method="rrf", methods=(), weights=eq, focus=0.0, ref_penalty=1.0, profile_penalty=1.0, sentence_weight=0.0
    )
    return {
        "dense only": replace(base, weights=(("ja", 1.0, 0.0), ("en", 1.0, 0.0)), glossary=False),
        "bm25 only": replace(base, weights=(("ja", 0.0, 1.0), ("en", 0.0, 1.0)), glossary=False),
        "bm25 only + glossary": replace(base, weights=(("ja", 0.0, 1.0), ("en", 0.0, 1.0)), glossary=True),
        "rrf equal, no glossary": replace(base, glossary=False),
        "rrf equal + glossary": replace(base, glossary=True),
        "+ ref/profile penalties": replace(base, glossary=True, ref_penalty=0.5, profile_penalty=0.5),
        "+ focus": replace(base, glossary=True, ref_penalty=0.5, profile_penalty=0.5, focus=D.focus or 0.75),
        "chosen (DEFAULT_CONFIG)": D,
        "chosen, convex for en too": replace(D, method="convex"),
        "chosen + sentence re-scoring": replace(D, sentence_weight=0.25),
        "chosen, no focus": replace(D, focus=0.0),
        "chosen, no glossary": replace(D, glossary=False),
        "chosen, no char bigrams (ja)": replace(D, char_weights=()),
        "chosen, no token pairs (ja)": replace(D, pair_weights=()),
        "chosen, BM25 min-max from list min": replace(D, bm25_floor=False),
        "chosen, words only, dense 1:1 (ja)": replace(D, char_weights=(), pair_weights=(), weights=eq),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(REPO / "artifacts" / "bench_retrieval"))
    ap.add_argument("--jsquad", default=str(JSQUAD))
    ap.add_argument("--jsquad-limit", type=int, default=None, help="first N paragraphs only")
    ap.add_argument("--skip-jsquad", action="store_true")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive LangChain baselines")
    ap.add_argument("--ablation", action="store_true", help="dev-set table of retrieval ideas")
    ap.add_argument("--misses", action="store_true", help="list dev questions missed at rank 1")
    args = ap.parse_args(argv)

    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp(prefix="bench-lib-", dir=out))
    try:
        print("indexing the case library (seed + shared cases)…", flush=True)
        lib = build_library_index(tmp / "data")
        qs = load_dev() if DEV.exists() else []
        if qs:
            misses: list = []
            dev = dev_eval(lib, misses=misses if args.misses else None)
            report["dev"] = dev
            print("\nDev set (answerable questions, section hit):")
            print("lang  n    hit@1   hit@5   mrr@5")
            for lang in ("ja", "en"):
                d = dev[lang]
                print(f"{lang:<4}  {d['n']:<3}  {d['hit@1']:.3f}   {d['hit@5']:.3f}   {d['mrr@5']:.3f}")
            for m in misses:
                print("  miss:", m)
            if args.ablation:
                print("\nAblation on the dev set:")
                print(f"{'configuration':<34} ja@1   ja@5   en@1   en@5")
                report["ablation"] = {}
                for name, cfg in ablation_configs().items():
                    d = dev_eval(lib, cfg)
                    report["ablation"][name] = d
                    print(
                        f"{name:<34} {d['ja']['hit@1']:.3f}  {d['ja']['hit@5']:.3f}  "
                        f"{d['en']['hit@1']:.3f}  {d['en']['hit@5']:.3f}"
                    )
        lat_qs = [q["question"] for q in qs] or ["ミストラルAIの評価額は？", "Who is Klarna's CEO?"]
        report["library_latency_ms"] = library_latency(lib, lat_qs)
        print("\nLatency on the 13-document library (ms, after warm-up):")
        for k, v in report["library_latency_ms"].items():
            print(f"  {k:<6} p50 {v['p50']:>7.2f}   p95 {v['p95']:>7.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if not args.skip_jsquad:
        res = evaluate(args.jsquad, out / "jsquad", Settings.from_env(), args.jsquad_limit, naive=not args.no_naive)
        report["jsquad"] = res
        print("\nJSQuAD retrieval (a hit = the question's own paragraph):")
        print(format_table(res))
        print("\nFusion variants (same candidate lists):")
        print(format_variants(res))
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(f"\nwritten: {out / 'report.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
