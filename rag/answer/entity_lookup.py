"""Which documents of the entity index hold a name: postings first, then an exact check.

A name is looked for only in the documents that hold all its ASCII words (folded text) or all its
non-ASCII characters (flat text), then verified there with the same rule as a scan of the whole
library's text (word boundaries for ASCII names). The postings are built on the first lookup of an
index and kept on it; without them every check scanned the library's joined text, which grows with
the library (1,960 documents: 266 → 37 ms a question, eval/bench_entities.py).
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable
from typing import Any

_lock = threading.Lock()
_ASCII_WORD = re.compile(r"[a-z0-9]+")


def docs_with(hay: str, starts: list[int], needle: str, ascii_words: bool = False) -> list[int]:
    """Indices of the documents (joined in `hay` from `starts`) holding `needle`; with
    `ascii_words`, only on word boundaries. str.find, skipping to the next document after a hit."""
    out: list[int] = []
    i = hay.find(needle)
    while i >= 0:
        k = bisect.bisect_right(starts, i) - 1
        end = i + len(needle)
        ok = not ascii_words or (
            (i == 0 or not hay[i - 1].isascii() or not hay[i - 1].isalnum())
            and (end >= len(hay) or not hay[end].isascii() or not hay[end].isalnum())
        )
        if ok:
            out.append(k)
            if k + 1 >= len(starts):
                break
            i = hay.find(needle, starts[k + 1])
        else:
            i = hay.find(needle, i + 1)
    return out


def _postings(idx: Any) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """(ASCII word → documents, non-ASCII character → documents) of an EntityIndex, built once."""
    with _lock:
        got = idx.postings
    if got is not None:
        return got
    words: dict[str, list[int]] = {}
    chars: dict[str, list[int]] = {}
    for i, d in enumerate(idx.docs):
        for w in set(_ASCII_WORD.findall(d.text)):
            words.setdefault(w, []).append(i)
        for c in set(d.flat):
            if not c.isascii():
                chars.setdefault(c, []).append(i)
    with _lock:
        idx.postings = (words, chars)
    return words, chars


def _candidates(keys: Iterable[str], post: dict[str, list[int]]) -> list[int] | None:
    """The documents holding every key (sorted), None when there is no key to narrow them down by."""
    out: set[int] | None = None
    for k in sorted(set(keys), key=lambda k: len(post.get(k, ()))):
        docs = post.get(k)
        if not docs:
            return []
        out = set(docs) if out is None else out.intersection(docs)
        if not out:
            return []
    return None if out is None else sorted(out)


def ascii_docs(idx: Any, name: str) -> list[int]:
    """Documents whose folded text holds the folded ASCII `name` on word boundaries."""
    cand = _candidates(_ASCII_WORD.findall(name), _postings(idx)[0])
    if cand is None:
        return docs_with(idx.text, idx.starts, name, ascii_words=True)
    return [i for i in cand if docs_with(idx.docs[i].text, [0], name, ascii_words=True)]


def flat_docs(idx: Any, flat: str) -> list[int]:
    """Documents whose flat text holds `flat`."""
    cand = _candidates((c for c in flat if not c.isascii()), _postings(idx)[1])
    if cand is None:
        return docs_with(idx.vocab, idx.flat_starts, flat)
    return [i for i in cand if flat in idx.docs[i].flat]
