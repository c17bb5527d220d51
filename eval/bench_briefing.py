"""Briefing benchmark: time to build one briefing offline, per company, once the index is loaded.

    .venv/bin/python -m eval.bench_briefing                       # index seeds + shared cases into a temp dir
    .venv/bin/python -m eval.bench_briefing --data-dir DIR        # use an existing index
    .venv/bin/python -m eval.bench_briefing --repeat 3 --json     # best/median of 3, JSON output

For each document of the index: the first (cold: the file is read, parsed and split) and the
median warm build time of `build_briefing(company, lang)` in both languages, the number of
bullets / citations, and whether every bullet is cited. The index snapshot is loaded before the
clock starts (goal: ≤ 2 s per briefing; extractive path, no LLM). Exit code 1 when a briefing
misses the goal or has an uncited bullet.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import unicodedata
from dataclasses import replace
from pathlib import Path

from rag import brief as B
from rag.brief import doc_cache as _doc_cache
from rag.config import Settings
from rag.index import get_library, index_library

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
CORPUS = REPO.parent / "shared" / "corpus" / "cases"
GOAL_S = 2.0


def _pad(text: str, width: int) -> str:
    """Left-justify to a display width (East Asian wide characters count 2)."""
    out, w = "", 0
    for ch in text:
        cw = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if w + cw > width:
            break
        out += ch
        w += cw
    return out + " " * (width - w)


def _settings(data_dir: str | None):
    if data_dir:
        return Settings.from_env(data_dir=Path(data_dir).expanduser()), None
    tmp = tempfile.TemporaryDirectory(prefix="casebook-bench-brief-")
    roots = [SEEDS] + ([CORPUS] if CORPUS.is_dir() else [])
    settings = Settings.from_env(data_dir=Path(tmp.name), library=tuple(roots))
    print(f"indexing {', '.join(str(r) for r in roots)} into {tmp.name} …", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    report = index_library(settings, roots)
    print(f"indexed in {time.perf_counter() - t0:.1f} s: {report.lines()[0]}", file=sys.stderr, flush=True)
    return settings, tmp


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", help="existing index (default: index the seed and shared cases into a temp dir)")
    ap.add_argument("--repeat", type=int, default=3, help="warm builds per company and language")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    settings, tmp = _settings(args.data_dir)
    settings = replace(settings, llm=None)  # offline, extractive
    t0 = time.perf_counter()
    snap = get_library(settings).snapshot()
    load_s = time.perf_counter() - t0
    B.labels()
    rows = []
    for entry in snap.documents:
        for lang in ("ja", "en"):
            _doc_cache.clear()
            t = time.perf_counter()
            b = B.build_briefing(entry, lang, settings)
            cold = time.perf_counter() - t
            warm = []
            for _ in range(max(1, args.repeat)):
                t = time.perf_counter()
                B.build_briefing(entry, lang, settings)
                warm.append(time.perf_counter() - t)
            items = b.items()
            rows.append(
                {
                    "company": b.company,
                    "doc_id": b.doc_id,
                    "lang": lang,
                    "cold_s": round(cold, 4),
                    "warm_s": round(statistics.median(warm), 4),
                    "bullets": len(items),
                    "citations": len(b.citations),
                    "all_cited": all(it.cites for it in items),
                    "missing": len(b.notes),
                }
            )
    # the comparison of the brief (if both are indexed)
    cmp_s = None
    try:
        t = time.perf_counter()
        B.compare("Mistral AI", "Hugging Face", "ja", settings)
        cmp_s = round(time.perf_counter() - t, 4)
    except B.UnknownCompany:
        pass
    worst = max(r["cold_s"] for r in rows) if rows else 0.0
    ok = all(r["cold_s"] <= GOAL_S and r["all_cited"] for r in rows)
    if args.json:
        print(
            json.dumps(
                {
                    "index_load_s": round(load_s, 3),
                    "goal_s": GOAL_S,
                    "ok": ok,
                    "worst_cold_s": worst,
                    "compare_mistral_hf_s": cmp_s,
                    "rows": rows,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        print(f"index snapshot loaded in {load_s:.2f} s (not counted); goal ≤ {GOAL_S:.1f} s per briefing")
        print(f"{'company':<44} {'lang':<4} {'cold s':>7} {'warm s':>7} {'bullets':>7} {'cites':>6} {'notes':>5}")
        for r in rows:
            flag = "" if r["cold_s"] <= GOAL_S and r["all_cited"] else "  <-- FAIL"
            print(
                f"{_pad(r['company'], 44)} {r['lang']:<4} {r['cold_s']:>7.3f} {r['warm_s']:>7.3f} "
                f"{r['bullets']:>7} {r['citations']:>6} {r['missing']:>5}{flag}"
            )
        if cmp_s is not None:
            print(f"compare Mistral AI vs Hugging Face: {cmp_s:.3f} s")
        print(f"worst cold build: {worst:.3f} s — {'OK' if ok else 'FAILED'}")
    if tmp is not None:
        tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
