"""Synthetic library for the scale benchmark (eval.bench_scale): copies of the real case files
with another id, company, country, founding year and numbers, written as real `.md` files so the
real ingest path (front matter, facets, chunking, profile chunks) runs on them.

A copy of a source file:

* front matter: parsed as the indexer parses it (rag.ingest.documents.split_front_matter) and
  written back as plain YAML, with `id` = "<source id>-S<copy>", the country (where the facet
  mapping reads it first: `subject.country` for files with a `subject` block, else the top-level
  `country`) set to one of `COUNTRIES`, every founded-year field set to a new year, and every other
  integer scaled by a per-copy factor; a file without front matter gets one;
* text: every name of the source's company (its company / company_ja / company_aliases facets, or
  the head of its title when it has none) replaced by a made-up name, unique to the copy (Latin
  names by a Latin name, others by a katakana one); in the body every number of two or more digits
  shifted by a per-copy offset (same number of digits).

Everything is deterministic in (source, copy number). Copy 0 of a source is the file itself.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rag.ingest import has_japanese, load_document
from rag.ingest.documents import split_front_matter

REPO = Path(__file__).resolve().parents[1]
SOURCE_DIRS = (REPO / "seeds", REPO.parent / "shared" / "corpus" / "cases", REPO.parent / "shared" / "corpus" / "more")

# Canonical country names of rag/ingest/facets.yaml: a `country=X` filter selects ~1/27 of the copies.
COUNTRIES = (
    "日本",
    "米国",
    "カナダ",
    "英国",
    "フランス",
    "ドイツ",
    "スウェーデン",
    "オランダ",
    "スイス",
    "アイルランド",
    "スペイン",
    "イタリア",
    "フィンランド",
    "ノルウェー",
    "デンマーク",
    "エストニア",
    "中国",
    "韓国",
    "台湾",
    "香港",
    "シンガポール",
    "インド",
    "オーストラリア",
    "イスラエル",
    "アラブ首長国連邦",
    "ブラジル",
)

_SYLLABLES = {
    "ka": "カ",
    "ki": "キ",
    "ko": "コ",
    "sa": "サ",
    "so": "ソ",
    "ta": "タ",
    "to": "ト",
    "na": "ナ",
    "ni": "ニ",
    "no": "ノ",
    "ma": "マ",
    "mi": "ミ",
    "mo": "モ",
    "ra": "ラ",
    "ri": "リ",
    "ro": "ロ",
    "ru": "ル",
    "va": "ヴァ",
    "vi": "ヴィ",
    "ze": "ゼ",
    "lu": "ル",
    "be": "ベ",
    "do": "ド",
    "ga": "ガ",
    "fe": "フェ",
    "ha": "ハ",
    "ne": "ネ",
    "te": "テ",
    "pa": "パ",
    "yo": "ヨ",
}
_SUFFIXES = (
    ("Labs", "ラボ"),
    ("Systems", "システムズ"),
    ("Holdings", "ホールディングス"),
    ("Works", "ワークス"),
    ("Group", "グループ"),
    ("Technologies", "テクノロジーズ"),
    ("Partners", "パートナーズ"),
    ("Dynamics", "ダイナミクス"),
)
_ID_KEYS = ("id", "case_id", "case_study_id", "doc_id")
_YEAR_KEYS = ("founded_year", "founded", "founding_year", "company_founded", "established")
_COUNTRY_KEYS = ("country", "company_country")
_TITLE_HEAD = re.compile(r"\s+[-–—:：|｜]\s+|[：:｜|（(]")
_NUMBER = re.compile(r"(?<![0-9])[0-9]{2,}(?![0-9])")


@dataclass(frozen=True)
class Source:
    path: Path
    text: str
    doc_id: str
    names: tuple[str, ...]  # the company's names in the text, longest first
    has_company: bool


@dataclass(frozen=True)
class Copy:
    source: int  # index into the sources
    number: int  # 0 = the source itself
    doc_id: str
    company: str  # the Latin name ("" for copy 0)
    company_ja: str
    country: str  # the country written into the front matter ("" for copy 0)
    founded_year: int | None
    file_name: str
    text: str


def source_files(dirs: Iterable[Path] = SOURCE_DIRS) -> list[Path]:
    out: list[Path] = []
    for d in dirs:
        if d.is_dir():
            out += sorted(p for p in d.iterdir() if p.suffix in (".md", ".txt") and p.is_file())
    return out


def load_sources(paths: Sequence[Path]) -> list[Source]:
    out = []
    for p in paths:
        doc = load_document(p)
        f = doc.facets
        names = {str(x) for x in [f.get("company"), f.get("company_ja"), *(f.get("company_aliases") or [])] if x}
        has_company = bool(names)
        if not names:
            head = _TITLE_HEAD.split(doc.title)[0].strip()
            if head and len(head) <= 40:
                names.add(head)
        usable = [n for n in names if len(n.strip()) >= 3]
        out.append(
            Source(
                p, p.read_text(encoding="utf-8"), doc.doc_id, tuple(sorted(usable, key=len, reverse=True)), has_company
            )
        )
    return out


def company_names(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """`count` distinct (Latin, katakana) company names, e.g. ("Kamori Labs", "カモリラボ")."""
    rng = random.Random(f"names-{seed}")
    syl = sorted(_SYLLABLES)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < count:
        parts = [rng.choice(syl) for _ in range(rng.choice((3, 3, 4)))]
        base = "".join(parts)
        if base in seen:
            continue
        seen.add(base)
        suf, suf_ja = _SUFFIXES[len(out) % len(_SUFFIXES)]
        out.append((f"{base.capitalize()} {suf}", "".join(_SYLLABLES[s] for s in parts) + suf_ja))
    return out


def _name_pattern(names: Sequence[str]) -> re.Pattern[str] | None:
    alts = []
    for n in names:
        e = re.escape(n)
        alts.append(rf"(?<![A-Za-z0-9]){e}(?![A-Za-z0-9])" if n.isascii() else e)
    return re.compile("|".join(alts)) if alts else None


def _scale_ints(value: Any, factor: float) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return max(1, int(round(value * factor))) if value > 0 else value
    if isinstance(value, dict):
        return {k: _scale_ints(v, factor) for k, v in value.items()}
    if isinstance(value, list):
        return [_scale_ints(v, factor) for v in value]
    return value


def _shift_numbers(body: str, offset: int) -> str:
    def shift(m: re.Match[str]) -> str:
        s = m.group(0)
        n = len(s)
        v = (int(s) + offset) % 10**n
        if v < 10 ** (n - 1):
            v += 10 ** (n - 1)
        return str(v)

    return _NUMBER.sub(shift, body)


def make_copy(src: Source, index: int, number: int, name: tuple[str, str], seed: int = 0) -> Copy:
    """Copy `number` (≥ 1) of `src` (the `index`-th source) under the company name `name`."""
    if number == 0:
        return Copy(index, 0, src.doc_id, "", "", "", None, f"{src.path.stem}{src.path.suffix}", src.text)
    rng = random.Random(f"{seed}-{src.doc_id}-{number}")
    country = rng.choice(COUNTRIES)
    year = rng.randint(1900, 2024)
    factor = rng.uniform(0.5, 2.0)
    offset = rng.randint(1, 97)
    doc_id = f"{src.doc_id}-S{number:04d}"
    fm = split_front_matter(src.text, str(src.path))
    data = _scale_ints(dict(fm.data), factor)
    for k in _ID_KEYS:
        data.pop(k, None)
    data = {"id": doc_id, **data}
    subject = data.get("subject")
    if isinstance(subject, dict):
        subject = data["subject"] = dict(subject)
        subject["country"] = country
    else:
        subject = None
    for k in _COUNTRY_KEYS:
        if k in data or (k == "country" and subject is None):
            data[k] = country
    targets = [d for d in (subject, data) if d is not None]
    if not any(k in d for d in targets for k in _YEAR_KEYS):
        (subject if subject is not None else data)["founded_year"] = year
    for d in targets:
        for k in _YEAR_KEYS:
            if k in d:
                d[k] = year
    latin, kana = name
    if not src.has_company:
        data["company"] = latin
    head = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=4096)
    body = _shift_numbers(fm.body, offset)
    text = f"---\n{head}---\n{body}"
    pat = _name_pattern(src.names)
    if pat is not None:
        text = pat.sub(lambda m: kana if has_japanese(m.group(0)) else latin, text)
    file_name = f"{src.path.stem}-S{number:04d}.md"
    return Copy(index, number, doc_id, latin, kana, country, year, file_name, text)


def plan_copies(chunks_per_source: Sequence[int], target_chunks: int, slack: float = 0.01) -> list[tuple[int, int]]:
    """(source index, copy number) pairs: copy 0 of every source first, then copies round-robin
    while the expected chunk total (each copy ~ its source's chunks) stays within `target_chunks`
    less `slack` (copies come out ~0.7 % longer than their sources: longer names and numbers)."""
    plan = [(i, 0) for i in range(len(chunks_per_source))]
    total = sum(chunks_per_source)
    limit = target_chunks * (1.0 - slack)
    number = 0
    added = True
    while added:
        number += 1
        added = False
        for i, n in enumerate(chunks_per_source):
            if n and total + n <= limit:
                plan.append((i, number))
                total += n
                added = True
    return plan


def write_library(
    sources: Sequence[Source], plan: Sequence[tuple[int, int]], out_dir: Path, seed: int = 0
) -> list[Copy]:
    """Write every planned copy as a file under `out_dir`; returns the copies (texts dropped)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = company_names(sum(1 for _, n in plan if n), seed)
    copies: list[Copy] = []
    k = 0
    for i, number in plan:
        name = ("", "")
        if number:
            name, k = names[k], k + 1
        c = make_copy(sources[i], i, number, name, seed)
        (out_dir / c.file_name).write_text(c.text, encoding="utf-8")
        copies.append(
            Copy(c.source, c.number, c.doc_id, c.company, c.company_ja, c.country, c.founded_year, c.file_name, "")
        )
    return copies
