"""LangChain's BM25Retriever, the "naive LangChain BM25" baseline of the JSQuAD benchmark.

The same behaviour as `langchain_community.retrievers.BM25Retriever` (langchain-community 0.4),
without importing that package, which is being sunset and warns on import: a
`langchain_core` retriever over `rank_bm25.BM25Okapi` with its default parameters, texts and
queries tokenized by `str.split()` (whitespace), and `get_top_n` returning the k best documents
(ties in BM25Okapi's order). A test checks it returns exactly what langchain-community's
retriever returns when that package is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field
from rank_bm25 import BM25Okapi


def default_preprocessing_func(text: str) -> list[str]:
    return text.split()


class BM25Retriever(BaseRetriever):
    """BM25 (rank_bm25.BM25Okapi) over whitespace tokens; `k` documents per query."""

    vectorizer: Any = None
    docs: list[Document] = Field(repr=False)
    k: int = 4
    preprocess_func: Callable[[str], list[str]] = default_preprocessing_func

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @classmethod
    def from_texts(
        cls,
        texts: Iterable[str],
        metadatas: Iterable[dict] | None = None,
        ids: Iterable[str | None] | None = None,
        bm25_params: dict[str, Any] | None = None,
        preprocess_func: Callable[[str], list[str]] = default_preprocessing_func,
        **kwargs: Any,
    ) -> BM25Retriever:
        texts = list(texts)
        vectorizer = BM25Okapi([preprocess_func(t) for t in texts], **(bm25_params or {}))
        metas = list(metadatas) if metadatas is not None else [{} for _ in texts]
        id_list = list(ids) if ids is not None else [None] * len(texts)
        docs = [Document(page_content=t, metadata=m, id=i) for t, m, i in zip(texts, metas, id_list)]
        return cls(vectorizer=vectorizer, docs=docs, preprocess_func=preprocess_func, **kwargs)

    @classmethod
    def from_documents(
        cls,
        documents: Iterable[Document],
        *,
        bm25_params: dict[str, Any] | None = None,
        preprocess_func: Callable[[str], list[str]] = default_preprocessing_func,
        **kwargs: Any,
    ) -> BM25Retriever:
        docs = list(documents)
        return cls.from_texts(
            [d.page_content for d in docs],
            [d.metadata for d in docs],
            [d.id for d in docs],
            bm25_params=bm25_params,
            preprocess_func=preprocess_func,
            **kwargs,
        )

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return self.vectorizer.get_top_n(self.preprocess_func(query), self.docs, n=self.k)
