"""`casebook index [PATHS…] [--rebuild]`: incremental index runs with progress bars on stderr: files
read and chunked, then chunks embedded (with chunks/s and an ETA)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rag.cli.common import out, settings_from
from rag.index import index_library


def register(sub: Any) -> None:
    s = sub.add_parser("index", help="index case files (default: the library folders, seeds/ at first)")
    s.add_argument("paths", nargs="*", help="files or folders; they become the library")
    s.add_argument("--rebuild", action="store_true", help="start from an empty index")
    s.add_argument("--json", action="store_true")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_index)


def cmd_index(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    bars: dict[str, Any] = {}

    def progress(name: str, done: int, total: int) -> None:
        if args.quiet:
            return
        if "chunks" in bars:  # embedding has begun: one bar for the rest of the run, the file being read beside it
            bars["chunks"].set_postfix_str(name[:40])
            return
        bar = bars.get("files")
        if bar is None:
            bar = bars["files"] = tqdm(total=total, unit="file", file=sys.stderr, leave=False, desc="reading")
        bar.n = done
        bar.set_postfix_str(name[:40])
        bar.refresh()

    def embed_progress(done: int, total: int) -> None:
        if args.quiet or not total:
            return
        if "files" in bars:
            bars.pop("files").close()
        bar = bars.get("chunks")
        if bar is None:
            bar = bars["chunks"] = tqdm(
                total=total, unit="chunk", file=sys.stderr, leave=False, desc="embedding", smoothing=0.1
            )
        if bar.total != total:  # the indexer's estimate of the run's chunks, exact in its last window
            bar.total = total
        bar.update(done - bar.n)

    paths = [Path(p) for p in args.paths] or None
    for p in paths or []:
        if not p.exists():
            print(f"error: {p}: no such file or folder", file=sys.stderr)
            return 2
    try:
        report = index_library(settings, paths, rebuild=args.rebuild, progress=progress, embed_progress=embed_progress)
    finally:
        for bar in bars.values():
            bar.close()
    if args.json:
        out(
            json.dumps(
                {k: (v if not isinstance(v, list) else [str(x) for x in v]) for k, v in report.__dict__.items()},
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        for line in report.lines():
            out(line)
        out(f"data directory: {settings.data_dir}")
    return 0
