"""The "naive LangChain" baselines of the JSQuAD benchmark: the usual splitter + langchain_chroma
dense recipe with the same e5 model, and LangChain's BM25Retriever recipe (default whitespace
tokenisation, eval.lc_bm25). They show what the project's retrieval is measured against."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.config import Settings as CS
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from .jsquad_metrics import metrics as _metrics
from .jsquad_metrics import pct as _pct
from .jsquad_metrics import rank_of as _rank_of
from .lc_bm25 import BM25Retriever


def _langchain_embeddings(embedder: Any):
    class _Wrapped(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return np.asarray(embedder.embed_passages(texts)).tolist()

        def embed_query(self, text: str) -> list[float]:
            return np.asarray(embedder.embed_query(text)).tolist()

    return _Wrapped()


def naive_langchain(
    paras: list[dict], qs: list[dict], embedder: Any, work: Path, k: int = 10, progress: bool = True
) -> dict[str, dict]:
    # the usual recipe's defaults, sized so that every piece fits e5's 512-token window
    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    docs = splitter.split_documents(
        [Document(page_content=f"{p['title']}\n{p['text']}", metadata={"pid": p["id"]}) for p in paras]
    )
    out: dict[str, dict] = {}
    # dense: langchain_chroma with the same model (the naive recipe: no query/passage prefixes
    # distinction is made by the wrapper beyond what the embedder does itself)
    try:
        client = chromadb.PersistentClient(path=str(work / "lc_chroma"), settings=CS(anonymized_telemetry=False))
        vs = Chroma(
            collection_name="naive",
            embedding_function=_langchain_embeddings(embedder),
            client=client,
            collection_metadata={"hnsw:space": "cosine"},
        )
        B = 128
        for s in range(0, len(docs), B):
            vs.add_documents(docs[s : s + B])
            if progress:
                print(f"\r  naive LangChain Chroma {min(s + B, len(docs))}/{len(docs)}", end="", flush=True)
        if progress:
            print()
        ranks, lat = [], []
        for q in qs:
            t = time.perf_counter()
            got = vs.similarity_search(q["question"], k=k)
            lat.append((time.perf_counter() - t) * 1000)
            ranks.append(_rank_of([d.metadata["pid"] for d in got], q["pid"]))
        out["lc_dense"] = {**_metrics(ranks), "search_p95_ms_excl_embed": _pct(lat, 95)}
    except Exception as e:  # report, do not hide
        out["lc_dense"] = {"error": f"{type(e).__name__}: {e}"}
    try:
        bm = BM25Retriever.from_documents(docs, k=k)
        ranks, lat = [], []
        for q in qs:
            t = time.perf_counter()
            got = bm.invoke(q["question"])
            lat.append((time.perf_counter() - t) * 1000)
            ranks.append(_rank_of([d.metadata["pid"] for d in got], q["pid"]))
        out["lc_bm25"] = {**_metrics(ranks), "latency_p95_ms": _pct(lat, 95)}
    except Exception as e:
        out["lc_bm25"] = {"error": f"{type(e).__name__}: {e}"}
    return out


# ----------------------------------------------------------------------------- evaluate
