"""A document as a briefing reads it: the indexed file loaded with its canonical facets, its file
lines, sections, front-matter key blocks (for citing a key by line range), the `| label | value |`
rows at the top of the body, and the body cut into sentence / bullet / table-row units; loaded
documents and facet mappings are cached (keyed by path, mtime, size and mapping file)."""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.brief.errors import BriefingError
from rag.brief.text import _BULLET, _FENCE, _HEADING, _TABLE_ROW, _TABLE_SEP, _WS, clean_markdown, evidence_key, nfkc
from rag.config import Settings
from rag.ingest import FacetMapping, load_document, read_text, split_sections, split_sentences

TABLE_MAX_LINES = 150


@dataclass
class _Unit:
    """One sentence / bullet / table row of the body."""

    line: int
    raw: str
    clean: str
    sec: int  # index into _Doc.sections
    bullet: bool = False
    table: bool = False
    lead: tuple[int, str] | None = None  # (line, cleaned lead-in) a bullet list hangs from
    header: tuple[int, list[str]] | None = None  # (line, cells) of the table's header row
    first: bool = False  # first unit of its section

    def cells(self) -> list[str]:
        return _cells(self.raw) if self.table else []


class _Doc:
    """A loaded document with its file lines, sections, table rows and sentence units."""

    def __init__(self, entry: dict[str, Any], settings: Settings) -> None:
        path = Path(entry["path"])
        if not path.is_file():
            raise BriefingError(f"{path}: the indexed file no longer exists; run `casebook index` again")
        self.entry = entry
        self.path = path
        self.doc = load_document(path, mapping=_mapping(settings), max_bytes=settings.max_file_bytes)
        text, _enc, _issues = read_text(path, settings.max_file_bytes)
        self.lines = text.split("\n")
        self.uid = self.doc.uid
        self.doc_id = self.doc.doc_id
        self.title = self.doc.title
        self.facets = self.doc.facets
        self.company = str(self.facets.get("company") or entry.get("facets", {}).get("company") or self.title)
        self.fm = self.doc.front_matter or {}
        self.fm_first = 2 if self.fm else 0
        self.fm_last = self.doc.body_start_line - 2 if self.fm else -1
        self.sections = split_sections(self.doc)
        self._starts = [s.start_line for s in self.sections]
        self.fence = self._fence_lines()
        self.table = self._table_rows()
        self.units = self._units()

    # ---------------------------------------------------------------- lines

    def line(self, n: int) -> str:
        return self.lines[n - 1] if 1 <= n <= len(self.lines) else ""

    def _fence_lines(self) -> set[int]:
        """Body lines inside (or delimiting) a closed fenced code block; an unclosed fence is ignored."""
        out: set[int] = set()
        opened: int | None = None
        for n in range(self.doc.body_start_line, len(self.lines) + 1):
            if _FENCE.match(self.line(n)):
                if opened is None:
                    opened = n
                else:
                    out.update(range(opened, n + 1))
                    opened = None
        return out

    def section_of(self, line: int) -> int:
        i = bisect.bisect_right(self._starts, line) - 1
        return max(i, 0)

    def path_of(self, line: int) -> tuple[str, ...]:
        if not self.sections:
            return (self.title,)
        return tuple(self.sections[self.section_of(line)].heading_path) or (self.title,)

    # ---------------------------------------------------------------- front matter

    def fm_value(self, dotted: str) -> Any:
        cur: Any = self.fm
        if dotted in cur:
            return cur[dotted]
        for part in dotted.split("."):
            if not isinstance(cur, dict) or part not in cur:
                return None
            cur = cur[part]
        return cur

    @staticmethod
    def _indent(text: str) -> int:
        return len(text) - len(text.lstrip(" "))

    def _is_content(self, n: int) -> bool:
        t = self.line(n).strip()
        return bool(t) and not t.startswith("#")

    def fm_block(self, parts: Sequence[str]) -> tuple[int, int] | None:
        """(first, last) file line of a front-matter key's block (key line + its nested lines)."""
        if not self.fm:
            return None
        lo, hi = self.fm_first, self.fm_last
        found: tuple[int, int] | None = None
        for part in parts:
            child = next((self._indent(self.line(n)) for n in range(lo, hi + 1) if self._is_content(n)), None)
            if child is None:
                return found
            hit = None
            for n in range(lo, hi + 1):
                t = self.line(n)
                if not self._is_content(n) or self._indent(t) != child:
                    continue
                m = re.match(r"""^\s*(["']?)(.+?)\1\s*:(?:\s|$)""", t)
                if m and m.group(2).strip() == str(part):
                    hit = n
                    break
            if hit is None:
                return found
            end = hit
            n = hit + 1
            while n <= hi:
                t = self.line(n)
                if self._is_content(n):
                    ind = self._indent(t)
                    if ind < child or (ind == child and not t.lstrip().startswith("- ")):
                        break
                    end = n
                n += 1
            found = (hit, end)
            lo, hi = hit + 1, end
        return found

    def fm_raw_text(self, line: int) -> str:
        """The scalar written after `key:` on a front-matter line, quotes removed."""
        t = self.line(line)
        m = re.match(r"""^\s*(?:-\s+)?(["']?)(.+?)\1\s*:(?:\s+|$)(.*)$""", t)
        rest = (m.group(3) if m else t).strip()
        if rest[:1] in ("'", '"') and rest[-1:] == rest[:1] and len(rest) >= 2:
            rest = rest[1:-1]
        elif " #" in rest:
            rest = rest.split(" #", 1)[0].strip()
        return rest

    def fm_item_line(self, block: tuple[int, int], item: str) -> int | None:
        key = evidence_key(item)
        for n in range(block[0], block[1] + 1):
            if key and key in evidence_key(self.line(n)):
                return n
        return None

    # ---------------------------------------------------------------- body table

    def _table_rows(self) -> dict[str, tuple[str, str, int]]:
        """label key → (label, value, file line) of `| label | value |` rows at the top of the body."""
        out: dict[str, tuple[str, str, int]] = {}
        start = self.doc.body_start_line
        for n in range(start, min(len(self.lines), start + TABLE_MAX_LINES - 1) + 1):
            if n in self.fence:
                continue
            t = self.line(n)
            if not _TABLE_ROW.match(t) or _TABLE_SEP.match(t):
                continue
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", t.strip()[1:-1])]
            if len(cells) != 2:
                continue
            label = cells[0].replace("**", "").replace("__", "").replace("`", "").strip()
            value = cells[1].replace("**", "").replace("__", "").replace("`", "").strip()
            key = _label_key(label)
            if key and value and key not in out:
                out[key] = (label, value, n)
        return out

    # ---------------------------------------------------------------- sentence units

    def _units(self) -> list[_Unit]:
        units: list[_Unit] = []
        for si, sec in enumerate(self.sections):
            lead: tuple[int, str] | None = None
            header: tuple[int, list[str]] | None = None
            first = True
            for n in range(sec.start_line, sec.end_line + 1):
                if n in self.fence:
                    continue
                t = self.line(n)
                s = t.strip()
                if not s:
                    continue
                if _HEADING.match(t):
                    continue
                table = bool(_TABLE_ROW.match(t))
                if _TABLE_SEP.match(t):
                    continue
                if table and _TABLE_SEP.match(self.line(n + 1)):
                    header = (n, _cells(t))
                    continue
                if not table:
                    header = None
                clean = clean_markdown(t)
                if not clean or not re.search(r"\w", clean):
                    continue
                bullet = bool(_BULLET.match(t)) and not table
                bold_only = s.startswith("**") and s.endswith("**") and s.count("**") == 2
                bold_label = s.startswith("**") and len(clean) <= 40 and not clean.endswith(("。", ".", "！", "？"))
                sentences = [] if (table or bullet) else split_sentences(t)
                if (
                    not table
                    and not bullet
                    and len(split_sentences(clean)) <= 1
                    and len(clean) <= 80
                    and (bold_only or bold_label or clean.endswith((":", "：")))
                ):
                    lead = (n, clean.rstrip(":：").strip())
                    continue
                if not bullet and not table:
                    lead = None
                if table or bullet:
                    units.append(
                        _Unit(
                            n, s, clean, si, bullet, table, lead if bullet else None, header if table else None, first
                        )
                    )
                    first = False
                    continue
                for k, sent in enumerate(sentences):
                    c = clean_markdown(sent)
                    if not c or not re.search(r"\w", c):
                        continue
                    if k == len(sentences) - 1 and k > 0 and c.endswith((":", "：")) and len(c) <= 40:
                        lead = (n, c.rstrip(":：").strip())  # "…。このラウンドの特徴は：" + bullets
                        continue
                    units.append(_Unit(n, sent, c, si, first=first))
                    first = False
        return units


def _cells(row: str) -> list[str]:
    """Cells of a Markdown table row, emphasis removed (empty cells kept)."""
    inner = row.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|"):
        inner = inner[:-1]
    return [
        _WS.sub(" ", c.replace("**", "").replace("__", "").replace("`", "")).strip()
        for c in re.split(r"(?<!\\)\|", inner)
    ]


def _label_key(label: str) -> str:
    s = nfkc(label).replace("*", "").replace("`", "").replace("__", "")
    return _WS.sub("", s).casefold()


# ------------------------------------------------------------------ caches

_mapping_cache: dict[str, Any] = {}
_doc_cache: dict[tuple[str, int, int, str], _Doc] = {}
_cache_lock = threading.Lock()


def _mapping(settings: Settings):
    key = str(settings.facets_file or "")
    with _cache_lock:
        m = _mapping_cache.get(key)
    if m is None:
        m = FacetMapping.load(settings.facets_file)
        with _cache_lock:
            _mapping_cache[key] = m
    return m


def _load(entry: dict[str, Any], settings: Settings) -> _Doc:
    p = Path(entry["path"])
    try:
        st = p.stat()
    except OSError as e:
        raise BriefingError(
            f"{p}: the indexed file cannot be read ({e.strerror or e}); run `casebook index` again"
        ) from e
    key = (str(p), st.st_mtime_ns, st.st_size, str(settings.facets_file or ""))
    with _cache_lock:
        d = _doc_cache.get(key)
    if d is None:
        d = _Doc(entry, settings)
        with _cache_lock:
            if len(_doc_cache) > 64:
                _doc_cache.clear()
            _doc_cache[key] = d
    return d
