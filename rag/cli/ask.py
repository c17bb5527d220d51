"""`casebook ask "…" [--filter K=V …] [--json] [-k N] [--llm SPEC]`: a cited answer on the terminal.

Prints the answer (streamed when an LLM backend is configured), then the numbered citations:

    [1] GENAI_042 › 5. AI製品・ソリューション › フラッグシップモデル
        /path/to/000_….txt:226-226
        > - **Mixtral 8x7B**: 47Bパラメータ、13Bアクティブ（効率的な大規模モデル）

A refusal is followed by the closest sections; suggested filters (never applied) are shown as a
hint. Exit status: 0 answered, 3 refused, 1 no index, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from rag.answer import DEFAULT_K, RELATED_LEAD, ask_stream
from rag.config import Settings
from rag.index import IndexMissing
from rag.schema import Answer
from rag.search import Filters


def register(subparsers: Any) -> None:
    s = subparsers.add_parser("ask", help="answer a question with citations (JA/EN)")
    s.add_argument("question")
    s.add_argument(
        "--filter",
        action="append",
        metavar="KEY=VALUE",
        help="metadata filter, repeatable: country=日本, tags~=LLM, founded_year>=2020",
    )
    s.add_argument("-k", type=int, default=None, help="sections returned with the answer (default 8)")
    s.add_argument("--json", action="store_true", help="the whole Answer as JSON")
    s.add_argument(
        "--llm",
        metavar="SPEC",
        help="LLM backend for this question (overrides CASEBOOK_LLM), "
        "e.g. ollama:qwen2.5:7b, openai:MODEL@http://127.0.0.1:8080/v1; 'none' = extractive",
    )
    s.set_defaults(func=cmd_ask)


def _settings(args: argparse.Namespace) -> Any:
    dd = getattr(args, "data_dir", None)
    s = Settings.from_env(data_dir=Path(dd).expanduser() if dd else None)
    if getattr(args, "llm", None) is not None:
        s = dataclasses.replace(s, llm=None if args.llm.strip().lower() in ("", "none", "extractive") else args.llm)
    return s


def _hit_summary(h: Any) -> dict[str, Any]:
    return {
        "doc_id": h.doc_id,
        "title": h.title,
        "heading_path": list(h.heading_path),
        "source": h.source,
        "start_line": h.start_line,
        "end_line": h.end_line,
        "score": h.score,
        "kind": h.kind,
        "scores": h.scores,
        "sentences": h.sentences,
    }


def answer_json(ans: Any) -> dict[str, Any]:
    return {
        "question": ans.question,
        "standalone_question": ans.standalone_question,
        "lang": ans.lang,
        "text": ans.text,
        "refused": ans.refused,
        "citations": [dataclasses.asdict(c) for c in ans.citations],
        "related": [_hit_summary(h) for h in ans.related],
        "hits": [_hit_summary(h) for h in ans.hits],
        "suggested_filters": ans.suggested_filters,
        "flagged": ans.flagged,
        "timings": ans.timings,
        "backend": ans.backend,
    }


def format_citations(ans: Any) -> list[str]:
    out = []
    for c in ans.citations:
        out.append(f"[{c.n}] {c.doc_id} › {c.path_str}")
        out.append(f"    {c.source}:{c.start_line}-{c.end_line}")
        for q in c.shown_quotes[:3]:  # a table row read with its header; the lines above are exact
            q1 = " ".join(q.split())
            out.append(f"    > {q1[:300]}")
    return out


def _filter_hint(sf: dict[str, Any]) -> str:
    parts = []
    for k, v in sf.items():
        if isinstance(v, dict) and "contains" in v:
            vals = v["contains"]
            parts.append(f"--filter {k}~={','.join(map(str, vals if isinstance(vals, list) else [vals]))}")
        elif isinstance(v, list):
            parts.append(f"--filter {k}={','.join(map(str, v))}")
        else:
            parts.append(f"--filter {k}={v}")
    return " ".join(parts)


def cmd_ask(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
        filters = Filters.parse(args.filter or []) if args.filter else None
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    k = args.k or DEFAULT_K
    ans = None
    streamed = ""
    try:
        for piece in ask_stream(args.question, filters=filters, settings=settings, k=k):
            if isinstance(piece, Answer):
                ans = piece
            elif not args.json and settings.llm:
                streamed += piece
                print(piece, end="", flush=True)
    except IndexMissing as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    assert ans is not None
    if args.json:
        print(json.dumps(answer_json(ans), ensure_ascii=False, indent=1, default=str))
        return 3 if ans.refused else 0
    if streamed:
        print()
        if streamed.strip() != ans.text.strip():
            print("\n(checked answer)" if ans.lang == "en" else "\n（検証後の回答）")
            print(ans.text)
    else:
        print(ans.text)
    if ans.standalone_question and ans.standalone_question != ans.question:
        print(
            ("\n(interpreted as: " if ans.lang == "en" else "\n（解釈した質問：")
            + ans.standalone_question
            + (")" if ans.lang == "en" else "）")
        )
    if ans.citations:
        print()
        for line in format_citations(ans):
            print(line)
    if ans.refused and ans.related:
        print()
        print(RELATED_LEAD.get(ans.lang, RELATED_LEAD["en"]))
        for h in ans.related:
            print(f"  - {h.doc_id} › {h.path_str}  ({h.source}:{h.start_line}-{h.end_line})")
    if ans.suggested_filters:
        hint = _filter_hint(ans.suggested_filters)
        print()
        print(("ヒント: 絞り込むには " if ans.lang == "ja" else "hint: to narrow the search add ") + hint)
    if ans.flagged and any(not f.startswith("refused:") for f in ans.flagged):
        print()
        for f in ans.flagged:
            if not f.startswith("refused:"):
                print(f"note: {f}", file=sys.stderr)
    return 3 if ans.refused else 0
