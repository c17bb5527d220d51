"""`casebook brief COMPANY [--vs OTHER] [--lang ja|en] [--format md|html|json] [--out FILE]`.

A cited one-page briefing about a company of the library (see rag.briefing), or two companies
side by side with --vs. `casebook brief --list` prints the companies of the index.

Exit codes: 0 done, 1 no index / file gone, 2 unknown or ambiguous company / bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rag import brief as B
from rag.config import Settings

HELP = "cited one-page briefing about a company (or two side by side with --vs)"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `brief` subcommand to the `casebook` parser's subparsers."""
    p = subparsers.add_parser(
        "brief", help=HELP, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("company", nargs="?", help="company name, alias (ミストラルAI), title or doc_id")
    p.add_argument("--vs", metavar="OTHER", help="compare with another company")
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help="labels and framing (quotes stay as written)")
    p.add_argument("--format", dest="fmt", choices=("md", "html", "json"), default="md")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--list", action="store_true", help="list the companies in the index")
    p.set_defaults(func=run)
    return p


def _settings(args: argparse.Namespace):
    data_dir = getattr(args, "data_dir", None)
    return Settings.from_env(data_dir=Path(data_dir).expanduser() if data_dir else None)


def _err(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
        if getattr(args, "list", False):
            for name in B.list_companies(settings):
                print(name)
            return 0
        if not args.company:
            _err("name a company (or use --list to see the companies in the index)")
            return 2
        if args.vs:
            result: Any = B.compare(args.company, args.vs, args.lang, settings)
        else:
            result = B.build_briefing(args.company, args.lang, settings)
    except B.UnknownCompany as e:
        _err(str(e))
        return 2
    except B.BriefingError as e:
        _err(str(e))
        return 1
    except ValueError as e:  # e.g. a malformed LLM spec
        _err(str(e))
        return 2

    if args.fmt == "html":
        text = B.render_html(result)
    elif args.fmt == "json":
        text = json.dumps(result.to_dict(), ensure_ascii=False, indent=1)
    else:
        text = B.render_markdown(result)
    if args.out:
        out = Path(args.out).expanduser()
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as e:
            _err(f"cannot write {out}: {e.strerror or e}")
            return 1
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    return 0
