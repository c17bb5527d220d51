"""eval.jsquad on a slice of JSQuAD v1.3: the benchmark runs end to end with the real components.

Figures are printed by `python -m eval.bench_retrieval`; this only checks the machinery (every
method reported, metrics consistent) so the benchmark cannot rot unnoticed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import JSQUAD

needs_jsquad = pytest.mark.skipif(not JSQUAD.is_file(), reason=f"needs JSQuAD at {JSQUAD} (absent without ../shared)")


@needs_jsquad
def test_jsquad_slice(tmp_path: Path) -> None:
    from eval.jsquad import evaluate, format_table, load_jsquad

    paras, qs = load_jsquad(JSQUAD, limit=25)
    assert len(paras) == 25 and qs and all(q["pid"].startswith("jsquad-") for q in qs)
    res = evaluate(JSQUAD, tmp_path, limit=25, variants=False, latency_sample=20, progress=False)
    m = res["methods"]
    for name in ("bm25", "dense", "hybrid", "hybrid-chars", "hybrid-pairs", "hybrid-both", "lc_dense", "lc_bm25"):
        assert name in m and "error" not in m[name], (name, m.get(name))
        r = [m[name][f"recall@{k}"] for k in (1, 3, 5, 10)]
        assert r == sorted(r) and 0.0 <= r[0] <= 1.0
        assert m[name]["recall@1"] <= m[name]["mrr@10"] <= m[name]["recall@10"]
    # 25 paragraphs of 2 articles: the project's retrievers find most questions' own paragraph,
    # the whitespace-tokenised LangChain BM25 almost none (a Japanese paragraph is one token)
    assert m["hybrid"]["recall@5"] >= 0.8 and m["bm25"]["recall@5"] >= 0.8
    assert m["lc_bm25"]["recall@1"] < m["bm25"]["recall@1"]
    assert res["n_paragraphs"] == 25 and res["n_questions"] == len(qs)
    assert {"embed", "dense", "bm25", "fuse", "total"} <= set(res["latency"])
    assert (tmp_path / "results.json").is_file()
    assert "hybrid" in format_table(res)
