"""The dev and held-out question sets are valid against the documents as the project itself parses them."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from eval.metrics import fact_in_text, fold_heading
from eval.questionset import load_questions
from rag.ingest import iter_library, load_document, split_sections
from tests.conftest import CORPUS, HAVE_MORE, MORE, MORE_REASON, REPO, SEEDS, needs_shared

DEV = REPO / "eval" / "questions" / "dev.jsonl"
HELDOUT = REPO / "eval" / "questions" / "heldout.jsonl"
HELDOUT_MORE = REPO / "eval" / "questions" / "heldout-more.jsonl"
DEV_MORE = REPO / "eval" / "questions" / "dev-more.jsonl"
HELDOUT_3 = REPO / "eval" / "questions" / "heldout-3.jsonl"
HELDOUT_4 = REPO / "eval" / "questions" / "heldout-4.jsonl"
HELDOUT_5 = REPO / "eval" / "questions" / "heldout-5.jsonl"
HELDOUT_6 = REPO / "eval" / "questions" / "heldout-6.jsonl"
HELDOUT_7 = REPO / "eval" / "questions" / "heldout-7.jsonl"
HELDOUT_8 = REPO / "eval" / "questions" / "heldout-8.jsonl"
DEV_2 = REPO / "eval" / "questions" / "dev-2.jsonl"
DEV_3 = REPO / "eval" / "questions" / "dev-3.jsonl"
HELDOUT_9 = REPO / "eval" / "questions" / "heldout-9.jsonl"
HELDOUT_10 = REPO / "eval" / "questions" / "heldout-10.jsonl"
HELDOUT_11 = REPO / "eval" / "questions" / "heldout-11.jsonl"
DEV_4 = REPO / "eval" / "questions" / "dev-4.jsonl"
HELDOUT_12 = REPO / "eval" / "questions" / "heldout-12.jsonl"
HELDOUT_13 = REPO / "eval" / "questions" / "heldout-13.jsonl"
HELDOUT_14 = REPO / "eval" / "questions" / "heldout-14.jsonl"
HELDOUT_15 = REPO / "eval" / "questions" / "heldout-15.jsonl"
HELDOUT_16 = REPO / "eval" / "questions" / "heldout-16.jsonl"
HELDOUT_17 = REPO / "eval" / "questions" / "heldout-17.jsonl"
HELDOUT_18 = REPO / "eval" / "questions" / "heldout-18.jsonl"
HELDOUT_19 = REPO / "eval" / "questions" / "heldout-19.jsonl"
DEV_5 = REPO / "eval" / "questions" / "dev-5.jsonl"
HELDOUT_20 = REPO / "eval" / "questions" / "heldout-20.jsonl"
CHECKER = REPO / "eval" / "questions" / "check_dev.py"

# (question file, its library): heldout-more is written over the 36 documents of ../shared/corpus/more,
# asked against the whole 49-document library; its parametrisations skip on their own when that folder is absent.
needs_more_param = pytest.mark.skipif(not HAVE_MORE, reason=MORE_REASON)
SETS = [
    pytest.param(DEV, False, id="dev"),
    pytest.param(HELDOUT, False, id="heldout"),
    pytest.param(HELDOUT_MORE, True, id="heldout-more", marks=needs_more_param),
    pytest.param(DEV_MORE, True, id="dev-more", marks=needs_more_param),
    pytest.param(HELDOUT_3, True, id="heldout-3", marks=needs_more_param),
    pytest.param(HELDOUT_4, True, id="heldout-4", marks=needs_more_param),
    pytest.param(HELDOUT_5, True, id="heldout-5", marks=needs_more_param),
    pytest.param(HELDOUT_6, True, id="heldout-6", marks=needs_more_param),
    pytest.param(HELDOUT_7, True, id="heldout-7", marks=needs_more_param),
    pytest.param(HELDOUT_8, True, id="heldout-8", marks=needs_more_param),
    pytest.param(DEV_2, True, id="dev-2", marks=needs_more_param),
    pytest.param(DEV_3, True, id="dev-3", marks=needs_more_param),
    pytest.param(HELDOUT_9, True, id="heldout-9", marks=needs_more_param),
    pytest.param(HELDOUT_10, True, id="heldout-10", marks=needs_more_param),
    pytest.param(HELDOUT_11, True, id="heldout-11", marks=needs_more_param),
    pytest.param(DEV_4, True, id="dev-4", marks=needs_more_param),
    pytest.param(HELDOUT_12, True, id="heldout-12", marks=needs_more_param),
    pytest.param(HELDOUT_13, True, id="heldout-13", marks=needs_more_param),
    pytest.param(HELDOUT_14, True, id="heldout-14", marks=needs_more_param),
    pytest.param(HELDOUT_15, True, id="heldout-15", marks=needs_more_param),
    pytest.param(HELDOUT_16, True, id="heldout-16", marks=needs_more_param),
    pytest.param(HELDOUT_17, True, id="heldout-17", marks=needs_more_param),
    pytest.param(HELDOUT_18, True, id="heldout-18", marks=needs_more_param),
    pytest.param(HELDOUT_19, True, id="heldout-19", marks=needs_more_param),
    pytest.param(DEV_5, True, id="dev-5", marks=needs_more_param),
    pytest.param(HELDOUT_20, True, id="heldout-20", marks=needs_more_param),
]


@pytest.fixture(scope="module")
def documents() -> dict[str, object]:
    folders = [SEEDS, CORPUS] + ([MORE] if HAVE_MORE else [])
    return {d.doc_id: d for d in (load_document(p) for p in iter_library(folders))}


def test_dev_set_loads_and_has_the_required_mix() -> None:
    qs, errors = load_questions(DEV)
    assert not errors
    assert len(qs) >= 60
    langs = [q.lang for q in qs]
    assert langs.count("ja") >= 20 and langs.count("en") >= 20
    assert sum(not q.answerable for q in qs) >= 8
    assert sum(q.kind == "multi_doc" for q in qs) >= 5
    assert sum(bool(q.filters) for q in qs) >= 4
    assert sum(q.lang == "en" and q.answerable for q in qs) >= 20


def test_heldout_set_is_separate_from_the_dev_set() -> None:
    dev, _ = load_questions(DEV)
    held, errors = load_questions(HELDOUT)
    assert not errors and len(held) >= 30
    assert not {q.id for q in dev} & {q.id for q in held}
    assert not {q.question for q in dev} & {q.question for q in held}
    assert sum(not q.answerable for q in held) >= 3 and {q.lang for q in held} == {"ja", "en"}


def _assert_heldout_mix(qs: list, unanswerable: int, two_part: int, multi_doc: int) -> None:
    """Half Japanese, half English; at least so many unanswerable (3 per language), two-part (a fact
    group per part) and two-document questions."""
    langs = [q.lang for q in qs]
    assert abs(langs.count("ja") - langs.count("en")) <= 2, "half Japanese, half English"
    assert sum(not q.answerable for q in qs) >= unanswerable
    assert sum(not q.answerable and q.lang == "ja" for q in qs) >= 3
    assert sum(not q.answerable and q.lang == "en" for q in qs) >= 3
    parts = [q for q in qs if q.kind == "two_part"]
    assert len(parts) >= two_part and all(len(q.facts) >= 2 for q in parts)
    multi = [q for q in qs if q.kind == "multi_doc"]
    assert len(multi) >= multi_doc and all(len({g.doc for g in q.gold}) >= 2 for q in multi)


def test_heldout_more_has_the_required_mix_and_is_separate() -> None:
    qs, errors = load_questions(HELDOUT_MORE)
    assert not errors and len(qs) >= 60
    _assert_heldout_mix(qs, unanswerable=10, two_part=6, multi_doc=4)
    others = {q.id for path in (DEV, HELDOUT) for q in load_questions(path)[0]}
    other_texts = {q.question for path in (DEV, HELDOUT) for q in load_questions(path)[0]}
    assert not {q.id for q in qs} & others
    assert not {q.question for q in qs} & other_texts


def _assert_mix(qs, *, unanswerable: int, two_part: int, multi_doc: int, dates: int, names: int) -> None:
    """At least these many questions of each kind; a two-part question has a fact group per part, a
    two-document one gold in two documents."""
    assert sum(not q.answerable for q in qs) >= unanswerable
    parts = [q for q in qs if q.kind == "two_part"]
    assert len(parts) >= two_part and all(len(q.facts) >= 2 for q in parts)
    multi = [q for q in qs if q.kind == "multi_doc"]
    assert len(multi) >= multi_doc and all(len({g.doc for g in q.gold}) >= 2 for q in multi)
    assert sum(q.kind == "date" for q in qs) >= dates and sum(q.kind == "name" for q in qs) >= names


def test_dev_more_has_the_required_mix_and_is_separate_from_dev() -> None:
    """dev-more.jsonl: the tuning set over the 49-document library (its ids all start with "dm-")."""
    qs, errors = load_questions(DEV_MORE)
    assert not errors and len(qs) >= 60
    assert all(q.id.startswith("dm-") for q in qs)
    # dm-kana-*: Japanese by nature (katakana spellings of companies the documents write in Latin letters)
    langs = [q.lang for q in qs if not q.id.startswith("dm-kana-")]
    assert abs(langs.count("ja") - langs.count("en")) <= 2, "half Japanese, half English"
    _assert_mix(qs, unanswerable=14, two_part=10, multi_doc=5, dates=5, names=5)
    dev, _ = load_questions(DEV)
    assert not {q.id for q in qs} & {q.id for q in dev}
    assert not {q.question for q in qs} & {q.question for q in dev}


def test_dev_2_has_the_required_mix_and_is_separate_from_every_other_set() -> None:
    """dev-2.jsonl: tuning / reader-training set over all 49 documents, two thirds English questions
    about Japanese text (ids start with "d2-"); no id or question text of any other set."""
    qs, errors = load_questions(DEV_2)
    assert not errors and len(qs) == 90
    assert all(q.id.startswith("d2-") for q in qs)
    langs = [q.lang for q in qs]
    assert langs.count("en") == 60 and langs.count("ja") == 30
    _assert_mix(qs, unanswerable=8, two_part=10, multi_doc=4, dates=8, names=8)
    per_doc: dict[str, int] = {}
    for q in qs:
        for d in {g.doc for g in q.gold}:
            per_doc[d] = per_doc.get(d, 0) + 1
    assert len(per_doc) >= 40 and max(per_doc.values()) <= 3
    others = [q for p in sorted(DEV_2.parent.glob("*.jsonl")) if p != DEV_2 for q in load_questions(p)[0]]
    assert not {q.id for q in qs} & {q.id for q in others}
    assert not {q.question for q in qs} & {q.question for q in others}


def _tuning_set(path: Path, prefix: str) -> tuple[list, list]:
    """An 80-question tuning set over all 49 documents, three quarters English (ids start with `prefix`),
    with its mix, sharing no id or question text with any other set; (its questions, the other sets')."""
    qs, errors = load_questions(path)
    assert not errors and len(qs) == 80
    assert all(q.id.startswith(prefix) for q in qs)
    langs = [q.lang for q in qs]
    assert langs.count("en") == 60 and langs.count("ja") == 20
    _assert_mix(qs, unanswerable=8, two_part=10, multi_doc=4, dates=3, names=5)
    others = [q for p in sorted(path.parent.glob("*.jsonl")) if p != path for q in load_questions(p)[0]]
    assert not {q.id for q in qs} & {q.id for q in others}
    assert not {q.question for q in qs} & {q.question for q in others}
    return qs, others


def test_dev_3_has_the_required_mix_and_is_separate_from_every_other_set() -> None:
    """dev-3.jsonl: English questions in everyday phrasing about Japanese text ("d3-")."""
    _tuning_set(DEV_3, "d3-")


def test_dev_4_has_the_required_mix_and_repeats_no_fact_of_an_earlier_set() -> None:
    """dev-4.jsonl: fraud, security, governance, results, adoption, vendors, people, timelines, costs ("d4-");
    no fact string another set asks about the same document."""
    qs, others = _tuning_set(DEV_4, "d4-")
    asked = {(g.doc, _fold(alt)) for q in others for g in q.gold for group in q.facts for alt in group}
    again = [
        (q.id, alt) for q in qs for g in q.gold for group in q.facts for alt in group if (g.doc, _fold(alt)) in asked
    ]
    assert not again, again


def test_dev_5_asks_mostly_what_the_library_does_not_hold() -> None:
    """dev-5.jsonl: 80 questions ("d5-"), half English, half unanswerable (per language 16 ask a figure, date
    or name the named company's document does not give, beside one it does; 4 ask about a company in no
    document), the rest answerable; no id, question or fact of an earlier set about the same document."""
    qs, errors = load_questions(DEV_5)
    assert not errors and len(qs) == 80
    assert all(q.id.startswith("d5-") for q in qs)
    assert [q.lang for q in qs].count("en") == 40
    for lang in ("en", "ja"):
        assert sum(not q.answerable for q in qs if q.lang == lang) == 20
    _assert_mix(qs, unanswerable=40, two_part=6, multi_doc=0, dates=8, names=8)
    others = [q for p in _before(DEV_5) for q in load_questions(p)[0]]
    assert not {q.id for q in qs} & {q.id for q in others}
    assert not {q.question for q in qs} & {q.question for q in others}
    asked = {(g.doc, _fold(alt)) for q in others for g in q.gold for group in q.facts for alt in group}
    again = [
        (q.id, alt) for q in qs for g in q.gold for group in q.facts for alt in group if (g.doc, _fold(alt)) in asked
    ]
    assert not again, again


def _fold(s: str) -> str:
    return "".join(unicodedata.normalize("NFKC", s).casefold().replace(",", "").split())


# every question set in the order it was written: a held-out set repeats nothing of the sets before it
WRITTEN_IN_ORDER = (
    DEV,
    HELDOUT,
    HELDOUT_MORE,
    DEV_MORE,
    HELDOUT_3,
    HELDOUT_4,
    HELDOUT_5,
    HELDOUT_6,
    DEV_2,
    HELDOUT_7,
    HELDOUT_8,
    DEV_3,
    HELDOUT_9,
    HELDOUT_10,
    HELDOUT_11,
    DEV_4,
    HELDOUT_12,
    HELDOUT_13,
    HELDOUT_14,
    HELDOUT_15,
    HELDOUT_16,
    HELDOUT_17,
    HELDOUT_18,
    HELDOUT_19,
    DEV_5,
    HELDOUT_20,
)


def _before(path: Path) -> tuple[Path, ...]:
    return WRITTEN_IN_ORDER[: WRITTEN_IN_ORDER.index(path)]


@pytest.mark.parametrize(
    "path,prefix,two_part,numeric,dates,names,earlier",
    [
        pytest.param(HELDOUT_3, "h3-", 10, 14, 6, 6, _before(HELDOUT_3), id="heldout-3"),
        pytest.param(HELDOUT_4, "h4-", 12, 16, 8, 10, _before(HELDOUT_4), id="heldout-4"),
        pytest.param(HELDOUT_5, "h5-", 12, 16, 8, 10, _before(HELDOUT_5), id="heldout-5"),
        pytest.param(HELDOUT_6, "h6-", 12, 16, 8, 10, _before(HELDOUT_6), id="heldout-6"),
        pytest.param(HELDOUT_7, "h7-", 12, 16, 8, 10, _before(HELDOUT_7), id="heldout-7"),
        pytest.param(HELDOUT_8, "h8-", 12, 16, 8, 10, _before(HELDOUT_8), id="heldout-8"),
        pytest.param(HELDOUT_9, "h9-", 10, 19, 9, 8, _before(HELDOUT_9), id="heldout-9"),
        pytest.param(HELDOUT_10, "h10-", 10, 19, 9, 8, _before(HELDOUT_10), id="heldout-10"),
        pytest.param(HELDOUT_11, "h11-", 10, 19, 9, 8, _before(HELDOUT_11), id="heldout-11"),
        pytest.param(HELDOUT_12, "h12-", 10, 19, 9, 8, _before(HELDOUT_12), id="heldout-12"),
        pytest.param(HELDOUT_13, "h13-", 10, 19, 9, 8, _before(HELDOUT_13), id="heldout-13"),
        pytest.param(HELDOUT_14, "h14-", 10, 19, 9, 8, _before(HELDOUT_14), id="heldout-14"),
        pytest.param(HELDOUT_15, "h15-", 10, 19, 9, 8, _before(HELDOUT_15), id="heldout-15"),
        pytest.param(HELDOUT_16, "h16-", 10, 19, 9, 8, _before(HELDOUT_16), id="heldout-16"),
        pytest.param(HELDOUT_17, "h17-", 10, 19, 9, 8, _before(HELDOUT_17), id="heldout-17"),
        pytest.param(HELDOUT_18, "h18-", 10, 19, 9, 8, _before(HELDOUT_18), id="heldout-18"),
        pytest.param(HELDOUT_19, "h19-", 10, 19, 9, 8, _before(HELDOUT_19), id="heldout-19"),
        pytest.param(HELDOUT_20, "h20-", 10, 19, 9, 8, _before(HELDOUT_20), id="heldout-20"),
    ],
)
def test_later_heldout_sets_have_the_required_mix_and_are_separate(
    path: Path, prefix: str, two_part: int, numeric: int, dates: int, names: int, earlier: tuple[Path, ...]
) -> None:
    """heldout-3.jsonl and heldout-4.jsonl: held-out sets over all 49 documents, each written before a
    session's answer-path changes (ids start with "h3-" / "h4-"); no id or question of an earlier set."""
    qs, errors = load_questions(path)
    assert not errors and len(qs) == 64
    assert all(q.id.startswith(prefix) for q in qs)
    assert [q.lang for q in qs].count("ja") == 32
    # heldout-7 and -8 were written in two halves (13 and 36 documents), each with one two-document question per language
    _assert_heldout_mix(qs, unanswerable=12, two_part=two_part, multi_doc=4 if prefix in ("h7-", "h8-") else 6)
    assert sum(q.kind == "numeric" for q in qs) >= numeric
    assert sum(q.kind == "date" for q in qs) >= dates and sum(q.kind == "name" for q in qs) >= names
    others = [q for p in earlier for q in load_questions(p)[0]]
    assert not {q.id for q in qs} & {q.id for q in others}
    assert not {q.question for q in qs} & {q.question for q in others}


@needs_shared
@needs_more_param
def test_heldout_3_spreads_over_the_library() -> None:
    qs, _ = load_questions(HELDOUT_3)
    per_doc: dict[str, int] = {}
    for q in qs:
        for d in {g.doc for g in q.gold}:
            per_doc[d] = per_doc.get(d, 0) + 1
    assert len(per_doc) >= 30, f"only {len(per_doc)} gold documents"
    assert max(per_doc.values()) <= 3, {d: n for d, n in per_doc.items() if n > 3}


@needs_shared
@needs_more_param
def test_heldout_more_covers_the_new_documents(documents: dict) -> None:
    qs, _ = load_questions(HELDOUT_MORE)
    more_ids = {load_document(p).doc_id for p in iter_library([MORE])}
    gold_docs = {g.doc for q in qs for g in q.gold}
    assert gold_docs <= more_ids, f"gold outside corpus/more: {sorted(gold_docs - more_ids)}"
    assert len(gold_docs) >= 25, f"only {len(gold_docs)} of the {len(more_ids)} documents have questions"


@needs_shared
@pytest.mark.parametrize("path, uses_more", SETS)
def test_every_gold_heading_exists_and_holds_a_fact(documents: dict, path, uses_more: bool) -> None:
    qs, _ = load_questions(path)
    problems = []
    for q in qs:
        if not q.answerable:
            assert not q.gold and not q.facts, q.id
            continue
        texts = []
        for g in q.gold:
            doc = documents.get(g.doc)
            if doc is None:
                problems.append(f"{q.id}: unknown doc {g.doc}")
                continue
            sections = [s for s in split_sections(doc) if s.heading_path]
            if not any(fold_heading(s.heading_path[-1]) == fold_heading(g.section) for s in sections):
                problems.append(f"{q.id}: no heading {g.section!r} in {g.doc}")
            # as eval.metrics matches a gold entry: the heading at any level of a section's path, so a
            # fact under a #### sub-heading of the gold heading is in its gold section
            texts += [
                s.text for s in sections if any(fold_heading(h) == fold_heading(g.section) for h in s.heading_path)
            ]
        for group in q.facts:
            if not any(fact_in_text(alt, t) for alt in group for t in texts):
                problems.append(f"{q.id}: fact {group} not in its gold sections")
    assert not problems, "\n".join(problems)


@needs_shared
@pytest.mark.parametrize("path, uses_more", SETS)
def test_standalone_checker_passes(path, uses_more: bool) -> None:
    args = [] if path == DEV else [str(path), "--no-quota"]
    if uses_more:
        args += ["--docs", str(SEEDS), "--docs", str(CORPUS), "--docs", str(MORE)]
    r = subprocess.run([sys.executable, str(CHECKER), *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
