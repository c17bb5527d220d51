"""Metadata filters for retrieval: one typed value, two identical evaluations (Chroma and Python).

    Filters.parse(["country=日本,米国", "tags~=LLM", "founded_year>=2020"])
    Filters.from_dict({"country": "フランス", "tags": ["LLM"], "founded_year": {"gte": 2020}})

Syntax of one `parse` item (keys: the canonical facets country, industry, category, company,
company_aliases, tags, founded_year, plus doc_id, uid, title, source, kind and any `fm.<key>`
flattened front-matter field):

    key=v            equal (on a list field: the list has an element equal to v)
    key=v1,v2        any of (`\\,` keeps a literal comma)
    key!=v1,v2       none of (a chunk without the key matches, as in Chroma)
    key~=v           contains: substring of the value, or of an element of a list value
    key>=n key<=n key>n key<n   numeric range

Values of known facets are canonicalised with rag.facets (country "Japan" ≡ 日本, "USA" ≡ 米国).

Semantics. `to_where()` and `matches(meta)` are exact twins (Chroma semantics): `$eq/$in/$nin`
compare exact values, `$contains` tests list membership, ranges are numeric. Everything fuzzy
(case/width folding, company aliases such as ミストラルAI → Mistral AI, substring `~=`, the
type of an `fm.*` value) is settled once by `resolve(metas)` against the metadata actually in the
index, which rewrites every clause into exact values seen there. `rag.retrieval.retrieve`
resolves before filtering both the dense (Chroma `where`) and the BM25 side (`matches`), so both
sides see the same chunk set. A clause that resolves to nothing matches nothing: a filtered search
never falls back to unfiltered results.

The vocabulary, value canonicalisation and one clause live in rag.search.filter_clauses;
filters suggested by a question in rag.search.filter_inference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from rag.search.filter_clauses import (
    _CHROMA_OP,
    _LABELS,
    _PARSE_RE,
    LIST_FIELDS,
    NUMERIC_FIELDS,
    OPS,
    Clause,
    _auto_scalar,
    _canonical_value,
    _company_alternatives,
    _num_eq,
    _number,
    _same,
    _split_values,
    _squash,
    canonical_key,
    fold,
)

# ------------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filters:
    """An AND of clauses. Immutable and hashable; empty = no filtering."""

    clauses: tuple[Clause, ...] = ()
    resolved: bool = field(default=False, compare=False)

    # ---- construction
    @classmethod
    def parse(cls, items: Iterable[str] | str | None) -> Filters:
        """From CLI strings such as "country=日本,米国", "tags~=LLM", "founded_year>=2020"."""
        if items is None:
            return cls()
        if isinstance(items, str):
            items = [items]
        clauses: list[Clause] = []
        for item in items:
            if item is None or not str(item).strip():
                continue
            m = _PARSE_RE.match(str(item))
            if not m or not m.group(3):
                raise ValueError(
                    f"bad filter {item!r}: expected KEY=VALUE[,VALUE…], KEY!=VALUE, KEY~=TEXT or "
                    f"KEY>=N / KEY<=N / KEY>N / KEY<N (e.g. country=日本, tags~=LLM, founded_year>=2020)"
                )
            key, sym, raw = canonical_key(m.group(1)), m.group(2), m.group(3)
            if sym in (">=", "<=", ">", "<"):
                op = {">=": "gte", "<=": "lte", ">": "gt", "<": "lt"}[sym]
                clauses.append(Clause(key, op, (_number(key, raw),)))
                continue
            vals = _split_values(raw)
            if not vals:
                raise ValueError(f"bad filter {item!r}: no value after {sym!r}")
            op = {"=": "in", "==": "in", "!=": "nin", "~=": "contains"}[sym]
            clauses.append(cls._clause(key, op, vals, from_text=True))
        return cls(tuple(clauses))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Filters:
        """From {"country": "フランス", "tags": ["LLM"], "founded_year": {"gte": 2020}, …}.

        A scalar means equal, a list means any of (on a list field: contains any of); a dict maps
        operators (eq, in, nin/ne, contains, gte, lte, gt, lt; with or without a leading $) to values.
        """
        if not d:
            return cls()
        if isinstance(d, Filters):
            return d
        clauses: list[Clause] = []
        for raw_key, spec in d.items():
            key = canonical_key(str(raw_key))
            if isinstance(spec, Mapping):
                for raw_op, val in spec.items():
                    op = str(raw_op).lstrip("$").lower()
                    op = {"eq": "in", "ne": "nin", "not_in": "nin", "ge": "gte", "le": "lte", "~": "contains"}.get(
                        op, op
                    )
                    if op not in OPS:
                        raise ValueError(f"filter {raw_key}: unknown operator {raw_op!r} (use one of {', '.join(OPS)})")
                    if op in _CHROMA_OP:
                        clauses.append(Clause(key, op, (_number(key, val),)))
                    else:
                        vals = list(val) if isinstance(val, (list, tuple, set)) else [val]
                        clauses.append(cls._clause(key, op, vals))
            else:
                vals = list(spec) if isinstance(spec, (list, tuple, set)) else [spec]
                if not vals:
                    raise ValueError(f"filter {raw_key}: empty list of values")
                clauses.append(cls._clause(key, "in", vals))
        return cls(tuple(clauses))

    @staticmethod
    def _clause(key: str, op: str, vals: list[Any], from_text: bool = False) -> Clause:
        if key in LIST_FIELDS and op == "in":
            op = "contains"  # tags=LLM: has the tag LLM
        out: list[Any] = []
        for v in vals:
            if key in NUMERIC_FIELDS:
                v = _number(key, v)
            elif isinstance(v, str):
                v = _canonical_value(key, v)
                if from_text and key.startswith("fm.") and op != "contains":
                    v = _auto_scalar(v)
            if v not in out:
                out.append(v)
        return Clause(key, op, tuple(out))

    @classmethod
    def coerce(cls, f: Filters | Mapping[str, Any] | Iterable[str] | None) -> Filters:
        if f is None:
            return cls()
        if isinstance(f, Filters):
            return f
        if isinstance(f, Mapping):
            return cls.from_dict(f)
        return cls.parse(list(f))

    # ---- views
    @property
    def is_empty(self) -> bool:
        return not self.clauses

    def __bool__(self) -> bool:
        return bool(self.clauses)

    def to_dict(self) -> dict[str, Any]:
        """The from_dict form: {key: value | [values] | {op: value}} (round-trips)."""
        out: dict[str, Any] = {}
        for c in self.clauses:
            spec = out.setdefault(c.key, {})
            if c.op in _CHROMA_OP:
                spec[c.op] = c.values[0]
            else:
                prev = spec.get(c.op)
                spec[c.op] = (list(prev) if prev else []) + [v for v in c.values if v not in (prev or [])]
        # compact: {"in": ["x"]} → "x"
        for k, spec in list(out.items()):
            if list(spec) == ["in"]:
                vals = spec["in"]
                out[k] = vals[0] if len(vals) == 1 else vals
            elif list(spec) == ["contains"] and k in LIST_FIELDS:
                out[k] = spec["contains"]
        return out

    def matches_nothing(self) -> bool:
        """True when a clause can match no chunk at all (e.g. an alias that resolved to nothing)."""
        return any(c.op in ("in", "contains") and not c.values for c in self.clauses)

    def to_where(self) -> dict[str, Any] | None:
        """Chroma `where` ($eq/$in/$nin/$contains/$gte/$lte…, several clauses under $and); None when empty.

        Check `matches_nothing()` first: a clause with no remaining value has no `where` form.
        """
        parts = [w for w in (c.to_where() for c in self.clauses) if w is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"$and": parts}

    def matches(self, meta: Mapping[str, Any]) -> bool:
        """The same test as `to_where()`, in Python (used on the BM25 side)."""
        return all(c.matches(meta) for c in self.clauses)

    def describe(self, lang: str = "en") -> str:
        if not self.clauses:
            return "絞り込みなし" if lang == "ja" else "no filters"
        ja = lang == "ja"
        labels = _LABELS["ja"] if ja else {}
        parts = []
        for c in self.clauses:
            name = labels.get(c.key, c.key)
            vals = [str(v) for v in c.values]
            if c.op == "in":
                parts.append(f"{name} = {(' または ' if ja else ' or ').join(vals)}" if vals else f"{name} = ∅")
            elif c.op == "nin":
                parts.append(f"{name} ≠ {(' / ' if ja else ' and ').join(vals)}")
            elif c.op == "contains":
                alt = (" または " if ja else " or ").join(vals) or "∅"
                parts.append(f"{name}に「{alt}」を含む" if ja else f"{name} contains {alt}")
            else:
                sym = {"gte": "≥", "lte": "≤", "gt": ">", "lt": "<"}[c.op]
                parts.append(f"{name} {sym} {vals[0]}")
        return ("、" if ja else "; ").join(parts)

    def __str__(self) -> str:
        return self.describe("en")

    # ---- resolution against the index
    def resolve(self, metas: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]]) -> Filters:
        """Rewrite every clause into exact values present in `metas` (chunk metadata of the index).

        * case / width / whitespace folding: "llm" → the stored "LLM";
        * company: an alias (company_aliases, title, or the company itself, folded) → the company;
        * `~=` on a string field → `in` the stored values containing the text; on a list field →
          `contains` the stored elements containing it;
        * fm.* / other scalar keys: the stored type (2023 vs "2023").
        Values found nowhere are dropped, so a clause may end up empty: it then matches nothing.
        """
        if self.resolved or not self.clauses:
            return replace(self, resolved=True)
        if isinstance(metas, Mapping):
            metas = metas.values()
        metas = list(metas)
        scalars: dict[str, dict[str, list[Any]]] = {}  # key → fold(value) → stored values
        elements: dict[str, dict[str, list[Any]]] = {}
        company_of: dict[str, set[str]] = {}
        keys = {c.key for c in self.clauses}
        for m in metas:
            for k in keys:
                if k not in m or m[k] is None:
                    continue
                v = m[k]
                target = elements if isinstance(v, (list, tuple)) else scalars
                for x in v if isinstance(v, (list, tuple)) else [v]:
                    bucket = target.setdefault(k, {}).setdefault(fold(x), [])
                    if not any(_same(x, y) for y in bucket):
                        bucket.append(x)
            if "company" in keys and m.get("company"):
                comp = m["company"]
                names = [comp, m.get("title")] + list(m.get("company_aliases") or [])
                for n in names:
                    if n:
                        company_of.setdefault(_squash(n), set()).add(comp)
        out: list[Clause] = []
        for c in self.clauses:
            if c.op in _CHROMA_OP:
                out.append(c)
                continue
            pool = elements.get(c.key, {}) if (c.key in LIST_FIELDS or c.key in elements) else scalars.get(c.key, {})
            is_list = c.key in LIST_FIELDS or (c.key in elements and c.key not in scalars)
            found: list[Any] = []

            def add(xs: Iterable[Any]) -> None:
                for x in xs:
                    if not any(_same(x, y) for y in found):
                        found.append(x)

            for v in c.values:
                fv = fold(v)
                if c.op == "contains" and not is_list:
                    add(x for f, xs in scalars.get(c.key, {}).items() if fv in f for x in xs)
                    continue
                if c.op == "contains" and is_list:
                    exact = pool.get(fv)
                    add(exact if exact else [x for f, xs in pool.items() if fv in f for x in xs])
                    continue
                # in / nin: exact after folding (numbers: by value)
                hits = [x for f, xs in pool.items() for x in xs if f == fv or _num_eq(x, v)]
                if not hits and c.key == "company":
                    # an alias of a company in the index (its company_aliases or title), or a name
                    # rag.facets knows as the same company
                    for name in [v, *_company_alternatives(v)]:
                        add(sorted(company_of.get(_squash(name), ())))
                    continue
                add(hits)
            if c.op == "contains" and not is_list:
                out.append(Clause(c.key, "in", tuple(found)))
            elif c.op == "nin" and not found:
                continue  # excluding values that occur nowhere excludes nothing
            else:
                out.append(Clause(c.key, "contains" if (c.op == "contains" and is_list) else c.op, tuple(found)))
        return Filters(tuple(out), resolved=True)
