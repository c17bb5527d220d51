"""In-document retrieval: where the gold section ranks inside its own document, per language.

    CASEBOOK_DATA_DIR=… python -m eval.bench_indoc eval/questions/dev-2.jsonl [more sets …]
                       [--config '{"mask_names": false}'] [--k 10] [--misses] [--json OUT]

Why: a question about one library company is answered from that company's document only (the answer
path retrieves its sections with a doc_id filter and reads the top six), so the rank of the gold
section *inside* the document decides what the reader can find. On the five dev sets (2026-12-07;
dev.jsonl on its 13 documents, the others on all 49) the English questions over Japanese text rank it
far lower than the Japanese questions do: English hit@1 0.643 / hit@5 0.904 / MRR@10 0.757 over 230
questions, Japanese 0.867 / 0.982 / 0.917 over 113. The dense side is the weak one across languages
(English, dense list alone: hit@1 0.465; BM25 with the glossary alone: 0.604), and the glossary carries
the English side where it was written: on dev.jsonl, whose questions it was written beside, English
hit@1 is 0.909; on the four later dev sets 0.560.

For every answerable question whose gold sections lie in one document: retrieve(question, filters +
{doc_id: that document}, k) and the rank of the first hit on a gold heading path (eval.bench_retrieval's
rule). Reported per language: n, hit@1 / @3 / @5 / @6 (the reader's section count) / @k, MRR@k.
`--config` replaces fields of rag.search.DEFAULT_CONFIG (a JSON object; tuples as lists), to measure
a retrieval idea on the dev sets. Questions need the library their set was written for indexed in the
data dir (dev.jsonl: the 13 documents; the others: all 49). The held-out sets are not for this script.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from eval.bench_retrieval import is_hit
from eval.questionset import load_questions
from rag.config import Settings
from rag.search import DEFAULT_CONFIG, RetrievalConfig, Retriever

CUTS = (1, 3, 5, 6)


def config_from(text: str | None) -> RetrievalConfig:
    """DEFAULT_CONFIG with the fields of a JSON object replaced (lists become tuples, nested too)."""
    if not text:
        return DEFAULT_CONFIG
    given = json.loads(text)
    known = {f.name for f in fields(RetrievalConfig)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise SystemExit(f"unknown RetrievalConfig field(s): {', '.join(unknown)}")

    def tup(v: Any) -> Any:
        return tuple(tup(x) for x in v) if isinstance(v, list) else v

    return replace(DEFAULT_CONFIG, **{k: tup(v) for k, v in given.items()})


def in_document_ranks(
    paths: list[Path], settings: Settings, config: RetrievalConfig = DEFAULT_CONFIG, k: int = 10
) -> list[dict[str, Any]]:
    """One row per answerable single-document question: id, lang, doc, rank (None: not in the top k)."""
    r = Retriever(settings, config)
    rows: list[dict[str, Any]] = []
    for path in paths:
        qs, _ = load_questions(path)
        for q in qs:
            docs = {g.doc for g in q.gold}
            if not q.answerable or len(docs) != 1:
                continue
            doc = next(iter(docs))
            gold = [{"doc": g.doc, "section": g.section} for g in q.gold]
            hits = r.run(q.question, {**(q.filters or {}), "doc_id": doc}, k)
            rank = next((i for i, h in enumerate(hits, 1) if is_hit(h, gold)), None)
            rows.append({"id": q.id, "lang": q.lang, "doc": doc, "question": q.question, "rank": rank})
    return rows


def summary(rows: list[dict[str, Any]], k: int = 10) -> dict[str, dict[str, float]]:
    """Per language (and "all"): n, hit@cut for the cuts and k, MRR@k."""
    out: dict[str, dict[str, float]] = {}
    for lang in ("en", "ja", "all"):
        ranks = [r["rank"] for r in rows if lang == "all" or r["lang"] == lang]
        if not ranks:
            continue
        n = len(ranks)
        s: dict[str, float] = {"n": n}
        for c in (*CUTS, k):
            s[f"hit@{c}"] = round(sum(1 for x in ranks if x is not None and x <= c) / n, 3)
        s[f"mrr@{k}"] = round(sum(1 / x for x in ranks if x) / n, 3)
        out[lang] = s
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("questions", nargs="+", type=Path, help="question sets (JSON Lines)")
    ap.add_argument("--config", default=None, help="JSON object of RetrievalConfig fields to replace")
    ap.add_argument("--k", type=int, default=10, help="sections retrieved per question (default 10)")
    ap.add_argument("--misses", action="store_true", help="list the questions whose gold section is below rank 5")
    ap.add_argument("--json", type=Path, default=None, help="also write rows and summary here")
    args = ap.parse_args(argv)
    rows = in_document_ranks(args.questions, Settings.from_env(), config_from(args.config), args.k)
    if not rows:
        print("no answerable single-document question in these sets", file=sys.stderr)
        return 2
    summ = summary(rows, args.k)
    for lang, s in summ.items():
        print(f"{lang:4s} " + "  ".join(f"{key} {val}" for key, val in s.items()))
    if args.misses:
        for r in rows:
            if r["rank"] is None or r["rank"] > 5:
                print(f"  {r['id']} rank {r['rank']}: {r['question']}")
    if args.json:
        args.json.write_text(json.dumps({"summary": summ, "rows": rows}, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
