"""`casebook index [PATHS…] [--rebuild]`: incremental index runs with a progress bar."""

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
    bar: Any = None

    def progress(name: str, done: int, total: int) -> None:
        nonlocal bar
        if args.quiet:
            return
        if bar is None:
            bar = tqdm(total=total, unit="file", file=sys.stderr, leave=False)
        bar.n = done
        bar.set_postfix_str(name[:40])
        bar.refresh()

    paths = [Path(p) for p in args.paths] or None
    for p in paths or []:
        if not p.exists():
            print(f"error: {p}: no such file or folder", file=sys.stderr)
            return 2
    report = index_library(settings, paths, rebuild=args.rebuild, progress=progress)
    if bar is not None:
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
