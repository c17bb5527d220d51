"""LangChain adapter: the casebook hybrid retriever as a `BaseRetriever`.

    retriever = CasebookRetriever(settings=settings, k=5, filters={"country": "日本"})
    chain = retriever | RunnableLambda(format_docs)
    chain.invoke("生成AIで削減した時間は？")

Each Document is one section hit: page_content = the section text; metadata = doc_id, title,
heading_path (" › " joined), start_line, end_line, source, score, sentences (best first),
plus kind, chunk_ids and the per-retriever scores.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from rag.config import Settings
from rag.schema import Hit
from rag.search.filters import Filters
from rag.search.retrieval import retrieve


def hit_to_document(hit: Hit) -> Document:
    return Document(
        page_content=hit.text,
        metadata={
            "doc_id": hit.doc_id,
            "title": hit.title,
            "heading_path": hit.path_str,
            "start_line": hit.start_line,
            "end_line": hit.end_line,
            "source": hit.source,
            "score": hit.score,
            "sentences": list(hit.sentences),
            "kind": hit.kind,
            "chunk_ids": list(hit.chunk_ids),
            "scores": dict(hit.scores),
        },
    )


class CasebookRetriever(BaseRetriever):
    """Hybrid (dense + BM25) section retriever over a casebook index."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Settings = Field(default_factory=Settings.from_env)
    k: int = 5
    filters: Any = None  # Filters | dict (Filters.from_dict) | list of "key=value" | None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun | None = None, **kwargs: Any
    ) -> list[Document]:
        k = int(kwargs.get("k", self.k))
        filters = Filters.coerce(kwargs.get("filters", self.filters))
        return [hit_to_document(h) for h in retrieve(query, filters=filters, k=k, settings=self.settings)]


def format_docs(docs: list[Document]) -> str:
    """A plain-text context block with one cited section per document (for prompts)."""
    parts = []
    for i, d in enumerate(docs, 1):
        m = d.metadata
        parts.append(
            f"[{i}] {m.get('title', '')} › {m.get('heading_path', '')} "
            f"({m.get('source', '')}:{m.get('start_line', '')}-{m.get('end_line', '')})\n{d.page_content}"
        )
    return "\n\n".join(parts)
