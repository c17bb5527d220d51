"""rag.answer.absent_noun: a "which / what X" question whose X (a Latin acronym) the company's document
never writes is not answered from it — through `casebook ask` on the seed's real index."""

from __future__ import annotations

import json

import pytest

from rag.answer.absent_noun import latin_forms
from rag.cli.main import main


@pytest.mark.parametrize(
    ("question", "forms"),
    [
        ("What GPUs does Seven-Eleven Japan use to train its demand forecasting models?", ("GPU",)),
        ("What TPUs does Mistral AI train its models on?", ("TPU",)),  # not in the glossary: the head noun
        ("Who is Moderna's CFO?", ("CFO", "最高財務責任者")),  # the glossary's forms, one of them Latin
        ("What ARR is Cohere forecasting for the end of 2025?", ("ARR", "年間経常収益")),
    ],
)
def test_latin_forms(question: str, forms: tuple[str, ...]) -> None:
    assert latin_forms(question) == forms


@pytest.mark.parametrize(
    "question",
    [
        "What security certifications does Hugging Face's Enterprise Hub hold?",  # 認証: paraphrased in documents
        "Which cable TV company first adopted Runway's AI?",  # the head noun is "company"
        "Which NVIDIA chips will power Mistral Compute?",  # a name in capitals, not the asked noun
        "How many stores use AI ordering?",
    ],
)
def test_no_latin_forms(question: str) -> None:
    assert latin_forms(question) == ()


def _ask(capsys, settings, question: str) -> tuple[int, dict]:
    capsys.readouterr()
    rc = main(["--data-dir", str(settings.data_dir), "ask", question, "--json"])
    return rc, json.loads(capsys.readouterr().out)


def test_an_acronym_the_document_never_writes_is_refused(capsys, indexed_settings) -> None:
    """The seed (Mistral AI) never writes TPU: the reader's best unit held model names, which were given
    as the TPUs ("Mistral AI: コード生成特化モデル, …") before; now "not in the library", exit 3."""
    rc, a = _ask(capsys, indexed_settings, "What TPUs does Mistral AI train its models on?")
    assert rc == 3 and a["refused"], a["text"]


def test_an_acronym_the_document_writes_is_answered(capsys, indexed_settings) -> None:
    rc, a = _ask(capsys, indexed_settings, "Who is Mistral AI's CEO?")
    assert rc == 0 and not a["refused"], a["text"]
    assert "Arthur Mensch" in a["text"].splitlines()[0]
