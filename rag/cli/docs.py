"""`casebook docs [--json]`: the indexed documents with their canonical facets."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rag.cli.common import out, settings_from
from rag.index import IndexMissing, get_library


def register(sub: Any) -> None:
    s = sub.add_parser("docs", help="list indexed documents with their facets")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_docs)


def cmd_docs(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        snap = get_library(settings).snapshot()
    except IndexMissing as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    docs = snap.documents
    if args.json:
        out(json.dumps({"documents": docs, "errors": snap.errors}, ensure_ascii=False, indent=1))
        return 0
    for d in docs:
        f = d["facets"]
        out(f"{d['doc_id']}\t{d['title']}")
        out(
            f"    company={f.get('company', '')}  country={f.get('country', '')}  industry={f.get('industry', '')}  "
            f"founded={f.get('founded_year', '')}  chunks={d['chunks']}  file={d['path']}"
        )
    for e in snap.errors:
        out(f"not indexed: {e['path']}: {e['message']}")
    out(f"{len(docs)} documents, generation {snap.generation}")
    return 0
