"""Local answer feedback: 👍/👎 and a comment, appended to data_dir/feedback.jsonl.

One JSON object per line; a later line for the same `answer_id` updates the earlier one (rating
and/or comment), so the file is append-only and safe to read while it is written.

`export_questions()` turns rated answers into the eval question-set format (eval/questionset.py):

* 👍 on an answer   → answerable=true, gold = the cited sections (doc_id + the section heading);
* 👍 on a refusal   → answerable=false (the library really has no answer);
* 👎 on a refusal   → answerable=true, gold=[] (the library should have answered: label gold later);
* 👎 on an answer   → answerable=true, gold=[] (the answer was wrong: label gold/facts later).

The rating is in the id ("fb-up-…" / "fb-down-…") and kind is always "feedback".
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

FILE_NAME = "feedback.jsonl"
_lock = threading.Lock()


def new_answer_id() -> str:
    return uuid.uuid4().hex[:12]


def citation_record(c: Any) -> dict[str, Any]:
    d = asdict(c) if is_dataclass(c) else dict(c)
    d["heading_path"] = list(d.get("heading_path") or [])
    d["quote"] = list(d.get("quote") or [])
    return {
        k: d.get(k)
        for k in ("n", "doc_id", "title", "company", "heading_path", "source", "start_line", "end_line", "quote")
    }


class FeedbackStore:
    def __init__(self, data_dir: Path | str):
        self.path = Path(data_dir) / FILE_NAME

    # ---- write
    def record(
        self,
        *,
        answer_id: str,
        rating: str | None = None,  # "up" | "down" | None (comment only)
        comment: str | None = None,
        question: str = "",
        lang: str = "",
        filters: Mapping[str, Any] | None = None,
        answer_text: str = "",
        refused: bool = False,
        citations: Iterable[Any] = (),
    ) -> dict[str, Any]:
        if rating not in (None, "up", "down"):
            raise ValueError(f"rating must be 'up', 'down' or None, got {rating!r}")
        rec = {
            "answer_id": str(answer_id),
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "rating": rating,
            "comment": (comment or "").strip()[:4000] or None,
            "question": question,
            "lang": lang,
            "filters": dict(filters or {}),
            "answer": answer_text,
            "refused": bool(refused),
            "citations": [citation_record(c) for c in citations],
        }
        line = json.dumps(rec, ensure_ascii=False, default=str)
        with _lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
                f.flush()
        return rec

    # ---- read
    def raw(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        out = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line of a crashed writer
            if isinstance(obj, dict) and obj.get("answer_id"):
                out.append(obj)
        return out

    def entries(self) -> list[dict[str, Any]]:
        """One merged entry per answer (latest rating, latest non-empty comment), in first-seen order."""
        merged: dict[str, dict[str, Any]] = {}
        for r in self.raw():
            cur = merged.get(r["answer_id"])
            if cur is None:
                merged[r["answer_id"]] = dict(r)
                continue
            if r.get("rating") is None:  # a comment-only line changes only the comment
                if r.get("comment"):
                    cur["comment"] = r["comment"]
                continue
            for k, v in r.items():
                if v in (None, "", [], {}) and k not in ("refused", "filters", "citations"):
                    continue
                cur[k] = v
        return list(merged.values())

    def counts(self) -> dict[str, int]:
        es = self.entries()
        return {
            "up": sum(e.get("rating") == "up" for e in es),
            "down": sum(e.get("rating") == "down" for e in es),
            "comments": sum(bool(e.get("comment")) for e in es),
        }

    # ---- export
    def export_questions(self) -> list[dict[str, Any]]:
        out = []
        for e in self.entries():
            rating = e.get("rating")
            q = (e.get("question") or "").strip()
            if rating not in ("up", "down") or not q:
                continue
            lang = e.get("lang") if e.get("lang") in ("ja", "en") else _guess_lang(q)
            refused = bool(e.get("refused"))
            gold: list[dict[str, str]] = []
            if rating == "up" and not refused:
                seen = set()
                for c in e.get("citations") or []:
                    path = c.get("heading_path") or []
                    key = (c.get("doc_id"), path[-1] if path else "")
                    if key[0] and key[1] and key not in seen:
                        seen.add(key)
                        gold.append({"doc": key[0], "section": key[1]})
            answerable = not (rating == "up" and refused)
            out.append(
                {
                    "id": f"fb-{rating}-{e['answer_id']}",
                    "question": q,
                    "lang": lang,
                    "answerable": answerable,
                    "gold": gold,
                    "facts": [],
                    "filters": e.get("filters") or {},
                    "kind": "feedback",
                }
            )
        return out

    def export_file(self, dest_dir: Path | str) -> Path:
        dest = Path(dest_dir)
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / f"feedback-questions-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
        lines = [json.dumps(q, ensure_ascii=False) for q in self.export_questions()]
        path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
        return path


def _guess_lang(text: str) -> str:
    return "ja" if any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text) else "en"
