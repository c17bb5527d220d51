"""JSQuAD retrieval benchmark: find each question's own paragraph among all 1,145 paragraphs.

    from eval.jsquad import evaluate
    res = evaluate(JSQUAD, out_dir, settings)          # writes out_dir/results.json

Every JSQuAD paragraph is indexed as one document (title = article title; one chunk per
paragraph, split at sentence ends only when longer than the embedding window) with the project's
own components — rag.embeddings (e5 passages), rag.store.VectorStore (Chroma), rag.lexical
(BM25 over rag.japanese.tokenize) — published as a normal index generation in a temporary data
directory, then queried through rag.retrieval.Retriever exactly as `casebook search` does.

Methods compared (a hit = the question's own paragraph; R@k and MRR@10 over all questions):
  bm25         project BM25 only (fugashi content-word tokens)
  dense        project dense only (e5 query/passages via Chroma)
  hybrid       the project's retriever (DEFAULT_CONFIG of rag.retrieval: fusion, weights)
  hybrid-chars / hybrid-pairs / hybrid-both
               the same without its character-bigram list / token-pair list / both (ablation)
  hybrid+sent  the same with sentence-level re-scoring of the top 20 (off in the product)
  lc_dense     naive LangChain: RecursiveCharacterTextSplitter(500/50) + langchain_chroma.Chroma + the same
               embeddings wrapped as a LangChain Embeddings (no "query:"/"passage:" distinction)
  lc_bm25      naive LangChain: LangChain's BM25Retriever (eval.lc_bm25, the same as langchain-community's),
               default (whitespace) tokenization
Extra fusion variants (computed from the same candidate lists) are reported under `variants`.

results.json: {"aggregate": {recall@1, recall@5, recall@10, mrr@10, answer_containment,
latency_p95_ms — of the hybrid}, "methods": {name: {recall@1/3/5/10, mrr@10, …}},
"latency": {stage: {p50, p95}}, "variants": {…}, "n_questions", "n_paragraphs", …}.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import Settings
from rag.index import ChromaEmbeddingFunction, LexicalIndex, get_embedder
from rag.index import generations as gens
from rag.index.library import _libraries
from rag.index.store import VectorStore, _clean_meta
from rag.ingest import split_sentences, tokenize
from rag.search import DEFAULT_CONFIG, Retriever, fuse, query_tokens

from .jsquad_metrics import metrics as _metrics
from .jsquad_metrics import pct as _pct
from .jsquad_metrics import rank_of as _rank_of
from .lc_baseline import naive_langchain

# ----------------------------------------------------------------------------- data


def load_jsquad(path: Path, limit: int | None = None) -> tuple[list[dict], list[dict]]:
    """(paragraphs, questions). limit = number of paragraphs kept (their questions follow)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    paras: list[dict] = []
    qs: list[dict] = []
    for ai, art in enumerate(data["data"]):
        title = art.get("title", "")
        for pi, p in enumerate(art["paragraphs"]):
            if limit is not None and len(paras) >= limit:
                return paras, qs
            ctx = p["context"]
            body = ctx.split("[SEP]", 1)[1].strip() if "[SEP]" in ctx else ctx
            pid = f"jsquad-{ai:02d}-{pi:03d}"
            paras.append({"id": pid, "title": title, "text": body})
            for qa in p["qas"]:
                if qa.get("is_impossible"):
                    continue
                qs.append(
                    {
                        "id": qa["id"],
                        "question": qa["question"],
                        "pid": pid,
                        "answers": [a["text"] for a in qa.get("answers", [])],
                    }
                )
    return paras, qs


# ----------------------------------------------------------------------------- index


def _split_to_window(text: str, count: Callable[[str], int], max_tokens: int) -> list[str]:
    if count(text) <= max_tokens:
        return [text]

    parts: list[str] = []
    cur = ""
    for s in split_sentences(text):
        cand = cur + s
        if cur and count(cand) > max_tokens:
            parts.append(cur)
            cur = s
        else:
            cur = cand
    if cur:
        parts.append(cur)
    return parts


def build_index(paras: list[dict], settings: Any, progress: bool = True) -> dict[str, Any]:
    """Publish one index generation of the paragraphs into settings.data_dir (returns stats)."""

    t0 = time.perf_counter()
    data_dir = Path(settings.data_dir)
    embedder = get_embedder(settings)
    gen = 1
    gdir = gens.gen_dir(data_dir, gen)
    shutil.rmtree(data_dir / "generations", ignore_errors=True)
    gdir.mkdir(parents=True)
    store = VectorStore(settings, gen, gdir, ChromaEmbeddingFunction(embedder), create=True)
    max_tok = int(getattr(embedder, "max_tokens", 512)) - 8
    count = getattr(embedder, "count_tokens", lambda s: len(s))
    ids: list[str] = []
    texts: list[str] = []
    metas: list[dict] = []
    files: dict[str, Any] = {}
    for p in paras:
        parts = _split_to_window(f"{p['title']}\n{p['text']}", count, max_tok)
        cids = []
        for i, part in enumerate(parts):
            if i and not part.startswith(p["title"]):
                part = f"{p['title']}\n{part}"
            cid = f"{p['id']}@jsquad#{i:04d}"
            cids.append(cid)
            ids.append(cid)
            texts.append(part)
            metas.append(
                _clean_meta(
                    {
                        "doc_id": p["id"],
                        "uid": f"{p['id']}@jsquad",
                        "title": p["title"],
                        "source": p["id"],
                        "heading_path": p["title"],
                        "heading_json": json.dumps([p["title"]], ensure_ascii=False),
                        "start_line": 1,
                        "end_line": 1,
                        "order": i,
                        "kind": "section",
                        "n_tokens": count(part),
                    }
                )
            )
        files[p["id"]] = {
            "hash": "",
            "doc_id": p["id"],
            "uid": f"{p['id']}@jsquad",
            "title": p["title"],
            "chunk_ids": cids,
            "facets": {},
            "issues": [],
        }
    t1 = time.perf_counter()
    vecs = []
    B = 64
    for s in range(0, len(texts), B):
        vecs.append(np.asarray(embedder.embed_passages(texts[s : s + B]), dtype=np.float32))
        if progress:
            print(f"\r  embedding paragraphs {min(s + B, len(texts))}/{len(texts)}", end="", flush=True)
    if progress:
        print()
    emb = np.vstack(vecs) if vecs else np.zeros((0, embedder.dim), np.float32)
    t2 = time.perf_counter()
    store.add(ids, emb, texts, metas)
    LexicalIndex(ids, [tokenize(t) for t in texts]).save(gdir / "lexical.json")
    gens.write_json_atomic(
        gdir / "manifest.json",
        {
            "generation": gen,
            "signature": "jsquad",
            "embedder": embedder.name,
            "roots": [],
            "files": files,
            "errors": {},
        },
    )
    try:
        store.client.close()
    except Exception:
        pass
    gens.publish(data_dir, gens.Pointer(gen, embedder.name, settings.chroma_url))
    return {
        "chunks": len(ids),
        "paragraphs": len(paras),
        "embed_seconds": round(t2 - t1, 1),
        "index_seconds": round(time.perf_counter() - t0, 1),
        "embeddings": emb,
        "ids": ids,
        "texts": texts,
    }


# ----------------------------------------------------------------------------- metrics


def _fold(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s)).casefold()


def _fusion_variants() -> dict[str, dict[str, Any]]:
    """Fusion settings scored from the cached candidate lists (name → fuse() kwargs)."""
    v: dict[str, dict[str, Any]] = {}
    for kk in (10, 30, 60):
        for wd in (0.3, 0.5, 0.7, 1.0):
            v[f"rrf k={kk} wd={wd}"] = {"method": "rrf", "rrf_k": kk, "weights": (wd, 1.0)}
    for m in ("convex", "zscore", "dbsf"):
        for wd in (0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0):
            v[f"{m} wd={wd}"] = {"method": m, "weights": (wd, 1.0)}
    return v


class _Memo:
    """The project embedder with memoised vectors (text → vector): the naive LangChain recipe and the
    full-set quality pass reuse vectors computed once by the very same functions."""

    def __init__(self, embedder: Any):
        self.e = embedder
        self.name = embedder.name
        self.dim = embedder.dim
        self.passages: dict[str, np.ndarray] = {}
        self.queries: dict[str, np.ndarray] = {}

    def embed_passages(self, texts):
        todo = [t for t in dict.fromkeys(texts) if t not in self.passages]
        for s in range(0, len(todo), 64):
            part = todo[s : s + 64]
            for t, v in zip(part, np.asarray(self.e.embed_passages(part), dtype=np.float32)):
                self.passages[t] = v
        return np.vstack([self.passages[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text):
        v = self.queries.get(text)
        if v is None:
            v = self.queries[text] = np.asarray(self.e.embed_query(text), dtype=np.float32)
        return v

    def prefill_queries(self, texts, progress=False):
        todo = [t for t in dict.fromkeys(texts) if t not in self.queries]
        f = getattr(self.e, "embed_queries", None)
        for s in range(0, len(todo), 64):
            part = todo[s : s + 64]
            vecs = f(part) if f else [self.e.embed_query(t) for t in part]
            for t, v in zip(part, vecs):
                self.queries[t] = np.asarray(v, dtype=np.float32)
            if progress:
                print(f"\r  embedding questions {min(s + 64, len(todo))}/{len(todo)}", end="", flush=True)
        if progress and todo:
            print()


def evaluate(
    path: Path | str,
    out_dir: Path | str,
    settings: Any = None,
    limit: int | None = None,
    *,
    answer_fn: Callable[[str], str] | None = None,
    naive: bool = True,
    variants: bool = True,
    config: Any = None,
    latency_sample: int = 300,
    extra: dict[str, Any] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Index the JSQuAD paragraphs, run every method, write out_dir/results.json, return it.

    settings: only the embedding choice (embed_model/engine) is used; the index goes to a temporary
    data directory under out_dir. limit: first N paragraphs (and their questions).
    Latency: `latency_sample` questions through the real retrieve path (uncached query embedding,
    after warm-up); the quality figures of all questions reuse query vectors embedded in batches by
    the same embedder (identical model and prefix).
    answer_fn: optional question → answer text; when given, `answer_containment` checks the gold
    answer in its output instead of in the top-1 hit's best sentences.
    extra: more retriever configurations to score ({name: RetrievalConfig}); by default the
    product configuration without its character-bigram list ("hybrid-chars"), without its
    token-pair list ("hybrid-pairs"), without both, and with sentence-level re-scoring ("hybrid+sent").
    """

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = settings or Settings.from_env()
    work = Path(tempfile.mkdtemp(prefix="jsquad-", dir=out_dir))
    try:
        s = replace(base, data_dir=work / "data", chroma_url=None)
        paras, qs = load_jsquad(Path(path), limit)
        if progress:
            print(f"JSQuAD: {len(paras)} paragraphs, {len(qs)} questions", flush=True)
        stats = build_index(paras, s, progress)
        memo = _Memo(Retriever(s).embedder())
        for t, v in zip(stats.pop("texts"), stats.pop("embeddings")):
            memo.passages[t] = v
        stats.pop("ids")
        cfg = config or DEFAULT_CONFIG
        hybrid = Retriever(s, cfg)
        snap = hybrid.snapshot()
        pid_of = {cid: m["doc_id"] for cid, m in snap.metas.items()}

        # 1. latency: the real path, query embedding included (not cached), after warm-up
        lat: dict[str, list[float]] = {k: [] for k in ("embed", "dense", "bm25", "fuse", "total")}
        for q in qs[-5:]:
            hybrid.run(q["question"], k=10)
        for q in qs[:latency_sample]:
            tm: dict[str, float] = {}
            hybrid._qcache.clear()
            hybrid.run(q["question"], k=10, timings=tm)
            for key in lat:
                lat[key].append(tm.get(key, 0.0))

        # 2. quality over all questions (batched query vectors from the same embedder)
        memo.prefill_queries([q["question"] for q in qs], progress)
        hybrid.embedder = lambda: memo  # type: ignore[method-assign]
        hybrid._qcache.clear()
        results: dict[str, list] = {"bm25": [], "dense": [], "hybrid": []}
        contained = 0
        cache: list[tuple[list, list, str]] = []
        t_run = time.perf_counter()
        for i, q in enumerate(qs):
            hits = hybrid.run(q["question"], k=10)
            results["hybrid"].append(_rank_of([h.doc_id for h in hits], q["pid"]))
            qv = memo.embed_query(q["question"])
            dense = [(cid, cos) for cid, cos, _, _ in snap.store.query(qv, max(cfg.n_dense, 50))]
            bm25 = snap.lexical.search(query_tokens(q["question"], "ja", cfg), max(cfg.n_bm25, 50))
            cache.append((dense, bm25, q["pid"]))
            results["dense"].append(_rank_of([pid_of[c] for c, _ in dense], q["pid"]))
            results["bm25"].append(_rank_of([pid_of[c] for c, _ in bm25], q["pid"]))
            if answer_fn is not None:
                got = answer_fn(q["question"]) or ""
                ok = any(_fold(a) in _fold(got) for a in q["answers"] if a)
            else:
                best = " ".join(hits[0].sentences) if hits else ""
                ok = any(_fold(a) in _fold(best) for a in q["answers"] if a)
            contained += ok
            if progress and (i + 1) % 500 == 0:
                print(f"\r  questions {i + 1}/{len(qs)}", end="", flush=True)
        if progress:
            print(f"\r  questions {len(qs)}/{len(qs)} in {time.perf_counter() - t_run:.0f} s", flush=True)

        methods = {name: _metrics(r) for name, r in results.items()}
        if extra is None:
            extra = {
                "hybrid-chars": replace(cfg, char_weights=()),
                "hybrid-pairs": replace(cfg, pair_weights=()),
                "hybrid-both": replace(cfg, char_weights=(), pair_weights=()),
                "hybrid+sent": replace(cfg, sentence_weight=0.3, rerank_depth=20),
            }
        for name, xcfg in extra.items():
            xr = Retriever(s, xcfg)
            xr.embedder = lambda: memo  # type: ignore[method-assign]
            ranks = [_rank_of([h.doc_id for h in xr.run(q["question"], k=10)], q["pid"]) for q in qs]
            methods[name] = _metrics(ranks)
        methods["hybrid"]["latency_p50_ms"] = _pct(lat["total"], 50)
        methods["hybrid"]["latency_p95_ms"] = _pct(lat["total"], 95)
        var_out: dict[str, dict] = {}
        if variants:
            for name, kw in _fusion_variants().items():
                ranks = []
                for dense, bm25, gold in cache:
                    f = fuse([dense, bm25], kw["weights"], kw["method"], kw.get("rrf_k", 60))
                    order = sorted(f.items(), key=lambda kv: -kv[1])
                    ranks.append(_rank_of([pid_of[c] for c, _ in order], gold))
                var_out[name] = _metrics(ranks)
        if naive:
            methods.update(naive_langchain(paras, qs, memo, work, progress=progress))
        latency = {k: {"p50": _pct(v, 50), "p95": _pct(v, 95)} for k, v in lat.items()}
        h = methods["hybrid"]
        res = {
            "aggregate": {
                "recall@1": h["recall@1"],
                "recall@5": h["recall@5"],
                "recall@10": h["recall@10"],
                "mrr@10": h["mrr@10"],
                "answer_containment": round(contained / max(len(qs), 1), 4),
                "latency_p95_ms": latency["total"]["p95"],
            },
            "methods": methods,
            "latency": latency,
            "latency_sample": min(latency_sample, len(qs)),
            "variants": var_out,
            "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.__dict__.items()},
            "n_questions": len(qs),
            "n_paragraphs": len(paras),
            "index": stats,
            "answer_containment_source": "answer_fn" if answer_fn else "top-1 best sentences",
        }
        (out_dir / "results.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
        return res
    finally:
        for key in [k for k in _libraries if k[0].startswith(str(work.resolve()))]:
            _libraries.pop(key, None)
        shutil.rmtree(work, ignore_errors=True)


def format_table(res: dict[str, Any]) -> str:
    rows = ["method        R@1     R@3     R@5     R@10    MRR@10  p95 ms"]
    for name, m in res["methods"].items():
        if "error" in m:
            rows.append(f"{name:<12}  error: {m['error'][:80]}")
            continue
        rows.append(
            f"{name:<12}  {m['recall@1']:.4f}  {m['recall@3']:.4f}  {m['recall@5']:.4f}  {m['recall@10']:.4f}  "
            f"{m['mrr@10']:.4f}  {m.get('latency_p95_ms', '') or (str(m['search_p95_ms_excl_embed']) + '*' if 'search_p95_ms_excl_embed' in m else '')}"
        )
    lat = res.get("latency", {})
    if lat:
        rows.append("latency (ms)  " + "  ".join(f"{k} p50 {v['p50']}/p95 {v['p95']}" for k, v in lat.items()))
    a = res["aggregate"]
    rows.append("* search only (query vector precomputed); hybrid p95 includes query embedding")
    rows.append(f"answer containment (top-1 best sentences): {a['answer_containment']:.4f}")
    return "\n".join(rows)


def format_variants(res: dict[str, Any], top: int = 12) -> str:
    items = sorted(res.get("variants", {}).items(), key=lambda kv: (-kv[1]["recall@1"], -kv[1]["mrr@10"]))
    return "\n".join(
        f"{name:<24} R@1 {m['recall@1']:.4f}  R@5 {m['recall@5']:.4f}  MRR@10 {m['mrr@10']:.4f}"
        for name, m in items[:top]
    )
