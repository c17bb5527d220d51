"""`casebook` console script: index, docs, search, ask, serve, eval, brief."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from .config import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(data_dir=Path(args.data_dir).expanduser() if args.data_dir else None)


def _print(line: str = "") -> None:
    print(line, flush=True)


# ---------------------------------------------------------------- index / docs
def cmd_index(args: argparse.Namespace) -> int:
    from .indexer import index_library

    settings = _settings(args)
    bar: Any = None

    def progress(name: str, done: int, total: int) -> None:
        nonlocal bar
        if args.quiet:
            return
        if bar is None:
            from tqdm import tqdm

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
        _print(json.dumps({k: (v if not isinstance(v, list) else [str(x) for x in v]) for k, v in report.__dict__.items()},
                          ensure_ascii=False, indent=1))
    else:
        for line in report.lines():
            _print(line)
        _print(f"data directory: {settings.data_dir}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from .library import IndexMissing, get_library

    settings = _settings(args)
    try:
        snap = get_library(settings).snapshot()
    except IndexMissing as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    docs = snap.documents
    if args.json:
        _print(json.dumps({"documents": docs, "errors": snap.errors}, ensure_ascii=False, indent=1))
        return 0
    for d in docs:
        f = d["facets"]
        _print(f"{d['doc_id']}\t{d['title']}")
        _print(
            f"    company={f.get('company', '')}  country={f.get('country', '')}  industry={f.get('industry', '')}  "
            f"founded={f.get('founded_year', '')}  chunks={d['chunks']}  file={d['path']}"
        )
    for e in snap.errors:
        _print(f"not indexed: {e['path']}: {e['message']}")
    _print(f"{len(docs)} documents, generation {snap.generation}")
    return 0


# ---------------------------------------------------------------- search / ask
def _filters(args: argparse.Namespace):
    from .filters import Filters

    return Filters.parse(args.filter or [])


def cmd_search(args: argparse.Namespace) -> int:
    from .library import IndexMissing
    from .retrieval import retrieve

    settings = _settings(args)
    try:
        hits = retrieve(args.query, filters=_filters(args), k=args.k, settings=settings)
    except IndexMissing as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        _print(json.dumps([h.__dict__ for h in hits], ensure_ascii=False, indent=1, default=str))
        return 0
    for i, h in enumerate(hits, 1):
        _print(f"{i}. [{h.score:.3f}] {h.doc_id} › {h.path_str}  (lines {h.start_line}-{h.end_line})")
        _print(f"   {h.title}  —  {h.source}")
        for s in h.sentences[:2]:
            _print(f"   > {s[:160]}")
    if not hits:
        _print("no matching sections")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="casebook", description=__doc__)
    p.add_argument("--data-dir", help="index and settings folder (default: $CASEBOOK_DATA_DIR or ~/.local/share/casebook)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("index", help="index case files (default: the library folders, seeds/ at first)")
    s.add_argument("paths", nargs="*", help="files or folders; they become the library")
    s.add_argument("--rebuild", action="store_true", help="start from an empty index")
    s.add_argument("--json", action="store_true")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_index)

    s = sub.add_parser("docs", help="list indexed documents with their facets")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_docs)

    s = sub.add_parser("search", help="top sections for a query")
    s.add_argument("query")
    s.add_argument("--filter", action="append", metavar="KEY=VALUE", help="e.g. country=日本, tags~=LLM, founded_year>=2020")
    s.add_argument("-k", type=int, default=5)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    import importlib

    for module in _EXTRA:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:  # a feature package left out of a partial install
            if e.name != module:
                raise
            continue
        mod.register(sub)
    return p


# Subcommands living beside the features they drive (each module has `register(subparsers)`).
_EXTRA = ["rag.cli_ask", "ui.serve", "eval.cli", "rag.cli_brief"]


def main(argv: list[str] | None = None) -> int:
    # `serve` reports its ready time (and CPU) from here, not from the process's creation
    started, started_cpu = time.perf_counter(), time.process_time()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    args.started, args.started_cpu = started, started_cpu
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
