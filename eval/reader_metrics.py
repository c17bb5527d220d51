"""Answer and probability metrics of the reader's training report (JSQuAD style).

`norm_answer` (NFKC, no whitespace), `char_f1` / `em_f1` (character F1 and exact match, max over the
reference answers), and `reliability` (a binned reliability table of predicted probabilities with ECE and
Brier score). Used by eval/train_reader.py and its data and fitting modules.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any

import numpy as np


def norm_answer(s: str) -> str:
    s = unicodedata.normalize("NFKC", s or "")
    return re.sub(r"\s+", "", s)


def char_f1(pred: str, gold: str) -> float:
    p, g = list(norm_answer(pred)), list(norm_answer(gold))
    if not p or not g:
        return float(p == g)
    common = Counter(p) & Counter(g)
    k = sum(common.values())
    if k == 0:
        return 0.0
    prec, rec = k / len(p), k / len(g)
    return 2 * prec * rec / (prec + rec)


def em_f1(pred: str, answers: list[str]) -> tuple[float, float]:
    em = max(float(norm_answer(pred) == norm_answer(a)) for a in answers)
    f1 = max(char_f1(pred, a) for a in answers)
    return em, f1


def reliability(probs: list[float], correct: list[bool], bins: int = 5) -> dict[str, Any]:
    p = np.asarray(probs)
    c = np.asarray(correct, dtype=float)
    rows = []
    ece = 0.0
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        m = (p >= lo) & ((p < hi) if k < bins - 1 else (p <= hi))
        if m.sum():
            rows.append(
                {
                    "bin": f"{lo:.1f}-{hi:.1f}",
                    "n": int(m.sum()),
                    "mean_p": round(float(p[m].mean()), 3),
                    "accuracy": round(float(c[m].mean()), 3),
                }
            )
            ece += m.sum() / len(p) * abs(float(p[m].mean()) - float(c[m].mean()))
    brier = float(np.mean((p - c) ** 2)) if len(p) else 0.0
    return {"table": rows, "ece": round(ece, 4), "brier": round(brier, 4)}
