"""`casebook search "…" [--filter K=V …] [-k N]`: the top sections with their scores."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rag.cli.common import out, settings_from
from rag.index import IndexMissing
from rag.search import Filters, retrieve


def register(sub: Any) -> None:
    s = sub.add_parser("search", help="top sections for a query")
    s.add_argument("query")
    s.add_argument(
        "--filter", action="append", metavar="KEY=VALUE", help="e.g. country=日本, tags~=LLM, founded_year>=2020"
    )
    s.add_argument("-k", type=int, default=5)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)


def _filters(args: argparse.Namespace):
    return Filters.parse(args.filter or [])


def cmd_search(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        hits = retrieve(args.query, filters=_filters(args), k=args.k, settings=settings)
    except IndexMissing as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        out(json.dumps([h.__dict__ for h in hits], ensure_ascii=False, indent=1, default=str))
        return 0
    for i, h in enumerate(hits, 1):
        out(f"{i}. [{h.score:.3f}] {h.doc_id} › {h.path_str}  (lines {h.start_line}-{h.end_line})")
        out(f"   {h.title}  —  {h.source}")
        for s in h.sentences[:2]:
            out(f"   > {s[:160]}")
    if not hits:
        out("no matching sections")
    return 0
