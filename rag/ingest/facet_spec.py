"""The facet mapping file's shape: sources (`Source`), facet specs (`FacetSpec`), value types and the
validation of a loaded mapping (`parse_mapping`), with `FacetMappingError` for any file that is
missing, not YAML or not in the expected shape. The packaged mapping is `rag/ingest/facets.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.ingest.body_fields import _label_key
from rag.ingest.vocabularies import Country, _NameTable

PACKAGED_MAPPING = Path(__file__).with_name("facets.yaml")
FACETS_VERSION = 2
"""Bumped when the code that computes facets changes what it gives (part of the index's pipeline
signature, so an upgrade re-indexes): 2 — `**label**: value` profile lines, bracketed Latin names."""

TYPES = ("text", "raw", "year", "list", "aliases", "country", "country_en", "region")
_MERGED_TYPES = ("list", "aliases")
_VOCABULARIES = ("companies",)


class FacetMappingError(ValueError):
    """The facet mapping file is missing, not YAML, or not in the expected shape."""


@dataclass(frozen=True)
class Source:
    kind: str  # "fm" | "table" | "facet" | "heading" | "stem" | "path"
    ref: str = ""
    require: str | None = None  # None | "japanese"

    @classmethod
    def parse(cls, spec: Any, where: str) -> Source:
        require = None
        if isinstance(spec, dict):
            unknown = set(spec) - {"from", "require"}
            if unknown or "from" not in spec:
                raise FacetMappingError(
                    f"{where}: a source mapping needs 'from' (and optionally 'require'), got {sorted(spec)}"
                )
            require = spec.get("require")
            if require not in (None, "japanese"):
                raise FacetMappingError(f"{where}: unknown 'require: {require}' (only 'japanese')")
            spec = spec["from"]
        if not isinstance(spec, str) or not spec.strip():
            raise FacetMappingError(f"{where}: a source must be a non-empty string, got {spec!r}")
        spec = spec.strip()
        if spec in ("@heading", "@stem", "@path"):
            return cls(spec[1:], "", require)
        if spec.startswith("@"):
            raise FacetMappingError(f"{where}: unknown source {spec!r} (use @heading, @stem or @path)")
        for prefix, kind in (("table:", "table"), ("facet:", "facet")):
            if spec.startswith(prefix):
                ref = spec[len(prefix) :].strip()
                if not ref:
                    raise FacetMappingError(f"{where}: empty {prefix!r} source")
                return cls(kind, _label_key(ref) if kind == "table" else ref, require)
        return cls("fm", spec, require)


@dataclass(frozen=True)
class FacetSpec:
    name: str
    sources: tuple[Source, ...]
    type: str = "text"
    merge: bool = False
    vocabulary: str | None = None


def parse_mapping(data: Any, origin: Path | None = None) -> tuple[list[FacetSpec], dict[str, Any]]:
    """The facet specs of a mapping file's data and the other `FacetMapping` arguments, validated."""
    where = str(origin or "<facet mapping>")
    if not isinstance(data, dict):
        raise FacetMappingError(f"{where}: the facet mapping must be a YAML mapping")
    raw_facets = data.get("facets")
    if not isinstance(raw_facets, dict) or not raw_facets:
        raise FacetMappingError(f"{where}: 'facets' must be a non-empty mapping of facet name → spec")
    specs: list[FacetSpec] = []
    for name, spec in raw_facets.items():
        fwhere = f"{where}: facet '{name}'"
        if not isinstance(spec, dict):
            raise FacetMappingError(f"{fwhere}: must be a mapping with 'sources'")
        unknown = set(spec) - {"sources", "type", "merge", "vocabulary"}
        if unknown:
            raise FacetMappingError(f"{fwhere}: unknown keys {sorted(unknown)}")
        sources = spec.get("sources")
        if not isinstance(sources, list) or not sources:
            raise FacetMappingError(f"{fwhere}: 'sources' must be a non-empty list")
        ftype = spec.get("type", "text")
        if ftype not in TYPES:
            raise FacetMappingError(f"{fwhere}: unknown type {ftype!r} (one of {', '.join(TYPES)})")
        vocab = spec.get("vocabulary")
        if vocab is not None and vocab not in _VOCABULARIES:
            raise FacetMappingError(f"{fwhere}: unknown vocabulary {vocab!r} (one of {', '.join(_VOCABULARIES)})")
        parsed = tuple(Source.parse(s, fwhere) for s in sources)
        known = {s.name for s in specs}
        for src in parsed:
            if src.kind == "facet" and src.ref not in known:
                raise FacetMappingError(f"{fwhere}: source 'facet:{src.ref}' must name a facet listed before it")
        merge = bool(spec.get("merge", ftype in _MERGED_TYPES))
        specs.append(FacetSpec(str(name), parsed, ftype, merge, vocab))

    vocabs = data.get("vocabularies") or {}
    if not isinstance(vocabs, dict):
        raise FacetMappingError(f"{where}: 'vocabularies' must be a mapping")
    raw_countries = vocabs.get("countries") or {}
    if not isinstance(raw_countries, dict):
        raise FacetMappingError(f"{where}: 'vocabularies.countries' must be a mapping")
    countries: dict[str, Country] = {}
    country_names: dict[str, list[str]] = {}
    for cname, entry in raw_countries.items():
        cname = str(cname)
        if not isinstance(entry, dict):
            raise FacetMappingError(f"{where}: country '{cname}' must be a mapping with en/region/aliases")
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list):
            raise FacetMappingError(f"{where}: country '{cname}': 'aliases' must be a list")
        en = str(entry.get("en") or cname)
        region = entry.get("region")
        countries[cname] = Country(cname, en, str(region) if region else None)
        country_names[cname] = [en, *(str(a) for a in aliases)]
    raw_regions = vocabs.get("regions") or {}
    if not isinstance(raw_regions, dict):
        raise FacetMappingError(f"{where}: 'vocabularies.regions' must be a mapping")
    region_names = {str(k): [str(a) for a in (v or [])] for k, v in raw_regions.items()}
    company_cfg = vocabs.get("companies") or {}
    if not isinstance(company_cfg, dict):
        raise FacetMappingError(f"{where}: 'vocabularies.companies' must be a mapping")
    groups = company_cfg.get("groups") or []
    if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
        raise FacetMappingError(f"{where}: 'vocabularies.companies.groups' must be a list of lists of names")
    if not isinstance(company_cfg.get("split") or [], list):
        raise FacetMappingError(f"{where}: 'vocabularies.companies.split' must be a list")
    forms = company_cfg.get("legal_forms") or {}
    if not isinstance(forms, dict) or not all(isinstance(forms.get(k) or [], list) for k in ("prefix", "suffix")):
        raise FacetMappingError(f"{where}: 'vocabularies.companies.legal_forms' must map prefix/suffix to lists")
    flatten_cfg = data.get("flatten") or {}
    if not isinstance(flatten_cfg, dict):
        raise FacetMappingError(f"{where}: 'flatten' must be a mapping")
    if flatten_cfg.get("lists_of_mappings", "json") not in ("json", "skip"):
        raise FacetMappingError(f"{where}: 'flatten.lists_of_mappings' must be json or skip")
    table_cfg = data.get("body_table") or {}
    max_lines = table_cfg.get("max_lines", 150) if isinstance(table_cfg, dict) else None
    if not isinstance(max_lines, int) or isinstance(max_lines, bool) or max_lines < 0:
        raise FacetMappingError(f"{where}: 'body_table.max_lines' must be a non-negative integer")
    if not isinstance(flatten_cfg.get("max_json_chars", 2000), int):
        raise FacetMappingError(f"{where}: 'flatten.max_json_chars' must be an integer")
    return specs, dict(
        countries=countries,
        country_table=_NameTable(country_names),
        region_table=_NameTable(region_names),
        company_cfg=company_cfg,
        flatten_cfg=flatten_cfg,
        table_max_lines=max_lines,
        origin=origin,
    )
