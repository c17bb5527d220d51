"""Data preparation for eval/train_reader.py: JSQuAD paragraphs and questions, the dev set's records, the
split by article, and the candidates and features of every question.

`load` reads JSQuAD v1.3 validation (CC BY-SA 4.0; questions answered by the article title left out),
`split_articles` draws the training articles, `build` embeds the units and questions (cached), retrieves the
top SECTIONS paragraphs per question with a hybrid BM25 + e5 proxy of rag.search, and computes the reader's
feature rows and labels; `load_dev` turns a project question set (eval.reader_dev.collect) into the same
records.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from eval.reader_dev import collect
from eval.reader_metrics import norm_answer
from rag.answer.reader import Candidate, Unit, VectorCache, features, question_info
from rag.index import get_embedder
from rag.ingest import tokenize
from rag.ingest.japanese import sentence_spans

REPO = Path(__file__).resolve().parents[1]
JSQUAD = REPO.parent / "shared" / "bench" / "jsquad" / "valid-v1.3.json"
SECTIONS = 6
TRAIN_SHARE = 0.7


def log(*a: Any) -> None:
    print(*a, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- data


def load(path: Path, limit_paragraphs: int | None = None) -> tuple[list[dict], list[dict], int]:
    """(paragraphs, questions, n_title_answers). A limit takes the first paragraphs of every article
    in turn, so that a small run still has several articles to split."""

    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    chosen: list[tuple[int, int]] = []
    if limit_paragraphs:
        depth = 0
        while len(chosen) < limit_paragraphs:
            added = False
            for ai, art in enumerate(data):
                if depth < len(art["paragraphs"]) and len(chosen) < limit_paragraphs:
                    chosen.append((ai, depth))
                    added = True
            if not added:
                break
            depth += 1
    else:
        chosen = [(ai, pi) for ai, art in enumerate(data) for pi in range(len(art["paragraphs"]))]
    paras, qs = [], []
    in_title = 0
    for ai, pi in sorted(chosen):
        art = data[ai]
        p = art["paragraphs"][pi]
        ctx = p["context"]
        i = ctx.index("[SEP]") + len("[SEP]") if "[SEP]" in ctx else 0
        while i < len(ctx) and ctx[i] == " ":
            i += 1
        body = ctx[i:]
        spans = sentence_spans(body)
        pid = len(paras)
        paras.append(
            {"pid": pid, "title": art["title"], "body": body, "spans": spans, "units": [body[a:b] for a, b in spans]}
        )
        for qa in p["qas"]:
            if qa.get("is_impossible") or not qa.get("answers"):
                continue
            a0 = qa["answers"][0]
            s = a0["answer_start"] - i
            e = s + len(a0["text"])
            if s < 0:
                in_title += 1
                continue
            gold = [k for k, (a, b) in enumerate(spans) if a <= s and e <= b]
            if not gold:
                gold = [k for k, (a, b) in enumerate(spans) if a < e and s < b][:1]
            if not gold:
                continue
            qs.append(
                {
                    "qid": qa["id"],
                    "question": qa["question"],
                    "pid": pid,
                    "gold": gold[0],
                    "answers": list(dict.fromkeys(a["text"] for a in qa["answers"])),
                }
            )
    return paras, qs, in_title


def load_dev(path: Path, settings: Any) -> list[dict]:
    """Records of a project question set (eval.reader_dev.collect), grouped by gold document."""

    out = []
    for r in collect(path, settings):
        if not len(r["cands"]):
            continue
        q = r["q"]
        out.append(
            {
                "q": {"question": q.question, "id": q.id},
                "info": r["qi"],
                "X": r["X"],
                "y": r["y"],
                "keep": np.ones(len(r["y"]), dtype=bool),
                "cands": r["cands"],
                "lang": q.lang,
                "dev": True,
                "article": "dev:" + (q.gold[0].doc if q.gold else q.id),
            }
        )
    return out


def split_articles(paras: list[dict], seed: int) -> set[str]:
    titles = sorted({p["title"] for p in paras})
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(titles))
    n_train = max(1, min(len(titles) - 1, round(TRAIN_SHARE * len(titles))))
    return {titles[i] for i in order[:n_train]}


# ----------------------------------------------------------------------------- retrieval proxy


class BM25:
    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.len = np.array([len(d) for d in docs], dtype=float)
        self.avg = float(self.len.mean()) if self.n else 1.0
        self.post: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, d in enumerate(docs):
            for t, c in Counter(d).items():
                self.post[t].append((i, c))

    def scores(self, q: list[str]) -> np.ndarray:
        out = np.zeros(self.n)
        for t in set(q):
            post = self.post.get(t)
            if not post:
                continue
            df = len(post)
            idf = math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))
            for i, tf in post:
                out[i] += idf * tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * self.len[i] / self.avg))
        return out


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


# ----------------------------------------------------------------------------- the run


def build(paras: list[dict], qs: list[dict], cache_dir: Path, settings: Any) -> dict[str, Any]:
    """Embeddings, retrieval, candidates and features of every question."""

    emb = get_embedder(settings)
    pc = VectorCache(emb, cache_dir / "jsquad-passages.bin")
    qc = VectorCache(emb, cache_dir / "jsquad-queries.bin", query=True)
    unit_texts = [u for p in paras for u in p["units"]]
    t0 = time.perf_counter()
    log(f"embedding {len(unit_texts)} units and {len(qs)} questions (cache: {cache_dir}) …")
    U = pc.get(unit_texts, batch=128)
    Q = qc.get([q["question"] for q in qs], batch=128)
    log(f"  done in {time.perf_counter() - t0:.0f}s (cache misses: {pc.misses} units, {qc.misses} questions)")
    owner = np.array([p["pid"] for p in paras for _ in p["units"]])
    first = np.zeros(len(paras), dtype=int)
    off = 0
    for p in paras:
        first[p["pid"]] = off
        off += len(p["units"])
    bm = BM25([tokenize(p["title"] + "\n" + p["body"]) for p in paras])
    units_of = [[Unit(t, "sentence", None, None, k) for k, t in enumerate(p["units"])] for p in paras]
    records = []
    n_missed = 0
    t0 = time.perf_counter()
    for qi_, q in enumerate(qs):
        cos = U @ Q[qi_]
        dense = np.full(len(paras), -1.0)
        np.maximum.at(dense, owner, cos)
        fused = 0.7 * _minmax(dense) + 1.0 * _minmax(bm.scores(tokenize(q["question"])))
        order = list(np.argsort(-fused, kind="stable")[:SECTIONS])
        if q["pid"] not in order:
            n_missed += 1
            order[-1] = q["pid"]
        info = question_info(q["question"], "ja")
        cands, vecs, y, keep, where = [], [], [], [], []
        ans_n = [norm_answer(a) for a in q["answers"]]
        for rank, pid in enumerate(order):
            p = paras[pid]
            for k, u in enumerate(units_of[pid]):
                cands.append(Candidate(u, rank, rank, p["title"]))
                vecs.append(U[first[pid] + k])
                pos = pid == q["pid"] and k == q["gold"]
                y.append(1.0 if pos else 0.0)
                other_has = pid != q["pid"] and any(a and a in norm_answer(u.text) for a in ans_n)
                keep.append(not other_has)
                where.append((pid, k))
        X = features(info, Q[qi_], cands, np.stack(vecs))
        records.append(
            {
                "q": q,
                "info": info,
                "X": X,
                "y": np.array(y),
                "keep": np.array(keep),
                "lang": "ja",
                "where": where,
                "cands": cands,
                "article": paras[q["pid"]]["title"],
                "order": order,
            }
        )
        if (qi_ + 1) % 1000 == 0:
            log(f"  features {qi_ + 1}/{len(qs)} ({time.perf_counter() - t0:.0f}s)")
    return {"records": records, "missed": n_missed}
