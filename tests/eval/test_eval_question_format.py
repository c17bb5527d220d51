"""The question-set format as the README documents it, and `casebook eval` on invalid lines.

The README's example lines are read from README.md itself, so the documentation cannot drift from
what the loader accepts; the fact-matching statements of the README are checked against
eval.metrics.fact_in_text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eval.metrics import fact_in_text
from eval.questionset import invalid_lines, load_questions
from tests.eval.test_eval_baseline import QUESTIONS, make_ask, run_cli

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Writing a question set", 1)[1]
    block = re.search(r"```jsonl\n(.*?)```", section, re.S)
    assert block, "README: no ```jsonl block under 'Writing a question set'"
    return [ln for ln in block.group(1).splitlines() if ln.strip()]


def test_readme_example_lines_are_valid_and_cover_each_kind(tmp_path: Path):
    lines = _readme_examples()
    p = tmp_path / "readme.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    qs, problems = load_questions(p)
    assert problems == [] and len(qs) == len(lines)
    numeric = [q for q in qs if q.answerable and q.kind == "numeric" and q.facts and q.gold]
    unanswerable = [q for q in qs if not q.answerable and not q.gold and not q.facts]
    multi_doc = [q for q in qs if q.answerable and len({g.doc for g in q.gold}) >= 2]
    filtered = [q for q in qs if q.answerable and q.filters]
    assert numeric and unanswerable and multi_doc and filtered
    # every documented field is used by at least one example
    used = set().union(*(json.loads(ln).keys() for ln in lines))
    assert used == {"id", "question", "lang", "answerable", "gold", "facts", "filters", "kind"}


@pytest.mark.parametrize(
    "alt, text, expected",
    [
        ("40%", "売上は140%に伸びた", False),
        ("13", "13.5億", False),
        ("13", "アクティブパラメータは13Bです", True),
        ("1,700", "1700人", True),
        ("1700", "1,700人", True),
        ("47B", "総パラメータ数は４７Ｂ", True),  # full-width → ASCII (NFKC)
        ("Arthur Mensch", "CEO is ARTHUR MENSCH.", True),  # case folded
        ("70-75%", "70～75%", False),  # a tilde is not a dash: write both
        ("70～75%", "70〜75%", True),  # tilde variants are one
        ("2023-04", "2023—04", True),  # dash variants are one
        ("117億ユーロ", "€11.7 billion", False),  # no unit conversion
    ],
)
def test_fact_matching_as_documented(alt: str, text: str, expected: bool):
    assert fact_in_text(alt, text) is expected


def _write(tmp_path: Path, rows: list) -> Path:
    p = tmp_path / "set.jsonl"
    p.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    return p


def test_gold_without_section_stops_the_run_unless_skip_invalid(tmp_path: Path, capsys):
    # the situation a first user met: two of six lines lack `section`, the run said nothing and exited 0
    no_section = [{**QUESTIONS[0], "id": f"nosec-{i}", "gold": [{"doc": "GENAI_042"}]} for i in (1, 2)]
    extra = [{**QUESTIONS[2], "id": f"unans-{i}"} for i in (2, 3)]
    p = _write(tmp_path, [QUESTIONS[0], no_section[0], QUESTIONS[1], no_section[1], QUESTIONS[2], *extra])
    assert run_cli([str(p), "--out", str(tmp_path / "o")], make_ask()) == 2
    err = capsys.readouterr().err
    assert "set.jsonl:2: gold[0]" in err and "set.jsonl:4: gold[0]" in err
    assert "2 invalid line(s)" in err and "--skip-invalid" in err
    assert not (tmp_path / "o").exists()

    def ask(question, filters=None, history=None, settings=None):
        return make_ask()(
            question if question in {q["question"] for q in QUESTIONS} else QUESTIONS[2]["question"],
            filters,
            history,
            settings,
        )

    assert run_cli([str(p), "--out", str(tmp_path / "o"), "--skip-invalid"], ask) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("questions"))
    assert line.split()[1] == "5" and line.endswith("skipped 2 invalid lines"), line


def test_duplicate_id_and_bad_filter_are_invalid_lines(tmp_path: Path, capsys):
    p = _write(
        tmp_path,
        [QUESTIONS[0], QUESTIONS[0], {**QUESTIONS[1], "filters": {"founded_year": {"gte": "soon"}}}, QUESTIONS[2]],
    )
    qs, problems = load_questions(p)
    assert [q.id for q in qs] == ["mixtral-ja-1", "unans-ja-1"]
    bad = invalid_lines(problems)
    assert len(bad) == 2 and bad[0].startswith("set.jsonl:2: duplicate id") and bad[1].startswith("set.jsonl:3:")
    assert run_cli([str(p), "--out", str(tmp_path / "o")], make_ask()) == 2
    assert run_cli([str(p), "--out", str(tmp_path / "o"), "--skip-invalid"], make_ask()) == 0
    assert "skipped 2 invalid lines" in capsys.readouterr().out


def test_unknown_field_is_a_warning_not_an_invalid_line(tmp_path: Path, capsys):
    p = _write(tmp_path, [{**QUESTIONS[0], "note": "checked by hand"}, QUESTIONS[2]])
    assert run_cli([str(p), "--out", str(tmp_path / "o")], make_ask()) == 0
    cap = capsys.readouterr()
    assert "set.jsonl:1: warning: unknown field 'note' ignored" in cap.err
    assert "skipped" not in cap.out
