"""Upload messages (ui.uploads, ui.load_messages): in the UI language, with file:line; a file added
with warnings gets a warning mark, not a tick. Real loader (rag.ingest), no index, no server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.config import Settings
from rag.ingest import load_document
from rag.schema import LoadError, LoadIssue
from ui import render as R
from ui.load_messages import issue_line, issue_message
from ui.uploads import accept_uploads

CLEAN = "---\ntitle: 架空商事\n---\n# 架空商事\n## 概要\n架空商事は2024年に生成AIを導入した。\n"
# line 3 starts a block whose line 5 is indented wrong: the loader keeps lines 3–4 and warns
BAD_INDENT = "---\ntitle: Example Corp\nfounders:\n  - name: X\n role: CEO\n---\n# Example\nExample Corp cut costs.\n"

# files whose problems cover the loader's message kinds (name → bytes)
PROBLEM_FILES: dict[str, bytes] = {
    "indent.md": BAD_INDENT.encode(),
    "colon.md": b"---\ntitle: A\nnote: a: b\n---\n# A\nbody\n",
    "tab.md": b"---\ntitle: A\nx:\n\t- y\n---\n# A\nbody\n",
    "quote.md": b'---\ntitle: "A\n---\n# A\nbody\n',
    "flow.md": b'---\ntitle: A\nsubject: [unclosed\n  name: "Nobody"\n---\n# A\nbody\n',
    "flowmap.md": b"---\ntitle: A\nsubject: {a: 1\n---\n# A\nbody\n",
    "alias.md": b"---\ntitle: A\na: &x [*x]\n---\n# A\nbody\n",
    "unclosed.md": b"---\ntitle: A\n# A\nbody\n",
    "list.md": b"---\n- a\n- b\n---\n# A\nbody\n",
    "tag.md": b"---\ntitle: !!python/object A\n---\n# A\nbody\n",
    "nobody.md": b"---\ntitle: A\n---\n",
    "sjis.md": "---\ntitle: 日本語のタイトル\n---\n# 見出し\n本文です。日本語の文章がここにあります。\n".encode(
        "cp932"
    ),
    "u16.md": "\ufeff# T\nbody\n".encode("utf-16-le"),
    "empty.md": b"",
    "binary.md": b"\x00\x01\x02" * 100,
}
ENGLISH_WORDS = re.compile(r"\b(?:expected|while|found|front matter|file|line|block|not|read|body|valid)\b", re.I)


def _settings(tmp_path: Path) -> Settings:
    return Settings.from_env(data_dir=tmp_path / "data", library=())


def _write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    d = tmp_path / "in"
    d.mkdir(exist_ok=True)
    p = d / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return p


def _issues(path: Path) -> list[LoadIssue]:
    try:
        return load_document(path).issues
    except LoadError as e:
        return [e.issue]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_file_with_warnings_gets_a_warning_mark_and_file_line(tmp_path, lang):
    res = accept_uploads(
        [_write(tmp_path, "bad.md", BAD_INDENT), _write(tmp_path, "ok.md", CLEAN)], _settings(tmp_path), lang
    )
    assert sorted(p.name for p in res.saved) == ["bad.md", "ok.md"]
    bad = [(k, s) for k, s in res.messages if s.startswith("bad.md")]
    ok = [(k, s) for k, s in res.messages if s.startswith("ok.md")]
    assert [k for k, _ in bad] == ["warn", "warn"]  # "added with 1 warning" + the warning; no tick
    assert ok == [("ok", ok[0][1])] and len(ok) == 1  # a clean file keeps its tick
    head, warning = bad[0][1], bad[1][1]
    assert warning.startswith("bad.md:3: ")  # file:line of the broken front-matter block
    if lang == "ja":
        assert "追加しました（警告 1 件）" in head and "追加しました" in ok[0][1]
        assert "フロントマターの項目「founders」（3行目）" in warning and "インデント" in warning
        assert "5行目" in warning and "3–4行目は読み込みました" in warning
        assert not ENGLISH_WORDS.search(warning), warning
    else:
        assert "added with 1 warning" in head and "added" in ok[0][1]
        assert "front matter block 'founders' is not valid YAML (line 3)" in warning and "kept lines 3–4" in warning
    page = R.messages_html(res.messages)
    assert page.count("⚠") == 2 and page.count("✔") == 1


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_broken_file_is_an_error_with_its_reason_in_the_ui_language(tmp_path, lang):
    res = accept_uploads([_write(tmp_path, "empty.md", b"")], _settings(tmp_path), lang)
    assert not res.saved
    ((kind, text),) = res.messages
    assert kind == "error"
    assert text == (
        "empty.md: 読み込めません: ファイルが空です" if lang == "ja" else "empty.md: cannot be loaded: file is empty"
    )


@pytest.mark.parametrize("name", sorted(PROBLEM_FILES))
def test_every_loader_message_has_a_japanese_rendering(tmp_path, name):
    """The loader's real messages (not copies of them): each is matched by a known pattern in Japanese
    (no generic fallback, no raw parser English), and shown unchanged in English."""
    issues = _issues(_write(tmp_path, name, PROBLEM_FILES[name]))
    assert issues, name
    for i in issues:
        ja = issue_message(i.message, "ja")
        assert not ja.startswith("読み込み時の問題") and "YAML の解析エラー" not in ja, (i.message, ja)
        assert not ENGLISH_WORDS.search(ja), (i.message, ja)
        assert issue_message(i.message, "en") == i.message
        line = issue_line(i, "ja")
        assert line.startswith(f"{name}:{i.line}: " if i.line else f"{name}: "), line
        assert "/" not in line.split(":")[0]  # the file name, never the server path


def test_issue_line_accepts_the_index_manifest_form_and_keeps_unknown_text():
    d = {"path": "/srv/lib/x.md", "line": 7, "message": "something rag says that the UI does not know"}
    assert issue_line(d, "en") == "x.md:7: something rag says that the UI does not know"
    assert issue_line(d, "ja") == "x.md:7: 読み込み時の問題: something rag says that the UI does not know"
    assert issue_line(LoadIssue("/a/b.md", None, "file is empty"), "ja") == "b.md: ファイルが空です"
