"""Clauses of metadata filters: the filter vocabulary (facet and other keys, key aliases,
operators), value canonicalisation (facet spellings via rag.ingest.facets, numbers, typed fm.*
values, comma-separated lists) and one `Clause` with its two identical evaluations, the Chroma
`where` form and the Python `matches` test (Chroma semantics)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rag.ingest import facets

# ------------------------------------------------------------------------------- vocabulary

FACET_KEYS = ("country", "industry", "category", "company", "company_aliases", "tags", "founded_year")
OTHER_KEYS = ("doc_id", "uid", "title", "source", "kind")
LIST_FIELDS = frozenset({"tags", "company_aliases"})
NUMERIC_FIELDS = frozenset({"founded_year"})
KEY_ALIASES = {
    "tag": "tags",
    "year": "founded_year",
    "founded": "founded_year",
    "doc": "doc_id",
    "id": "doc_id",
    "alias": "company_aliases",
    "aliases": "company_aliases",
    "国": "country",
    "業界": "industry",
    "業種": "industry",
    "企業": "company",
    "会社": "company",
    "タグ": "tags",
    "設立年": "founded_year",
}
OPS = ("in", "nin", "contains", "gte", "lte", "gt", "lt")
_CHROMA_OP = {"gte": "$gte", "lte": "$lte", "gt": "$gt", "lt": "$lt"}
_LABELS = {
    "ja": {
        "country": "国",
        "industry": "業界",
        "category": "カテゴリ",
        "company": "企業",
        "company_aliases": "企業の別名",
        "tags": "タグ",
        "founded_year": "設立年",
        "doc_id": "文書ID",
        "uid": "文書UID",
        "title": "タイトル",
        "source": "ファイル",
        "kind": "種別",
    },
    "en": {},
}

_PARSE_RE = re.compile(r"^\s*([^\s=!~<>]+)\s*(>=|<=|!=|~=|==|=|>|<)\s*(.*?)\s*$", re.S)


def fold(s: Any) -> str:
    """NFKC + casefold + collapse whitespace: the comparison key for fuzzy value matching."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(s))).strip().casefold()


def _squash(s: Any) -> str:
    """Letters and digits only, folded (ミストラル AI ≡ ミストラルAI ≡ mistral-ai), as rag.facets.alias_key."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", str(s)).casefold() if ch.isalnum())


def canonical_key(key: str) -> str:
    k = unicodedata.normalize("NFKC", key).strip()
    low = k.lower()
    if low.startswith("fm."):
        return "fm." + k[3:]
    k = KEY_ALIASES.get(low, KEY_ALIASES.get(k, low))
    if k in FACET_KEYS or k in OTHER_KEYS:
        return k
    raise ValueError(
        f"unknown filter key {key!r}: use one of {', '.join(FACET_KEYS + OTHER_KEYS)} or fm.<front-matter field>"
    )


def _canonical_value(key: str, value: Any) -> Any:
    """Canonical spelling of a facet value (rag.facets); numbers for numeric fields."""
    if key in NUMERIC_FIELDS:
        return _number(key, value)
    if not isinstance(value, str):
        return value
    v = unicodedata.normalize("NFKC", value).strip()
    if key in ("country", "industry", "category"):  # company: resolved against the index
        try:
            got = facets.canonical_value(key, v)
            if isinstance(got, str) and got:
                return got
        except (ImportError, AttributeError, KeyError, ValueError):
            pass
    return v


def _number(key: str, value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"filter {key}: expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        return value
    s = unicodedata.normalize("NFKC", str(value)).strip().rstrip("年")
    try:
        return int(s)
    except ValueError:
        try:
            return float(s)
        except ValueError:
            raise ValueError(f"filter {key}: expected a number, got {value!r}") from None


def _auto_scalar(s: str) -> Any:
    """A typed guess for an fm.* value given as text: int, float, bool or the string itself."""
    t = s.strip()
    if re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    if re.fullmatch(r"[+-]?\d*\.\d+", t):
        return float(t)
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    return s


def _split_values(raw: str) -> list[str]:
    parts = re.split(r"(?<!\\),", raw)
    return [p.replace("\\,", ",").strip() for p in parts if p.replace("\\,", ",").strip()]


# ------------------------------------------------------------------------------- clauses


@dataclass(frozen=True)
class Clause:
    """One condition. op: in | nin | contains (any of `values`) | gte | lte | gt | lt (one value)."""

    key: str
    op: str
    values: tuple[Any, ...]

    def to_where(self) -> dict[str, Any] | None:
        k, vals = self.key, list(self.values)
        if self.op in _CHROMA_OP:
            return {k: {_CHROMA_OP[self.op]: vals[0]}}
        if not vals:  # resolved to nothing: handled by Filters (matches nothing)
            return None
        if self.op == "in":
            return {k: {"$eq": vals[0]}} if len(vals) == 1 else {k: {"$in": _homogeneous(vals)}}
        if self.op == "nin":
            return {k: {"$ne": vals[0]}} if len(vals) == 1 else {k: {"$nin": _homogeneous(vals)}}
        # contains: any of the values is an element of the list
        parts = [{k: {"$contains": v}} for v in vals]
        return parts[0] if len(parts) == 1 else {"$or": parts}

    def matches(self, meta: Mapping[str, Any]) -> bool:
        has = self.key in meta and meta[self.key] is not None
        v = meta.get(self.key)
        if self.op == "nin":
            if not has:
                return True
            return not any(_same(v, x) for x in self.values)
        if not has or (self.op in ("in", "contains") and not self.values):
            return False
        if self.op == "in":
            return not isinstance(v, (list, tuple)) and any(_same(v, x) for x in self.values)
        if self.op == "contains":
            return isinstance(v, (list, tuple)) and any(_same(e, x) for e in v for x in self.values)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        x = self.values[0]
        return {"gte": v >= x, "lte": v <= x, "gt": v > x, "lt": v < x}[self.op]


def _same(a: Any, b: Any) -> bool:
    """Chroma-style equality: same value, numbers compare across int/float, no str↔number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _homogeneous(vals: list[Any]) -> list[Any]:
    """Chroma's $in needs one type: ints and floats become floats."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        if any(isinstance(v, float) for v in vals):
            return [float(v) for v in vals]
    return vals


def _company_alternatives(name: Any) -> list[str]:
    try:
        return sorted(str(x) for x in facets.aliases_for("company", str(name)) if x)
    except Exception:  # the facet mapping is optional here: index aliases still apply
        return []


def _num_eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    if isinstance(a, (int, float)):
        try:
            return a == _number("", b)
        except ValueError:
            return False
    return False
