"""Ranking metrics of the JSQuAD retrieval benchmark: recall@k, MRR@10 over paragraph ranks."""

from __future__ import annotations

import numpy as np

KS = (1, 3, 5, 10)


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    out = {f"recall@{k}": round(sum(1 for r in ranks if r is not None and r <= k) / n, 4) for k in KS}
    out["mrr@10"] = round(sum(1.0 / r for r in ranks if r is not None and r <= 10) / n, 4)
    return out


def rank_of(pids: list[str], gold: str) -> int | None:
    seen: list[str] = []
    for p in pids:
        if p not in seen:
            seen.append(p)
        if p == gold:
            return len(seen)
    return None


def pct(vals: list[float], q: float) -> float:
    if not vals:
        return 0.0
    return round(float(np.percentile(np.asarray(vals), q)), 2)
