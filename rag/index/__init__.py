"""Index: embedding engines behind the `Embedder` protocol, the Chroma store, the lexical (BM25)
index, published generations, incremental index runs and the read-side library snapshot."""

from rag.index.embeddings import Embedder, get_embedder
from rag.index.indexer import IndexReport, index_library
from rag.index.library import IndexMissing, Library, Snapshot, get_library

__all__ = [
    "Embedder",
    "IndexMissing",
    "IndexReport",
    "Library",
    "Snapshot",
    "get_embedder",
    "get_library",
    "index_library",
]
