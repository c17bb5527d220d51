"""Baseline comparison and the `casebook eval` entry point, with a fake answer API (no model)."""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import pytest

from eval import cli
from eval.baseline import compare
from rag.schema import Answer, Citation, Hit

QUESTIONS = [
    {
        "id": "mixtral-ja-1",
        "question": "Mixtral 8x7Bの総パラメータ数とアクティブパラメータ数は？",
        "lang": "ja",
        "answerable": True,
        "gold": [{"doc": "GENAI_042", "section": "フラッグシップモデル"}],
        "facts": [["47B"], ["13B"]],
        "kind": "numeric",
    },
    {
        "id": "valuation-en-1",
        "question": "What was Mistral AI's valuation after the Series C?",
        "lang": "en",
        "answerable": True,
        "gold": [{"doc": "GENAI_042", "section": "企業価値の推移"}],
        "facts": [["117億ユーロ", "11.7B", "€11.7 billion"]],
        "kind": "cross_lingual",
    },
    {
        "id": "unans-ja-1",
        "question": "ミストラルAIの2040年の売上高は？",
        "lang": "ja",
        "answerable": False,
        "gold": [],
        "facts": [],
        "kind": "unanswerable",
    },
]

SECTIONS = {
    "mixtral-ja-1": ("5. AI製品・ソリューション", "フラッグシップモデル"),
    "valuation-en-1": ("3. 資金調達・企業価値の急成長", "企業価値の推移"),
}


def _hit(path: tuple[str, ...]) -> Hit:
    return Hit(
        doc_id="GENAI_042",
        title="Mistral AI",
        heading_path=path,
        text="",
        start_line=1,
        end_line=2,
        score=1.0,
        source="seed.txt",
    )


def make_ask(broken: set[str] = frozenset()):
    """A fake rag.answer.pipeline: correct answers, except for question ids in `broken` (wrong section, no facts)."""
    by_text = {q["question"]: q for q in QUESTIONS}

    def ask(question, filters=None, history=None, settings=None):
        q = by_text[question]
        if not q["answerable"]:
            return Answer(
                question=question, text="資料には記載がありません。", lang="ja", refused=True, timings={"total": 5.0}
            )
        if q["id"] in broken:
            return Answer(
                question=question,
                text="I could not find the exact figure." if q["lang"] == "en" else "詳しい数値は不明です。",
                lang=q["lang"],
                hits=[_hit(("2. 創業チーム・経営陣",))],
                timings={"total": 5.0},
            )
        text = {
            "mixtral-ja-1": "総パラメータ数は47B、アクティブパラメータ数は13Bです[1]。",
            "valuation-en-1": "After the Series C, Mistral AI was valued at €11.7 billion [1].",
        }[q["id"]]
        path = SECTIONS[q["id"]]
        c = Citation(
            n=1,
            doc_id="GENAI_042",
            title="Mistral AI",
            company="Mistral AI",
            heading_path=path,
            source="seed.txt",
            start_line=1,
            end_line=2,
            quote=["…"],
        )
        return Answer(
            question=question,
            text=text,
            lang=q["lang"],
            citations=[c],
            hits=[_hit(("1. 企業概要・ミッション",)), _hit(path)],
            timings={"retrieve": 2.0, "total": 5.0},
        )

    return ask


@pytest.fixture
def qfile(tmp_path: Path) -> Path:
    p = tmp_path / "dev.jsonl"
    p.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n", encoding="utf-8")
    return p


def parse(argv: list[str], ask=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="casebook")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.register(sub)
    args = parser.parse_args(["eval", *argv, "--quiet"])
    args.ask = ask
    return args


def run_cli(argv: list[str], ask=None) -> int:
    args = parse(argv, ask)
    assert args.func is cli.run
    return args.func(args)


def test_accept_writes_baseline_then_same_run_passes(tmp_path: Path, qfile: Path, capsys):
    base = tmp_path / "baselines" / "dev.json"
    code = run_cli([str(qfile), "--out", str(tmp_path / "r1"), "--baseline", str(base), "--accept"], make_ask())
    assert code == 0
    assert base.read_bytes() == (tmp_path / "r1" / "results.json").read_bytes()
    data = json.loads(base.read_text(encoding="utf-8"))
    assert data["aggregate"]["section_hit@1"] == 0.0 and data["aggregate"]["mrr@10"] == 0.5
    assert all(r["pass"] for r in data["questions"])
    out = capsys.readouterr().out
    assert "section_hit@5" in out and "baseline written" in out

    code = run_cli([str(qfile), "--out", str(tmp_path / "r2"), "--baseline", str(base)], make_ask())
    assert code == 0
    out = capsys.readouterr().out
    assert "baseline check: OK" in out
    assert (tmp_path / "r2" / "report.md").exists() and (tmp_path / "r2" / "baseline_diff.json").exists()


def test_question_regression_gives_exit_1(tmp_path: Path, qfile: Path, capsys):
    base = tmp_path / "base.json"
    assert run_cli([str(qfile), "--out", str(tmp_path / "r1"), "--baseline", str(base), "--accept"], make_ask()) == 0
    capsys.readouterr()
    code = run_cli([str(qfile), "--out", str(tmp_path / "r2"), "--baseline", str(base)], make_ask({"mixtral-ja-1"}))
    assert code == 1
    out = capsys.readouterr().out
    assert "REGRESSION  mixtral-ja-1: pass → fail" in out
    assert "baseline check: FAIL" in out
    diff = json.loads((tmp_path / "r2" / "baseline_diff.json").read_text(encoding="utf-8"))
    assert diff["exit_code"] == 1 and "question mixtral-ja-1: pass → fail" in diff["regressions"]
    report = (tmp_path / "r2" / "report.md").read_text(encoding="utf-8")
    assert "## Baseline comparison" in report and "### mixtral-ja-1" in report and "`47B`" in report
    # the baseline is untouched without --accept
    assert all(r["pass"] for r in json.loads(base.read_text(encoding="utf-8"))["questions"])


def test_improvement_gives_exit_0_and_accept_overrides(tmp_path: Path, qfile: Path, capsys):
    base = tmp_path / "base.json"
    broken = make_ask({"mixtral-ja-1", "valuation-en-1"})
    assert run_cli([str(qfile), "--out", str(tmp_path / "r1"), "--baseline", str(base), "--accept"], broken) == 0
    capsys.readouterr()
    assert run_cli([str(qfile), "--out", str(tmp_path / "r2"), "--baseline", str(base)], make_ask()) == 0
    out = capsys.readouterr().out
    assert "improved    mixtral-ja-1: fail → pass" in out
    # going back down fails against the improved baseline, unless accepted
    assert run_cli([str(qfile), "--out", str(tmp_path / "r3"), "--baseline", str(base), "--accept"], make_ask()) == 0
    assert run_cli([str(qfile), "--out", str(tmp_path / "r4"), "--baseline", str(base)], broken) == 1
    assert run_cli([str(qfile), "--out", str(tmp_path / "r5"), "--baseline", str(base), "--accept"], broken) == 0
    assert not json.loads(base.read_text(encoding="utf-8"))["questions"][0]["pass"]


def _results(tmp_path: Path, qfile: Path) -> dict:
    assert run_cli([str(qfile), "--out", str(tmp_path / "r")], make_ask()) == 0
    return json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))


def test_aggregate_drop_beyond_tolerance_fails(tmp_path: Path, qfile: Path):
    old = _results(tmp_path, qfile)
    new = copy.deepcopy(old)
    new["aggregate"]["citation_precision"] -= 0.015
    assert compare(old, new).exit_code == 0  # within the default tolerance 0.02
    new["aggregate"]["citation_precision"] -= 0.02
    d = compare(old, new)
    assert d.exit_code == 1 and d.regressions == ["aggregate citation_precision: 1.000 → 0.965 (-0.035)"]
    assert compare(old, new, tolerance=0.05).exit_code == 0
    # latency is not gated unless configured
    slow = copy.deepcopy(old)
    slow["aggregate"]["latency_p95_ms"] *= 3
    assert compare(old, slow).exit_code == 0
    assert compare(old, slow, latency_tolerance=0.5).exit_code == 1


def test_aggregate_regression_through_cli(tmp_path: Path, qfile: Path, capsys):
    old = _results(tmp_path, qfile)
    old["aggregate"]["fact_recall"] = 1.5  # pretend the baseline was better than possible
    base = tmp_path / "base.json"
    base.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    capsys.readouterr()
    assert run_cli([str(qfile), "--out", str(tmp_path / "r2"), "--baseline", str(base)], make_ask()) == 1
    assert "REGRESSION  fact_recall" in capsys.readouterr().out
    assert (
        run_cli([str(qfile), "--out", str(tmp_path / "r3"), "--baseline", str(base), "--tolerance", "0.6"], make_ask())
        == 0
    )


def test_unusable_input_exits_2(tmp_path: Path, qfile: Path):
    assert run_cli([str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")], make_ask()) == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n[1, 2]\n", encoding="utf-8")
    assert run_cli([str(bad), "--out", str(tmp_path / "o")], make_ask()) == 2
    assert (
        run_cli([str(qfile), "--out", str(tmp_path / "o"), "--baseline", str(tmp_path / "none.json")], make_ask()) == 2
    )
    notjson = tmp_path / "b.json"
    notjson.write_text("[]", encoding="utf-8")
    assert run_cli([str(qfile), "--out", str(tmp_path / "o"), "--baseline", str(notjson)], make_ask()) == 2
    assert run_cli([str(qfile), "--out", str(tmp_path / "o"), "--accept"], make_ask()) == 2
    assert run_cli(["--out", str(tmp_path / "o")], make_ask()) == 2

    def dead(question, filters=None, history=None, settings=None):
        raise RuntimeError("no index")

    assert run_cli([str(qfile), "--out", str(tmp_path / "o2")], dead) == 2


def test_malformed_line_is_skipped_only_with_skip_invalid(tmp_path: Path, capsys):
    p = tmp_path / "mixed.jsonl"
    p.write_text(
        json.dumps(QUESTIONS[0], ensure_ascii=False) + "\n{broken\n" + json.dumps(QUESTIONS[2]) + "\n", encoding="utf-8"
    )
    assert run_cli([str(p), "--out", str(tmp_path / "o")], make_ask()) == 2
    err = capsys.readouterr().err
    assert "mixed.jsonl:2:" in err and "1 invalid line(s)" in err and "--skip-invalid" in err
    assert not (tmp_path / "o").exists()

    assert run_cli([str(p), "--out", str(tmp_path / "o"), "--skip-invalid"], make_ask()) == 0
    cap = capsys.readouterr()
    assert "mixed.jsonl:2:" in cap.err
    assert "passed 2, failed 0, errors 0, skipped 1 invalid line" in cap.out
    res = json.loads((tmp_path / "o" / "results.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in res["questions"]] == ["mixtral-ja-1", "unans-ja-1"]
    assert res["meta"]["load_errors"][0].startswith("mixed.jsonl:2:")
    assert res["meta"]["skipped_lines"] == 1


def test_jsquad_hook_missing_file(tmp_path: Path):
    assert run_cli(["--jsquad", str(tmp_path / "none.json"), "--out", str(tmp_path / "j")]) == 2
