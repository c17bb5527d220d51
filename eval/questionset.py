"""Evaluation question sets: JSON Lines, one question object per line.

    {"id": "mixtral-ja-1", "question": "…", "lang": "ja", "answerable": true,
     "gold": [{"doc": "GENAI_042", "section": "フラッグシップモデル"}],
     "facts": [["47B"], ["13B"]], "filters": {"country": "フランス"}, "kind": "numeric"}

`load_questions(path)` returns the valid questions and a list of problems, each starting with
"<file>:<line>:"; a malformed line is skipped and the others are still loaded. Unknown fields are
reported (prefixed "warning:") but do not reject the line; `invalid_lines(problems)` keeps the
problems that rejected a line (`casebook eval` stops on them unless --skip-invalid is given).
The format is documented in README.md ("Question sets").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.search import Filters

LANGS = ("ja", "en")
FIELDS = ("id", "question", "lang", "answerable", "gold", "facts", "filters", "kind")
REQUIRED = ("id", "question", "lang", "answerable")
UNLABELED = "unlabeled"  # kind of a question that has none


@dataclass(frozen=True)
class Gold:
    doc: str  # canonical doc_id
    section: str  # text of a heading line without its #s


@dataclass
class Question:
    id: str
    question: str
    lang: str  # "ja" | "en"
    answerable: bool
    gold: list[Gold] = field(default_factory=list)
    facts: list[list[str]] = field(default_factory=list)  # groups of alternatives
    filters: dict[str, Any] | None = None
    kind: str = UNLABELED
    line: int = 0  # 1-based line in the source file (0 when built in code)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "question": self.question,
            "lang": self.lang,
            "answerable": self.answerable,
            "gold": [{"doc": g.doc, "section": g.section} for g in self.gold],
            "facts": [list(g) for g in self.facts],
            "kind": self.kind,
        }
        if self.filters:
            d["filters"] = dict(self.filters)
        return d


def _nonempty_str(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _check_filters(filters: dict[str, Any]) -> None:
    """Reject filters that rag.search.Filters cannot build (they would fail every run of the question)."""
    try:
        Filters.from_dict(filters)
    except (ValueError, TypeError) as e:
        raise ValueError(f"'filters' is not a valid filter: {e}") from e


def parse_question(obj: Any, line: int = 0) -> tuple[Question, list[str]]:
    """Validate one decoded JSON value; raises ValueError with a readable reason.

    Returns the question and warnings (unknown fields)."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    warnings = [f"unknown field {k!r} ignored" for k in obj if k not in FIELDS]
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    if not _nonempty_str(obj["id"]):
        raise ValueError("'id' must be a non-empty string")
    if not _nonempty_str(obj["question"]):
        raise ValueError("'question' must be a non-empty string")
    if obj["lang"] not in LANGS:
        raise ValueError(f"'lang' must be one of {list(LANGS)}, got {obj['lang']!r}")
    if not isinstance(obj["answerable"], bool):
        raise ValueError(f"'answerable' must be true or false, got {obj['answerable']!r}")

    gold_raw = obj.get("gold") or []
    if not isinstance(gold_raw, list):
        raise ValueError('\'gold\' must be a list of {"doc", "section"} objects')
    gold: list[Gold] = []
    for i, g in enumerate(gold_raw):
        if not (isinstance(g, dict) and _nonempty_str(g.get("doc")) and _nonempty_str(g.get("section"))):
            raise ValueError(f'gold[{i}] must be {{"doc": str, "section": str}}, got {g!r}')
        gold.append(Gold(g["doc"].strip(), g["section"]))

    facts_raw = obj.get("facts") or []
    if not isinstance(facts_raw, list):
        raise ValueError("'facts' must be a list of lists of strings")
    facts: list[list[str]] = []
    for i, grp in enumerate(facts_raw):
        if isinstance(grp, str):  # a bare string is a group with one alternative
            grp = [grp]
        if not (isinstance(grp, list) and grp and all(_nonempty_str(a) for a in grp)):
            raise ValueError(f"facts[{i}] must be a non-empty list of non-empty strings, got {grp!r}")
        facts.append(list(grp))

    if not obj["answerable"] and (gold or facts):
        raise ValueError("an unanswerable question (answerable=false) must have empty 'gold' and 'facts'")

    filters = obj.get("filters")
    if filters is not None and not isinstance(filters, dict):
        raise ValueError(f"'filters' must be an object, got {filters!r}")
    if filters:
        _check_filters(filters)
    kind = obj.get("kind")
    if kind is None or kind == "":
        kind = UNLABELED
    if not isinstance(kind, str):
        raise ValueError(f"'kind' must be a string, got {kind!r}")

    q = Question(
        id=obj["id"].strip(),
        question=obj["question"],
        lang=obj["lang"],
        answerable=obj["answerable"],
        gold=gold,
        facts=facts,
        filters=dict(filters) if filters else None,
        kind=kind,
        line=line,
    )
    return q, warnings


def is_warning(problem: str) -> bool:
    """True for a problem that did not reject its line (an unknown field)."""
    return ": warning: " in problem


def invalid_lines(problems: list[str]) -> list[str]:
    """The problems that rejected a line or the whole file (warnings left out)."""
    return [p for p in problems if not is_warning(p)]


def load_questions(path: str | Path) -> tuple[list[Question], list[str]]:
    """Read a JSON Lines question file. Returns (questions, problems).

    Blank lines are skipped. Every problem names the line ("dev.jsonl:7: invalid JSON …");
    an unreadable file gives no question and one problem."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return [], [f"{path}: no such file"]
    except (OSError, UnicodeDecodeError) as e:
        return [], [f"{path}: cannot read: {e}"]

    questions: list[Question] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{where}: invalid JSON: {e.msg} (column {e.colno})")
            continue
        try:
            q, warnings = parse_question(obj, n)
        except ValueError as e:
            errors.append(f"{where}: {e}")
            continue
        if q.id in seen:
            errors.append(f"{where}: duplicate id {q.id!r} (first on line {seen[q.id]}); line skipped")
            continue
        seen[q.id] = n
        errors.extend(f"{where}: warning: {w}" for w in warnings)
        questions.append(q)
    return questions, errors
