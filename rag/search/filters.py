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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
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


# ------------------------------------------------------------------------------- suggestions

_COUNTRY_WORDS: dict[str, tuple[str, ...]] = {
    "日本": ("日本", "国内", "japan", "japanese"),
    "米国": ("米国", "アメリカ", "米", "usa", "u.s.", "us", "united states", "american", "america"),
    "フランス": ("フランス", "仏", "france", "french"),
    "カナダ": ("カナダ", "canada", "canadian"),
    "スウェーデン": ("スウェーデン", "sweden", "swedish"),
    "英国": ("英国", "イギリス", "uk", "britain", "british", "united kingdom"),
    "ドイツ": ("ドイツ", "germany", "german"),
    "中国": ("中国", "china", "chinese"),
}
_INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "小売": ("小売", "retail", "retailer", "コンビニ", "convenience store"),
    "金融": ("金融", "銀行", "bank", "banking", "financial", "finance", "fintech", "フィンテック"),
    "医療": ("医療", "ヘルスケア", "healthcare", "health care", "hospital", "病院", "medical"),
    "製薬": ("製薬", "pharma", "pharmaceutical", "biotech", "バイオ"),
    "通信": ("通信", "telecom", "telecommunications", "carrier"),
    "法務": ("法務", "リーガル", "legal", "law firm", "lawyers"),
}


def _country_pattern(word: str) -> re.Pattern[str]:
    if re.fullmatch(r"[a-z. ]+", word):
        return re.compile(rf"(?<![a-z]){re.escape(word)}(?![a-z])")
    if word in ("米", "仏"):  # only as a prefix of 国/企業/系…: 米企業, 仏スタートアップ
        return re.compile(rf"{word}(?=国|企業|系|大手|スタートアップ|の?(?:企業|会社))")
    return re.compile(re.escape(word))


def infer_filters(question: str, snapshot: Any = None) -> dict[str, Any]:
    """Filters suggested by the question (never applied by retrieve()): a from_dict() mapping.

    「米国企業の…」→ {"country": "米国"}; "Swedish fintech" → {"country": "スウェーデン",
    "industry": {"contains": ["金融"]}}; "retail cases" → industry containing 小売;
    "Japanese companies" → {"country": "日本"}. With a snapshot, only values that occur in the
    index are suggested (a country nobody is from is not a useful filter).
    """
    q = fold(question)
    metas: list[Mapping[str, Any]] = list(getattr(snapshot, "metas", {}).values()) if snapshot is not None else []
    countries_in_index = {m.get("country") for m in metas if m.get("country")}
    industries_in_index = {m.get("industry") for m in metas if m.get("industry")}
    out: dict[str, Any] = {}
    countries: list[str] = []
    # a country as the subject of a set ("Japanese companies", 「米国企業」, "cases from France")
    for country, words in _COUNTRY_WORDS.items():
        for w in words:
            wf = fold(w)
            pat = _country_pattern(wf)
            for m in pat.finditer(q):
                tail = q[m.end() : m.end() + 24]
                head = q[max(0, m.start() - 24) : m.start()]
                if _set_context(tail, head, wf):
                    countries.append(country)
                    break
            if country in countries:
                break
    if countries_in_index:
        countries = [c for c in countries if c in countries_in_index]
    if countries:
        out["country"] = countries[0] if len(countries) == 1 else countries
    inds: list[str] = []
    for stem, words in _INDUSTRY_WORDS.items():
        if any(_word_in(fold(w), q) for w in words):
            if not industries_in_index or any(stem in fold(i) for i in industries_in_index):
                inds.append(stem)
    if inds:
        out["industry"] = {"contains": inds}
    return out


def _word_in(w: str, q: str) -> bool:
    if re.fullmatch(r"[a-z. ]+", w):
        return re.search(rf"(?<![a-z]){re.escape(w)}s?(?![a-z])", q) is not None
    return w in q


_SET_TAIL = re.compile(
    r"^\s*(?:(?:の|系)?[\w・ー]{0,12}?(?:企業|会社|事例|ケース|スタートアップ|銀行|大手|勢|発)|"
    r"(?:companies|company|firms?|businesses|cases?|case studies|startups?|banks?|fintechs?|retailers?|"
    r"enterprises?|providers?|vendors?|organi[sz]ations?|players?|corporations?)\b|"
    r"(?:[a-z]+ ){1,2}(?:companies|firms|startups|cases|businesses|providers|vendors|players)\b|"
    r"(?:ai|tech|fintech|healthcare|retail|banking)\b)"
)
_SET_HEAD = re.compile(
    r"(?:from|based in|headquartered in|(?:companies|firms|cases|startups|businesses) in)\s*(?:the\s*)?$"
)


def _set_context(tail: str, head: str, word: str) -> bool:
    if word in ("日本", "国内") and re.match(r"^\s*(?:で|市場|語|での展開|における)", tail):
        return False  # 「日本市場での展開」 is about Japan, not about Japanese companies
    return bool(_SET_TAIL.match(tail) or _SET_HEAD.search(head))
