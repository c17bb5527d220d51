"""eval.bench_indoc: the gold section's rank inside its own document, per language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.bench_indoc import config_from, in_document_ranks, main, summary
from rag.config import Settings
from rag.search import DEFAULT_CONFIG

QUESTIONS = [
    {
        "id": "i-ja",
        "question": "ミストラルAIの資金調達の推移は？",
        "lang": "ja",
        "answerable": True,
        "gold": [{"doc": "GENAI_042", "section": "資金調達の推移"}],
        "facts": [["ASML"]],
    },
    {
        "id": "i-en",
        "question": "How much did ASML put into Mistral's Series C?",
        "lang": "en",
        "answerable": True,
        "gold": [{"doc": "GENAI_042", "section": "資金調達の推移"}],
        "facts": [["€1.3B"]],
    },
    # not counted: unanswerable, and a gold heading the document does not have (rank None, counted as a miss)
    {"id": "i-no", "question": "What is Toyota's revenue?", "lang": "en", "answerable": False, "gold": [], "facts": []},
    {
        "id": "i-miss",
        "question": "What is Mistral's tax rate?",
        "lang": "en",
        "answerable": True,
        "gold": [{"doc": "GENAI_042", "section": "存在しない見出し"}],
        "facts": [["1%"]],
    },
]


@pytest.fixture()
def qfile(tmp_path: Path) -> Path:
    p = tmp_path / "q.jsonl"
    p.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n", encoding="utf-8")
    return p


def test_ranks_inside_the_document(indexed_settings: Settings, qfile: Path) -> None:
    rows = in_document_ranks([qfile], indexed_settings, k=10)
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {"i-ja", "i-en", "i-miss"}  # the unanswerable question is left out
    assert by_id["i-ja"]["rank"] is not None and by_id["i-ja"]["rank"] <= 5
    assert by_id["i-en"]["rank"] is not None and by_id["i-en"]["rank"] <= 5
    assert by_id["i-miss"]["rank"] is None
    s = summary(rows, k=10)
    assert s["ja"]["n"] == 1 and s["ja"]["hit@5"] == 1.0
    assert s["en"]["n"] == 2 and s["en"]["hit@10"] == 0.5  # the miss counts against the language
    assert 0.0 < s["all"]["mrr@10"] <= round(2 / 3, 3)  # at best two of three at rank 1


def test_cli_writes_rows_and_summary(indexed_settings: Settings, qfile: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CASEBOOK_DATA_DIR", str(indexed_settings.data_dir))
    out = tmp_path / "out.json"
    assert main([str(qfile), "--json", str(out), "--misses"]) == 0
    data = json.loads(out.read_text())
    assert {r["id"] for r in data["rows"]} == {"i-ja", "i-en", "i-miss"}
    assert data["summary"]["en"]["n"] == 2


def test_config_override_and_unknown_fields() -> None:
    assert config_from(None) is DEFAULT_CONFIG
    cfg = config_from('{"mask_names": false, "weights": [["en", 1.0, 0.0]]}')
    assert cfg.mask_names is False and cfg.weights == (("en", 1.0, 0.0),)
    with pytest.raises(SystemExit):
        config_from('{"no_such_knob": 1}')
