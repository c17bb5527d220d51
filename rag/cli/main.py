"""`casebook` console script: index, docs, search, ask, brief, plus serve and eval from `ui`/`eval`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from importlib.metadata import entry_points

from rag.cli import ask, brief, docs, index, search

# Subcommands that live above rag (ui.serve, eval.cli) register through this entry-point group,
# so rag never imports them (pyproject.toml: [project.entry-points."casebook.commands"]).
PLUGIN_GROUP = "casebook.commands"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="casebook", description=__doc__)
    p.add_argument(
        "--data-dir", help="index and settings folder (default: $CASEBOOK_DATA_DIR or ~/.local/share/casebook)"
    )
    sub = p.add_subparsers(dest="command", required=True)
    for module in (index, docs, search, ask, brief):
        module.register(sub)
    for ep in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        ep.load()(sub)
    return p


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
