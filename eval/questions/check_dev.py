#!/usr/bin/env python3
"""Validate the dev question set (eval/questions/dev.jsonl) against the case-study documents.

Standalone: plain python3, standard library only, no project imports; the documents side (finding
them, their sections, the text folding) is in check_dev_docs.py next to it.

    python3 eval/questions/check_dev.py                 # checks dev.jsonl next to this script
    python3 eval/questions/check_dev.py other.jsonl     # checks another file
    python3 eval/questions/check_dev.py --docs DIR ...  # look for documents in DIR (repeatable)
    python3 eval/questions/check_dev.py --no-quota      # skip the composition targets

Checks
  * every line is a JSON object with exactly the fields id, question, lang, answerable, gold,
    facts, kind (+ optional filters), each of the right type and vocabulary;
  * ids are unique;
  * every gold {"doc", "section"} names a known document and an existing ##/###/#### heading of
    it (compared after NFKC + whitespace folding);
  * for answerable questions every fact group has at least one alternative that occurs in the
    text of at least one of its gold sections (NFKC, casefold, thousands separators and whitespace
    folded, number boundaries respected: the same rules as eval/metrics.py);
    a section runs from its heading line to the next heading of the same or a higher level;
  * every gold section contains at least one fact alternative (no stray gold entries);
  * multi_doc questions have gold sections in >= 2 documents and facts matched in >= 2 documents;
  * two_part questions (one question asking for two things) have >= 2 fact groups;
  * unanswerable questions have answerable=false, gold=[] and facts=[];
  * composition targets (counts per language, kinds, documents) unless --no-quota.

Documents are located by doc id: files (*.md, *.txt) in <repo>/seeds and <repo>/../shared/corpus/cases
(the dev set's library; give --docs for another one, e.g. also <repo>/../shared/corpus/more for heldout-more.jsonl);
the id is read from the front matter keys id / case_id / case_study_id, else the file stem.
Prints counts per lang/kind and exits 1 on any problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

# the sibling module (this folder is on sys.path when the script runs)
from check_dev_docs import JA_CHAR_RE, Doc, contains_fact, fold_fact, fold_heading, ja_ratio, load_docs

FIELDS_REQUIRED = ("id", "question", "lang", "answerable", "gold", "facts", "kind")
FIELDS_OPTIONAL = ("filters",)
LANGS = ("ja", "en")
KINDS = ("fact", "numeric", "name", "date", "cross_lingual", "multi_doc", "two_part", "unanswerable", "filter")
FILTER_KEYS = ("country", "industry", "company", "doc_id", "tags")
COUNTRIES = ("日本", "米国", "フランス", "カナダ", "スウェーデン")

# composition targets for the dev set
QUOTA = {
    "total": 72,
    "ja": 30,
    "en": 30,
    "en_about_ja": 22,
    "unanswerable": 10,
    "unanswerable_per_lang": 1,
    "multi_doc": 6,
    "with_filters": 5,
    "per_doc": 3,
}

WARNINGS: list[str] = []  # reported, but do not fail the check


# ----------------------------------------------------------------------------- questions


def check_types(q: dict, where: str) -> list[str]:
    errs: list[str] = []
    keys = set(q)
    missing = [k for k in FIELDS_REQUIRED if k not in keys]
    extra = sorted(keys - set(FIELDS_REQUIRED) - set(FIELDS_OPTIONAL))
    if missing:
        errs.append(f"{where}: missing field(s) {missing}")
    if extra:
        errs.append(f"{where}: unexpected field(s) {extra}")
    if missing:
        return errs
    if not isinstance(q["id"], str) or not q["id"].strip():
        errs.append(f"{where}: id must be a non-empty string")
    if not isinstance(q["question"], str) or not q["question"].strip():
        errs.append(f"{where}: question must be a non-empty string")
    if q["lang"] not in LANGS:
        errs.append(f"{where}: lang must be one of {LANGS}, got {q['lang']!r}")
    if not isinstance(q["answerable"], bool):
        errs.append(f"{where}: answerable must be a boolean")
    if q["kind"] not in KINDS:
        errs.append(f"{where}: kind must be one of {KINDS}, got {q['kind']!r}")
    gold = q["gold"]
    if not isinstance(gold, list):
        errs.append(f"{where}: gold must be a list")
    else:
        for g in gold:
            if not (
                isinstance(g, dict)
                and set(g) == {"doc", "section"}
                and isinstance(g["doc"], str)
                and isinstance(g["section"], str)
                and g["doc"].strip()
                and g["section"].strip()
            ):
                errs.append(f'{where}: each gold entry must be {{"doc": str, "section": str}}, got {g!r}')
    facts = q["facts"]
    if not isinstance(facts, list):
        errs.append(f"{where}: facts must be a list of lists of strings")
    else:
        for grp in facts:
            if not (isinstance(grp, list) and grp and all(isinstance(a, str) and a.strip() for a in grp)):
                errs.append(f"{where}: each fact group must be a non-empty list of non-empty strings, got {grp!r}")
    if "filters" in q:
        f = q["filters"]
        if not isinstance(f, dict) or not f:
            errs.append(f"{where}: filters must be a non-empty object")
        else:
            for k, v in f.items():
                if k not in FILTER_KEYS:
                    errs.append(f"{where}: unknown filter key {k!r} (allowed: {FILTER_KEYS})")
                if not isinstance(v, str) or not v.strip():
                    errs.append(f"{where}: filter {k!r} must be a non-empty string (simple equality)")
                elif k == "country" and v not in COUNTRIES:
                    errs.append(f"{where}: filter country must be one of {COUNTRIES}, got {v!r}")
    return errs


def structurally_ok(q: dict) -> bool:
    """True when the record is sound enough for the content checks (even if check_types complained)."""
    if any(k not in q for k in FIELDS_REQUIRED):
        return False
    if not (
        isinstance(q["id"], str)
        and isinstance(q["question"], str)
        and q["lang"] in LANGS
        and isinstance(q["answerable"], bool)
        and q["kind"] in KINDS
    ):
        return False
    if not (
        isinstance(q["gold"], list)
        and all(
            isinstance(g, dict) and isinstance(g.get("doc"), str) and isinstance(g.get("section"), str)
            for g in q["gold"]
        )
    ):
        return False
    return isinstance(q["facts"], list) and all(
        isinstance(grp, list) and all(isinstance(a, str) for a in grp) for grp in q["facts"]
    )


def check_question(q: dict, where: str, docs: dict[str, Doc]) -> list[str]:
    errs: list[str] = []
    qid = q["id"]
    lang, kind, answerable = q["lang"], q["kind"], q["answerable"]
    question = q["question"]

    # language of the question text
    if lang == "ja" and not JA_CHAR_RE.search(question):
        errs.append(f"{where} [{qid}]: lang=ja but the question has no Japanese characters")
    if lang == "en" and ja_ratio(question) > 0.2:
        errs.append(f"{where} [{qid}]: lang=en but the question is mostly Japanese")
    if kind == "cross_lingual" and lang != "en":
        errs.append(f"{where} [{qid}]: kind=cross_lingual requires lang=en")

    if not answerable or kind == "unanswerable":
        if answerable:
            errs.append(f"{where} [{qid}]: kind=unanswerable but answerable=true")
        if kind != "unanswerable":
            errs.append(f"{where} [{qid}]: answerable=false requires kind=unanswerable")
        if q["gold"] != [] or q["facts"] != []:
            errs.append(f"{where} [{qid}]: unanswerable questions must have gold=[] and facts=[]")
        return errs

    if not q["gold"]:
        errs.append(f"{where} [{qid}]: answerable question without gold sections")
    if not q["facts"]:
        errs.append(f"{where} [{qid}]: answerable question without facts")

    # resolve gold sections
    texts: list[tuple[str, str]] = []  # (doc_id, section text)
    seen = set()
    for g in q["gold"]:
        key = (g["doc"], fold_heading(g["section"]))
        if key in seen:
            errs.append(f"{where} [{qid}]: duplicate gold entry {g['doc']} / {g['section']!r}")
        seen.add(key)
        doc = docs.get(g["doc"])
        if doc is None:
            errs.append(f"{where} [{qid}]: unknown doc id {g['doc']!r}")
            continue
        secs = doc.section_texts(g["section"])
        if not secs:
            errs.append(f"{where} [{qid}]: no heading {g['section']!r} in {g['doc']} ({doc.path.name})")
            continue
        usable = [t for lvl, _, t in secs if 2 <= lvl <= 4]
        if not usable:
            errs.append(f"{where} [{qid}]: heading {g['section']!r} in {g['doc']} is not a ##/###/#### heading")
            continue
        if g["section"] not in {h for _, h, _ in secs}:
            WARNINGS.append(
                f"{where} [{qid}]: section {g['section']!r} matches {g['doc']} only after folding "
                f"(written: {secs[0][1]!r})"
            )
        folded = [fold_fact(t) for t in usable]
        for t in folded:
            texts.append((g["doc"], t))
        alts = [fold_fact(a) for grp in q["facts"] for a in grp if fold_fact(a)]
        if alts and not any(contains_fact(t, a) for a in alts for t in folded):
            errs.append(f"{where} [{qid}]: gold section {g['doc']} / {g['section']!r} contains none of the facts")

    if kind == "two_part" and len(q["facts"]) < 2:
        errs.append(f"{where} [{qid}]: two_part question needs >= 2 fact groups (one per part)")

    if kind == "multi_doc" and len({g["doc"] for g in q["gold"]}) < 2:
        errs.append(f"{where} [{qid}]: multi_doc question needs gold sections from >= 2 documents")

    if texts:
        matched_docs: set[str] = set()
        for grp in q["facts"]:
            hit_docs = {d for alt in grp for d, t in texts if contains_fact(t, fold_fact(alt))}
            if not hit_docs:
                errs.append(f"{where} [{qid}]: fact group {grp!r} not found in any gold section")
            matched_docs |= hit_docs
        if kind == "multi_doc" and len(matched_docs) < 2:
            errs.append(f"{where} [{qid}]: multi_doc facts are matched in fewer than 2 documents")
    return errs


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    repo = here.parents[1]
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", nargs="?", default=str(here / "dev.jsonl"), help="question file (JSON Lines)")
    ap.add_argument(
        "--docs",
        action="append",
        type=Path,
        default=None,
        help="folder with documents (repeatable); default: <repo>/seeds and <repo>/../shared/corpus/cases",
    )
    ap.add_argument("--no-quota", action="store_true", help="do not enforce the composition targets")
    args = ap.parse_args(argv)

    dirs = args.docs or [repo / "seeds", repo.parent / "shared" / "corpus" / "cases"]
    docs, problems = load_docs(dirs)

    path = Path(args.path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        print(f"FAIL: cannot read {path}: {e}")
        return 1

    questions: list[dict] = []
    ids: dict[str, int] = {}
    for n, line in enumerate(raw.splitlines(), 1):
        where = f"{path.name}:{n}"
        if not line.strip():
            problems.append(f"{where}: blank line")
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{where}: invalid JSON ({e})")
            continue
        if not isinstance(q, dict):
            problems.append(f"{where}: not a JSON object")
            continue
        type_errs = check_types(q, where)
        problems += type_errs
        if not structurally_ok(q):
            continue
        if q["id"] in ids:
            problems.append(f"{where}: duplicate id {q['id']!r} (first on line {ids[q['id']]})")
        else:
            ids[q["id"]] = n
        problems += check_question(q, where, docs)
        questions.append(q)

    # ---- counts
    by_lang = Counter(q["lang"] for q in questions)
    by_kind = Counter(q["kind"] for q in questions)
    by_lang_kind = Counter((q["lang"], q["kind"]) for q in questions)
    by_doc: Counter = Counter()
    for q in questions:
        for d in {g["doc"] for g in q["gold"]}:
            by_doc[d] += 1
    unans = [q for q in questions if not q["answerable"]]
    unans_lang = Counter(q["lang"] for q in unans)
    en_about_ja = sum(
        1
        for q in questions
        if q["lang"] == "en"
        and q["answerable"]
        and any(docs.get(g["doc"]) is not None and docs[g["doc"]].lang == "ja" for g in q["gold"])
    )
    with_filters = sum(1 for q in questions if q.get("filters"))

    print(f"questions: {len(questions)}   documents found: {len(docs)}")
    print("by lang:  " + "  ".join(f"{k}={by_lang[k]}" for k in LANGS))
    print("by kind:  " + "  ".join(f"{k}={by_kind[k]}" for k in KINDS if by_kind[k]))
    print("lang x kind:")
    for lang in LANGS:
        print(f"  {lang}: " + "  ".join(f"{k}={by_lang_kind[(lang, k)]}" for k in KINDS if by_lang_kind[(lang, k)]))
    print(
        f"answerable={len(questions) - len(unans)}  unanswerable={len(unans)} "
        f"(ja={unans_lang['ja']}, en={unans_lang['en']})  with filters={with_filters}  "
        f"en questions about ja documents={en_about_ja}"
    )
    print("gold documents (questions per doc):")
    for d in sorted(docs):
        print(f"  {d:<20} {by_doc[d]:>3}   [{docs[d].lang}] {docs[d].path.name}")
    for d in sorted(set(by_doc) - set(docs)):
        print(f"  {d:<20} {by_doc[d]:>3}   (unknown document)")

    if not args.no_quota:
        want = QUOTA
        checks = [
            (len(questions) >= want["total"], f"at least {want['total']} questions (have {len(questions)})"),
            (by_lang["ja"] >= want["ja"], f"at least {want['ja']} ja questions (have {by_lang['ja']})"),
            (by_lang["en"] >= want["en"], f"at least {want['en']} en questions (have {by_lang['en']})"),
            (
                en_about_ja >= want["en_about_ja"],
                f"at least {want['en_about_ja']} en questions about ja documents (have {en_about_ja})",
            ),
            (len(unans) >= want["unanswerable"], f"at least {want['unanswerable']} unanswerable (have {len(unans)})"),
            (
                min(unans_lang["ja"], unans_lang["en"]) >= want["unanswerable_per_lang"],
                "unanswerable questions in both languages",
            ),
            (
                by_kind["multi_doc"] >= want["multi_doc"],
                f"at least {want['multi_doc']} multi_doc (have {by_kind['multi_doc']})",
            ),
            (
                with_filters >= want["with_filters"],
                f"at least {want['with_filters']} questions with filters (have {with_filters})",
            ),
        ]
        for d in sorted(docs):
            checks.append(
                (by_doc[d] >= want["per_doc"], f"at least {want['per_doc']} questions for {d} (have {by_doc[d]})")
            )
        for ok, msg in checks:
            if not ok:
                problems.append(f"quota: {msg}")

    if WARNINGS:
        print(f"\n{len(WARNINGS)} warning(s)")
        for w in WARNINGS:
            print("  ~ " + w)
    if problems:
        print(f"\nFAIL: {len(problems)} problem(s)")
        for p in problems:
            print("  - " + p)
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
