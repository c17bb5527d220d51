"""Rank fusion of retriever result lists (chunk_id, score), best first.

Methods (all take one weight per list):
  rrf      Σ w / (k + rank)                       — rank only, robust to score scales
  convex   Σ w · norm(score), norm = min-max over the list (0 … 1), missing = 0
  zscore   Σ w · (score − mean) / std over the list, missing = the list's minimum
  dbsf     Σ w · (score − (μ − 3σ)) / 6σ clipped to [0, 1] (distribution-based score fusion)
`fuse` returns {chunk_id: fused score}; ties keep the order of first appearance.

`floors` (convex/minmax only): per list, the score every unlisted item is known to have, or None.
A BM25 list shorter than the number asked for holds every item with a positive score, so the
rest score 0: min-max then scales from 0, not from the list's own minimum (otherwise a single
match of a rare phrase normalises to 0 and counts for nothing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Ranked = Sequence[tuple[str, float]]


def rrf(lists: Sequence[Ranked], weights: Sequence[float], k: float = 60.0) -> dict[str, float]:
    out: dict[str, float] = {}
    for lst, w in zip(lists, weights):
        if not w:
            continue
        for r, (cid, _) in enumerate(lst, 1):
            out[cid] = out.get(cid, 0.0) + w / (k + r)
    return out


def _stats(vals: list[float]) -> tuple[float, float]:
    m = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - m) ** 2 for v in vals) / len(vals))
    return m, sd


def convex(
    lists: Sequence[Ranked],
    weights: Sequence[float],
    norm: str = "minmax",
    known_floors: Sequence[float | None] | None = None,
) -> dict[str, float]:
    out: dict[str, float] = {}
    normed: list[dict[str, float]] = []
    floors: list[float] = []
    for li, lst in enumerate(lists):
        vals = [s for _, s in lst]
        if not vals:
            normed.append({})
            floors.append(0.0)
            continue
        known = known_floors[li] if known_floors is not None and li < len(known_floors) else None
        if norm == "minmax":
            lo, hi = min(vals), max(vals)
            if known is not None:
                lo = min(lo, known)
            span = (hi - lo) or 1.0
            d = {cid: (s - lo) / span for cid, s in lst}
            floor = 0.0
        elif norm == "max":
            hi = max(vals) or 1.0
            d = {cid: s / hi for cid, s in lst}
            floor = 0.0
        elif norm == "zscore":
            m, sd = _stats(vals)
            sd = sd or 1.0
            d = {cid: (s - m) / sd for cid, s in lst}
            floor = min(d.values())
        elif norm == "dbsf":
            m, sd = _stats(vals)
            sd = sd or 1.0
            lo = m - 3 * sd
            d = {cid: min(1.0, max(0.0, (s - lo) / (6 * sd))) for cid, s in lst}
            floor = 0.0
        else:
            raise ValueError(f"unknown normalisation {norm!r}")
        normed.append(d)
        floors.append(floor)
    ids: list[str] = []
    seen: set[str] = set()
    for d in normed:
        for cid in d:
            if cid not in seen:
                seen.add(cid)
                ids.append(cid)
    for cid in ids:
        out[cid] = sum(w * d.get(cid, fl) for d, w, fl in zip(normed, weights, floors) if w)
    return out


def fuse(
    lists: Sequence[Ranked],
    weights: Sequence[float],
    method: str = "rrf",
    rrf_k: float = 60.0,
    floors: Sequence[float | None] | None = None,
) -> dict[str, float]:
    if method == "rrf":
        return rrf(lists, weights, rrf_k)
    if method in ("convex", "minmax"):
        return convex(lists, weights, "minmax", floors)
    if method in ("zscore", "dbsf", "max"):
        return convex(lists, weights, method)
    raise ValueError(f"unknown fusion method {method!r}")


def ranked(scores: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda kv: -kv[1])
