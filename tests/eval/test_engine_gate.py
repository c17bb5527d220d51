"""eval.engine_gate: the engine-change rule on synthetic eval results (pass flags and aggregates)."""

from __future__ import annotations

import json
from pathlib import Path

from eval import engine_gate


def _results(passes: list[bool], **agg: float) -> dict:
    base = {k: 0.9 for k in engine_gate.AGGREGATES} | {"wrong_entity_answers": 0}
    return {
        "aggregate": base | agg,
        "questions": [{"id": f"q{i}", "pass": p} for i, p in enumerate(passes)],
    }


REF = [True] * 40 + [False] * 10


def _flip(passes: list[bool], idx: list[int]) -> list[bool]:
    return [not p if i in idx else p for i, p in enumerate(passes)]


def test_an_identical_candidate_passes_and_a_bad_one_fails() -> None:
    ref = {"dev": _results(REF)}
    floor = {"dev": _results(_flip(REF, [0]))}  # a lossless change flips one question
    same = engine_gate.compare(ref, floor, {"dev": _results(REF)})
    assert same.passed and same.lost == same.won == 0 and same.floor_flips == 1
    bad = engine_gate.compare(ref, floor, {"dev": _results(_flip(REF, [0, 1, 2, 3, 4, 5, 6]), fact_recall=0.8)})
    assert not bad.passed and bad.lost == 7 and bad.sign_p < 0.05
    assert any("fact_recall" in r for r in bad.reasons) and any("net lost" in r for r in bad.reasons)


def test_swaps_within_the_floor_pass_but_an_aggregate_beyond_the_tolerance_fails() -> None:
    ref, floor = {"dev": _results(REF)}, {"dev": _results(_flip(REF, [0, 1]))}
    swaps = engine_gate.compare(ref, floor, {"dev": _results(_flip(REF, [0, 45]))})  # one lost, one won
    assert swaps.passed and (swaps.lost, swaps.won) == (1, 1)
    drop = engine_gate.compare(ref, floor, {"dev": _results(REF, citation_precision=0.879)})
    assert not drop.passed and drop.reasons == ["dev: citation_precision -0.0210"]
    more_wrong = engine_gate.compare(ref, floor, {"dev": _results(REF, wrong_entity_answers=1)})
    assert not more_wrong.passed and "wrong_entity_answers" in more_wrong.reasons[0]


def test_sign_test() -> None:
    assert engine_gate.sign_test_p(0, 0) == 1.0
    assert engine_gate.sign_test_p(3, 3) == 1.0
    assert abs(engine_gate.sign_test_p(3, 0) - 0.25) < 1e-12
    assert engine_gate.sign_test_p(7, 0) < 0.05


def test_cli_reads_eval_folders_and_exits_nonzero_on_failure(tmp_path: Path) -> None:
    def folder(name: str, res: dict) -> str:
        d = tmp_path / name
        d.mkdir()
        (d / "results.json").write_text(json.dumps(res), encoding="utf-8")
        return str(d)

    args = ["--names", "dev", "--ref", folder("r", _results(REF)), "--floor", folder("f", _results(REF))]
    assert engine_gate.main([*args, "--cand", folder("ok", _results(REF))]) == 0
    assert engine_gate.main([*args, "--cand", folder("bad", _results(_flip(REF, list(range(8)))))]) == 1
