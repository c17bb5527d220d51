"""Helpers shared by the subcommands: settings from --data-dir, unbuffered printing."""

from __future__ import annotations

import argparse
from pathlib import Path

from rag.config import Settings


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings.from_env(data_dir=Path(args.data_dir).expanduser() if args.data_dir else None)


def out(line: str = "") -> None:
    print(line, flush=True)
