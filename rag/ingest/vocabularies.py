"""Name vocabularies of the facet mapping: canonical names with aliases (`_NameTable`, which finds
the canonical name a free-text value mentions), countries with their English name and region, and
the company-name groups the mapping registers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rag.ingest.facet_values import _WS_RE, _fold, _nfkc, has_japanese, split_parentheses

_PART_SEP_RE = re.compile(r"[,、，/／|;；:：・\n]+")


class _NameTable:
    """Canonical names with aliases; finds the canonical name a free-text value mentions."""

    def __init__(self, entries: dict[str, list[str]]):
        self.names: dict[str, set[str]] = {}
        self._exact: dict[str, str] = {}
        scan_folded: dict[str, str] = {}
        scan_codes: dict[str, str] = {}
        for canonical, aliases in entries.items():
            all_names = [canonical, *aliases]
            self.names[canonical] = set(all_names)
            for name in all_names:
                key = _fold(name)
                if not key:
                    continue
                self._exact.setdefault(key, canonical)
                norm = _nfkc(name).strip()
                if has_japanese(norm):
                    if len(norm) >= 2:
                        scan_folded.setdefault(key, canonical)
                elif len(key) >= 4:
                    scan_folded.setdefault(key, canonical)
                elif norm.isupper() and len(norm) >= 2:
                    scan_codes.setdefault(norm, canonical)
        self._scan_folded = scan_folded
        self._scan_codes = scan_codes
        self._folded_re = self._compile(scan_folded, ignore_case=True)
        self._codes_re = self._compile(scan_codes, ignore_case=False)

    @staticmethod
    def _compile(names: dict[str, str], *, ignore_case: bool) -> re.Pattern[str] | None:
        if not names:
            return None
        parts = []
        for name in sorted(names, key=len, reverse=True):
            esc = re.escape(name)
            if has_japanese(name):
                parts.append(esc)
            else:
                parts.append(r"(?<![A-Za-z0-9])" + esc + r"(?![A-Za-z0-9])")
        return re.compile("|".join(parts))

    def _scan(self, text: str) -> str | None:
        best: tuple[int, str] | None = None
        if self._folded_re is not None:
            m = self._folded_re.search(_fold(text))
            if m:
                best = (m.start(), self._scan_folded[m.group(0)])
        if self._codes_re is not None:
            m = self._codes_re.search(_WS_RE.sub(" ", _nfkc(text)))
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), self._scan_codes[m.group(0)])
        return best[1] if best else None

    def lookup(self, value: Any) -> str | None:
        if value is None or isinstance(value, (bool, dict, list)):
            return None
        text = str(value)
        key = _fold(text)
        if not key:
            return None
        if key in self._exact:
            return self._exact[key]
        outer, inner = split_parentheses(text)
        for segment in [outer, *inner]:
            seg_key = _fold(segment)
            if not seg_key:
                continue
            if seg_key in self._exact:
                return self._exact[seg_key]
            for part in reversed(_PART_SEP_RE.split(segment)):
                part_key = _fold(part)
                if part_key in self._exact:
                    return self._exact[part_key]
            found = self._scan(segment)
            if found:
                return found
        return None


@dataclass(frozen=True)
class Country:
    name: str  # canonical (Japanese)
    en: str
    region: str | None


class _CompanyGroup:
    __slots__ = ("names", "canonical", "from_document")

    def __init__(self, canonical: str, from_document: bool) -> None:
        self.names: set[str] = set()
        self.canonical = canonical
        self.from_document = from_document
