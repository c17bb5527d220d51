"""A section hit's content: its chunk bodies joined (a repeated table header dropped), its heading
list, the sentences of its chunks (cached per snapshot) and the ones that best match the
question (`best_sentences`, `sentence_score`)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from rag.ingest import chunk_body
from rag.schema import PATH_SEP
from rag.search.query import _japanese
from rag.search.snap_index import _SnapIndex

_HEADING_LINE = re.compile(r"^\s*#{1,6}\s+")


def _heading_list(meta: Mapping[str, Any]) -> list[str]:
    hj = meta.get("heading_json")
    if hj:
        try:
            v = json.loads(hj)
            if isinstance(v, list):
                return [str(x) for x in v]
        except ValueError:
            pass
    hp = meta.get("heading_path") or ""
    return [h for h in hp.split(PATH_SEP) if h] if hp else []


def _join_chunks(texts: list[str]) -> str:
    """Join consecutive chunk bodies of a section; a table header a cut chunk repeats is dropped."""
    out: list[str] = []
    for t in texts:
        lines = t.split("\n")
        if out and lines and lines[0].lstrip().startswith("|"):
            prev = set(x for x in out[-1].split("\n") if x.lstrip().startswith("|"))
            while lines and lines[0] in prev and len(lines) > 1:
                lines = lines[1:]
        out.append("\n".join(lines))
    return "\n".join(out)


def split_units(text: str) -> list[str]:
    """Sentences of a chunk body; table rows and list items count as sentences (rules dropped)."""
    jp = _japanese()
    out: list[str] = []
    for block in text.split("\n"):
        b = block.strip()
        if not b or _HEADING_LINE.match(b) or re.fullmatch(r"[|\-\s:]+", b):
            continue
        for s in jp.split_sentences(b):
            s = s.strip()
            if s and not re.fullmatch(r"[\W_]+", s):
                out.append(s)
    return out


def _chunk_units(snap: Any, idx: _SnapIndex, cid: str) -> list[tuple[str, frozenset[str]]]:
    """(sentence, its BM25 tokens) of a chunk body, cached per snapshot."""
    got = idx.units.get(cid)
    if got is None:
        tok = _japanese().tokenize
        body = chunk_body(snap.texts.get(cid, ""))
        got = [(u, frozenset(tok(u))) for u in split_units(body)]
        idx.units[cid] = got
    return got


def sentence_score(qset: set[str], units: list[tuple[str, frozenset[str]]], idf: Mapping[str, float]) -> float:
    """Share of the question's idf mass found in the chunk's single best sentence (0 … 1)."""
    total = sum(idf.get(t, 0.0) for t in qset)
    if not total or not units:
        return 0.0
    return max(sum(idf.get(t, 0.0) for t in qset & toks) for _, toks in units) / total


def best_sentences(
    question_tokens: list[str], units: list[tuple[str, frozenset[str]]], idf: Mapping[str, float], n: int = 3
) -> list[str]:
    """The sentences sharing the most (idf-weighted) query tokens, best first; the first ones when
    none shares any."""
    if not units:
        return []
    qset = set(question_tokens)
    scored = []
    for i, (s, toks) in enumerate(units):
        sc = sum(idf.get(t, 1.0) for t in qset & toks)
        if sc > 0:
            scored.append((sc / (1.0 + 0.002 * len(s)), -i, s))
    if not scored:
        return [u for u, _ in units[:n]]
    scored.sort(reverse=True)
    out: list[str] = []
    for _, _, s in scored:
        if s not in out:
            out.append(s)
        if len(out) == n:
            break
    return out
