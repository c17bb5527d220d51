"""What retrieval derives once per index snapshot (`snapshot_index`, cached): the chunks of each
section in order, the section of each chunk, BM25 idf, the names by which a question can point at
one document, the chunks of each document, reference-list chunks, the row of each chunk in the
snapshot's vector matrix, and a per-chunk sentence cache."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rag.ingest.company_names import document_names
from rag.schema import PATH_SEP
from rag.search.filter_clauses import fold

# ------------------------------------------------------------------------------- per-snapshot cache


@dataclass
class _SnapIndex:
    """Derived structures of one snapshot, built once."""

    sections: dict[tuple[str, str], list[str]]  # (uid, heading_path) → chunk ids in order
    section_of: dict[str, tuple[str, str]]
    idf: dict[str, float]
    doc_names: list[tuple[str, re.Pattern[str], str]]  # (uid, pattern, name)
    uid_chunks: dict[str, list[str]]
    refs: set[str] = field(default_factory=set)  # chunks that are reference / link lists
    units: dict[str, list[tuple[str, frozenset[str]]]] = field(default_factory=dict)  # sentence cache
    vector_pos: dict[str, int] = field(default_factory=dict)  # chunk id → row of snap.vectors


_REF_HEADING = re.compile(
    r"参考|引用|出典|リンク|文献|情報源|ソース|references?|sources?|bibliography|links?|citations?", re.I
)
_URL = re.compile(r"https?://|www\.")


def _is_reference_list(text: str, heading_path: str) -> bool:
    """A chunk that is mostly a list of links (a references section): it names topics without
    answering questions about them. Table rows citing a source per row are not link lines."""
    lines = [ln.strip() for ln in text.split("\n")[1:] if ln.strip()]
    if not lines:
        return False
    links = sum(1 for ln in lines if _URL.search(ln) and not ln.startswith("|"))
    last = heading_path.split(PATH_SEP)[-1] if heading_path else ""
    return links / len(lines) >= 0.5 or (bool(_REF_HEADING.search(last)) and links / len(lines) >= 0.2)


class PerSnapshot:
    """`get(snap)`: what `build(snap)` derives from an index snapshot, built once while that snapshot
    lives (keyed by identity: a newly published generation is a new snapshot; at most 8 kept)."""

    def __init__(self, build: Callable[[Any], Any]):
        self._build = build
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[Any, Any]] = {}

    def get(self, snap: Any) -> Any:
        key = id(snap)
        with self._lock:
            got = self._cache.get(key)
            if got is not None and got[0] is snap:
                return got[1]
        value = self._build(snap)
        with self._lock:
            if len(self._cache) > 8:
                self._cache.clear()
            self._cache[key] = (snap, value)
        return value


def snapshot_index(snap: Any) -> _SnapIndex:
    return _snapshot_indexes.get(snap)


def _build_snap_index(snap: Any) -> _SnapIndex:
    sections: dict[tuple[str, str], list[tuple[int, str]]] = {}
    section_of: dict[str, tuple[str, str]] = {}
    uid_chunks: dict[str, list[str]] = {}
    for cid, m in snap.metas.items():
        key = (m.get("uid") or m.get("doc_id") or "", m.get("heading_path") or "")
        sections.setdefault(key, []).append((int(m.get("order", 0) or 0), cid))
        section_of[cid] = key
        uid_chunks.setdefault(key[0], []).append(cid)
    ordered = {k: [c for _, c in sorted(v)] for k, v in sections.items()}
    lex = snap.lexical
    idf: dict[str, float] = lex.idf() if hasattr(lex, "idf") else {}
    refs = {
        cid
        for cid, m in snap.metas.items()
        if m.get("kind") != "profile" and _is_reference_list(snap.texts.get(cid, ""), m.get("heading_path") or "")
    }
    vector_pos = {c: i for i, c in enumerate(getattr(snap, "vector_ids", None) or [])}
    return _SnapIndex(ordered, section_of, idf, _doc_names(snap), uid_chunks, refs, vector_pos=vector_pos)


def _doc_names(snap: Any) -> list[tuple[str, re.Pattern[str], str]]:
    """Names by which a question can point at one document: rag.ingest.company_names' given names
    (company, aliases, title head, doc_id spelling) and their short forms. Latin names match as words
    (separators optional: "Hugging Face" ≡ "HuggingFace"), others as letters-and-digits substrings
    ("セブン-イレブン" ≡ "セブンイレブン")."""
    names: dict[str, set[str]] = {}
    for m in snap.metas.values():
        uid = m.get("uid") or m.get("doc_id")
        if not uid:
            continue
        for c in document_names(str(m.get("doc_id") or uid), str(m.get("title") or ""), m):
            names.setdefault(uid, set()).update([c, *_short_names(c)])
    owners: dict[str, set[str]] = {}
    for uid, ns in names.items():
        for nm in ns:
            owners.setdefault(_name_key(nm), set()).add(uid)
    out = []
    for uid, ns in names.items():
        for nm in sorted(ns, key=len, reverse=True):
            key = _name_key(nm)
            if len(owners[key]) > 1 or len(key) < 2 or (key.isascii() and len(key) < 3):
                continue  # a name shared by several documents does not point at one of them
            if key.isascii():
                words = re.findall(r"[a-z0-9]+", fold(nm))
                pat = re.compile(r"(?<![a-z0-9])" + r"[\s\-_.・]*".join(map(re.escape, words)) + r"(?![a-z0-9])")
            else:
                pat = re.compile(re.escape(key))
            out.append((uid, pat, nm))
    return out


_NAME_SUFFIX = re.compile(r"(?:\s*(?:AI|Japan|ジャパン|Inc\.?|Corp\.?|Bank|銀行|株式会社))$", re.I)


def _short_names(name: str) -> list[str]:
    """Shorter forms a question may use: "Mistral AI" → "Mistral", "Seven-Eleven Japan" →
    "Seven-Eleven", "ミストラルAI" → "ミストラル" (a short form stays only if no other document has it)."""
    out = []
    short = _NAME_SUFFIX.sub("", name).strip(" ・-")
    if short and short != name:
        out.append(short)
    words = name.split()
    if name.isascii() and len(words) > 1 and len(words[0]) >= 5 and words[0] not in out:
        out.append(words[0])
    return [x for x in out if len(_name_key(x)) >= (5 if x.isascii() else 3)]


def _name_key(name: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", name).casefold() if ch.isalnum())


_snapshot_indexes = PerSnapshot(_build_snap_index)
