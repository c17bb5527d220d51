"""Typed records that cross module lines (documents, sections, chunks, hits, answers)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

PATH_SEP = " › "
"""Separator used to render a heading path as one string."""


@dataclass(frozen=True)
class LoadIssue:
    """A warning or error found while loading a file; `line` is 1-based in the source file."""

    path: str
    line: int | None
    message: str
    severity: str = "warning"  # "warning" | "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class LoadError(Exception):
    """A file that cannot be loaded at all (binary, empty, undecodable…)."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.issue = LoadIssue(path, line, reason, "error")
        super().__init__(str(self.issue))


@dataclass
class Document:
    doc_id: str
    source: str  # path of the file as given/resolved
    title: str
    body: str  # text after the front matter (whole file when there is none)
    body_start_line: int  # 1-based line number in the file of the body's first line
    front_matter: dict[str, Any]  # what could be recovered, as parsed
    facets: dict[str, Any] = field(default_factory=dict)  # canonical facets + flattened fields
    issues: list[LoadIssue] = field(default_factory=list)
    encoding: str = "utf-8"
    content_hash: str = ""

    @property
    def uid(self) -> str:
        """doc_id plus a short hash of the source path: unique even when two files share a doc_id."""
        return f"{self.doc_id}@{hashlib.sha1(self.source.encode('utf-8')).hexdigest()[:8]}"


@dataclass
class Section:
    doc_id: str
    heading_path: tuple[str, ...]  # cleaned heading texts, outermost first
    level: int  # heading level of the last element (0 = text before any heading)
    start_line: int  # 1-based, in the source file, inclusive (the heading line itself)
    end_line: int  # inclusive
    text: str  # the section's lines, heading included

    @property
    def path_str(self) -> str:
        return PATH_SEP.join(self.heading_path)


@dataclass
class Chunk:
    chunk_id: str  # f"{doc.uid}#{order:04d}": stable across runs for an unchanged file
    doc_id: str
    heading_path: tuple[str, ...]
    text: str
    start_line: int
    end_line: int
    order: int
    kind: str = "section"  # "section" | "profile"
    n_tokens: int = 0

    @property
    def path_str(self) -> str:
        return PATH_SEP.join(self.heading_path)


@dataclass
class Hit:
    """One retrieved *section* (chunks grouped by doc and heading path)."""

    doc_id: str
    title: str
    heading_path: tuple[str, ...]
    text: str
    start_line: int
    end_line: int
    score: float
    source: str
    chunk_ids: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)  # best-matching sentences, best first
    metadata: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)  # per-retriever scores/ranks
    kind: str = "section"

    @property
    def path_str(self) -> str:
        return PATH_SEP.join(self.heading_path)


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    company: str
    heading_path: tuple[str, ...]
    source: str
    start_line: int
    end_line: int
    quote: list[str] = field(default_factory=list)  # the exact source text quoted (what a viewer highlights)
    # the same quotes as the answer shows them (a table row read with its header, Markdown markers
    # removed); empty in answers recorded before it existed
    quote_display: list[str] = field(default_factory=list)

    @property
    def path_str(self) -> str:
        return PATH_SEP.join(self.heading_path)

    @property
    def shown_quotes(self) -> list[str]:
        """The quotes to show a reader: `quote_display`, else `quote`."""
        return list(self.quote_display or self.quote)


@dataclass
class Answer:
    question: str
    text: str
    lang: str  # "ja" | "en"
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    related: list[Hit] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)  # ranked sections used for the answer
    suggested_filters: dict[str, Any] = field(default_factory=dict)
    standalone_question: str = ""
    flagged: list[str] = field(default_factory=list)  # e.g. invalid citations removed
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage
    backend: str = "extractive"
