"""Ingest: read case files (encodings, lenient front matter), canonical facets and their YAML
mapping, Japanese text utilities, and the sections and chunks that the index stores."""

from rag.ingest.chunking import chunk_body, chunk_document
from rag.ingest.documents import iter_library, load_document, read_text
from rag.ingest.facet_spec import FACETS_VERSION, PACKAGED_MAPPING, FacetMappingError
from rag.ingest.facet_values import alias_key, has_japanese, parse_year
from rag.ingest.facets import FacetMapping, aliases_for, canonical_value, default_mapping
from rag.ingest.japanese import char_bigrams, detect_language, has_word_chars, split_sentences, tokenize
from rag.ingest.profile import profile_chunk
from rag.ingest.sections import split_sections

__all__ = [
    "FACETS_VERSION",
    "PACKAGED_MAPPING",
    "FacetMapping",
    "FacetMappingError",
    "alias_key",
    "aliases_for",
    "canonical_value",
    "char_bigrams",
    "chunk_body",
    "chunk_document",
    "default_mapping",
    "detect_language",
    "has_japanese",
    "has_word_chars",
    "iter_library",
    "load_document",
    "parse_year",
    "profile_chunk",
    "read_text",
    "split_sections",
    "split_sentences",
    "tokenize",
]
