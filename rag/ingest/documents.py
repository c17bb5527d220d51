"""Load one library file into a `Document`: decoding, lenient front matter, facets.

A bad file raises `LoadError` (one line: what is wrong) and nothing else. A file that is
readable but imperfect loads, with `LoadIssue` warnings naming the file line:

* text: UTF-8 (with or without BOM), UTF-16/32 with BOM, BOM-less UTF-16 (NUL pattern),
  Shift_JIS/cp932 and EUC-JP (converted, with a warning). Newlines become "\\n"; the other
  characters `str.splitlines()` treats as line breaks become spaces, so line numbers in the
  text are the file's line numbers however a caller splits it.
* front matter: a first line `---` up to the next `---` or `...` line, parsed by a hardened
  `yaml.SafeLoader` (no object construction, YAML-1.2-like scalars, nesting and alias-expansion
  limits). Invalid YAML is recovered block by block (a top-level key line plus its indented
  lines), keeping every block that parses; unterminated or non-mapping front matter leaves the
  whole file as body.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rag.ingest.facets import FacetMapping, default_mapping
from rag.ingest.safe_yaml import YAMLLimitError, safe_yaml_load
from rag.schema import Document, LoadError, LoadIssue

SUPPORTED_SUFFIXES = (".md", ".txt")
DEFAULT_MAX_BYTES = 5 * 1024 * 1024  # same default as Settings.max_file_bytes

_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_LINE_BREAKS_RE = re.compile(r"[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_KEY_LINE_RE = re.compile(
    r"""^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#:\-?\[\]{},&*!|>'"%@`][^#]*?|-[^\s#:][^#]*?)\s*:(?:\s|$)"""
)


# =============================================================================== library


def iter_library(paths: Iterable[Path | str]) -> list[Path]:
    """Supported files among `paths` (files as given, folders searched recursively).

    Hidden files and folders (name starting with ".") inside folders are skipped; files named
    directly are taken as they are if their suffix is supported. Sorted, and one entry per
    resolved path. A path that does not exist raises FileNotFoundError.
    """
    found: dict[Path, Path] = {}

    def add(p: Path) -> None:
        if p.suffix.lower() not in SUPPORTED_SUFFIXES:
            return
        try:
            key = p.resolve()
        except (OSError, RuntimeError):
            key = p.absolute()
        found.setdefault(key, p)

    for raw in paths:
        root = Path(raw).expanduser()
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if not name.startswith("."):
                        p = Path(dirpath) / name
                        if p.is_file():
                            add(p)
        elif root.is_file():
            add(root)
        elif root.exists():
            continue  # sockets, fifos…: not documents
        else:
            raise FileNotFoundError(f"no such file or folder: {root}")
    return sorted(found.values(), key=lambda p: str(p))


# ============================================================================== decoding


def _human(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _read_bytes(path: Path, source: str, max_bytes: int) -> bytes:
    try:
        st = path.stat()
    except OSError as exc:
        raise LoadError(source, f"cannot read the file ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(st.st_mode):
        raise LoadError(source, "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise LoadError(source, "is not a regular file")
    if st.st_size > max_bytes:
        raise LoadError(source, f"file is too large ({_human(st.st_size)}; the limit is {_human(max_bytes)})")
    chunks: list[bytes] = []
    total = 0
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                chunks.append(chunk)
                total += len(chunk)
                if total > max_bytes:
                    raise LoadError(source, f"file is too large (over the limit of {_human(max_bytes)})")
    except OSError as exc:
        raise LoadError(source, f"cannot read the file ({exc.strerror or exc})") from exc
    return b"".join(chunks)


def _odd_ratio(text: str, sample: int = 200_000) -> float:
    """Share of characters no text is full of (unassigned, private use, surrogates, U+FFFD)."""
    head = text[:sample]
    odd = sum(1 for ch in head if ch == "\ufffd" or unicodedata.category(ch) in ("Cn", "Co", "Cs"))
    return odd / max(1, len(head))


def _sniff_utf16(raw: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NUL bytes sit on one byte parity and decoding gives text."""
    if len(raw) < 2 or len(raw) % 2:
        return None
    even, odd = raw[0::2].count(0), raw[1::2].count(0)
    total = even + odd
    if not total:
        return None
    if odd >= 0.95 * total:
        enc = "utf-16-le"
    elif even >= 0.95 * total:
        enc = "utf-16-be"
    else:
        return None
    try:
        text = raw.decode(enc)
    except UnicodeDecodeError:
        return None
    if "\x00" in text or _odd_ratio(text) > 0.05:
        return None
    return enc


def decode_bytes(raw: bytes, source: str = "<bytes>") -> tuple[str, str, list[LoadIssue]]:
    """(text, encoding, issues) for a file's bytes; LoadError when they are not text."""
    issues: list[LoadIssue] = []
    if not raw:
        raise LoadError(source, "file is empty")
    boms = (
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    )
    encoding = ""
    text = ""
    for bom, enc in boms:
        if raw.startswith(bom):
            encoding = enc
            body = raw if enc == "utf-8-sig" else raw[len(bom) :]
            try:
                text = body.decode(enc)
            except UnicodeDecodeError as exc:
                if enc != "utf-8-sig":
                    raise LoadError(
                        source,
                        f"starts with a {enc.upper()} byte-order mark but is not valid {enc.upper()} ({exc.reason} at byte {exc.start})",
                    ) from exc
                text = body.decode(enc, errors="replace")
                issues.append(
                    LoadIssue(
                        source,
                        None,
                        f"{text.count(chr(0xFFFD))} bytes that are not valid UTF-8 were replaced with U+FFFD",
                    )
                )
            break
    else:
        if b"\x00" in raw:
            enc16 = _sniff_utf16(raw)
            if enc16 is None:
                raise LoadError(source, "binary file (contains NUL bytes), not text")
            encoding, text = enc16, raw.decode(enc16)
        else:
            try:
                encoding, text = "utf-8", raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                encoding, text = _decode_non_utf8(raw, source, exc, issues)
    if encoding.startswith(("utf-16", "utf-32")):
        issues.append(LoadIssue(source, None, f"file is {encoding.upper()}, not UTF-8: converted to UTF-8"))
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise LoadError(source, "binary file (contains NUL characters), not text")
    n_control = len(_CONTROL_RE.findall(text))
    if n_control and n_control > 0.1 * len(text):
        raise LoadError(source, f"binary file ({100 * n_control // len(text)}% control characters), not text")
    if not text.strip():
        raise LoadError(source, "file has no text (only whitespace)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _LINE_BREAKS_RE.sub(" ", text)
    return text, encoding, issues


def _decode_non_utf8(raw: bytes, source: str, exc: UnicodeDecodeError, issues: list[LoadIssue]) -> tuple[str, str]:
    # Mostly valid UTF-8 with a few broken bytes: keep UTF-8, replace the broken bytes.
    lenient = raw.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    good_non_ascii = len(lenient) - len(lenient.encode("ascii", "ignore")) - bad
    if good_non_ascii >= 20 and bad * 50 <= good_non_ascii:
        issues.append(LoadIssue(source, None, f"{bad} bytes that are not valid UTF-8 were replaced with U+FFFD"))
        return "utf-8", lenient
    for enc, label in (("cp932", "Shift_JIS (cp932)"), ("euc_jp", "EUC-JP")):
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        if _odd_ratio(text) > 0.05:
            continue
        issues.append(LoadIssue(source, None, f"file is not UTF-8: decoded as {label} and converted to UTF-8"))
        return enc, text
    raise LoadError(
        source,
        f"cannot decode the file: not UTF-8, UTF-16 or Shift_JIS text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
    )


def read_text(path: Path | str, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, str, list[LoadIssue]]:
    """(text, encoding, issues) of a file; LoadError for binary, empty, oversized or undecodable files."""
    p = Path(path)
    raw = _read_bytes(p, str(p), max_bytes)
    return decode_bytes(raw, str(p))


@dataclass
class FrontMatter:
    data: dict[str, Any]
    body: str
    body_start_line: int  # 1-based file line of the body's first line
    issues: list[LoadIssue] = field(default_factory=list)
    present: bool = False  # a closed front-matter block was found and used


def _yaml_error_text(exc: BaseException, first_line: int) -> str:
    """One line for a YAML error; marks converted to file lines (block starts at `first_line`)."""
    if isinstance(exc, YAMLLimitError):
        return exc.message if exc.line is None else f"{exc.message} (line {first_line + exc.line})"
    if isinstance(exc, yaml.MarkedYAMLError):
        problem = (exc.problem or "invalid YAML").replace("found '?'", "found a new key")
        if exc.context:
            problem = f"{exc.context}: {problem}"
        if exc.problem_mark is not None:
            problem += f" (line {first_line + exc.problem_mark.line})"
        return problem
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _split_blocks(lines: list[str]) -> list[tuple[int, str, list[str]]]:
    """Top-level blocks: (index of the key line, key, the block's lines)."""
    blocks: list[tuple[int, str, list[str]]] = []
    for i, line in enumerate(lines):
        m = _KEY_LINE_RE.match(line)
        if m and not line.startswith((" ", "\t", "#")):
            key = m.group(0).rstrip().removesuffix(":").strip().strip("'\"")
            blocks.append((i, key, [line]))
        elif blocks:
            blocks[-1][2].append(line)
    return blocks


def _recover_blocks(
    lines: list[str], first_line: int, source: str, ignored_tags: list[str]
) -> tuple[dict[str, Any], list[LoadIssue]]:
    data: dict[str, Any] = {}
    issues: list[LoadIssue] = []
    for index, key, block in _split_blocks(lines):
        line_no = first_line + index
        try:
            parsed = safe_yaml_load("\n".join(block), ignored_tags)
        except Exception as exc:
            reason = _yaml_error_text(exc, line_no)
            kept = ""
            mark = getattr(exc, "problem_mark", None)
            if not isinstance(exc, YAMLLimitError) and mark is not None and 0 < mark.line <= len(block):
                try:
                    partial = safe_yaml_load("\n".join(block[: mark.line]), ignored_tags)
                except Exception:
                    partial = None
                if isinstance(partial, dict) and partial:
                    data.update(partial)
                    kept = f"; kept lines {line_no}–{line_no + mark.line - 1} of it"
            issues.append(
                LoadIssue(
                    source, line_no, f"front matter block '{key}' is not valid YAML (line {line_no}): {reason}{kept}"
                )
            )
            continue
        if isinstance(parsed, dict):
            data.update(parsed)
        else:
            issues.append(
                LoadIssue(
                    source, line_no, f"front matter block '{key}' (line {line_no}) is not a 'key: value' entry; skipped"
                )
            )
    return data, issues


def split_front_matter(text: str, source: str = "<text>") -> FrontMatter:
    """Separate front matter from body, leniently (see the module docstring)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter({}, text, 1)
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if close is None:
        issue = LoadIssue(
            source, 1, "front matter opened on line 1 is never closed with '---'; the whole file is read as body"
        )
        return FrontMatter({}, text, 1, [issue])
    fm_lines = lines[1:close]
    body = "\n".join(lines[close + 1 :])
    body_start = close + 2
    issues: list[LoadIssue] = []
    ignored_tags: list[str] = []
    try:
        data = safe_yaml_load("\n".join(fm_lines), ignored_tags)
    except Exception as exc:
        ignored_tags.clear()
        data, issues = _recover_blocks(fm_lines, 2, source, ignored_tags)
        if isinstance(exc, YAMLLimitError):
            issues.insert(
                0,
                LoadIssue(
                    source, 1, f"front matter rejected as a whole: {_yaml_error_text(exc, 2)}; read block by block"
                ),
            )
        elif not issues:
            issues.append(
                LoadIssue(source, 1, f"front matter is not valid YAML: {_yaml_error_text(exc, 2)}; read block by block")
            )
        if not data:
            issues.append(
                LoadIssue(
                    source,
                    1,
                    f"nothing could be read from the front matter (lines 1–{close + 1}); the whole file is read as body",
                )
            )
            return FrontMatter({}, text, 1, issues)
    if ignored_tags:
        shown = ", ".join(sorted(set(ignored_tags))[:5])
        issues.append(LoadIssue(source, 1, f"front matter tags not constructed, read as plain values: {shown}"))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        kind = type(data).__name__ if not isinstance(data, str) else "text"
        issues.append(
            LoadIssue(
                source,
                1,
                f"front matter (lines 1–{close + 1}) is {kind}, not 'key: value' pairs; ignored and the whole file is read as body",
            )
        )
        return FrontMatter({}, text, 1, issues)
    return FrontMatter(data, body, body_start, issues, present=True)


# ============================================================================== documents


def load_document(
    path: Path | str,
    *,
    mapping: FacetMapping | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Document:
    """Load one file; LoadError (and only LoadError) when it cannot be a document."""
    mapping = mapping or default_mapping()  # a broken mapping file is a config error, raised as is
    p = Path(path)
    try:
        resolved = p.resolve()
    except (OSError, RuntimeError):
        resolved = p.absolute()
    source = str(resolved)
    raw = _read_bytes(resolved, source, max_bytes)
    text, encoding, issues = decode_bytes(raw, source)
    try:
        fm = split_front_matter(text, source)
        issues.extend(fm.issues)
        facets = mapping.compute(fm.data, fm.body, resolved)
    except LoadError:
        raise
    except Exception as exc:  # a bug must not take the whole library down with one file
        raise LoadError(source, f"could not be loaded ({type(exc).__name__}: {exc})") from exc
    if not fm.body.strip():
        issues.append(LoadIssue(source, fm.body_start_line, "no body text after the front matter"))
    doc_id = str(facets.get("doc_id") or resolved.stem)
    title = str(facets.get("title") or resolved.stem)
    facets.setdefault("doc_id", doc_id)
    facets.setdefault("title", title)
    return Document(
        doc_id=doc_id,
        source=source,
        title=title,
        body=fm.body,
        body_start_line=fm.body_start_line,
        front_matter=fm.data,
        facets=facets,
        issues=issues,
        encoding=encoding,
        content_hash=hashlib.sha256(raw).hexdigest(),
    )
