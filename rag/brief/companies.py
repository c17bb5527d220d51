"""Which document a company name means: matching a name, alias, title, doc_id or file name against
the indexed documents (exact, then a unique partial match, else close names as suggestions), and
the list of company names in the index."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from rag.brief.errors import BriefingError, UnknownCompany
from rag.brief.text import _fold
from rag.config import Settings
from rag.index import IndexMissing, get_library
from rag.ingest import alias_key
from rag.ingest.company_names import document_names


def _entry_names(entry: dict[str, Any]) -> list[str]:
    """The document's company names (rag.ingest.company_names: facets, title head, doc_id spelling)."""
    f = entry.get("facets") or {}
    return document_names(str(entry.get("doc_id") or ""), str(entry.get("title") or f.get("title") or ""), f)


def _titles(entry: dict[str, Any]) -> list[str]:
    f = entry.get("facets") or {}
    return [t for t in (entry.get("title"), f.get("title"), f.get("title_ja")) if isinstance(t, str) and t.strip()]


def _entry_company(entry: dict[str, Any]) -> str:
    f = entry.get("facets") or {}
    return str(f.get("company") or entry.get("title") or entry.get("doc_id"))


def resolve_company(name: str, snapshot: Any) -> dict[str, Any]:
    """The indexed document entry (an item of `snapshot.documents`) about company `name`.

    Matches (NFKC, case- and width-insensitive, letters and digits only) the company's names
    (rag.ingest.company_names: the company facet, its aliases — ミストラルAI ≡ Mistral AI —, the
    title's head, "Klarna" of "Klarna - …"), then the title, the doc_id or the file name; then a
    unique partial match. Raises UnknownCompany with the closest
    names otherwise.
    """

    docs = snapshot.documents if hasattr(snapshot, "documents") else list(snapshot)
    q = alias_key(name or "")
    if not q:
        raise UnknownCompany(str(name), [_entry_company(d) for d in docs][:5])

    def keys(entry: dict[str, Any]) -> list[tuple[str, int]]:
        out = [(alias_key(n), 0) for n in _entry_names(entry)]
        out += [(alias_key(t), 1) for t in _titles(entry)]
        out += [(alias_key(str(entry.get("doc_id", ""))), 1), (alias_key(Path(str(entry.get("path", ""))).stem), 1)]
        return [(k, r) for k, r in out if k]

    for rank in (0, 1):
        exact = [d for d in docs if any(k == q and r == rank for k, r in keys(d))]
        if exact:
            return exact[0]
    # partial: the query inside a name (or a name inside the query), one document only
    if len(q) >= 3 or any(ord(c) > 0x2E80 for c in q) and len(q) >= 2:
        part = []
        for d in docs:
            ks = [k for k, _ in keys(d)]
            if any(q in k for k in ks) or any(len(k) >= 4 and k in q for k in ks[: len(_entry_names(d))]):
                part.append(d)
        uniq = {d["uid"] if "uid" in d else d.get("path"): d for d in part}
        if len(uniq) == 1:
            return next(iter(uniq.values()))
        if len(uniq) > 1:
            raise UnknownCompany(str(name), sorted({_entry_company(d) for d in uniq.values()}), ambiguous=True)
    # close matches for the message
    pool: dict[str, str] = {}
    for d in docs:
        for n in _entry_names(d):
            pool.setdefault(_fold(n), _entry_company(d))
    folded = _fold(name)
    close = difflib.get_close_matches(folded, list(pool), n=5, cutoff=0.4)
    sugg: list[str] = []
    for c in close:
        if pool[c] not in sugg:
            sugg.append(pool[c])
    if not sugg:  # nothing close: offer the catalogue (short)
        sugg = sorted({_entry_company(d) for d in docs})[:8] if len(docs) <= 8 else []
    raise UnknownCompany(str(name), sugg[:5])


def _snapshot(settings: Settings):
    try:
        return get_library(settings).snapshot()
    except IndexMissing as e:
        raise BriefingError(str(e)) from e


def list_companies(settings: Settings | None = None) -> list[str]:
    """Company names of the indexed documents (one per document, sorted, duplicates removed)."""
    settings = settings or Settings.from_env()
    snap = _snapshot(settings)
    return sorted({_entry_company(d) for d in snap.documents}, key=lambda s: _fold(s))


def _settings(settings: Settings | None) -> Settings:
    return settings or Settings.from_env()


def _entry(company: Any, settings: Settings) -> dict[str, Any]:
    if isinstance(company, dict) and "path" in company:
        return company
    return resolve_company(str(company), _snapshot(settings))
