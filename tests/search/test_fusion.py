"""rag.search.fusion: rank and score fusion of (chunk_id, score) lists."""

from __future__ import annotations

import pytest

from rag.search import fuse, ranked

DENSE = [("a", 0.90), ("b", 0.85), ("c", 0.80)]
BM25 = [("b", 12.0), ("d", 6.0), ("a", 3.0)]


def test_rrf_rewards_agreement() -> None:
    top = ranked(fuse([DENSE, BM25], [1.0, 1.0], "rrf"))
    assert top[0][0] in ("a", "b") and {c for c, _ in top} == {"a", "b", "c", "d"}
    assert top[0][0] == "b"  # 2nd + 1st beats 1st + 3rd


@pytest.mark.parametrize("method", ["convex", "zscore", "dbsf", "max"])
def test_score_fusion_methods_cover_every_item(method: str) -> None:
    got = fuse([DENSE, BM25], [1.0, 1.0], method)
    assert set(got) == {"a", "b", "c", "d"}


def test_zero_weight_list_is_ignored() -> None:
    got = ranked(fuse([DENSE, BM25], [1.0, 0.0], "convex"))
    assert [c for c, _ in got][:3] == ["a", "b", "c"]


@pytest.mark.parametrize(
    "lst, floors, expected_single",
    [
        ([("x", 5.0)], None, 0.0),  # min-max over one item: it is the minimum, scaled to 0
        ([("x", 5.0)], [0.0], 1.0),  # known floor 0 (an untruncated BM25 list): the match counts fully
    ],
)
def test_known_floor_keeps_a_single_match(lst, floors, expected_single) -> None:
    got = fuse([lst], [1.0], "convex", floors=floors)
    assert got["x"] == pytest.approx(expected_single)


def test_known_floor_scales_from_zero() -> None:
    got = fuse([[("x", 4.0), ("y", 2.0)]], [1.0], "convex", floors=[0.0])
    assert got == pytest.approx({"x": 1.0, "y": 0.5})
    # without a floor the list minimum becomes 0
    assert fuse([[("x", 4.0), ("y", 2.0)]], [1.0], "convex") == pytest.approx({"x": 1.0, "y": 0.0})


def test_unknown_method_is_an_error() -> None:
    with pytest.raises(ValueError):
        fuse([DENSE], [1.0], "median")
