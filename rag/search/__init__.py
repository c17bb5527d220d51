"""Search: typed metadata filters, score fusion, the EN→JA glossary and hybrid section retrieval
(exact dense + BM25 fields), plus a LangChain retriever over it.

The LangChain adapter (`CasebookRetriever`, `format_docs`) is imported from
rag.search.langchain_retriever itself: it pulls in langchain_core's retriever machinery (~0.4 s),
which nothing else here needs."""

from rag.search.dense import dense_query
from rag.search.filter_inference import infer_filters
from rag.search.filters import Filters
from rag.search.fusion import fuse, ranked
from rag.search.query import query_tokens
from rag.search.retrieval import Retriever, get_retriever, retrieve
from rag.search.retrieval_config import DEFAULT_CONFIG, RetrievalConfig
from rag.search.snap_index import snapshot_index

__all__ = [
    "DEFAULT_CONFIG",
    "Filters",
    "RetrievalConfig",
    "Retriever",
    "dense_query",
    "fuse",
    "get_retriever",
    "infer_filters",
    "query_tokens",
    "ranked",
    "retrieve",
    "snapshot_index",
]
