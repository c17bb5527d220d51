"""The `casebook` console script: one thin module per subcommand (parse, call the library, print).
`serve` and `eval` live in `ui` and `eval` and register themselves through the
`casebook.commands` entry points, so `rag` never imports them."""

from rag.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
