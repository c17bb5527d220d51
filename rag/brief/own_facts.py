"""Whose facts a body line states: the names a document uses for its company, and the table rows and
comparison sections about other entities (competitors, other technologies), which are not the
company's own key figures. A table is about several entities when one row's first cell names the
company and others do not, or when its heading, lead-in or header says it compares (比較, 競合,
vs, benchmark…); its rows that do not name the company are about someone else."""

from __future__ import annotations

import re

from rag.brief.document import _Doc
from rag.brief.text import _fold, nfkc
from rag.ingest import alias_key

COMPARE_WORDS = ("比較", "競合", "ベンチマーク", "他社", "vs", "versus", "benchmark", "comparison", "competitor")


def company_keys(d: _Doc) -> list[str]:
    """alias keys of the company's names (company, Japanese name, aliases, title head, first word)."""
    f = d.facets or {}
    names = [d.company, str(f.get("company_ja") or "")]
    al = f.get("company_aliases")
    names += [str(a) for a in al] if isinstance(al, list) else [str(al or "")]
    head = re.split(r"\s+[-–—|｜]\s+|[：:｜|（(]", nfkc(d.title or ""))[0]
    names.append(head)
    for n in list(names):
        parts = re.split(r"[\s/・（(）)]+", nfkc(n))
        names += [p for p in parts if len(p) >= 4 or (p and not p.isascii() and len(p) >= 2)]
    keys = {alias_key(n) for n in names}
    return sorted((k for k in keys if len(k) >= 3 or (k and not k.isascii())), key=len, reverse=True)


def names_company(text: str, keys: list[str]) -> bool:
    k = alias_key(text)
    return bool(k) and any(c in k for c in keys)


def _says_compare(text: str) -> bool:
    f = _fold(text)
    return any(re.search(rf"(?<![a-z]){re.escape(w)}", f) for w in COMPARE_WORDS)


def foreign_lines(d: _Doc) -> set[int]:
    """Body lines about other entities: rows of multi-entity / comparison tables that do not name the
    company, and the lines of comparison sections that do not name it (cached on the document)."""
    cached = getattr(d, "_foreign_lines", None)
    if cached is None:
        cached = _foreign_lines(d)
        d._foreign_lines = cached  # type: ignore[attr-defined]
    return cached


def _foreign_lines(d: _Doc) -> set[int]:
    keys = company_keys(d)
    out: set[int] = set()
    tables: dict[tuple[int, int], list] = {}
    for u in d.units:
        if u.table:
            tables.setdefault((u.sec, u.header[0] if u.header else -u.line), []).append(u)
    for (si, _h), rows in tables.items():
        path = " ".join(d.sections[si].heading_path)
        head = rows[0].header[1] if rows[0].header else []
        lead = " ".join(r.lead[1] for r in rows if r.lead)
        lead += " " + _lead_before(d, rows[0].header[0] if rows[0].header else rows[0].line)
        firsts = [(r, (r.cells() or [""])[0]) for r in rows]
        own = [r for r, c in firsts if names_company(c, keys)]
        compares = _says_compare(path) or _says_compare(" ".join(head)) or _says_compare(lead)
        if (own and len(own) < len(rows)) or compares:
            out.update(r.line for r, c in firsts if not names_company(c, keys))
    for u in d.units:
        if not u.table and _says_compare(" ".join(d.sections[u.sec].heading_path[-1:])):
            if not names_company(u.clean, keys):
                out.add(u.line)
    return out


def _lead_before(d: _Doc, line: int) -> str:
    """The non-blank line just above a table (its bold lead-in, if any)."""
    n = line - 1
    while n > 0 and not d.line(n).strip():
        n -= 1
    t = d.line(n).strip()
    return t if t and not t.startswith(("|", "#")) else ""
