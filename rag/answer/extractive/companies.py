"""Companies of the library as the extractive reader sees them: the names and aliases of each
document (`doc_names`, cached per snapshot, a name shared by several documents dropped), the
companies a text names (`find_companies`) and the name shown for one (`company_display`)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rag.answer.entity_candidates import EN_FUNCTION_WORDS
from rag.answer.extractive.text import fold, nfkc, squash
from rag.ingest.company_names import derived_names, document_names, strip_legal_form


@dataclass
class DocNames:
    key: str  # uid (doc_id when absent)
    doc_id: str
    company: str
    names: list[str]  # display names, longest first
    ja_name: str | None
    en_name: str | None


_names_lock = threading.Lock()
_names_cache: dict[int, tuple[Any, list[DocNames], list[tuple[str, re.Pattern[str], str]]]] = {}
_GENERIC_NAMES = {  # generic words, and vendors most documents name (not the company a text is about)
    "ai",
    "the",
    "inc",
    "corp",
    "bank",
    "group",
    "japan",
    "ジャパン",
    "株式会社",
    "open",
    "openai",
    "google",
    "microsoft",
    "nvidia",
    "meta",
}


def doc_names(snapshot: Any) -> tuple[list[DocNames], list[tuple[str, re.Pattern[str], str]]]:
    """Companies of the library and the patterns that find them in a question (cached per snapshot)."""
    key = id(snapshot)
    with _names_lock:
        got = _names_cache.get(key)
        if got is not None and got[0] is snapshot:
            return got[1], got[2]
    by_doc: dict[str, dict[str, Any]] = {}
    for m in (getattr(snapshot, "metas", {}) or {}).values():
        k = m.get("uid") or m.get("doc_id")
        if not k or k in by_doc:
            continue
        by_doc[k] = m
    docs: list[DocNames] = []
    owners: dict[str, set[str]] = {}
    cand: dict[str, set[str]] = {}
    for k, m in by_doc.items():
        given = document_names(str(m.get("doc_id") or k), str(m.get("title") or ""), m)
        names = {x for x in derived_names(given) if squash(x) not in _GENERIC_NAMES and len(squash(x)) >= 2}
        cand[k] = names
        for n in names:
            owners.setdefault(squash(n), set()).add(k)
    pats: list[tuple[str, re.Pattern[str], str]] = []
    for k, m in by_doc.items():
        names = sorted({n for n in cand[k] if len(owners[squash(n)]) == 1}, key=len, reverse=True)
        comp = str(m.get("company") or (names[0] if names else k))
        ja = m.get("company_ja") or next((n for n in names if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", n)), None)
        if ja:  # shown in answers: "オリンパス", not "オリンパス（Olympus）" or "株式会社スクウェア・エニックス"
            ja = strip_legal_form(re.sub(r"\s*[（(][^）)]*[）)]", "", nfkc(ja))) or ja
        en = next((n for n in sorted(names, key=len) if n.isascii() and len(n) >= 3), None)
        docs.append(DocNames(k, str(m.get("doc_id") or k), comp, names, ja, en))
        for n in names:
            sq = squash(n)
            if len(sq) < 2 or (sq.isascii() and len(sq) < 3):
                continue
            if sq.isascii():
                pat = re.compile(rf"(?<![a-z0-9]){re.escape(sq)}(?![a-z0-9])")
            else:
                pat = re.compile(re.escape(sq))
            pats.append((k, pat, n))
    pats.sort(key=lambda x: -len(x[2]))
    with _names_lock:
        if len(_names_cache) > 8:
            _names_cache.clear()
        _names_cache[key] = (snapshot, docs, pats)
    return docs, pats


def _squash_words(text: str) -> str:
    """fold() with separators removed but word boundaries between ASCII words kept as one space."""
    f = fold(text)
    f = re.sub(r"[\-‐‑–—_・･.,()（）'’&]+", "", f)
    f = re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", f)
    return f


@lru_cache(maxsize=1 << 16)
def _ascii_name(name: str) -> bool:
    """Whether a library name is searched in the question's words (Latin) or its flat form (cached:
    thousands of names per question at 1,700 documents)."""
    return squash(name).isascii()


def _inside_other_name(text: str, name: str) -> bool:
    """A one-word company name that occurs only as a later word of a longer capitalised name in `text`:
    "Mitsui" in "Sumitomo Mitsui Card" is not Mitsui Fudosan."""
    occ = list(re.finditer(rf"(?i)(?<![A-Za-z0-9]){re.escape(name.strip())}(?![A-Za-z0-9])", text))
    if not occ:
        return False
    for m in occ:
        prev = re.search(r"([A-Za-z][\w&.\-]*)\s+$", text[: m.start()])
        if not (prev and prev.group(1)[0].isupper() and prev.group(1).lower() not in EN_FUNCTION_WORDS):
            return False
    return True


def find_companies(text: str, snapshot: Any) -> list[tuple[str, str]]:
    """(doc key, matched name) for each library company named in `text`, in order of appearance."""
    if snapshot is None or not text:
        return []
    _, pats = doc_names(snapshot)
    text = re.sub(r"(?<=[A-Za-z])['’]s?(?![A-Za-z])", "", text)  # Cohere's → Cohere
    words = _squash_words(text)
    flat = words.replace(" ", "")
    found: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for k, pat, name in pats:
        if k in seen:
            continue
        m = pat.search(words if _ascii_name(name) else flat) or (pat.search(flat) if " " in name else None)
        if m and _ascii_name(name) and " " not in name.strip() and _inside_other_name(text, name):
            continue
        if m:
            seen.add(k)
            found.append((m.start(), k, name))
    found.sort()
    return [(k, n) for _, k, n in found]


def company_display(snapshot: Any, key: str, lang: str) -> str:
    docs, _ = doc_names(snapshot)
    for d in docs:
        if d.key == key or d.doc_id == key:
            if lang == "ja" and d.ja_name:
                return d.ja_name
            return d.en_name or d.company
    return key
