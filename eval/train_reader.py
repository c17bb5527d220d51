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

With --dev SET [SET ...] (the project's dev sets; needs an index of their library in the data dir) the unit
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
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from eval.reader_data import JSQUAD, REPO, SECTIONS, build, load, load_dev, log, split_articles
from eval.reader_fit import (
    baseline_orders,
    dev_cross_validation,
    eval_spans,
    eval_units,
    extractive_order,
    fit_span,
    fit_variant,
    rank_units,
    span_json,
)
from eval.reader_metrics import reliability
from rag.answer.reader import DENSE_FEATURES, EN_FEATURES, FEATURES, KIND_FEATURES
from rag.config import Settings

DEV_WEIGHTS = (1.0, 3.0, 10.0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jsquad", type=Path, default=JSQUAD)
    ap.add_argument("--out", type=Path, default=REPO / "rag" / "answer" / "reader" / "weights.json")
    ap.add_argument("--report", type=Path, default=None, help="also write the full report (JSON) here")
    ap.add_argument("--cache", type=Path, default=None, help="embedding cache folder")
    ap.add_argument("--limit-paragraphs", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-extractive-baseline", action="store_true")
    ap.add_argument(
        "--dev",
        type=Path,
        nargs="+",
        default=None,
        help="also fit on these project question sets (needs an index of their library in the data dir)",
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
        dev = [r for path in args.dev for r in load_dev(path, settings)]
        log(f"dev: {len(dev)} answerable questions with candidates; leave-one-document-out …")
        dev_report["questions"] = len(dev)
        dev_report["sets"] = [p.name for p in args.dev]
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
        "span": span_json(span_model),
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
