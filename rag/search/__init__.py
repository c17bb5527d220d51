"""Search: typed metadata filters, score fusion, the EN→JA glossary and hybrid section retrieval
(exact dense + BM25 fields), plus a LangChain retriever over it."""

from rag.search.filters import Filters, infer_filters
from rag.search.retrieval import Retriever, get_retriever, retrieve

__all__ = ["Filters", "Retriever", "get_retriever", "infer_filters", "retrieve"]
