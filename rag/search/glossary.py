"""English → Japanese business glossary (rag/glossary.yaml) for the BM25 side of English questions.

`expand(question)` lists the Japanese terms of the glossary keys found in an English question
(word boundaries, simple inflections, longest key first); `expand_tokens(question)` tokenises them
with rag.japanese.tokenize so they can be added to the BM25 query of an English question.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

import yaml

from rag.ingest import tokenize

GLOSSARY_FILE = Path(__file__).with_name("glossary.yaml")
_lock = threading.Lock()


@lru_cache(maxsize=4)
def load(path: str | None = None) -> dict[str, tuple[str, ...]]:
    with open(path or GLOSSARY_FILE, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    terms = data.get("terms", data) or {}
    out: dict[str, tuple[str, ...]] = {}
    for k, v in terms.items():
        key = re.sub(r"\s+", " ", str(k).strip().lower())
        vals = v if isinstance(v, list) else [v]
        out[key] = tuple(str(x) for x in vals if x is not None and str(x).strip())
    return out


@lru_cache(maxsize=4)
def _pattern(path: str | None = None) -> re.Pattern[str]:
    keys = sorted(load(path), key=len, reverse=True)
    alts = []
    for k in keys:
        body = r"[\s-]+".join(re.escape(w) for w in k.split(" "))
        alts.append(rf"{body}(?:s|es|ed|d|ing)?")
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(alts) + r")(?![a-z0-9])")


def _key_of(match: str, table: dict[str, tuple[str, ...]]) -> str | None:
    m = re.sub(r"[\s-]+", " ", match)
    for cand in (m, m.replace(" ", "-")):
        if cand in table:
            return cand
        # the longest stem that is a key: "used" is "use" + d, not "us" + ed
        stems = [cand[: -len(suf)] for suf in ("d", "s", "ed", "es", "ing") if cand.endswith(suf)]
        known = [s for s in stems if s in table]
        if known:
            return max(known, key=len)
    return None


def matches(question: str, path: str | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """(the words as matched, their Japanese terms) for each glossary key occurring in `question`."""
    table = load(path)
    q = question.lower().replace("’", "'")
    out: list[tuple[str, tuple[str, ...]]] = []
    for m in _pattern(path).finditer(q):
        terms = table.get(_key_of(m.group(0), table) or "", ())
        if terms:
            out.append((m.group(0), terms))
    return out


def expand_groups(question: str, path: str | None = None) -> list[tuple[str, ...]]:
    """The Japanese terms of each glossary key occurring in `question`, one tuple per key (in order):
    the alternatives of one English word ("ceo" → ("CEO", "最高経営責任者"))."""
    return list(dict.fromkeys(terms for _words, terms in matches(question, path)))


def expand(question: str, path: str | None = None) -> list[str]:
    """Japanese terms for the glossary keys occurring in `question` (in order, no duplicates)."""
    return list(dict.fromkeys(t for terms in expand_groups(question, path) for t in terms))


@lru_cache(maxsize=4096)
def _tokens_of(term: str) -> tuple[str, ...]:
    return tuple(tokenize(term))


def expand_tokens(question: str, path: str | None = None) -> list[str]:
    """BM25 tokens of the Japanese glossary terms of an English question."""
    out: list[str] = []
    for term in expand(question, path):
        for t in _tokens_of(term):
            if t not in out:
                out.append(t)
    return out
