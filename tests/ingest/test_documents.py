"""rag.ingest.documents: library walking, decoding, lenient front matter, Document fields."""

from __future__ import annotations

import hashlib
import os
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.ingest.documents import (
    SUPPORTED_SUFFIXES,
    decode_bytes,
    iter_library,
    load_document,
    read_text,
    split_front_matter,
)
from rag.ingest.facets import FacetMapping
from rag.ingest.safe_yaml import MAX_YAML_DEPTH, safe_yaml_load
from rag.schema import Document, LoadError

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "000_2a18f7e169fe24df.txt"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
SHARED = REPO.parent / "shared"
CASES = SHARED / "corpus" / "cases"
needs_corpus = pytest.mark.skipif(
    not CASES.is_dir(), reason=f"shared corpus not found at {CASES} (it lives next to the repo, not in it)"
)


@pytest.fixture(scope="module")
def mapping() -> FacetMapping:
    return FacetMapping.load()


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def _file_lines(path: Path) -> list[str]:
    text, _enc, _issues = read_text(path)
    return text.split("\n")


def assert_body_aligned(doc: Document) -> None:
    """Body line k is file line body_start_line + k, whatever the front matter did."""
    lines = _file_lines(Path(doc.source))
    assert doc.body.split("\n") == lines[doc.body_start_line - 1 :]


# ------------------------------------------------------------------------ iter_library


def test_iter_library_walks_sorts_dedupes_and_skips_hidden(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    a = _write(root / "b_case.md", "# b")
    b = _write(root / "a_case.txt", "a")
    c = _write(root / "sub" / "deep" / "c.MD", "# c")
    _write(root / "notes.pdf", b"%PDF-1.4")
    _write(root / ".hidden.md", "# hidden")
    _write(root / ".git" / "inside.md", "# in a hidden folder")
    _write(root / "sub" / ".cache" / "x.txt", "x")
    other = _write(tmp_path / "single.md", "# single")
    os.symlink(a, root / "link_to_b.md")  # same file through a link: listed once

    found = iter_library([root, a, other, root / "sub"])

    assert found == sorted(found, key=str)
    assert {p.resolve() for p in found} == {a.resolve(), b.resolve(), c.resolve(), other.resolve()}
    assert len(found) == 4
    assert root / "b_case.md" in found  # the link is a duplicate, not the file
    assert all(p.suffix.lower() in SUPPORTED_SUFFIXES for p in found)
    assert not any(part.startswith(".") for p in found for part in p.relative_to(tmp_path).parts)


def test_iter_library_takes_a_hidden_file_named_directly_and_ignores_unsupported(tmp_path: Path) -> None:
    hidden = _write(tmp_path / ".draft.md", "# draft")
    pdf = _write(tmp_path / "x.pdf", b"%PDF")
    assert iter_library([hidden, pdf]) == [hidden]


def test_iter_library_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        iter_library([tmp_path / "nope"])


# ----------------------------------------------------------------------------- decoding

JA = "# 見出し\n本文：日本語のテキスト（全角１２３）\n- 箇条書き\n"


@pytest.mark.parametrize(
    ("data", "encoding", "warns"),
    [
        (JA.encode("utf-8"), "utf-8", None),
        (b"\xef\xbb\xbf" + JA.encode("utf-8"), "utf-8-sig", None),
        (JA.encode("utf-16"), "utf-16-le", "UTF-16"),  # BOM (little-endian on this platform)
        (b"\xfe\xff" + JA.encode("utf-16-be"), "utf-16-be", "UTF-16"),
        (JA.encode("utf-16-le"), "utf-16-le", "UTF-16"),  # no BOM: NUL pattern
        (JA.encode("utf-16-be"), "utf-16-be", "UTF-16"),
        (JA.encode("utf-32"), "utf-32-le", "UTF-32"),
        (JA.encode("cp932"), "cp932", "Shift_JIS"),
        (JA.encode("shift_jis"), "cp932", "Shift_JIS"),
        (JA.encode("euc_jp") + "漢字かな交じりの文章です。".encode("euc_jp"), None, "converted"),
    ],
    ids=[
        "utf8",
        "utf8-bom",
        "utf16-bom",
        "utf16be-bom",
        "utf16le-nobom",
        "utf16be-nobom",
        "utf32",
        "cp932",
        "sjis",
        "eucjp",
    ],
)
def test_encodings_detected(tmp_path: Path, data: bytes, encoding: str | None, warns: str | None) -> None:
    path = _write(tmp_path / "doc.md", data)
    text, enc, issues = read_text(path)
    assert text.startswith("# 見出し\n本文：日本語のテキスト（全角１２３）\n")
    assert "\ufeff" not in text
    if encoding:
        assert enc == encoding
    if warns:
        assert len(issues) == 1 and warns in issues[0].message and "UTF-8" in issues[0].message
    else:
        assert issues == []


def test_mostly_utf8_with_a_broken_byte_keeps_utf8(tmp_path: Path) -> None:
    data = ("日本語の本文です。" * 10).encode("utf-8") + b"\xff" + "続き".encode()
    text, enc, issues = read_text(_write(tmp_path / "x.md", data))
    assert enc == "utf-8" and "\ufffd" in text and "replaced" in issues[0].message


@pytest.mark.parametrize(
    "raw",
    [b"a\r\nb\r\nc", b"a\rb\rc", b"a\nb\r\nc", "a\u2028b\nc".encode(), b"a\x0cb\nc\n"],
    ids=["crlf", "cr", "mixed", "u2028", "formfeed"],
)
def test_newlines_normalised_and_line_numbers_kept(raw: bytes) -> None:
    text, _enc, _ = decode_bytes(raw, "x")
    assert "\r" not in text
    expected_lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
    assert len(text.split("\n")) == expected_lines
    assert text.splitlines() == text.split("\n")[: len(text.splitlines())]  # no hidden extra breaks


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "file is empty"),
        (b"  \n\t\n\r\n", "only whitespace"),
        ("\u3000\n".encode(), "only whitespace"),
        (b"\xef\xbb\xbf", "only whitespace"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "binary file"),
        (bytes(range(1, 9)) * 50 + b"text", "binary file"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "binary file"),
        (bytes([0x80, 0xFF, 0xFE, 0xFD, 0xA0]) * 40, "cannot decode"),
        (b"\xff\xfe\x00\xd8", "not valid UTF-16"),
    ],
    ids=[
        "empty",
        "whitespace",
        "ideographic-space",
        "bom-only",
        "png",
        "control-chars",
        "zip",
        "undecodable",
        "bad-utf16",
    ],
)
def test_bad_files_raise_load_error_with_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    path = _write(tmp_path / "bad.md", data)
    with pytest.raises(LoadError) as info:
        load_document(path)
    message = str(info.value)
    assert reason in message
    assert "\n" not in message
    assert info.value.issue.severity == "error" and info.value.issue.path == str(path.resolve())


def test_too_large_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.md", "# big\n" + "あ" * 5000)
    with pytest.raises(LoadError, match=r"too large .*limit is 1\.0 KiB"):
        load_document(path, max_bytes=1024)
    with pytest.raises(LoadError, match="too large"):
        read_text(path, max_bytes=1024)
    assert load_document(path, max_bytes=1 << 20).title == "big"


def test_unreadable_paths_raise_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read"):
        load_document(tmp_path / "missing.md")
    with pytest.raises(LoadError, match="folder"):
        load_document(tmp_path)


# ------------------------------------------------------------------------ the seed


def test_seed_broken_block_is_reported_with_its_file_line_and_the_rest_recovered() -> None:
    doc = load_document(SEED)
    lines = SEED.read_text(encoding="utf-8").split("\n")
    block_line = lines.index("founders_team:") + 1
    assert block_line == 67
    warnings = [i for i in doc.issues if "founders_team" in i.message]
    assert len(warnings) == 1, doc.issues
    w = warnings[0]
    assert w.severity == "warning" and w.line == block_line and w.path == str(SEED.resolve())
    assert f"front matter block 'founders_team' is not valid YAML (line {block_line})" in w.message
    assert "(line 83)" in w.message  # where YAML gave up: `team_connection:` after the list
    assert str(w).startswith(f"{SEED.resolve()}:{block_line}: ")

    fm = doc.front_matter
    assert doc.doc_id == fm["id"] == "GENAI_042"
    assert doc.title == "Mistral AI - European AI Leader & Data Sovereignty Pioneer"
    assert fm["subject"]["name"] == "Mistral AI" and fm["subject"]["employees"] == 350
    assert fm["quantitative_impact"]["valuation_usd"] == 14000000000
    assert fm["quantitative_impact"]["series_c_date"] == "2025-09-03"
    assert fm["key_investors"][0].startswith("ASML")
    assert fm["tags"]["compliance"] == ["GDPR", "EU AI Act"]
    assert fm["japan_score"]["total"] == 79.5 and fm["quality"]["last_verified"] == "2026-01-08"
    assert [p["name"] for p in fm["founders_team"]] == ["Arthur Mensch", "Guillaume Lample", "Timothée Lacroix"]
    assert "team_connection" not in fm
    assert doc.body_start_line == 129 and doc.body.split("\n")[1] == "## 1. 企業概要・ミッション"
    assert_body_aligned(doc)
    assert doc.content_hash == hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert doc.encoding == "utf-8"


# -------------------------------------------------------------------------- fixtures


def test_broken_block_fixture(tmp_path: Path) -> None:
    path = FIXTURES / "broken_block.md"
    doc = load_document(path)
    line = path.read_text(encoding="utf-8").split("\n").index("founders_team:") + 1
    (w,) = doc.issues
    assert w.line == line and "'founders_team'" in w.message and f"(line {line})" in w.message
    assert doc.front_matter["key_investors"] == ["Example Capital", "Sample Partners"]
    assert doc.front_matter["tags"]["use_case"] == ["需要予測", "食品ロス削減"]
    assert doc.front_matter["subject"]["founded_year"] == 1955
    assert_body_aligned(doc)


def test_unterminated_front_matter_keeps_the_whole_file_as_body() -> None:
    path = FIXTURES / "unterminated.md"
    doc = load_document(path)
    assert doc.front_matter == {} and doc.body_start_line == 1
    assert doc.body == path.read_text(encoding="utf-8")
    (w,) = doc.issues
    assert w.line == 1 and "never closed" in w.message
    assert doc.doc_id == "unterminated" and doc.title == "本文のはずの見出し"


def test_non_mapping_front_matter_warns_and_keeps_the_text() -> None:
    path = FIXTURES / "non_mapping.md"
    doc = load_document(path)
    assert doc.front_matter == {} and doc.body == path.read_text(encoding="utf-8") and doc.body_start_line == 1
    (w,) = doc.issues
    assert "not 'key: value' pairs" in w.message and w.line == 1


def test_no_front_matter_with_horizontal_rules() -> None:
    path = FIXTURES / "no_front_matter.md"
    doc = load_document(path)
    assert doc.issues == [] and doc.front_matter == {}
    assert doc.body_start_line == 1 and doc.body == path.read_text(encoding="utf-8")
    assert doc.body.count("\n---\n") == 3


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.md")))
def test_every_fixture_loads_with_aligned_body(name: str) -> None:
    doc = load_document(FIXTURES / name)
    assert_body_aligned(doc)
    assert doc.source == str((FIXTURES / name).resolve())
    expected_issues = {"broken_block.md": 1, "unterminated.md": 1, "non_mapping.md": 1}
    assert len(doc.issues) == expected_issues.get(name, 0), doc.issues


def test_scalars_dates_and_ranges_stay_strings() -> None:
    fm = load_document(FIXTURES / "fm_organization.md").front_matter
    assert fm["case_published_date"] == "2024-04-01"
    assert fm["implementation_start_date"] == "2023-10-01"
    assert fm["efficiency_improvement_percent"] == "30-40"
    assert fm["founding_year"] == 1978 and fm["pilot_wards"] == 3
    assert fm["key_metrics"][0] == {"name": "記録時間削減率", "value": "40%"}


def test_safe_yaml_scalars_and_tags(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = safe_yaml_load(
        "a: 001\nb: 2020-01-01\nc: 2020-01-01 10:00:00\nd: 1:30\ne: yes\nf: NO\ng: true\nh: 1.5\n"
        "i: 2-3\nj: !!timestamp 2021-02-03\nk: !!set {x, y}\nl: ~\n2023: year-key\nm: 12\n"
        f"n: !!python/object/apply:os.system ['touch {marker}']\no: !custom 5\n"
    )
    assert data == {
        "a": "001",
        "b": "2020-01-01",
        "c": "2020-01-01 10:00:00",
        "d": "1:30",
        "e": "yes",
        "f": "NO",
        "g": True,
        "h": 1.5,
        "i": "2-3",
        "j": "2021-02-03",
        "k": ["x", "y"],
        "l": None,
        "2023": "year-key",
        "m": 12,
        "n": [f"touch {marker}"],
        "o": "5",
    }
    assert not marker.exists()


def test_python_tags_in_front_matter_are_plain_values_with_a_warning(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"---\nid: T1\nrun: !!python/object/apply:os.system ['touch {marker}']\n---\n本文\n"
    doc = load_document(_write(tmp_path / "t.md", text))
    assert doc.front_matter == {"id": "T1", "run": [f"touch {marker}"]} and not marker.exists()
    (w,) = doc.issues
    assert "!!python/object/apply:os.system" in w.message and "plain values" in w.message


def test_aliases_within_budget_and_merge_keys_work() -> None:
    data = safe_yaml_load("base: &b {country: 日本, size: 3}\nx:\n  <<: *b\n  size: 4\ny: [*b, *b]\n")
    assert data["x"] == {"country": "日本", "size": 4}
    assert data["y"] == [{"country": "日本", "size": 3}] * 2


def _bomb(levels: int = 9, width: int = 9, indent: str = "") -> str:
    lines = [indent + "a: &a [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{indent}{cur}: &{cur} [" + ", ".join([f"*{prev}"] * width) + "]")
    return "\n".join(lines)


@pytest.mark.parametrize("nested", [False, True], ids=["top-level", "inside-one-block"])
def test_alias_bomb_is_rejected_fast_with_bounded_memory(tmp_path: Path, nested: bool) -> None:
    fm = ("bomb:\n" + _bomb(indent="  ")) if nested else _bomb()
    path = _write(tmp_path / "bomb.md", f'---\ntitle: "爆弾"\n{fm}\nid: BOMB_1\n---\n# 本文\n')
    load_document(FIXTURES / "fm_subject.md")  # warm up (mapping, regexes) outside the measurement
    tracemalloc.start()
    start = time.perf_counter()
    try:
        doc = load_document(path)
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 10 * 1024 * 1024
    assert doc.front_matter["title"] == "爆弾" and doc.doc_id == "BOMB_1"
    assert "billion laughs" in doc.issues[0].message
    assert "i" not in doc.front_matter and "bomb" not in doc.front_matter
    assert all(i.severity == "warning" for i in doc.issues)


def test_deep_nesting_is_capped_with_a_warning(tmp_path: Path) -> None:
    deep_flow = "[" * (MAX_YAML_DEPTH + 20) + "]" * (MAX_YAML_DEPTH + 20)
    deep_block = "\n".join("  " * (i + 1) + f"k{i}:" for i in range(MAX_YAML_DEPTH + 20)) + " end"
    text = f"---\ntitle: 深い\nflow: {deep_flow}\nblock:\n{deep_block}\nafter: ok\n---\n本文\n"
    doc = load_document(_write(tmp_path / "deep.md", text))
    assert doc.front_matter == {"title": "深い", "after": "ok"}
    messages = [i.message for i in doc.issues]
    assert any("'flow'" in m and f"deeper than {MAX_YAML_DEPTH}" in m for m in messages)
    assert any("'block'" in m and f"deeper than {MAX_YAML_DEPTH}" in m for m in messages)
    shallow = safe_yaml_load("x: " + "[" * 10 + "]" * 10)
    assert shallow["x"] == [[[[[[[[[[]]]]]]]]]]


def test_recursive_alias_is_rejected(tmp_path: Path) -> None:
    doc = load_document(_write(tmp_path / "r.md", "---\nid: R1\nloop: &l [*l]\n---\n本文\n"))
    assert doc.doc_id == "R1" and "loop" not in doc.front_matter
    assert any("recursive alias" in i.message for i in doc.issues)


def test_front_matter_closed_with_dots_and_crlf(tmp_path: Path) -> None:
    raw = "---\r\nid: DOTS\r\ntitle: ドット\r\n...\r\n# 本文\r\n".encode()
    doc = load_document(_write(tmp_path / "dots.md", raw))
    assert doc.doc_id == "DOTS" and doc.body_start_line == 5 and doc.body.startswith("# 本文")


def test_shift_jis_and_utf16_documents_load(tmp_path: Path) -> None:
    text = '---\nid: SJIS_1\ntitle: "シフトJISの事例"\nsubject:\n  country: 日本\n---\n# 見出し\n本文\n'
    sj = load_document(_write(tmp_path / "sj.md", text.encode("cp932")))
    assert sj.encoding == "cp932" and sj.doc_id == "SJIS_1" and sj.facets["country"] == "日本"
    assert any("Shift_JIS" in i.message for i in sj.issues)
    u16 = load_document(_write(tmp_path / "u16.md", text.encode("utf-16")))
    assert u16.encoding.startswith("utf-16") and u16.title == "シフトJISの事例"
    assert [i.message for i in u16.issues] == ["file is UTF-16-LE, not UTF-8: converted to UTF-8"]
    assert u16.content_hash == hashlib.sha256(text.encode("utf-16")).hexdigest()


def test_broken_front_matter_with_nothing_recoverable_keeps_whole_file(tmp_path: Path) -> None:
    text = "---\nこれは水平線の間の段落です。: : [\n---\n本文\n"
    doc = load_document(_write(tmp_path / "hr.md", text))
    assert doc.body == text and doc.body_start_line == 1 and doc.front_matter == {}
    assert any("whole file" in i.message for i in doc.issues)


def test_title_and_doc_id_fallbacks(tmp_path: Path) -> None:
    a = load_document(_write(tmp_path / "only_body.md", "前置き\n\n## 小見出し\n\n# **大見出し** #\n"))
    assert a.doc_id == "only_body" and a.title == "大見出し"
    b = load_document(_write(tmp_path / "plain.txt", "見出しのないテキスト\n"))
    assert b.title == "plain"
    c = load_document(
        _write(tmp_path / "n.md", "---\nid: 42\ncase_id: X\n---\n```\n# not a heading\n```\n## 本当の見出し\n")
    )
    assert c.doc_id == "42" and c.title == "本当の見出し"
    d = load_document(_write(tmp_path / "e.md", "---\nid: E\n---\n"))
    assert d.body == "" and any("no body text" in i.message for i in d.issues)


def test_split_front_matter_without_front_matter() -> None:
    fm = split_front_matter("# t\n---\nx\n")
    assert (fm.data, fm.body_start_line, fm.present, fm.issues) == ({}, 1, False, [])


# ----------------------------------------------------------------- the real corpus

CORPUS_IDS = {
    "001_mitsubishi_ufj.md": "001_mufg",
    "003_panasonic_connect.md": "GENAI_003",
    "006_softbank.md": "006_softbank",
    "007_seven_eleven.md": "007_seven_eleven",
    "021_klarna.md": "021_klarna",
    "022_harvey.md": "GENAI_GL002",
    "028_hca_healthcare.md": "GENAI_GL008",
    "035_moderna.md": "035_moderna",
    "036_anthropic.md": "GENAI_036",
    "037_cohere.md": "GENAI_037",
    "038_huggingface.md": "GENAI_038",
    "040_databricks.md": "GENAI_040",
}


@needs_corpus
@pytest.mark.parametrize(("name", "doc_id"), sorted(CORPUS_IDS.items()))
def test_real_corpus_loads_cleanly(name: str, doc_id: str) -> None:
    doc = load_document(CASES / name)
    assert doc.doc_id == doc_id
    assert doc.issues == []
    assert doc.encoding == "utf-8"
    assert_body_aligned(doc)
    if name == "035_moderna.md":
        assert doc.front_matter == {} and doc.body_start_line == 1
    else:
        assert doc.front_matter and doc.body_start_line > 1


@needs_corpus
def test_iter_library_over_the_corpus() -> None:
    found = iter_library([CASES, REPO / "seeds"])
    assert sorted(p.name for p in found) == sorted([*CORPUS_IDS, SEED.name])
    assert found == sorted(found, key=str)


# --------------------------------------------------------------------------- fuzzing


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_give_a_document_or_load_error(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path / "fuzz.md", data)
    try:
        doc = load_document(path)
    except LoadError as exc:
        assert "\n" not in str(exc)
        return
    assert_body_aligned(doc)


_fm_line = st.one_of(
    st.text(alphabet=st.sampled_from(list("ab: -[]{}&*!|>#'\"\t\n?,%@`日本語0123.~")), max_size=30),
    st.sampled_from(
        ["key: value", "- item", "  nested: 1", "list:", "a: &x [1]", "b: *x", "c: !!python/name:os.system", "  - x"]
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_fm_line, max_size=12), close=st.booleans())
def test_arbitrary_front_matter_never_breaks_loading(tmp_path: Path, lines: list[str], close: bool) -> None:
    text = "---\n" + "\n".join(lines) + ("\n---\n" if close else "\n") + "# 本文\n本文です。\n"
    doc = load_document(_write(tmp_path / "fm.md", text))
    assert_body_aligned(doc)
    assert "本文です。" in doc.body
    assert isinstance(doc.front_matter, dict)
