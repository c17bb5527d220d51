"""eval.lc_bm25: the benchmark's "naive LangChain BM25" baseline without langchain-community."""

from __future__ import annotations

import importlib.util
import warnings

import pytest
from langchain_core.documents import Document

from eval.lc_bm25 import BM25Retriever

DOCS = [
    Document(page_content="the cat sat on the mat", metadata={"pid": "a"}),
    Document(page_content="dogs chase the cat around", metadata={"pid": "b"}, id="doc-b"),
    Document(page_content="a bird on a wire", metadata={"pid": "c"}),
    Document(page_content="ミストラルAIは2023年4月に設立された", metadata={"pid": "d"}),
    Document(page_content="cat cat cat food for cats", metadata={"pid": "e"}),
]
QUERIES = ["cat", "the cat on the mat", "bird wire", "ミストラルAIは2023年4月に設立された", "設立", "nothing here"]


def test_whitespace_bm25_ranking():
    bm = BM25Retriever.from_documents(DOCS, k=2)
    # "cat" three times first; then the shorter of the two one-"cat" documents (length normalisation)
    assert [d.metadata["pid"] for d in bm.invoke("cat")] == ["e", "b"]
    assert [d.metadata["pid"] for d in bm.invoke("bird wire")][0] == "c"
    # whitespace tokens: an unspaced Japanese sentence is one token, found only verbatim
    assert bm.invoke("ミストラルAIは2023年4月に設立された")[0].metadata["pid"] == "d"
    assert bm.vectorizer.get_scores("設立".split()).max() == 0.0
    assert len(bm.invoke("設立")) == 2  # like LangChain's: k documents even when nothing matches
    assert bm.invoke("dogs")[0].id == "doc-b" and len(bm.invoke("dogs")) == 2


def test_same_results_as_langchain_community():
    if importlib.util.find_spec("langchain_community") is None:
        pytest.skip("langchain-community is not installed (no longer a dependency)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.retrievers import BM25Retriever as Reference

    ours, ref = BM25Retriever.from_documents(DOCS, k=3), Reference.from_documents(DOCS, k=3)
    for q in QUERIES:
        assert [(d.page_content, d.metadata, d.id) for d in ours.invoke(q)] == [
            (d.page_content, d.metadata, d.id) for d in ref.invoke(q)
        ], q


def test_importing_the_benchmark_warns_nothing():
    import subprocess
    import sys

    code = "import eval.jsquad, eval.lc_bm25, eval.bench_retrieval"
    p = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]
