"""The records a briefing is made of: an item (statement, citation numbers, backing quotes, and the
source references it was built from), a section, a one-company Briefing, and a Comparison of two
companies as rows of cells; `to_dict()` gives their JSON form."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rag.brief.document import _Doc
from rag.schema import Citation


@dataclass(frozen=True)
class _Ref:
    """Where an item comes from, before citation numbers are assigned."""

    doc: _Doc
    heading_path: tuple[str, ...]  # () = the front matter (named per language when numbered)
    start_line: int
    end_line: int
    quote: str


@dataclass
class BriefItem:
    """One statement of a briefing; `cites` are numbers into the owner's `citations`."""

    text: str  # shown text, without citation marks
    cites: list[int] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)  # source text backing the item (see module doc)
    kind: str = "quote"  # "fact" | "figure" | "quote" | "summary"
    label: str = ""
    value: str = ""  # shown value (facts and figures)
    key: str = ""  # front-matter path, table label or topic the item comes from
    raw: Any = None  # the value as parsed from the front matter / table
    refs: list[_Ref] = field(default_factory=list, repr=False, compare=False)

    def marks(self) -> str:
        return "".join(f"[{n}]" for n in self.cites)


@dataclass
class BriefSection:
    key: str  # "profile" | "figures" | one of TOPICS
    title: str
    items: list[BriefItem]

    def __iter__(self) -> Iterator[Any]:  # `for topic, items in briefing.sections`
        return iter((self.title, self.items))


@dataclass
class Briefing:
    company: str
    lang: str
    sections: list[BriefSection]
    citations: list[Citation]
    notes: list[str]
    sources: str  # the last line: documents used (title, file)
    doc_id: str = ""
    title: str = ""
    source: str = ""  # file path of the document
    backend: str = "extractive"
    timings: dict[str, float] = field(default_factory=dict)

    def section(self, key: str) -> BriefSection | None:
        return next((s for s in self.sections if s.key == key), None)

    def items(self) -> list[BriefItem]:
        return [it for s in self.sections for it in s.items]

    def to_dict(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "lang": self.lang,
            "doc_id": self.doc_id,
            "title": self.title,
            "source": self.source,
            "backend": self.backend,
            "sections": [
                {"key": s.key, "title": s.title, "items": [_item_dict(i) for i in s.items]} for s in self.sections
            ],
            "citations": [_citation_dict(c) for c in self.citations],
            "notes": list(self.notes),
            "sources": self.sources,
        }


@dataclass
class ComparisonRow:
    key: str
    label: str
    a: BriefItem | None
    b: BriefItem | None

    def __iter__(self) -> Iterator[Any]:  # `for label, cell_a, cell_b in comparison.rows`
        return iter((self.label, self.a, self.b))


@dataclass
class Comparison:
    a: str  # company names
    b: str
    lang: str
    rows: list[ComparisonRow]
    citations: list[Citation]
    notes: list[str]
    sources: str
    titles: tuple[str, str] = ("", "")
    timings: dict[str, float] = field(default_factory=dict)

    def row(self, key: str) -> ComparisonRow | None:
        return next((r for r in self.rows if r.key == key), None)

    def items(self) -> list[BriefItem]:
        return [c for r in self.rows for c in (r.a, r.b) if c is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "lang": self.lang,
            "rows": [
                {
                    "key": r.key,
                    "label": r.label,
                    "a": _item_dict(r.a) if r.a else None,
                    "b": _item_dict(r.b) if r.b else None,
                }
                for r in self.rows
            ],
            "citations": [_citation_dict(c) for c in self.citations],
            "notes": list(self.notes),
            "sources": self.sources,
        }


def _item_dict(i: BriefItem) -> dict[str, Any]:
    return {
        "text": i.text,
        "cites": list(i.cites),
        "quotes": list(i.quotes),
        "kind": i.kind,
        "label": i.label,
        "value": i.value,
        "key": i.key,
    }


def _citation_dict(c: Citation) -> dict[str, Any]:
    return {
        "n": c.n,
        "doc_id": c.doc_id,
        "title": c.title,
        "company": c.company,
        "heading_path": list(c.heading_path),
        "source": c.source,
        "start_line": c.start_line,
        "end_line": c.end_line,
        "quote": list(c.quote),
    }
