"""Uploaded case files: safe names, an extension allow-list, a size cap, a trial load before saving.

`accept_uploads(paths, settings)` checks every uploaded temp file, loads it with
rag.ingest.load_document from a private staging folder (so a broken file is reported with its
problem and line and never enters the library), and moves the good ones into settings.uploads_dir.
Messages are in the UI language with `file:line` (ui.load_messages); a file added with warnings
gets a warning mark, not a tick.
Indexing is the caller's job (rag.index.index_library, incremental).
`list_uploads(settings)` / `delete_upload(name, settings)`: the uploaded files, and removing one
(only a name listed there is accepted: no paths, nothing outside the uploads folder).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.ingest import FacetMapping, load_document
from rag.schema import LoadError

from .i18n import t
from .load_messages import issue_message, where

ALLOWED_SUFFIXES = (".md", ".txt")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_NAME_CHARS = 120


class UnsafeName(ValueError):
    pass


def safe_filename(name: str) -> str:
    """A file name safe to create in the uploads folder.

    Directories (/ and \\) and drive prefixes are dropped, NFKC applied, Unicode letters, digits
    and marks kept (日本語の名前.md stays readable), `-_.` kept, anything else becomes "_"; no
    leading dot, no "..", the suffix lower-cased. Raises UnsafeName for a suffix outside the
    allow-list or a name with nothing usable left.
    """
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = unicodedata.normalize("NFKC", base)
    base = base.split(":")[-1]  # "C:foo.md", "file:x"
    out = []
    for ch in base:
        cat = unicodedata.category(ch)
        if ch in "-_." or cat[0] in ("L", "N", "M"):
            out.append(ch)
        elif ch.isspace():
            out.append("_")
        else:
            out.append("_")
    s = "".join(out)
    s = re.sub(r"\.{2,}", ".", s)
    s = re.sub(r"_{2,}", "_", s).strip("._- ")
    stem, dot, suffix = s.rpartition(".")
    if not dot:
        raise UnsafeName(f"{name!r}: no file extension (allowed: {', '.join(ALLOWED_SUFFIXES)})")
    suffix = "." + suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise UnsafeName(f"{name!r}: extension {suffix} is not allowed (allowed: {', '.join(ALLOWED_SUFFIXES)})")
    stem = stem.strip("._- ")
    if not stem or not any(unicodedata.category(c)[0] in ("L", "N") for c in stem):
        raise UnsafeName(f"{name!r}: no usable characters in the file name")
    stem = stem[: MAX_NAME_CHARS - len(suffix)]
    return stem + suffix


@dataclass
class UploadResult:
    saved: list[Path] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)  # (ok|warn|error|info, text)


def accept_uploads(
    paths: Iterable[str | Path | Any], settings: Any, lang: str = "ja", max_bytes: int = MAX_UPLOAD_BYTES
) -> UploadResult:
    """Validate, trial-load and save uploaded files; nothing is indexed here."""

    res = UploadResult()
    mapping = FacetMapping.load(settings.facets_file)
    dest_dir = Path(settings.uploads_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    for item in paths or []:
        if isinstance(item, (str, os.PathLike)):
            tmp_path = Path(item)
            orig = tmp_path.name  # Gradio keeps the uploaded file's own name in its temp path
        else:  # a file object from another Gradio version: .path / .name / .orig_name
            tmp_path = Path(getattr(item, "path", None) or getattr(item, "name", None) or str(item))
            orig = getattr(item, "orig_name", None) or tmp_path.name
        shown = orig
        try:
            name = safe_filename(orig)
        except UnsafeName as e:
            bad_ext = "extension" in str(e) or "no file extension" in str(e)
            res.messages.append(("error", f"{shown}: {t('up_bad_ext' if bad_ext else 'up_bad_name', lang)}"))
            continue
        try:
            size = tmp_path.stat().st_size
        except OSError as e:
            res.messages.append(("error", f"{shown}: {t('up_broken', lang)} ({e.strerror or e})"))
            continue
        if size > max_bytes:
            res.messages.append(
                ("error", f"{shown}: {t('up_too_big', lang)} ({size / 1048576:.1f} MB > {max_bytes / 1048576:.0f} MB)")
            )
            continue
        with tempfile.TemporaryDirectory(prefix="casebook-upload-") as stage:
            staged = Path(stage) / name
            shutil.copyfile(tmp_path, staged)
            try:
                doc = load_document(staged, mapping=mapping, max_bytes=max_bytes)
            except LoadError as e:
                issue = e.issue
                res.messages.append(
                    (
                        "error",
                        f"{where(name, issue.line)}: {t('up_broken', lang)}: {issue_message(issue.message, lang)}",
                    )
                )
                continue
            target = dest_dir / name
            tmp_target = dest_dir / f".{name}.part"
            shutil.copyfile(staged, tmp_target)
            os.replace(tmp_target, target)
        res.saved.append(target)
        res.messages += added_messages(name, doc.title, doc.doc_id, doc.issues, lang)
    if not res.saved and not res.messages:
        res.messages.append(("info", t("up_no_files", lang)))
    return res


def added_messages(name: str, title: str, doc_id: str, issues: Iterable[Any], lang: str) -> list[tuple[str, str]]:
    """The messages of one added file: a tick when it loaded cleanly; with warnings a warning mark,
    "added with N warnings", then each warning as `file:line: message` in the UI language."""
    issues = list(issues)
    if not issues:
        return [("ok", f"{name}: {t('up_added', lang)} — {title} ({doc_id})")]
    head = t("up_added_warn", lang).format(n=len(issues))
    out = [("warn", f"{name}: {head} — {title} ({doc_id})")]
    out += [("warn", f"{where(name, w.line)}: {issue_message(w.message, lang)}") for w in issues]
    return out


def list_uploads(settings: Any) -> list[str]:
    """Names of the uploaded case files (allowed suffixes, no hidden/partial files), sorted."""
    d = Path(settings.uploads_dir)
    if not d.is_dir():
        return []
    return sorted(
        p.name
        for p in d.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in ALLOWED_SUFFIXES
    )


def delete_upload(name: str, settings: Any) -> Path:
    """Remove one uploaded file by its listed name; re-indexing (incremental) drops its chunks.
    Raises FileNotFoundError for anything that is not exactly a listed upload."""
    if not name or name not in list_uploads(settings):
        raise FileNotFoundError(f"{name!r} is not an uploaded file")
    path = Path(settings.uploads_dir) / name
    path.unlink()
    return path
