"""Ingest: read case files (encodings, lenient front matter), canonical facets, Japanese text
utilities, and the sections and chunks that the index stores."""

from rag.ingest.chunking import chunk_document, profile_chunk, split_sections
from rag.ingest.documents import iter_library, load_document, read_text
from rag.ingest.facets import FacetMapping, default_mapping
from rag.ingest.japanese import detect_language, split_sentences, tokenize

__all__ = [
    "FacetMapping",
    "chunk_document",
    "default_mapping",
    "detect_language",
    "iter_library",
    "load_document",
    "profile_chunk",
    "read_text",
    "split_sections",
    "split_sentences",
    "tokenize",
]
