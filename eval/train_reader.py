"""Train the reader (unit scorer + span scorer) on JSQuAD, split by article; write rag/answer/reader/weights.json.

    python -m eval.train_reader                      # full run: all 1,145 paragraphs (59 articles)
    python -m eval.train_reader --limit-paragraphs 20 --out /tmp/w.json --report /tmp/r.json   # a tiny run

Data: JSQuAD v1.3 validation (../shared/bench/jsquad/valid-v1.3.json; CC BY-SA 4.0, Kurihara et
al. 2022, from Japanese Wikipedia). Articles (titles) are shuffled with `--seed` and split 70 / 30;
everything is fitted on the 70 % and every figure in the report is measured on the other 30 %.
Questions whose answer lies in the article title (469 of 4,442: the "[SEP]" prefix of the
context, which no body sentence holds) are left out.

Per question the candidates are the units (sentences) of the top SECTIONS paragraphs of a hybrid
retrieval over all paragraphs (BM25 over rag.japanese.tokenize, fused with the max e5 cosine of a
paragraph's sentences, min-max 1.0 / 0.7 as in rag.retrieval); the question's own paragraph is put
in at rank SECTIONS-1 when retrieval missed it (counted in the report). Label: the unit holding the
answer span = 1; units of other paragraphs that happen to contain an answer string are left out;
all other units = 0. The unit scorer is rag.answer.reader.model's logistic regression (two variants:
"dense" with the e5 cosines, "lexical" without); its L2 strength is chosen by 3-fold cross-validation
over train articles (log-loss); the top-unit calibration (sigmoid of top logit and margin) is fitted
on out-of-fold logits. The span scorer (rag.answer.reader.span) is fitted on the answer-bearing units of
train questions (label: candidate == an answer after NFKC); its fallback threshold maximises mean
character F1 on train questions.

With --dev QUESTIONS (the project's dev set; needs an index of its library in the data dir) the unit
scorer is fitted on JSQuAD train + the dev questions (eval.reader_dev.collect: a unit is positive when
it is in a gold document and holds a fact), which adds the features JSQuAD cannot teach (unit kinds,
English-question interactions). The dev rows' weight is chosen among DEV_WEIGHTS by leave-one-document-
out cross-validation on the dev set, and those cross-validated dev figures are reported (held-out sets
are never read). The top-unit calibration then weighs dev and JSQuAD questions equally.

Reported on held-out articles: unit accuracy @1/@3 for the model and for baselines (first unit of
the top section, max lexical overlap, max e5 cosine, rag.extractive's scoring), span exact match /
character F1 (JSQuAD style, NFKC, max over the reference answers) of the chosen unit's span and of
the gold unit's span, and a reliability table of the top-unit probability.

Embeddings are cached (append-only files in --cache, default $CASEBOOK_DATA_DIR/reader-cache), so a
second run only fits. Deterministic for a given seed and cache.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from eval.reader_dev import collect
from rag import extractive as X
from rag.answer.reader.model import (
    DENSE_FEATURES,
    EN_FEATURES,
    FEATURES,
    KIND_FEATURES,
    Candidate,
    ReaderModel,
    VectorCache,
    features,
    fit_logreg,
    question_info,
)
from rag.answer.reader.span import SPAN_FEATURES, candidates, extract_span, filter_candidates, span_features
from rag.answer.reader.units import Unit
from rag.config import Settings
from rag.index.embeddings import get_embedder
from rag.ingest.japanese import sentence_spans, tokenize
from rag.schema import Hit

REPO = Path(__file__).resolve().parents[1]
JSQUAD = REPO.parent / "shared" / "bench" / "jsquad" / "valid-v1.3.json"
SECTIONS = 6
TRAIN_SHARE = 0.7
L2_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
SPAN_L2 = 1.0
DEV_WEIGHTS = (1.0, 3.0, 10.0)


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


# ----------------------------------------------------------------------------- metrics


def _norm_answer(s: str) -> str:
    s = unicodedata.normalize("NFKC", s or "")
    return re.sub(r"\s+", "", s)


def char_f1(pred: str, gold: str) -> float:
    p, g = list(_norm_answer(pred)), list(_norm_answer(gold))
    if not p or not g:
        return float(p == g)
    common = Counter(p) & Counter(g)
    k = sum(common.values())
    if k == 0:
        return 0.0
    prec, rec = k / len(p), k / len(g)
    return 2 * prec * rec / (prec + rec)


def em_f1(pred: str, answers: list[str]) -> tuple[float, float]:
    em = max(float(_norm_answer(pred) == _norm_answer(a)) for a in answers)
    f1 = max(char_f1(pred, a) for a in answers)
    return em, f1


def reliability(probs: list[float], correct: list[bool], bins: int = 5) -> dict[str, Any]:
    p = np.asarray(probs)
    c = np.asarray(correct, dtype=float)
    rows = []
    ece = 0.0
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        m = (p >= lo) & ((p < hi) if k < bins - 1 else (p <= hi))
        if m.sum():
            rows.append(
                {
                    "bin": f"{lo:.1f}-{hi:.1f}",
                    "n": int(m.sum()),
                    "mean_p": round(float(p[m].mean()), 3),
                    "accuracy": round(float(c[m].mean()), 3),
                }
            )
            ece += m.sum() / len(p) * abs(float(p[m].mean()) - float(c[m].mean()))
    brier = float(np.mean((p - c) ** 2)) if len(p) else 0.0
    return {"table": rows, "ece": round(ece, 4), "brier": round(brier, 4)}


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
        ans_n = [_norm_answer(a) for a in q["answers"]]
        for rank, pid in enumerate(order):
            p = paras[pid]
            for k, u in enumerate(units_of[pid]):
                cands.append(Candidate(u, rank, rank, p["title"]))
                vecs.append(U[first[pid] + k])
                pos = pid == q["pid"] and k == q["gold"]
                y.append(1.0 if pos else 0.0)
                other_has = pid != q["pid"] and any(a and a in _norm_answer(u.text) for a in ans_n)
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


def _stack(recs: list[dict], cols: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X = np.concatenate([r["X"][:, cols] for r in recs])
    y = np.concatenate([r["y"] for r in recs])
    w = np.concatenate([r["keep"].astype(float) for r in recs])
    g = np.concatenate([np.full(len(r["y"]), i) for i, r in enumerate(recs)])
    return X, y, w, g


def _fit_rows(recs: list[dict], cols: list[int], dev_weight: float) -> tuple[np.ndarray, ...]:
    X, y, w, g = _stack(recs, cols)
    rw = np.array([dev_weight if r.get("dev") else 1.0 for r in recs])
    return X, y, w * rw[g], g


def _fit(Z: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    return fit_logreg(Z, y, l2=l2, sample_weight=w)


def _calibration(recs: list[dict], z: np.ndarray, g: np.ndarray) -> tuple[float, float, float]:
    """sigmoid(a * top logit + c * margin + d) fitted to "the top unit is answer-bearing"; when dev
    records are present they weigh as much in total as the JSQuAD ones (the product's domain)."""

    n_dev = sum(1 for r in recs if r.get("dev"))
    dev_w = (len(recs) - n_dev) / n_dev if n_dev else 1.0
    tops, margins, correct, weights = [], [], [], []
    for i, r in enumerate(recs):
        zi = z[g == i]
        if not len(zi):
            continue
        o = np.argsort(-zi, kind="stable")
        tops.append(zi[o[0]])
        margins.append(zi[o[0]] - zi[o[1]] if len(o) > 1 else 5.0)
        correct.append(r["y"][o[0]])
        weights.append(dev_w if r.get("dev") else 1.0)
    cw, cb = fit_logreg(np.column_stack([tops, margins]), np.array(correct), l2=0.1, sample_weight=np.array(weights))
    return float(cw[0]), float(cw[1]), float(cb)


def fit_variant(
    train: list[dict],
    names: tuple[str, ...],
    seed: int,
    dev: list[dict] | None = None,
    dev_weight: float = 0.0,
    l2: float | None = None,
    cv: bool = True,
) -> tuple[Any, dict[str, Any]]:
    """Fit one model variant on JSQuAD train records (+ dev records, weighted): L2 by 3-fold CV over
    articles / dev documents (log-loss), top-unit calibration on the out-of-fold logits."""

    recs = train + (dev or [])
    cols = [FEATURES.index(f) for f in names]
    X, y, w, g = _fit_rows(recs, cols, dev_weight)
    mean = X[w > 0].mean(0)
    scale = X[w > 0].std(0)
    scale[scale < 1e-9] = 1.0
    Z = (X - mean) / scale
    if not cv:  # one fit, no calibration (leave-one-document-out rounds)
        wv, bv = _fit(Z, y, w, float(l2 or 1.0))
        return ReaderModel(names, mean, scale, wv, bv), {"l2": l2}
    groups = sorted({r["article"] for r in recs})
    rng = np.random.default_rng(seed + 1)
    fold_of = {a: int(f) for a, f in zip(groups, rng.permutation(len(groups)) % 3)}
    row_fold = np.array([fold_of[r["article"]] for r in recs])[g]
    cv: dict[float, float] = {}
    oof: dict[float, np.ndarray] = {}
    for lam in L2_GRID if l2 is None else (l2,):
        z_oof = np.zeros(len(y))
        for f in range(3):
            tr, te = row_fold != f, row_fold == f
            wv, bv = _fit(Z[tr], y[tr], w[tr], lam)
            z_oof[te] = Z[te] @ wv + bv
        p = np.clip(0.5 * (1 + np.tanh(0.5 * z_oof)), 1e-9, 1 - 1e-9)
        cv[lam] = float(-np.sum(w * (y * np.log(p) + (1 - y) * np.log(1 - p))) / w.sum())
        oof[lam] = z_oof
    lam = min(cv, key=lambda v: (round(cv[v], 5), v))
    wv, bv = _fit(Z, y, w, lam)
    calib = _calibration(recs, oof[lam], g)
    model = ReaderModel(names, mean, scale, wv, bv, calib)
    return model, {"l2": lam, "cv_logloss": {str(k): round(v, 5) for k, v in cv.items()}}


def dev_cross_validation(
    train: list[dict], dev: list[dict], names: tuple[str, ...], seed: int, dev_weight: float, l2: float
) -> dict[str, Any]:
    """Leave-one-document-out on the dev records: each dev document's questions are read by a model
    fitted on JSQuAD train + the other documents' dev questions."""
    groups = sorted({r["article"] for r in dev})
    out_recs = []
    for gname in groups:
        held = [r for r in dev if r["article"] == gname]
        rest = [r for r in dev if r["article"] != gname]
        m, _ = fit_variant(train, names, seed, rest, dev_weight, l2=l2, cv=False)
        for r in held:
            o, z = rank_units(m, r)
            out_recs.append((r, o, z))
    res: dict[str, Any] = {"_logits": [z for _, _, z in out_recs]}
    out_recs = [(r, o) for r, o, _ in out_recs]
    for lang in ("ja", "en", "all"):
        sel = [(r, o) for r, o in out_recs if lang == "all" or r["lang"] == lang]
        if not sel:
            continue
        a1 = np.mean([float(len(o) > 0 and r["y"][o[0]] > 0) for r, o in sel])
        a3 = np.mean([float(len(o) > 0 and r["y"][o[:3]].max() > 0) for r, o in sel])
        res[lang] = {"acc@1": round(float(a1), 4), "acc@3": round(float(a3), 4), "n": len(sel)}
    res["_correct"] = [bool(len(o) and r["y"][o[0]] > 0) for r, o in out_recs]
    return res


def rank_units(model: Any, r: dict) -> np.ndarray:
    z = model.logits(r["X"])
    return np.argsort(-z, kind="stable"), z


def eval_units(recs: list[dict], order_fn) -> dict[str, float]:
    a1 = a3 = 0
    for r in recs:
        o = order_fn(r)
        a1 += r["y"][o[0]] > 0
        a3 += r["y"][o[:3]].max() > 0
    n = max(1, len(recs))
    return {"acc@1": round(a1 / n, 4), "acc@3": round(a3 / n, 4), "n": len(recs)}


def _col(name: str) -> int:
    return FEATURES.index(name)


def baseline_orders() -> dict[str, Any]:
    def first_unit(r):
        # units of the top section in document order, then the others
        return np.lexsort((np.arange(len(r["y"])), -r["X"][:, _col("rank")]))

    def max_lex(r):
        return np.lexsort((np.arange(len(r["y"])), -r["X"][:, _col("rank")], -r["X"][:, _col("lex")]))

    def max_cos(r):
        return np.argsort(-r["X"][:, _col("cos")], kind="stable")

    return {"first_unit": first_unit, "max_lexical_overlap": max_lex, "max_e5_cosine": max_cos}


def extractive_order(r: dict, paras: list[dict]) -> np.ndarray:
    """rag.extractive's unit scoring on the same candidate paragraphs (its own units mapped back)."""

    hits = []
    for rank, pid in enumerate(r["order"]):
        p = paras[pid]
        hits.append(
            Hit(
                doc_id=f"p{pid}",
                title=p["title"],
                heading_path=(p["title"],),
                text=p["body"],
                start_line=0,
                end_line=0,
                score=1.0 / (1 + rank),
                source="",
                metadata={"uid": f"p{pid}"},
            )
        )
    info = X.analyze(r["q"]["question"], None)
    scored = X.score_units(info, hits, n_sections=len(hits))
    index = {}
    for i, (pid, k) in enumerate(r["where"]):
        index.setdefault((r["order"].index(pid), _norm_answer(paras[pid]["units"][k])), i)
    out: list[int] = []
    for sc in scored:
        key = (sc.hit_index, _norm_answer(sc.unit.text))
        i = index.get(key)
        if i is None:  # a unit the old splitter cut differently: the candidate that contains it
            for (h, t), j in index.items():
                if h == sc.hit_index and key[1] and key[1] in t:
                    i = j
                    break
        if i is not None and i not in out:
            out.append(i)
    out += [i for i in range(len(r["y"])) if i not in out]
    return np.array(out)


def span_data(recs: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list, int]:
    Xs, ys, gs, per = [], [], [], []
    covered = 0
    for i, r in enumerate(recs):
        gi = int(np.argmax(r["y"]))
        text = r["cands"][gi].unit.text
        cands = filter_candidates(r["info"], candidates(text))
        if not cands:
            continue
        X = span_features(r["info"], text, cands)
        ans = {_norm_answer(a) for a in r["q"]["answers"]}
        y = np.array([float(_norm_answer(c.text) in ans) for c in cands])
        covered += y.max() > 0
        Xs.append(X)
        ys.append(y)
        gs.append(np.full(len(y), i))
        per.append((r, cands, X))
    return np.concatenate(Xs), np.concatenate(ys), np.concatenate(gs), per, covered


def fit_span(train: list[dict]) -> tuple[dict[str, Any], dict[str, Any]]:
    X, y, g, per, covered = span_data(train)
    mean = X.mean(0)
    scale = X.std(0)
    scale[scale < 1e-9] = 1.0
    w, b = fit_logreg((X - mean) / scale, y, l2=SPAN_L2)
    # fallback threshold: maximise mean char F1 on train questions (gold unit)
    best_t, best_f1 = 0.0, -1.0
    probs = []
    for r, cands, Xq in per:
        p = 0.5 * (1 + np.tanh(0.5 * (((Xq - mean) / scale) @ w + b)))
        i = int(np.argmax(p))
        gi = int(np.argmax(r["y"]))
        probs.append(
            (p[i], em_f1(cands[i].text, r["q"]["answers"])[1], em_f1(r["cands"][gi].unit.text, r["q"]["answers"])[1])
        )
    for t in np.linspace(0.0, 0.6, 31):
        f1 = float(np.mean([fs if p >= t else fu for p, fs, fu in probs]))
        if f1 > best_f1 + 1e-9:
            best_t, best_f1 = float(t), f1
    model = {"features": list(SPAN_FEATURES), "mean": mean, "scale": scale, "w": w, "b": b, "threshold": best_t}
    return model, {
        "coverage": round(covered / max(1, len(train)), 4),
        "train_f1_gold_unit": round(best_f1, 4),
        "n": len(per),
    }


def eval_spans(recs: list[dict], pick, span_model: dict[str, Any]) -> dict[str, Any]:
    out = {"chosen_unit": [0.0, 0.0], "gold_unit": [0.0, 0.0], "whole_chosen_unit": [0.0, 0.0]}
    by_kind: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for r in recs:
        i = pick(r)
        gi = int(np.argmax(r["y"]))
        s = extract_span(r["info"], r["cands"][i].unit, span_model)
        em, f1 = em_f1(s.text, r["q"]["answers"])
        out["chosen_unit"][0] += em
        out["chosen_unit"][1] += f1
        sg = extract_span(r["info"], r["cands"][gi].unit, span_model)
        e2, f2 = em_f1(sg.text, r["q"]["answers"])
        out["gold_unit"][0] += e2
        out["gold_unit"][1] += f2
        e3, f3 = em_f1(r["cands"][i].unit.text, r["q"]["answers"])
        out["whole_chosen_unit"][0] += e3
        out["whole_chosen_unit"][1] += f3
        k = by_kind[r["info"].qtype.kind]
        k[0] += 1
        k[1] += em
        k[2] += f1
    n = max(1, len(recs))
    res = {k: {"em": round(v[0] / n, 4), "f1": round(v[1] / n, 4)} for k, v in out.items()}
    res["by_question_kind"] = {
        k: {"n": int(v[0]), "em": round(v[1] / v[0], 4), "f1": round(v[2] / v[0], 4)}
        for k, v in sorted(by_kind.items())
    }
    return res


def _span_json(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "features": m["features"],
        "mean": [round(float(x), 6) for x in m["mean"]],
        "scale": [round(float(x), 6) for x in m["scale"]],
        "weights": [round(float(x), 6) for x in m["w"]],
        "bias": round(float(m["b"]), 6),
        "threshold": round(float(m["threshold"]), 4),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jsquad", type=Path, default=JSQUAD)
    ap.add_argument("--out", type=Path, default=REPO / "rag" / "weights.json")
    ap.add_argument("--report", type=Path, default=None, help="also write the full report (JSON) here")
    ap.add_argument("--cache", type=Path, default=None, help="embedding cache folder")
    ap.add_argument("--limit-paragraphs", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-extractive-baseline", action="store_true")
    ap.add_argument(
        "--dev",
        type=Path,
        default=None,
        help="also fit on this project question set (needs an index of its library in the data dir)",
    )
    args = ap.parse_args(argv)

    settings = Settings.from_env()
    cache = args.cache or Path(settings.data_dir) / "reader-cache"
    t_start = time.perf_counter()
    paras, qs, in_title = load(args.jsquad, args.limit_paragraphs)
    train_titles = split_articles(paras, args.seed)
    log(
        f"{len(paras)} paragraphs, {len(qs)} questions ({in_title} answered by the title left out), "
        f"{len(train_titles)} of {len({p['title'] for p in paras})} articles for training"
    )
    built = build(paras, qs, cache, settings)
    recs = built["records"]
    train = [r for r in recs if r["article"] in train_titles]
    test = [r for r in recs if r["article"] not in train_titles]
    log(f"train {len(train)} questions, test {len(test)} questions; fitting …")

    jsq_only = {
        "dense": tuple(f for f in FEATURES if f not in KIND_FEATURES + EN_FEATURES),
        "lexical": tuple(f for f in FEATURES if f not in KIND_FEATURES + EN_FEATURES + DENSE_FEATURES),
    }
    with_dev = {
        "dense": FEATURES,
        "lexical": tuple(f for f in FEATURES if f not in DENSE_FEATURES + ("en_cos_gap",)),
    }
    models, fit_info, unit_eval, calib = {}, {}, {}, {}
    for name, feats in jsq_only.items():
        m, info = fit_variant(train, feats, args.seed)
        models[name] = m
        fit_info[name] = info
    dev_report: dict[str, Any] = {}
    if args.dev:
        dev = load_dev(args.dev, settings)
        log(f"dev: {len(dev)} answerable questions with candidates; leave-one-document-out …")
        dev_report["questions"] = len(dev)
        for name in ("dense", "lexical"):
            m0 = models[name]
            zero = {}
            for lang in ("ja", "en", "all"):
                sel = [r for r in dev if lang == "all" or r["lang"] == lang]
                zero[lang] = eval_units(sel, lambda r: rank_units(m0, r)[0])
            by_w = {"0 (JSQuAD only)": zero}
            l2 = fit_info[name]["l2"]
            for wgt in DEV_WEIGHTS:
                by_w[str(wgt)] = dev_cross_validation(train, dev, with_dev[name], args.seed, wgt, l2)
                log(f"  {name} dev weight {wgt}: {by_w[str(wgt)]['all']}")
            best = max(DEV_WEIGHTS, key=lambda v: (by_w[str(v)]["all"]["acc@1"], by_w[str(v)]["all"]["acc@3"], -v))
            m, info = fit_variant(train, with_dev[name], args.seed, dev, best, l2=l2)
            chosen = by_w[str(best)]
            chosen["calibration"] = reliability([m.top_probability(z) for z in chosen["_logits"]], chosen["_correct"])
            for v in by_w.values():
                v.pop("_logits", None)
                v.pop("_correct", None)
            dev_report[name] = {"by_dev_weight": by_w, "chosen_dev_weight": best}
            models[name] = m
            fit_info[name] = {**info, "dev_weight": best}
    for name, m in models.items():
        unit_eval[name] = eval_units(test, lambda r, m=m: rank_units(m, r)[0])
        probs, corr = [], []
        for r in test:
            o, z = rank_units(m, r)
            probs.append(m.top_probability(z))
            corr.append(bool(r["y"][o[0]] > 0))
        calib[name] = reliability(probs, corr)
    for name, fn in baseline_orders().items():
        unit_eval[name] = eval_units(test, fn)
    if not args.no_extractive_baseline:
        t0 = time.perf_counter()
        unit_eval["rag.extractive"] = eval_units(test, lambda r: extractive_order(r, paras))
        log(f"  old extractive scoring: {time.perf_counter() - t0:.0f}s")
    # within the question's own paragraph only (answer-sentence selection given the right paragraph)
    own = []
    for r in test:
        mask = np.array([pid == r["q"]["pid"] for pid, _ in r["where"]])
        z = models["dense"].logits(r["X"])
        z[~mask] = -np.inf
        own.append(r["y"][int(np.argmax(z))] > 0)
    unit_eval["dense_within_own_paragraph"] = {"acc@1": round(float(np.mean(own)), 4) if own else 0.0, "n": len(own)}
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in test:
        o, _ = rank_units(models["dense"], r)
        k = by_kind[r["info"].qtype.kind]
        k[0] += 1
        k[1] += int(r["y"][o[0]] > 0)
    unit_eval["dense_by_question_kind"] = {
        k: {"n": v[0], "acc@1": round(v[1] / v[0], 4)} for k, v in sorted(by_kind.items())
    }

    span_model, span_info = fit_span(train)
    spans = eval_spans(test, lambda r: int(rank_units(models["dense"], r)[0][0]), span_model)
    spans_lex = eval_spans(test, lambda r: int(rank_units(models["lexical"], r)[0][0]), span_model)

    metrics = {
        "data": {
            "paragraphs": len(paras),
            "questions": len(qs),
            "left_out_title_answers": in_title,
            "train_articles": len(train_titles),
            "test_articles": len({r["article"] for r in test}),
            "train_questions": len(train),
            "test_questions": len(test),
            "own_paragraph_not_in_top_sections": built["missed"],
            "sections": SECTIONS,
            "limit_paragraphs": args.limit_paragraphs,
            "seed": args.seed,
        },
        "unit_selection_test": unit_eval,
        "top_unit_calibration_test": calib,
        "span_test": {"dense": spans, "lexical": spans_lex},
        "dev_leave_one_document_out": dev_report,
        "fit": {**fit_info, "span": span_info},
        "seconds": round(time.perf_counter() - t_start, 1),
    }
    out = {
        "about": "Weights of the casebook reader (rag/reader_model.py unit scorer, rag/reader_span.py span "
        "scorer). Produced by eval/train_reader.py; do not edit by hand.",
        "training_data": "JSQuAD v1.3 validation split (Kurihara et al., 2022; Japanese Wikipedia), "
        "CC BY-SA 4.0: https://creativecommons.org/licenses/by-sa/4.0/ . These weights are "
        "fitted on it; the split is by article (see metrics.data).",
        "script": "eval/train_reader.py",
        "models": {k: m.to_json() for k, m in models.items()},
        "span": _span_json(span_model),
        "metrics": {k: metrics[k] for k in ("data", "unit_selection_test", "span_test")}
        | {
            "dev_leave_one_document_out": {
                k: (v["by_dev_weight"][str(v["chosen_dev_weight"])] | {"dev_weight": v["chosen_dev_weight"]})
                if isinstance(v, dict)
                else v
                for k, v in dev_report.items()
            }
        }
        | {"top_unit_calibration_test": {k: {"ece": v["ece"], "brier": v["brier"]} for k, v in calib.items()}},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(metrics, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(metrics, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
