"""Each document's text in the folded forms rag.answer.entities searches, cached by content.

Folding (NFKC, whitespace, casefold) and flattening every document's text is most of the entity
index's cost: 9 s at 1,704 documents (100,000 chunks), paid by the first question after every newly
published generation. The forms depend only on the document's own title, facet values and body, so
a document a re-index left unchanged keeps them; only the last build's documents stay cached.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

from rag.answer.entity_candidates import _flat, _fold

_LOWER_WORD = re.compile(r"(?<![A-Za-z0-9])[a-z][a-z0-9\-]*(?![A-Za-z0-9])")


@dataclass(frozen=True)
class DocTexts:
    text: str  # folded title, facet values and body (spaces kept)
    flat: str  # the same without separators
    facets_flat: str  # the facet values alone, flattened
    folded_raw: str  # folded title and body
    lower_words: frozenset[str]  # words written in lower case in the title and body ("best", "indeed")


class DocTextsCache:
    """DocTexts by document content; `keep_only_used` drops what the last build did not ask for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple, DocTexts] = {}
        self._used: dict[tuple, DocTexts] = {}

    def get(self, doc_id: str, title: str, facet_strings: list[str], body: str) -> DocTexts:
        key = (doc_id, title, tuple(facet_strings), len(body), hash(body))
        with self._lock:
            got = self._cache.get(key) or self._used.get(key)
        if got is None:
            raw = unicodedata.normalize("NFKC", "\n".join([title, body]))
            text = _fold("\n".join([title, *facet_strings, body]))
            got = DocTexts(
                text, _flat(text), _flat("\n".join(facet_strings)), _fold(raw), frozenset(_LOWER_WORD.findall(raw))
            )
        with self._lock:
            self._used[key] = got
        return got

    def keep_only_used(self) -> None:
        with self._lock:
            self._cache, self._used = self._used, {}


DOC_TEXTS = DocTextsCache()
