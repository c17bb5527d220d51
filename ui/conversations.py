"""Saved conversations: one SQLite file in the data directory (`conversations.sqlite3`), one row per
conversation (owner, title, times) and one per turn (the question's Answer as JSON: text, citations,
the sections shown as sources, timings, and the filters it was asked with). Every call names the user
(the authenticated user, or "local") and only sees that user's conversations.

    store = ConversationStore(data_dir)
    cid = store.create("local")
    store.append_turn("local", cid, answer, {"country": "日本"})
    store.list("local"); store.load("local", cid); store.rename("local", cid, "…")
    store.export_markdown("local", cid); store.delete("local", cid)
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rag.schema import Answer, Citation, Hit

DB_NAME = "conversations.sqlite3"
LOCAL_USER = "local"
TITLE_MAX = 80

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    title TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_user ON conversations(user, updated);
CREATE TABLE IF NOT EXISTS turns (
    conv_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    filters TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (conv_id, n)
);
"""


def user_of(request: Any) -> str:
    """The authenticated user of a Gradio request, else the one local user."""
    name = getattr(request, "username", None) if request is not None else None
    return str(name) if name else LOCAL_USER


def answer_to_json(answer: Answer) -> str:
    d = asdict(answer)
    return json.dumps(d, ensure_ascii=False, default=str)


def _hit(d: dict[str, Any]) -> Hit:
    d = dict(d)
    d["heading_path"] = tuple(d.get("heading_path") or ())
    return Hit(**d)


def answer_from_json(text: str) -> Answer:
    d = json.loads(text)
    cites = []
    for c in d.get("citations") or []:
        c = dict(c)
        c["heading_path"] = tuple(c.get("heading_path") or ())
        cites.append(Citation(**c))
    d["citations"] = cites
    d["hits"] = [_hit(h) for h in d.get("hits") or []]
    d["related"] = [_hit(h) for h in d.get("related") or []]
    return Answer(**d)


def _title_from(question: str) -> str:
    q = " ".join((question or "").split())
    return q if len(q) <= TITLE_MAX else q[: TITLE_MAX - 1] + "…"


class ConversationStore:
    """Conversations of each user in `<data_dir>/conversations.sqlite3` (created on first use)."""

    def __init__(self, data_dir: Path | str):
        self.path = Path(data_dir) / DB_NAME
        self._lock = threading.Lock()
        self._ready = False

    def _conn(self) -> sqlite3.Connection:
        if not self._ready:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                con = sqlite3.connect(self.path, timeout=10)
                try:
                    con.execute("PRAGMA journal_mode=WAL")
                    con.executescript(_SCHEMA)
                finally:
                    con.close()
                self._ready = True
        con = sqlite3.connect(self.path, timeout=10)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA foreign_keys=ON")
        return con

    def _run(self, fn):
        con = self._conn()
        try:
            with con:
                return fn(con)
        finally:
            con.close()

    # ---- conversations
    def create(self, user: str, title: str = "") -> str:
        cid = uuid.uuid4().hex[:16]
        now = time.time()
        self._run(
            lambda c: c.execute(
                "INSERT INTO conversations(id, user, title, created, updated) VALUES (?,?,?,?,?)",
                (cid, user, _title_from(title), now, now),
            )
        )
        return cid

    def list(self, user: str) -> list[dict[str, Any]]:
        """The user's conversations, most recently updated first: id, title, created, updated, turns."""
        rows = self._run(
            lambda c: c.execute(
                "SELECT c.id, c.title, c.created, c.updated, COUNT(t.n) AS turns FROM conversations c "
                "LEFT JOIN turns t ON t.conv_id = c.id WHERE c.user = ? GROUP BY c.id "
                "ORDER BY c.updated DESC, c.created DESC",
                (user,),
            ).fetchall()
        )
        return [dict(r) for r in rows]

    def get(self, user: str, cid: str) -> dict[str, Any] | None:
        row = self._run(
            lambda c: c.execute(
                "SELECT id, title, created, updated FROM conversations WHERE id = ? AND user = ?", (cid, user)
            ).fetchone()
        )
        return dict(row) if row else None

    def rename(self, user: str, cid: str, title: str) -> bool:
        title = _title_from(title)
        if not title:
            return False
        cur = self._run(
            lambda c: c.execute(
                "UPDATE conversations SET title = ?, updated = ? WHERE id = ? AND user = ?",
                (title, time.time(), cid, user),
            )
        )
        return cur.rowcount == 1

    def delete(self, user: str, cid: str) -> bool:
        def go(c: sqlite3.Connection) -> int:
            if not c.execute("SELECT 1 FROM conversations WHERE id = ? AND user = ?", (cid, user)).fetchone():
                return 0
            c.execute("DELETE FROM turns WHERE conv_id = ?", (cid,))
            return c.execute("DELETE FROM conversations WHERE id = ?", (cid,)).rowcount

        return self._run(go) == 1

    # ---- turns
    def append_turn(self, user: str, cid: str, answer: Answer, filters: dict[str, Any] | None = None) -> int:
        """Store one answered question; returns its turn number (1, 2, …). The first question titles
        a conversation that has no title yet."""

        def go(c: sqlite3.Connection) -> int:
            conv = c.execute("SELECT title FROM conversations WHERE id = ? AND user = ?", (cid, user)).fetchone()
            if conv is None:
                raise KeyError(f"no conversation {cid!r} for user {user!r}")
            n = c.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM turns WHERE conv_id = ?", (cid,)).fetchone()[0]
            now = time.time()
            c.execute(
                "INSERT INTO turns(conv_id, n, question, answer, filters, created) VALUES (?,?,?,?,?,?)",
                (cid, n, answer.question, answer_to_json(answer), json.dumps(filters or {}, ensure_ascii=False), now),
            )
            title = conv["title"] or _title_from(answer.question)
            c.execute("UPDATE conversations SET updated = ?, title = ? WHERE id = ?", (now, title, cid))
            return int(n)

        return self._run(go)

    def load(self, user: str, cid: str) -> list[dict[str, Any]]:
        """The turns of a conversation, in order: {"turn", "answer" (an Answer), "filters"}; [] if unknown."""
        rows = self._run(
            lambda c: c.execute(
                "SELECT t.n, t.answer, t.filters FROM turns t JOIN conversations c ON c.id = t.conv_id "
                "WHERE t.conv_id = ? AND c.user = ? ORDER BY t.n",
                (cid, user),
            ).fetchall()
        )
        return [
            {"turn": int(r["n"]), "answer": answer_from_json(r["answer"]), "filters": json.loads(r["filters"])}
            for r in rows
        ]

    def export_markdown(self, user: str, cid: str) -> str:
        """The conversation as Markdown: each question, its answer and its citations (document, section,
        file and lines, quoted sentences)."""
        conv = self.get(user, cid)
        if conv is None:
            raise KeyError(f"no conversation {cid!r} for user {user!r}")
        out = [f"# {conv['title'] or cid}", ""]
        for turn in self.load(user, cid):
            a: Answer = turn["answer"]
            out += [f"## Q{turn['turn']}. {a.question}", ""]
            if turn["filters"]:
                out += [f"Filters: `{json.dumps(turn['filters'], ensure_ascii=False)}`", ""]
            out += [a.text.strip(), ""]
            if a.citations:
                out += ["**Sources**", ""]
                for c in a.citations:
                    where = " › ".join(c.heading_path)
                    out.append(f"- [{c.n}] {c.title} — {where} ({c.source}, lines {c.start_line}–{c.end_line})")
                    out += [f"  > {q}" for q in c.shown_quotes]
                out.append("")
        return "\n".join(out).rstrip() + "\n"
