"""Fitting and evaluating the reader's scorers for eval/train_reader.py, on the records of reader_data.

The unit scorer: `fit_variant` (L2 by 3-fold cross-validation over articles, top-unit calibration on the
out-of-fold logits), `dev_cross_validation` (leave-one-document-out on the dev records), `eval_units`
with `rank_units`, the baselines (`baseline_orders`, `extractive_order`: rag.answer.extractive's unit
scoring). The span scorer: `fit_span` (and its fallback threshold), `eval_spans`, `span_json`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from eval.reader_metrics import em_f1, norm_answer
from rag.answer import extractive as X
from rag.answer.reader import (
    FEATURES,
    SPAN_FEATURES,
    ReaderModel,
    candidates,
    extract_span,
    filter_candidates,
    fit_logreg,
    span_features,
)
from rag.schema import Hit

L2_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
SPAN_L2 = 1.0


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
        index.setdefault((r["order"].index(pid), norm_answer(paras[pid]["units"][k])), i)
    out: list[int] = []
    for sc in scored:
        key = (sc.hit_index, norm_answer(sc.unit.text))
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
        cands = filter_candidates(r["info"], candidates(text), text)
        if not cands:
            continue
        X = span_features(r["info"], text, cands)
        ans = {norm_answer(a) for a in r["q"]["answers"]}
        y = np.array([float(norm_answer(c.text) in ans) for c in cands])
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


def span_json(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "features": m["features"],
        "mean": [round(float(x), 6) for x in m["mean"]],
        "scale": [round(float(x), 6) for x in m["scale"]],
        "weights": [round(float(x), 6) for x in m["w"]],
        "bias": round(float(m["b"]), 6),
        "threshold": round(float(m["threshold"]), 4),
    }
