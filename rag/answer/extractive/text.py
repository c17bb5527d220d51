"""Text helpers of the extractive reader: Unicode/space folding (`nfkc`, `fold`, `squash`), cached
BM25 token sets (`toks`) and markdown clean-up for display (`clean_md`); shared by every other
module of the step."""

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


_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:https?://|/)[^)]*\)")
_URL = re.compile(r"https?://\S+")


def clean_md(s: str) -> str:
    """Text of a markdown line for display: bold/italic/code markers and link targets removed."""
    s = _MD_LINK.sub(r"\1", s)
    s = re.sub(r"^[\s│├└┌┐┘┬┴┼─━┃┣┗┏→←↓↑▶►•]+", "", s)
    s = re.sub(r"[\s│┃]+$", "", s)
    s = re.sub(r"\*\*|__|`", "", s)
    s = re.sub(r"(?<![\w*])\*(?=\S)([^*]+)(?<=\S)\*(?![\w*])", r"\1", s)
    return s.strip()
