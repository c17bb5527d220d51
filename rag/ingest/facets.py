"""Canonical facets (doc_id, company, country, …) from front matter of any schema.

Which front-matter fields feed which facet is *declared* in a mapping file (`rag/facets.yaml`,
or `Settings.facets_file`), not coded here: this module only knows how to read a source
(a dotted front-matter path, a `| **label** | value |` row of the body, an earlier facet, the
first heading, the file name) and how to turn values into a type (text, year, list, country…).
Value helpers are in `rag.ingest.facet_values`, the body readers in `rag.ingest.body_fields`, the
name vocabularies in `rag.ingest.vocabularies` and the mapping file's shape in `rag.ingest.facet_spec`.

Every value this module puts into a facet dict is a Chroma metadata value: str, int, float or
bool, or a non-empty list of one of those types.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.ingest.body_fields import body_table, first_heading
from rag.ingest.company_names import bracketed_latin_names
from rag.ingest.facet_spec import PACKAGED_MAPPING, FacetMappingError, FacetSpec, Source, parse_mapping
from rag.ingest.facet_values import (
    NAME_ANNOTATION,
    _chroma_scalar,
    _dedupe,
    _scalar_text,
    _text_value,
    alias_key,
    clean_text,
    flatten_front_matter,
    flatten_strings,
    has_japanese,
    parse_year,
    split_parentheses,
)
from rag.ingest.safe_yaml import safe_yaml_load
from rag.ingest.vocabularies import Country, _CompanyGroup, _NameTable


@dataclass
class _Context:
    front_matter: dict[str, Any]
    body: str
    path: Path
    table_max_lines: int
    facets: dict[str, Any] = field(default_factory=dict)
    _table: dict[str, str] | None = None

    def table(self) -> dict[str, str]:
        if self._table is None:
            self._table = body_table(self.body, self.table_max_lines)
        return self._table


def _get_path(data: Any, dotted: str) -> Any:
    if not isinstance(data, dict):
        return None
    if dotted in data:
        return data[dotted]
    cur: Any = data
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


class FacetMapping:
    """A loaded facet mapping: computes canonical facets and normalises filter values.

    It also keeps a registry of company names seen in documents (name, name_ja, aliases…), so
    `canonical_value("company", "ミストラルAI")` gives "Mistral AI" once that document is loaded
    (or once `register_company` was called with the names stored in the index).
    """

    def __init__(
        self,
        specs: list[FacetSpec],
        *,
        countries: dict[str, Country],
        country_table: _NameTable,
        region_table: _NameTable,
        company_cfg: dict[str, Any],
        flatten_cfg: dict[str, Any],
        table_max_lines: int,
        origin: Path | None = None,
    ) -> None:
        self.specs = specs
        self._spec_by_name = {s.name: s for s in specs}
        self.countries = countries
        self._countries = country_table
        self._regions = region_table
        self.flatten_prefix: str = flatten_cfg.get("prefix", "fm.")
        self._lists_of_mappings: str = flatten_cfg.get("lists_of_mappings", "json")
        self._max_json_chars: int = int(flatten_cfg.get("max_json_chars", 2000))
        self.table_max_lines = table_max_lines
        self.origin = origin
        self._split_seps: list[str] = list(company_cfg.get("split", []))
        self._parentheses: bool = bool(company_cfg.get("parentheses", True))
        forms = company_cfg.get("legal_forms", {}) or {}
        self._legal_prefixes = sorted((str(x) for x in forms.get("prefix", []) or []), key=len, reverse=True)
        self._legal_suffixes = sorted((str(x) for x in forms.get("suffix", []) or []), key=len, reverse=True)
        self._static_groups: list[list[str]] = [[str(n) for n in g] for g in company_cfg.get("groups", []) or []]
        self._static_by_key: dict[str, list[str]] = {}
        for group in self._static_groups:
            for name in group:
                self._static_by_key.setdefault(alias_key(name), group)
        self._lock = threading.Lock()
        self._groups: dict[str, _CompanyGroup] = {}
        for group in self._static_groups:
            if group:
                self._register(group, group[0], from_document=False)

    # ---------------------------------------------------------------- loading

    @classmethod
    def load(cls, path: Path | None = None) -> FacetMapping:
        """Load a mapping file (None → the packaged `rag/facets.yaml`)."""

        origin = Path(path) if path is not None else PACKAGED_MAPPING
        try:
            text = origin.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise FacetMappingError(f"{origin}: cannot read the facet mapping ({exc})") from exc
        try:
            data = safe_yaml_load(text)
        except Exception as exc:  # yaml errors, limits
            detail = " ".join(str(exc).split())
            raise FacetMappingError(f"{origin}: the facet mapping is not valid YAML: {detail}") from exc
        return cls.from_dict(data, origin=origin)

    @classmethod
    def from_dict(cls, data: Any, *, origin: Path | None = None) -> FacetMapping:
        specs, options = parse_mapping(data, origin)
        return cls(specs, **options)

    @property
    def facet_names(self) -> list[str]:
        return [s.name for s in self.specs]

    def spec(self, facet: str) -> FacetSpec | None:
        return self._spec_by_name.get(facet)

    # ---------------------------------------------------------------- computing facets

    def compute(self, front_matter: dict[str, Any], body: str, path: Path) -> dict[str, Any]:
        """Canonical facets + `fm.*` flattened fields for one document (Chroma-safe values)."""
        facets = self._compute(front_matter or {}, body or "", Path(path))
        self._register_from_facets(facets)
        keys = _dedupe(alias_key(n) for n in self._company_names(facets))
        if keys:  # lets a filter match any spelling: {"company_keys": {"$contains": alias_key(x)}}
            facets["company_keys"] = keys
        facets.update(
            flatten_front_matter(
                front_matter or {},
                self.flatten_prefix,
                lists_of_mappings=self._lists_of_mappings,
                max_json_chars=self._max_json_chars,
            )
        )
        return facets

    def _compute(self, front_matter: dict[str, Any], body: str, path: Path) -> dict[str, Any]:
        ctx = _Context(front_matter, body, path, self.table_max_lines)
        for spec in self.specs:
            value = self._facet_value(spec, ctx)
            if value is not None and value != []:
                ctx.facets[spec.name] = value
        return ctx.facets

    def _candidates(self, spec: FacetSpec, ctx: _Context) -> Iterator[tuple[Source, Any]]:
        for src in spec.sources:
            if src.kind == "fm":
                value = _get_path(ctx.front_matter, src.ref)
            elif src.kind == "table":
                value = ctx.table().get(src.ref)
            elif src.kind == "facet":
                value = ctx.facets.get(src.ref)
            elif src.kind == "heading":
                value = first_heading(ctx.body)
            elif src.kind == "stem":
                value = ctx.path.stem
            else:  # path
                value = str(ctx.path)
            if value is None or value == "" or value == [] or value == {}:
                continue
            if src.require == "japanese" and not has_japanese(" ".join(flatten_strings(value))):
                continue
            yield src, value

    def _facet_value(self, spec: FacetSpec, ctx: _Context) -> Any:
        if spec.merge:
            collected: list[str] = []
            for _src, value in self._candidates(spec, ctx):
                collected.extend(flatten_strings(value))
            if spec.type == "aliases":
                # "**株式会社日立製作所**（Hitachi, Ltd.）" in the body: Hitachi is a name of it too
                return self._expand_aliases([*collected, *bracketed_latin_names(ctx.body, collected)]) or None
            return _dedupe(collected) or None

        unknown: str | None = None
        for src, value in self._candidates(spec, ctx):
            result = self._convert(spec.type, value)
            if result is not None:
                return result
            if unknown is None and src.kind != "facet" and spec.type in ("country", "region"):
                text = _text_value(value)
                unknown = text or None
        return unknown

    def _convert(self, ftype: str, value: Any) -> Any:
        if ftype == "text":
            return _text_value(value)
        if ftype == "raw":
            if isinstance(value, (bool, int, float)):
                return _chroma_scalar(value)
            return _text_value(value)
        if ftype == "year":
            if isinstance(value, list):
                for v in value:
                    y = parse_year(v)
                    if y is not None:
                        return y
                return None
            return parse_year(value)
        if ftype == "list":
            return _dedupe(flatten_strings(value)) or None
        if ftype == "aliases":
            return self._expand_aliases(flatten_strings(value)) or None
        text = _text_value(value)
        if text is None:
            return None
        if ftype == "country":
            return self.normalize_country(text)
        if ftype == "country_en":
            c = self.normalize_country(text)
            return self.countries[c].en if c else None
        if ftype == "region":
            return self.normalize_region(text)
        raise AssertionError(ftype)

    # ---------------------------------------------------------------- companies

    def _strip_legal(self, name: str) -> str:
        s = name.strip()
        changed = True
        while changed and s:
            changed = False
            for suffix in self._legal_suffixes:
                if s.endswith(suffix) and len(s) > len(suffix):
                    head = s[: -len(suffix)]
                    if has_japanese(suffix) or head[-1] in " ,":
                        s = head.rstrip(" ,").strip()
                        changed = True
                        break
            for prefix in self._legal_prefixes:
                if s.startswith(prefix) and len(s) > len(prefix):
                    s = s[len(prefix) :].strip()
                    changed = True
                    break
        return s

    def _expand_aliases(self, names: Iterable[str]) -> list[str]:
        out: list[str] = []
        for name in names:
            name = name.strip()
            if not name:
                continue
            pieces = [name]
            if self._parentheses:
                outer, inner = split_parentheses(name)
                if inner:
                    pieces += [outer, *(i for i in inner if not NAME_ANNOTATION.fullmatch(i))]
            for sep in self._split_seps:
                pieces += [p.strip() for piece in list(pieces) if sep in piece for p in piece.split(sep)]
            pieces += [self._strip_legal(p) for p in list(pieces)]
            for piece in pieces:
                out.append(piece)
                out.extend(self._static_by_key.get(alias_key(piece), []))
        return _dedupe((o for o in out if len(alias_key(o)) >= 2), key=alias_key)

    def _company_names(self, facets: dict[str, Any]) -> list[str]:
        names: list[str] = []
        for spec in self.specs:
            if spec.vocabulary != "companies":
                continue
            value = facets.get(spec.name)
            if isinstance(value, str):
                names.append(value)
            elif isinstance(value, list):
                names.extend(str(v) for v in value)
        return _dedupe(names, key=alias_key)

    def _register_from_facets(self, facets: dict[str, Any]) -> None:
        names = self._company_names(facets)
        if names:
            self._register(names, names[0], from_document=True)

    def register_company(self, names: Iterable[str], canonical: str | None = None) -> None:
        """Record names of one company (e.g. a stored document's company + company_aliases)."""
        names = [str(n) for n in names if str(n).strip()]
        if names:
            self._register(names, canonical or names[0], from_document=True)

    def _register(self, names: list[str], canonical: str, *, from_document: bool) -> None:
        keys = [k for k in (alias_key(n) for n in names) if k]
        if not keys:
            return
        with self._lock:
            existing: list[_CompanyGroup] = []
            for k in keys:
                g = self._groups.get(k)
                if g is not None and all(g is not e for e in existing):
                    existing.append(g)
            target = next((g for g in existing if g.from_document), None) or (existing[0] if existing else None)
            if target is None:
                target = _CompanyGroup(canonical, from_document)
            elif from_document and not target.from_document:
                target.canonical, target.from_document = canonical, True
            for g in existing:
                if g is not target:
                    target.names |= g.names
            target.names |= set(names)
            for n in list(target.names):
                self._groups[alias_key(n)] = target

    def company_aliases(self, front_matter: dict[str, Any], body: str = "") -> list[str]:
        """All names the document gives its company (name, name_ja, aliases…), expanded."""
        facets = self._compute(front_matter or {}, body or "", Path("document"))
        return self._company_names(facets)

    # ---------------------------------------------------------------- normalising values

    def normalize_country(self, value: Any) -> str | None:
        """The canonical (Japanese) country name a value mentions, or None."""
        return self._countries.lookup(value)

    def normalize_region(self, value: Any) -> str | None:
        """The canonical region a value names ("Europe" → 欧州), else the region of its country."""
        region = self._regions.lookup(value)
        if region:
            return region
        c = self._countries.lookup(value)
        return self.countries[c].region if c else None

    def canonical_value(self, facet: str, value: Any) -> str:
        """The form `value` takes in facet `facet`: "Japan" → 日本, "USA" → 米国, "mistral ai" → "Mistral AI"."""
        text = clean_text(_scalar_text(value))
        spec = self._spec_by_name.get(facet)
        if spec is None:
            return text
        if spec.type == "country":
            return self.normalize_country(text) or text
        if spec.type == "country_en":
            c = self.normalize_country(text)
            return self.countries[c].en if c else text
        if spec.type == "region":
            return self.normalize_region(text) or text
        if spec.type == "year":
            y = parse_year(text)
            return str(y) if y is not None else text
        if spec.vocabulary == "companies":
            group = self._groups.get(alias_key(text))
            return group.canonical if group is not None else text
        return text

    def aliases_for(self, facet: str, value: Any) -> set[str]:
        """Every known spelling equivalent to `value` in `facet` (always includes value itself)."""
        text = clean_text(_scalar_text(value))
        out = {text}
        spec = self._spec_by_name.get(facet)
        if spec is None:
            return out
        if spec.type in ("country", "country_en"):
            c = self.normalize_country(text)
            if c:
                out |= self._countries.names[c] | {c, self.countries[c].en}
        elif spec.type == "region":
            r = self.normalize_region(text)
            if r:
                out.add(r)
                out |= self._regions.names.get(r, set())
        elif spec.vocabulary == "companies":
            group = self._groups.get(alias_key(text))
            if group is not None:
                out |= group.names | {group.canonical}
        return out


# ------------------------------------------------------------------ module-level convenience

_default: FacetMapping | None = None
_default_lock = threading.Lock()


def default_mapping() -> FacetMapping:
    """The packaged mapping, loaded once per process."""
    global _default
    with _default_lock:
        if _default is None:
            _default = FacetMapping.load()
        return _default


def normalize_country(value: str) -> str | None:
    return default_mapping().normalize_country(value)


def canonical_value(facet: str, value: str) -> str:
    return default_mapping().canonical_value(facet, value)


def aliases_for(facet: str, value: str) -> set[str]:
    return default_mapping().aliases_for(facet, value)


def company_aliases(front_matter: dict[str, Any]) -> list[str]:
    return default_mapping().company_aliases(front_matter)
