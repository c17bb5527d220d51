"""Load problems of case files (rag.schema.LoadIssue: path, line, message) as UI messages in the UI
language, with `file:line`.

rag reports its problems in English (the CLI's language). `issue_message(text, lang)` renders the
known ones in Japanese — the frame ("front matter block 'x' is not valid YAML (line 67)") and the
common YAML parser problems inside it — and keeps what it does not know as written, marked as the
parser's or the loader's own words. English is returned as is.
`issue_line(issue, lang)` is "<file name>:<line>: <message>" (no server path).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

# (pattern over rag's English message, Japanese template with \1… groups, the group holding a YAML
# parser problem — rendered in Japanese too — or 0); first match wins.
_FRAMES: list[tuple[str, str, int]] = [
    ("cannot read the file \\((.*)\\)", "ファイルを読めません（\\1）", 0),
    ("cannot read file: (.*)", "ファイルを読めません（\\1）", 0),
    ("is a folder, not a file", "フォルダです（ファイルではありません）", 0),
    ("is not a regular file", "通常のファイルではありません", 0),
    ("file is too large \\((.*)\\)", "ファイルが大きすぎます（\\1）", 0),
    ("file is empty", "ファイルが空です", 0),
    ("file has no text \\(only whitespace\\)", "本文がありません（空白だけです）", 0),
    (
        "binary file \\(contains NUL (?:bytes|characters)\\), not text",
        "テキストではなくバイナリファイルです（NUL 文字を含みます）",
        0,
    ),
    (
        "binary file \\((\\d+)% control characters\\), not text",
        "テキストではなくバイナリファイルです（制御文字が \\1%）",
        0,
    ),
    (
        "starts with a (\\S+) byte-order mark but is not valid \\S+ \\((.*)\\)",
        "\\1 の BOM で始まりますが \\1 として読めません（\\2）",
        0,
    ),
    (
        "(\\d+) bytes that are not valid UTF-8 were replaced with U\\+FFFD",
        "UTF-8 として不正な \\1 バイトを U+FFFD に置き換えました",
        0,
    ),
    ("file is (\\S+), not UTF-8: converted to UTF-8", "文字コードが \\1 だったため UTF-8 に変換しました", 0),
    (
        "file is not UTF-8: decoded as (.+) and converted to UTF-8",
        "UTF-8 ではないため \\1 として読み、UTF-8 に変換しました",
        0,
    ),
    (
        "cannot decode the file: not UTF-8, UTF-16 or Shift_JIS text \\((.*)\\)",
        "文字コードを判別できません（UTF-8・UTF-16・Shift_JIS のいずれでもありません。\\1）",
        0,
    ),
    (
        "front matter block '(.+)' is not valid YAML \\(line (\\d+)\\): (.*?); kept lines (\\d+)–(\\d+) of it",
        "フロントマターの項目「\\1」（\\2行目）は YAML として正しくありません: \\3。\\4–\\5行目は読み込みました",
        3,
    ),
    (
        "front matter block '(.+)' is not valid YAML \\(line (\\d+)\\): (.*)",
        "フロントマターの項目「\\1」（\\2行目）は YAML として正しくありません: \\3。この項目は読み飛ばしました",
        3,
    ),
    (
        "front matter block '(.+)' \\(line (\\d+)\\) is not a 'key: value' entry; skipped",
        "フロントマターの項目「\\1」（\\2行目）は「キー: 値」の形ではないため読み飛ばしました",
        0,
    ),
    (
        "front matter opened on line 1 is never closed with '---'; the whole file is read as body",
        "1行目で始まるフロントマターが「---」で閉じられていません。ファイル全体を本文として読みます",
        0,
    ),
    (
        "front matter rejected as a whole: (.*); read block by block",
        "フロントマター全体は読めません: \\1。項目ごとに読みます",
        1,
    ),
    (
        "front matter is not valid YAML: (.*); read block by block",
        "フロントマターが YAML として正しくありません: \\1。項目ごとに読みます",
        1,
    ),
    (
        "nothing could be read from the front matter \\(lines 1–(\\d+)\\); the whole file is read as body",
        "フロントマター（1–\\1行目）から何も読めませんでした。ファイル全体を本文として読みます",
        0,
    ),
    (
        "front matter tags not constructed, read as plain values: (.*)",
        "フロントマターの YAML タグ（\\1）は解釈せず、そのままの値として読みました",
        0,
    ),
    (
        "front matter \\(lines 1–(\\d+)\\) is (\\w+), not 'key: value' pairs; ignored and the whole file is read as body",
        "フロントマター（1–\\1行目）が「キー: 値」の形ではありません。無視してファイル全体を本文として読みます",
        0,
    ),
    ("no body text after the front matter", "フロントマターの後に本文がありません", 0),
    ("file name is not valid UTF-8: rename the file", "ファイル名が UTF-8 ではありません。名前を変えてください", 0),
    (
        "duplicate doc_id '(.+)' \\(also in (.+)\\); both kept, told apart by file",
        "文書ID「\\1」が重複しています（\\2 にもあります）。両方とも索引に残します",
        0,
    ),
    ("could not be indexed: (.*)", "索引に登録できませんでした（\\1）", 0),
    ("could not be loaded \\((.*)\\)", "読み込めませんでした（\\1）", 0),
]

# YAML parser problems (PyYAML's words, and rag.ingest.safe_yaml's limits) inside the frames above
_DETAILS: list[tuple[str, str]] = [
    (
        r"(?:while parsing [^:]+: )?expected <block end>, but found a new key",
        "インデントが揃っていません（前の行と字下げが違います）",
    ),
    (r"(?:while parsing [^:]+: )?expected <block end>, but found '.+?'", "インデントが揃っていません"),
    (r"(?:while parsing [^:]+: )?expected ',' or '\]', but got .+", "「[」で始まるリストが「]」で閉じられていません"),
    (r"(?:while parsing [^:]+: )?expected ',' or '\}', but got .+", "「{」で始まる値が「}」で閉じられていません"),
    (
        r"(?:while scanning [^:]+: )?mapping values are not allowed here",
        "この位置では「キー: 値」は使えません（値の中のコロンは引用符で囲んでください）",
    ),
    (r"(?:while scanning [^:]+: )?could not find expected ':'", "「:」がありません"),
    (r"while scanning a quoted scalar: found unexpected end of stream", "引用符が閉じられていません"),
    (
        r"(?:while scanning [^:]+: )?found character '\\t' that cannot start any token",
        "タブ文字は使えません（空白で字下げしてください）",
    ),
    (
        r"(?:while scanning [^:]+: )?found character '(.+?)' that cannot start any token",
        r"「\1」は値の先頭に置けません（引用符で囲んでください）",
    ),
    (r"(?:while composing [^:]+: )?found undefined alias '?(.+?)'?", r"未定義のエイリアス（\1）です"),
    (r"(?:while parsing [^:]+: )?did not find expected key", "キーが見つかりません（字下げを確認してください）"),
    (r"(?:while parsing [^:]+: )?did not find expected node content", "値がありません"),
    (r"(?:while parsing [^:]+: )?did not find expected '-' indicator", "リストの「-」が見つかりません"),
    (r"nested deeper than (\d+) levels", r"入れ子が深すぎます（\1 段まで）"),
    (r"aliases nest it deeper than (\d+) levels", r"エイリアスによる入れ子が深すぎます（\1 段まで）"),
    (r"aliases expand beyond (\d+) nodes.*", r"エイリアスの展開が大きすぎます（\1 要素まで）"),
    (r"recursive alias \(a node that contains itself\)", "自分自身を含むエイリアスです"),
    (r"too deeply nested", "入れ子が深すぎます"),
    (r"invalid value \((.*)\)", r"値が不正です（\1）"),
]
_LINE_MARK = re.compile(r" \(line (\d+)\)$")
_FRAMES_RE = [(re.compile(p + "$"), r, y) for p, r, y in _FRAMES]
_DETAILS_RE = [(re.compile(p), r) for p, r in _DETAILS]


def _detail_ja(text: str) -> str:
    """One YAML parser problem ("mapping values are not allowed here (line 5)") in Japanese."""
    text = text.strip()
    m = _LINE_MARK.search(text)
    where = f"（{m.group(1)}行目）" if m else ""
    core = _LINE_MARK.sub("", text)
    for rx, repl in _DETAILS_RE:
        if rx.fullmatch(core):
            return rx.sub(repl, core) + where
    return f"YAML の解析エラー「{core}」{where}"


def issue_message(text: str, lang: str) -> str:
    """rag's English load message in the UI language (English: unchanged)."""
    text = str(text or "").strip()
    if lang != "ja" or not text:
        return text
    for rx, repl, yaml_group in _FRAMES_RE:
        m = rx.match(text)
        if not m:
            continue
        groups = list(m.groups())
        if yaml_group:
            groups[yaml_group - 1] = _detail_ja(groups[yaml_group - 1])
        out = re.sub(r"\\(\d)", lambda g: groups[int(g.group(1)) - 1] or "", repl)
        return re.sub(r"(\d+)–\1行目", r"\1行目", out)  # "3–3行目" → "3行目"
    return f"読み込み時の問題: {text}"


def where(name: str, line: int | None) -> str:
    """`name:line` (or the name alone)."""
    return f"{name}:{line}" if line else name


def issue_line(issue: Any, lang: str) -> str:
    """A LoadIssue (or its dict form) as "<file name>:<line>: <message in the UI language>"."""
    get = issue.get if isinstance(issue, dict) else lambda k, d=None: getattr(issue, k, d)
    name = Path(str(get("path", "") or "")).name
    return f"{where(name, get('line'))}: {issue_message(get('message', ''), lang)}"
