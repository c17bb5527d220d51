"""The reader on a project question set (default eval/questions/dev.jsonl), against baselines.

    CASEBOOK_DATA_DIR=… python -m eval.reader_dev [QUESTIONS.jsonl] [--json OUT]

Needs an index of the library the set was written for (`casebook index seeds ../shared/corpus/cases`).
Only answerable questions are read. For each, the top 8 sections are retrieved exactly as `casebook ask`
does (its filters applied); the candidates are the units of the top 6 (rag.answer.reader.candidates_of). A unit
is answer-bearing when it belongs to a gold document and contains one of the question's facts
(eval.metrics.fact_in_text). Reported per language:
  unit acc@1 / acc@3   an answer-bearing unit ranked first / in the first three (over all questions,
                       and over those whose candidates hold one: `answerable_in_candidates`)
  span_fact@1          the span extracted from the top unit contains a fact
  facts@3_units        share of fact groups found in the top three units' texts
  facts@3_spans        share of fact groups found in the top three units' spans
for the reader's two variants (dense / lexical), and for baselines: first unit of the top section,
max lexical overlap, max e5 cosine, and rag.extractive's unit scoring (its best unit).
The held-out sets are not for this script: they must not be used to choose anything.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import fact_in_text, satisfied_groups
from eval.questionset import load_questions
from eval.runner import make_filters
from rag.answer import extractive as X
from rag.answer.reader import (
    FEATURES,
    candidates_of,
    extract_span,
    features,
    load_model,
    question_info,
    squash,
    unit_vector_cache,
)
from rag.config import Settings
from rag.index import get_library
from rag.search import get_retriever

REPO = Path(__file__).resolve().parents[1]
DEV = REPO / "eval" / "questions" / "dev.jsonl"


def _has_fact(q: Any, text: str) -> bool:
    return any(fact_in_text(a, text) for grp in q.facts for a in grp)


def _groups(q: Any, texts: list[str]) -> float:
    if not q.facts:
        return 0.0
    sat = satisfied_groups(q.facts, "\n".join(texts))
    return sum(sat) / len(sat)


def collect(path: Path, settings: Any) -> list[dict[str, Any]]:
    """Retrieval, candidates, features and labels of every answerable question of `path`."""

    qs, errors = load_questions(path)
    if errors:
        print("\n".join(errors), file=sys.stderr)
    retr = get_retriever(settings)
    cache = unit_vector_cache(settings)
    out = []
    for q in qs:
        if not q.answerable:
            continue
        hits = retr.run(q.question, make_filters(q.filters), 8)
        cands = candidates_of(hits)
        if not cands:
            out.append({"q": q, "hits": hits, "cands": [], "X": np.zeros((0, 0)), "y": np.zeros(0)})
            continue
        gold_docs = {g.doc for g in q.gold}
        y = np.array([float(hits[c.section].doc_id in gold_docs and _has_fact(q, c.unit.text)) for c in cands])
        qi = question_info(q.question, q.lang)
        qv = retr.embed_query(q.question)
        X = features(qi, qv, cands, cache.get([c.unit.text for c in cands]))
        out.append({"q": q, "qi": qi, "hits": hits, "cands": cands, "X": X, "y": y})
    return out


def extractive_pick(r: dict[str, Any], snapshot: Any) -> list[int]:
    """Indices (into r["cands"]) of rag.extractive's best units, best first."""

    info = X.analyze(r["q"].question, snapshot)
    scored = X.score_units(info, r["hits"])
    out: list[int] = []
    for sc in scored[:10]:
        st = squash(sc.unit.text)
        for i, c in enumerate(r["cands"]):
            if c.section == sc.hit_index and (squash(c.unit.text) == st or (st and st in squash(c.unit.text))):
                if i not in out:
                    out.append(i)
                break
    return out


def evaluate(recs: list[dict[str, Any]], snapshot: Any = None) -> dict[str, Any]:
    models = {v: load_model(v) for v in ("dense", "lexical")}
    col = {f: i for i, f in enumerate(FEATURES)}

    def orders(r: dict[str, Any]) -> dict[str, list[int]]:
        n = len(r["cands"])
        if n == 0:
            return {}
        X = r["X"]
        o = {v: list(np.argsort(-m.logits(X), kind="stable")) for v, m in models.items()}
        o["first_unit"] = list(np.lexsort((np.arange(n), -X[:, col["rank"]])))
        o["max_lexical_overlap"] = list(np.lexsort((np.arange(n), -X[:, col["rank"]], -X[:, col["lex"]])))
        o["max_e5_cosine"] = list(np.argsort(-X[:, col["cos"]], kind="stable"))
        if snapshot is not None:
            ex = extractive_pick(r, snapshot)
            o["rag.extractive"] = ex + [i for i in range(n) if i not in ex]
        return o

    acc: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for r in recs:
        q = r["q"]
        y = r["y"]
        has = bool(len(y) and y.max() > 0)
        for method, o in orders(r).items():
            for lang in (q.lang, "all"):
                a = acc[lang][method]
                a["acc@1"].append(float(y[o[0]] > 0))
                a["acc@3"].append(float(y[o[:3]].max() > 0))
                if has:
                    a["acc@1_in_cands"].append(float(y[o[0]] > 0))
                texts = [r["cands"][i].unit.text for i in o[:3]]
                a["facts@3_units"].append(_groups(q, texts))
                if method in models:
                    spans = [extract_span(r["qi"], r["cands"][i].unit).text for i in o[:3]]
                    a["span_fact@1"].append(float(_has_fact(q, spans[0])))
                    a["facts@3_spans"].append(_groups(q, spans))
        for lang in (q.lang, "all"):
            acc[lang]["_"]["answerable_in_candidates"].append(float(has))
    out: dict[str, Any] = {}
    for lang, methods in acc.items():
        out[lang] = {
            m: {k: round(float(np.mean(v)), 4) for k, v in d.items()}
            | {"n": len(d.get("acc@1", d.get("answerable_in_candidates", [])))}
            for m, d in methods.items()
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("questions", nargs="?", type=Path, default=DEV)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    if "heldout" in args.questions.name:
        print("held-out sets are not used for anything by the reader's tooling", file=sys.stderr)
        return 2

    settings = Settings.from_env()
    t0 = time.perf_counter()
    recs = collect(args.questions, settings)
    res = evaluate(recs, get_library(settings).snapshot())
    res["seconds"] = round(time.perf_counter() - t0, 1)
    text = json.dumps(res, ensure_ascii=False, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
