"""Canonical facets (doc_id, company, country, …) from front matter of any schema.

Which front-matter fields feed which facet is *declared* in a mapping file (`rag/facets.yaml`,
or `Settings.facets_file`), not coded here: this module only knows how to read a source
(a dotted front-matter path, a `| **label** | value |` row of the body, an earlier facet, the
first heading, the file name) and how to turn values into a type (text, year, list, country…).

Every value this module puts into a facet dict is a Chroma metadata value: str, int, float or
bool, or a non-empty list of one of those types.
"""

from __future__ import annotations

import json
import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.ingest.safe_yaml import safe_yaml_load

PACKAGED_MAPPING = Path(__file__).with_name("facets.yaml")

TYPES = ("text", "raw", "year", "list", "aliases", "country", "country_en", "region")
_MERGED_TYPES = ("list", "aliases")
_VOCABULARIES = ("companies",)

_JA_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_YEAR_RE = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|2100)(?!\d)")
_WS_RE = re.compile(r"\s+")
_PART_SEP_RE = re.compile(r"[,、，/／|;；:：・\n]+")
_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_TABLE_ROW_RE = re.compile(r"^\s*\|(.*)\|\s*$")
_TABLE_SEP_CELL_RE = re.compile(r"^:?-{2,}:?$")
_CHROMA_INT_MAX = 2**63 - 1


class FacetMappingError(ValueError):
    """The facet mapping file is missing, not YAML, or not in the expected shape."""


# ----------------------------------------------------------------------------- small helpers


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _fold(text: str) -> str:
    """NFKC, whitespace collapsed, stripped, case-folded: the key for exact name matches."""
    return _WS_RE.sub(" ", _nfkc(text)).strip().casefold()


def alias_key(name: str) -> str:
    """Comparison key for names: NFKC, case-folded, letters and digits only.

    "Mistral AI", "mistral-ai" and "ＭｉｓｔｒａｌＡＩ" share one key; so do "セブン-イレブン" and
    "セブンイレブン". Stored as the `company_keys` facet so filters can match without a registry.
    """
    return "".join(ch for ch in _nfkc(str(name)).casefold() if ch.isalnum())


def has_japanese(text: str) -> bool:
    return bool(_JA_RE.search(text))


def clean_text(value: str) -> str:
    """NFKC with whitespace collapsed: the canonical form of a free-text facet value."""
    return _WS_RE.sub(" ", _nfkc(value)).strip()


def split_parentheses(text: str) -> tuple[str, list[str]]:
    """("Toronto, Canada", ["with offices in …"]) for "Toronto, Canada（with offices in …）".

    Full-width brackets count (the text is NFKC-normalised first); an unclosed "(" opens a
    parenthesis running to the end of the text.
    """
    s = _nfkc(text)
    inner: list[str] = []
    pattern = re.compile(r"\(([^()]*)\)")
    while True:
        m = pattern.search(s)
        if not m:
            break
        inner.append(m.group(1).strip())
        s = s[: m.start()] + " " + s[m.end() :]
    if "(" in s:
        head, _, tail = s.partition("(")
        s = head
        inner.append(tail.replace("(", " ").strip())
    s = s.replace(")", " ")
    return _WS_RE.sub(" ", s).strip(), [i for i in inner if i]


def parse_year(value: Any) -> int | None:
    """The first plausible year (1500–2100) in an int or a string such as "1919年（…）、2006年合併"."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 1500 <= value <= 2100 else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() and 1500 <= value <= 2100 else None
    if isinstance(value, str):
        m = _YEAR_RE.search(_nfkc(value))
        return int(m.group(1)) if m else None
    return None


def flatten_strings(value: Any) -> list[str]:
    """Every scalar in a nested value as a stripped string, in order (dict keys are not included)."""
    out: list[str] = []

    def walk(v: Any, depth: int) -> None:
        if v is None or depth > 60:
            return
        if isinstance(v, dict):
            for item in v.values():
                walk(item, depth + 1)
        elif isinstance(v, (list, tuple, set)):
            for item in v:
                walk(item, depth + 1)
        elif isinstance(v, bool):
            out.append("true" if v else "false")
        else:
            s = str(v).strip()
            if s:
                out.append(s)

    walk(value, 0)
    return out


def _dedupe(items: Iterable[str], key=lambda s: s) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        k = key(item)
        if k and k not in seen:
            seen.add(k)
            out.append(item)
    return out


# ------------------------------------------------------------------------ Chroma-safe values


def _chroma_scalar(value: Any) -> str | int | float | bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -_CHROMA_INT_MAX - 1 <= value <= _CHROMA_INT_MAX else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def chroma_list(items: list[Any], *, lists_of_mappings: str = "json", max_json_chars: int = 2000) -> Any:
    """A list as a Chroma metadata value: a non-empty list of one type, a JSON string, or None."""
    values = [v for v in items if v is not None]
    if not values:
        return None
    if any(isinstance(v, (dict, list, tuple, set)) for v in values):
        if lists_of_mappings != "json":
            return None
        text = json.dumps(values, ensure_ascii=False, default=str)
        return text if len(text) <= max_json_chars else None
    scalars = [_chroma_scalar(v) for v in values]
    kinds = {type(v) for v in scalars}
    if kinds == {int, float}:
        return [float(v) for v in scalars]
    if len(kinds) == 1:
        return scalars
    return [_scalar_text(v) for v in scalars]


def flatten_front_matter(
    front_matter: dict[str, Any],
    prefix: str = "fm.",
    *,
    lists_of_mappings: str = "json",
    max_json_chars: int = 2000,
) -> dict[str, Any]:
    """Every front-matter field as `<prefix>dotted.path` → Chroma metadata value (None dropped)."""
    out: dict[str, Any] = {}

    def walk(value: Any, key: str, depth: int) -> None:
        if depth > 60:
            return
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{key}.{k}" if key else str(k), depth + 1)
            return
        if not key:
            return
        if isinstance(value, (list, tuple, set)):
            lst = chroma_list(list(value), lists_of_mappings=lists_of_mappings, max_json_chars=max_json_chars)
            if lst is not None:
                out[prefix + key] = lst
            return
        scalar = _chroma_scalar(value)
        if scalar is not None:
            out[prefix + key] = scalar

    walk(front_matter, "", 0)
    return out


# ------------------------------------------------------------------------------ body readers


def first_heading(body: str) -> str | None:
    """The first level-1 ATX heading of a Markdown body, else its first heading of any level."""
    first_any: str | None = None
    in_fence = False
    for line in body.split("\n"):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = _HEADING_RE.match(line)
        if not m:
            continue
        text = m.group(2).replace("**", "").replace("__", "").strip().strip("`").strip()
        if not text:
            continue
        if len(m.group(1)) == 1:
            return text
        if first_any is None:
            first_any = text
    return first_any


def _label_key(label: str) -> str:
    s = _nfkc(label).replace("*", "").replace("`", "").replace("__", "")
    return _WS_RE.sub("", s).casefold()


def _strip_md(value: str) -> str:
    return value.replace("**", "").replace("__", "").replace("`", "").strip()


def body_table(body: str, max_lines: int = 150) -> dict[str, str]:
    """`| **label** | value |` rows (two cells, bold optional) from the top of a body.

    Keys are normalised labels (NFKC, no spaces or emphasis, case-folded); the first row with a
    label wins. Fenced code is skipped.
    """
    out: dict[str, str] = {}
    in_fence = False
    for i, line in enumerate(body.split("\n")):
        if i >= max_lines:
            break
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = _TABLE_ROW_RE.match(line)
        if not m:
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", m.group(1))]
        if len(cells) != 2 or _TABLE_SEP_CELL_RE.match(cells[0].replace(" ", "")):
            continue
        key, value = _label_key(cells[0]), _strip_md(cells[1])
        if key and value and key not in out:
            out[key] = value
    return out


# ----------------------------------------------------------------------------- vocabularies


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


# ------------------------------------------------------------------------------ the mapping


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
        return cls(
            specs,
            countries=countries,
            country_table=_NameTable(country_names),
            region_table=_NameTable(region_names),
            company_cfg=company_cfg,
            flatten_cfg=flatten_cfg,
            table_max_lines=max_lines,
            origin=origin,
        )

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
                return self._expand_aliases(collected) or None
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
                    pieces += [outer, *inner]
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


def _text_value(value: Any) -> str | None:
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, (list, tuple, set)):
        parts = [s for s in flatten_strings(list(value)) if s]
        return ", ".join(parts) or None
    if isinstance(value, bool):
        return None
    s = _scalar_text(_chroma_scalar(value)).strip()
    return s or None


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
