"""Text helpers of the unit scorer: Unicode/space folding (`nfkc`, `fold`, `squash`) and cached
BM25 token sets (`toks`); shared by every other module of the step."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rag.ingest import japanese


def _jp():
    return japanese


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s or "")


def fold(s: str) -> str:
    return re.sub(r"\s+", " ", nfkc(s)).strip().casefold()


def squash(s: str) -> str:
    return re.sub(r"[\s\-‐‑–—_・･.,。、()（）'’&]+", "", fold(s))


@lru_cache(maxsize=20000)
def toks(text: str) -> frozenset[str]:
    return frozenset(_jp().tokenize(text))
