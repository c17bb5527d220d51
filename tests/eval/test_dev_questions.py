"""The dev and held-out question sets are valid against the documents as the project itself parses them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from eval.metrics import fact_in_text, fold_heading
from eval.questionset import load_questions
from rag.ingest import iter_library, load_document, split_sections
from tests.conftest import CORPUS, REPO, SEEDS, needs_shared

DEV = REPO / "eval" / "questions" / "dev.jsonl"
HELDOUT = REPO / "eval" / "questions" / "heldout.jsonl"


@pytest.fixture(scope="module")
def documents() -> dict[str, object]:
    return {d.doc_id: d for d in (load_document(p) for p in iter_library([SEEDS, CORPUS]))}


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


@needs_shared
@pytest.mark.parametrize("path", [DEV, HELDOUT], ids=["dev", "heldout"])
def test_every_gold_heading_exists_and_holds_a_fact(documents: dict, path) -> None:
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
            secs = [
                s
                for s in split_sections(doc)
                if s.heading_path and fold_heading(s.heading_path[-1]) == fold_heading(g.section)
            ]
            if not secs:
                problems.append(f"{q.id}: no heading {g.section!r} in {g.doc}")
            texts += [s.text for s in secs]
        for group in q.facts:
            if not any(fact_in_text(alt, t) for alt in group for t in texts):
                problems.append(f"{q.id}: fact {group} not in its gold sections")
    assert not problems, "\n".join(problems)


@needs_shared
@pytest.mark.parametrize("args", [[], [str(HELDOUT), "--no-quota"]], ids=["dev", "heldout"])
def test_standalone_checker_passes(args: list[str]) -> None:
    r = subprocess.run(
        [sys.executable, str(REPO / "eval" / "questions" / "check_dev.py"), *args], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr
