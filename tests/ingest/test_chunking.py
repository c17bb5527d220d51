"""rag.ingest.chunking: sections, heading paths, chunk invariants, table/sentence safety, profile chunks.

Token counting: the `count_tokens` fixture is the real embedding tokenizer
(rag.embeddings.get_embedder(settings).count_tokens) when that module imports and works, else
a conservative character-based stand-in (len(text) + 4, i.e. one token per character, which
over-counts Japanese ~2.5×). Its `kind` attribute says which ("real: <model>" or "stand-in").
Tests that need exact, small windows use the stand-in explicitly.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.ingest.chunking import chunk_body, chunk_document
from rag.ingest.japanese import has_word_chars, sentence_spans
from rag.ingest.profile import PROFILE_HEADING, PROFILE_ORDER_BASE, profile_chunk, profile_lines
from rag.ingest.sections import split_sections
from rag.schema import PATH_SEP, Chunk, Document

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "000_2a18f7e169fe24df.txt"
SHARED = REPO.parent / "shared"
CASES = SHARED / "corpus" / "cases"
HAVE_CASES = CASES.is_dir() and any(CASES.glob("*.md"))
needs_cases = pytest.mark.skipif(
    not HAVE_CASES, reason=f"shared corpus not found at {CASES} (it lives next to the repo, not in it)"
)
LIBRARY = [SEED] + (sorted(CASES.glob("*.md")) if HAVE_CASES else [])


# ----------------------------------------------------------------------------- helpers


def stand_in(text: str) -> int:
    """Conservative character-based token count: one token per character + 4 specials/prefix."""
    return len(text) + 4


stand_in.kind = "stand-in"  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def count_tokens(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], int]:
    try:
        from rag.config import Settings
        from rag.index.embeddings import get_embedder

        emb = get_embedder(Settings.from_env(data_dir=tmp_path_factory.mktemp("emb")))
        n = emb.count_tokens("ミストラルAIの評価額")
        assert isinstance(n, int) and 3 < n < 40

        def real(text: str) -> int:
            return emb.count_tokens(text)

        real.kind = f"real: {emb.name}"  # type: ignore[attr-defined]
        real.max_tokens = emb.max_tokens  # type: ignore[attr-defined]
        return real
    except Exception as e:  # the embedder is not there (yet) or cannot load: character stand-in
        import warnings

        warnings.warn(f"count_tokens: character stand-in (rag.embeddings unusable: {e!r})", stacklevel=2)
        return stand_in


def _strip_front_matter(text: str) -> tuple[dict, str, int]:
    """Tiny stand-in for rag.documents: a leading '---' block is front matter."""
    import yaml

    lines = text.split("\n")
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                try:
                    fm = yaml.safe_load("\n".join(lines[1:i])) or {}
                except yaml.YAMLError:
                    fm = {}
                return (fm if isinstance(fm, dict) else {}), "\n".join(lines[i + 1 :]), i + 2
    return {}, text, 1


def load(path: Path) -> Document:
    try:
        from rag.ingest.documents import load_document
    except ImportError:
        load_document = None
    if load_document is not None:
        return load_document(path)
    text = path.read_text(encoding="utf-8")
    fm, body, start = _strip_front_matter(text)
    m = re.search(r"^# (.+)$", body, re.M)
    title = str(fm.get("title") or (m.group(1) if m else path.stem))
    return Document(str(fm.get("id") or path.stem), str(path), title, body, start, fm)


def doc_of(body: str, title: str = "T", front_matter: dict | None = None, body_start_line: int = 1) -> Document:
    return Document("t", f"mem://{title}", title, body, body_start_line, front_matter or {})


def fold(s: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", s)).strip()


def file_lines(doc: Document) -> dict[int, str]:
    lines = doc.body.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return {doc.body_start_line + i: ln.rstrip() for i, ln in enumerate(lines)}


def _whole_sentences(piece: str, line: str, head: str, count, max_tokens: int) -> bool:
    """`piece` (a part of `line`) starts and ends at sentence boundaries, except inside a
    sentence too long for the window on its own (cut at clauses/characters as a last resort)."""
    spans = sentence_spans(line)
    pos = line.find(piece)
    while pos >= 0:
        end = pos + len(piece)
        ok = True
        for at in (pos, end):
            if any(a == at or b == at for a, b in spans) or not line[at - 1 : at].strip():
                continue
            inside = [(a, b) for a, b in spans if a < at < b]
            if not inside or count(head + "\n" + line[inside[0][0] : inside[0][1]]) <= max_tokens:
                ok = False
        if ok:
            return True
        pos = line.find(piece, pos + 1)
    return False


def check_invariants(doc: Document, chunks: list[Chunk], count: Callable[[str], int], max_tokens: int) -> None:
    """The properties every chunking must have (see rag.chunking's docstring)."""
    src = file_lines(doc)
    sections = split_sections(doc)
    paths = {s.heading_path for s in sections}
    assert chunks, "no chunk"
    ids = [c.chunk_id for c in chunks]
    assert len(set(ids)) == len(ids)
    covered: set[int] = set()
    for k, c in enumerate(chunks):
        assert c.order == k and c.chunk_id == f"{doc.uid}#{k:04d}" and c.doc_id == doc.doc_id
        assert c.kind == "section"
        # window
        assert c.n_tokens == count(c.text), c.chunk_id
        assert c.n_tokens <= max_tokens, (c.chunk_id, c.n_tokens)
        # ranges are file lines of the body, in order
        assert doc.body_start_line <= c.start_line <= c.end_line <= max(src), c
        covered.update(range(c.start_line, c.end_line + 1))
        assert c.heading_path in paths, c.heading_path
        # first line: title/heading path; the rest: whole source lines or whole sentences
        head = c.text.split("\n", 1)[0]
        if c.heading_path:
            assert c.heading_path[-1] in head or head.endswith("…")
        window = [src[i] for i in range(c.start_line, c.end_line + 1)]
        for ln in chunk_body(c.text).split("\n"):
            if not ln.strip():
                continue
            if ln in src.values():
                continue  # a whole line (table headers repeated from earlier lines included)
            host = [w for w in window if ln.strip() in w]
            assert host, f"{c.chunk_id}: line not from its range: {ln!r}"
            assert _whole_sentences(ln.strip(), host[0], head, count, max_tokens), (
                f"{c.chunk_id}: cut inside a sentence that fits the window: {ln!r}"
            )
    body_lines = set(src)
    assert body_lines <= covered, f"uncovered lines: {sorted(body_lines - covered)[:10]}"


# ----------------------------------------------------------------------------- sections

HEADINGS_MD = """\
前書きの文。

# 文書タイトル

タイトル直下の文。

## 1. 概要 ##

### 🎯 転機・重要な意思決定
本文A。

### **太字の見出し**
本文B。

## ２．全角数字の見出し

```python
# これはコメントで見出しではない
x = 1
```

#ハッシュタグは見出しではない
####### 七つは見出しではない
   ### 字下げ3つは見出し
本文C。
"""


def test_split_sections_headings_as_written() -> None:
    doc = doc_of(HEADINGS_MD, title="文書タイトル", body_start_line=5)
    secs = split_sections(doc)
    got = [(s.heading_path, s.level, s.start_line) for s in secs]
    assert got == [
        (("文書タイトル",), 0, 5),  # text before the first heading: the doc title as path
        (("文書タイトル",), 1, 7),  # the single H1 is the title: its own section only
        (("1. 概要",), 2, 11),  # closing #s removed; the title heading is not on the path
        (("1. 概要", "🎯 転機・重要な意思決定"), 3, 13),
        (("1. 概要", "**太字の見出し**"), 3, 16),
        (("２．全角数字の見出し",), 2, 19),
        (("２．全角数字の見出し", "字下げ3つは見出し"), 3, 28),
    ]
    # sections partition the body lines
    n_lines = len(HEADINGS_MD.rstrip("\n").split("\n"))
    assert secs[0].start_line == 5 and secs[-1].end_line == 5 + n_lines - 1
    for a, b in zip(secs, secs[1:]):
        assert a.end_line + 1 == b.start_line
    assert "# これはコメント" in secs[5].text  # fenced code stays inside its section


def test_split_sections_several_h1_are_path_elements() -> None:
    body = "# 第一部\n\n## 章A\n文。\n\n# 第二部\n\n## 章B\n文。\n"
    secs = split_sections(doc_of(body))
    assert [s.heading_path for s in secs] == [("第一部",), ("第一部", "章A"), ("第二部",), ("第二部", "章B")]


def test_split_sections_blank_preamble_and_no_headings() -> None:
    secs = split_sections(doc_of("\n\n## A\n文。\n", body_start_line=10))
    assert [(s.heading_path, s.start_line, s.end_line) for s in secs] == [(("A",), 10, 13)]
    secs = split_sections(doc_of("見出しのない文書。\n二行目。\n", title="無題"))
    assert [(s.heading_path, s.level, s.start_line, s.end_line) for s in secs] == [(("無題",), 0, 1, 2)]


def test_split_sections_unclosed_fence_does_not_hide_headings() -> None:
    secs = split_sections(doc_of("## A\n```\n文。\n## B\n文。\n"))
    assert [s.heading_path for s in secs] == [("A",), ("B",)]


def test_seed_heading_paths() -> None:
    doc = load(SEED)
    secs = split_sections(doc)
    by_path = {s.heading_path: s for s in secs}
    s = by_path[("5. AI製品・ソリューション", "フラッグシップモデル")]
    assert s.start_line == 222 and s.level == 3
    assert SEED.read_text(encoding="utf-8").split("\n")[s.start_line - 1] == "### フラッグシップモデル"
    assert ("3. 資金調達・企業価値の急成長", "企業価値の推移") in by_path
    assert ("7. 技術的差別化要因", "1. Mixture of Experts（MoE）アーキテクチャ") in by_path
    assert secs[0].start_line == doc.body_start_line
    n_file_lines = len(SEED.read_text(encoding="utf-8").splitlines())
    assert secs[-1].end_line == n_file_lines


@needs_cases
def test_corpus_heading_paths_emoji_bold_fullwidth() -> None:
    pana = load(CASES / "003_panasonic_connect.md")
    paths = {s.heading_path for s in split_sections(pana)}
    assert ("2. 導入成果サマリー", "📊 効果分析（金額ベース推定）") in paths
    # the single H1 title is not part of the paths below it
    assert not any(p[0].startswith("事例調査") and len(p) > 1 for p in paths)


@pytest.mark.parametrize("path", LIBRARY, ids=[p.name for p in LIBRARY])
def test_every_heading_line_is_a_section_with_its_text(path: Path) -> None:
    """Each ATX heading line outside code fences starts a section whose last path element is
    the line's text as written (compared after NFKC + whitespace folding, like the evaluation)."""
    doc = load(path)
    raw = path.read_text(encoding="utf-8").splitlines()
    starts = {s.start_line: s for s in split_sections(doc)}
    fence = False
    for no in range(doc.body_start_line, len(raw) + 1):
        line = raw[no - 1]
        if re.match(r"^ {0,3}(```|~~~)", line):
            fence = not fence
            continue
        m = re.match(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", line)
        if fence or not m:
            continue
        sec = starts.get(no) or next(s for s in starts.values() if s.start_line <= no <= s.end_line)
        assert sec.level == len(m.group(1)), (no, line)
        assert fold(sec.heading_path[-1]) == fold(m.group(2)), (no, line, sec.heading_path)


# ----------------------------------------------------------------------------- chunks: invariants


@pytest.mark.parametrize("path", LIBRARY, ids=[p.name for p in LIBRARY])
def test_chunk_invariants_library(path: Path, count_tokens) -> None:
    doc = load(path)
    max_tokens = getattr(count_tokens, "max_tokens", 512)
    chunks = chunk_document(doc, count_tokens, max_tokens=max_tokens)
    check_invariants(doc, chunks, count_tokens, max_tokens)


@pytest.mark.parametrize("max_tokens", [96, 160])
@pytest.mark.parametrize("path", LIBRARY[:4], ids=[p.name for p in LIBRARY[:4]])
def test_chunk_invariants_small_windows(path: Path, max_tokens: int) -> None:
    """Stand-in counter and small windows: sections, tables and paragraphs all get cut."""
    doc = load(path)
    chunks = chunk_document(doc, stand_in, max_tokens=max_tokens, target_tokens=max_tokens)
    check_invariants(doc, chunks, stand_in, max_tokens)


def test_token_counter_in_use(count_tokens, record_property) -> None:
    """Says which counter the invariant tests ran with (see `pytest -rA`)."""
    record_property("count_tokens", count_tokens.kind)
    print(f"count_tokens: {count_tokens.kind}")
    if not HAVE_CASES:
        pytest.skip(f"only the seed was chunked: shared corpus not found at {CASES}")


def test_seed_chunks_paths_and_text(count_tokens) -> None:
    doc = load(SEED)
    chunks = chunk_document(doc, count_tokens)
    hit = [c for c in chunks if c.heading_path == ("5. AI製品・ソリューション", "フラッグシップモデル")]
    assert hit, [c.heading_path for c in chunks]
    c = hit[0]
    # the empty "## 5." section is folded into its first child: its line is in the range
    assert c.start_line == 220 and "Mixtral 8x7B" in c.text
    assert c.text.split("\n", 1)[0] == f"{doc.title}{PATH_SEP}5. AI製品・ソリューション{PATH_SEP}フラッグシップモデル"
    assert "### フラッグシップモデル" not in c.text  # heading lines live in the first line only
    # chunk sizes: sections kept whole up to the target (x1.25), never over the window
    assert max(c.n_tokens for c in chunks) <= 512
    assert sum(1 for c in chunks if c.heading_path[0] == "3. 資金調達・企業価値の急成長") >= 2


def test_count_tokens_used_sparingly() -> None:
    doc = load(SEED)
    calls = [0]

    def counting(text: str) -> int:
        calls[0] += 1
        return stand_in(text)

    chunks = chunk_document(doc, counting, max_tokens=512)
    assert calls[0] <= 2 * len(chunks) + 20, (calls[0], len(chunks))


@needs_cases
def test_chunking_speed() -> None:
    docs = [load(p) for p in LIBRARY]
    cheap = lambda t: len(t) // 3 + 4  # noqa: E731  (counting cost excluded)
    t0 = time.perf_counter()
    n = sum(len(chunk_document(d, cheap)) + len(profile_chunk(d, cheap, 512)) for d in docs)
    dt = time.perf_counter() - t0
    assert n > 100 and dt < 2.0, (n, dt)


# ----------------------------------------------------------------------------- inline fixtures


def test_table_split_repeats_header() -> None:
    rows = "\n".join(f"| 2025年{i}月 | 売上{i * 10}億円 | 備考{i} |" for i in range(1, 41))
    body = f"## 業績\n\n推移は次のとおり：\n\n| 時期 | 売上 | 備考 |\n|---|---|---|\n{rows}\n\n以上。\n"
    doc = doc_of(body)
    chunks = chunk_document(doc, stand_in, max_tokens=200, target_tokens=200)
    assert len(chunks) >= 5
    check_invariants(doc, chunks, stand_in, 200)
    seen_rows: list[str] = []
    for c in chunks:
        lines = chunk_body(c.text).split("\n")
        table = [ln for ln in lines if ln.startswith("|")]
        data = [ln for ln in table if ln.startswith("| 2025")]
        if data:
            i = lines.index(table[0])
            assert lines[i : i + 2] == ["| 時期 | 売上 | 備考 |", "|---|---|---|"], c.text
        seen_rows += data
    assert seen_rows == rows.split("\n")  # every row exactly once, in order
    # the lead-in line stays with the table start
    assert "推移は次のとおり：" in chunks[0].text and "| 2025年1月" in chunks[0].text


def test_long_paragraph_cut_at_sentences_only() -> None:
    sents = [f"第{i}の文はAI導入の効果について{i * 3}件の事例を説明する。" for i in range(60)]
    body = "## 効果\n" + "".join(sents) + "\n"
    doc = doc_of(body)
    chunks = chunk_document(doc, stand_in, max_tokens=150, target_tokens=120)
    assert len(chunks) > 5
    check_invariants(doc, chunks, stand_in, 150)
    pieces = [chunk_body(c.text) for c in chunks]
    assert "".join(pieces) == "".join(sents)  # nothing lost or repeated
    for p in pieces:
        assert p.endswith("。") and p.startswith("第")


def test_single_overlong_sentence_cut_at_commas_never_dropped() -> None:
    sentence = "、".join(f"項目{i}として生成AIの全社導入" for i in range(80)) + "を実施した。"
    body = f"## 長文\n{sentence}\n次の短い文。\n"
    doc = doc_of(body)
    chunks = chunk_document(doc, stand_in, max_tokens=120, target_tokens=100)
    assert len(chunks) > 3 and all(c.n_tokens <= 120 for c in chunks)
    text = "".join(chunk_body(c.text) for c in chunks)
    assert text.replace("\n", "") == sentence + "次の短い文。"  # nothing dropped or repeated
    assert all(chunk_body(c.text).endswith("、") for c in chunks[:-2])  # cut after 、 only


def test_overlong_word_without_boundaries() -> None:
    word = "あ" * 1000
    doc = doc_of(f"## X\n{word}\n")
    chunks = chunk_document(doc, stand_in, max_tokens=64)
    assert all(c.n_tokens <= 64 for c in chunks)
    assert "".join(chunk_body(c.text) for c in chunks) == word


def test_bullets_and_continuations_stay_whole() -> None:
    items = "\n".join(f"- 項目{i}: 説明文{i}。\n  続きの行{i}。" for i in range(30))
    doc = doc_of(f"## リスト\n\n**主要項目**\n{items}\n")
    chunks = chunk_document(doc, stand_in, max_tokens=120, target_tokens=100)
    assert len(chunks) > 3
    check_invariants(doc, chunks, stand_in, 120)
    for c in chunks:
        lines = chunk_body(c.text).split("\n")
        assert not lines[0].startswith("  続き"), c.text  # a continuation never starts a chunk
    assert "**主要項目**\n- 項目0" in chunks[0].text  # the label stays with its list


def test_empty_and_tiny_parent_sections_fold_into_first_child() -> None:
    body = "## 5. 製品\n\n### 5.1 モデル\nモデルの説明。\n\n### 5.2 価格\n価格の説明。\n\n## 6. 顧客\n短い前置き。\n### 6.1 事例\n事例の説明。\n"
    doc = doc_of(body)
    chunks = chunk_document(doc, stand_in)
    assert [c.heading_path for c in chunks] == [
        ("5. 製品", "5.1 モデル"),
        ("5. 製品", "5.2 価格"),
        ("6. 顧客", "6.1 事例"),
    ]
    assert chunks[0].start_line == 1 and chunks[2].start_line == 9
    assert "短い前置き。" in chunks[2].text
    check_invariants(doc, chunks, stand_in, 512)


def test_siblings_are_not_merged() -> None:
    body = "## A\n### A1\n一文。\n### A2\n二文。\n"
    chunks = chunk_document(doc_of(body), stand_in)
    assert [c.heading_path for c in chunks] == [("A", "A1"), ("A", "A2")]


def test_chunk_text_format_and_title() -> None:
    doc = doc_of("前置き。\n## 見出し\n本文。\n", title="Mistral AI")
    chunks = chunk_document(doc, stand_in)
    assert [c.text for c in chunks] == ["Mistral AI\n前置き。", f"Mistral AI{PATH_SEP}見出し\n本文。"]
    assert [c.heading_path for c in chunks] == [("Mistral AI",), ("見出し",)]


def test_code_fence_and_rules_skipped_but_covered() -> None:
    body = "## コード\n\n```\n┌──┐\n│ API Gateway │\n└──┘\n```\n\n---\n\n後書き。\n"
    doc = doc_of(body)
    chunks = chunk_document(doc, stand_in)
    assert chunk_body(chunks[0].text) == "│ API Gateway │\n\n後書き。"
    check_invariants(doc, chunks, stand_in, 512)


def test_empty_body() -> None:
    assert chunk_document(doc_of(""), stand_in) == []
    assert chunk_document(doc_of("\n\n---\n"), stand_in) == []


# ----------------------------------------------------------------------------- profile


def test_profile_chunk_seed(count_tokens) -> None:
    doc = load(SEED)
    prof = profile_chunk(doc, count_tokens, 512)
    assert isinstance(prof, list) and prof
    text = "\n".join(chunk_body(p.text) for p in prof)
    for needle in (
        "Mistral AI",
        "フランス",
        "2023",
        "140億ドル",
        "$14B",
        "Paris, France",
        "Arthur Mensch",
        "評価額",
        "valuation_usd",
        "設立年",
    ):
        assert needle in text, needle
    section_ids = {c.chunk_id for c in chunk_document(doc, count_tokens)}
    for i, p in enumerate(prof):
        assert p.kind == "profile" and p.heading_path == (PROFILE_HEADING,)
        assert (p.start_line, p.end_line) == (1, doc.body_start_line - 1)
        assert p.order == PROFILE_ORDER_BASE + i and p.chunk_id == f"{doc.uid}#{p.order:04d}"
        assert p.chunk_id not in section_ids
        assert p.n_tokens == count_tokens(p.text) <= 512
        assert p.text.split("\n", 1)[0] == f"{doc.title}{PATH_SEP}{PROFILE_HEADING}"


def test_profile_split_at_field_lines() -> None:
    fm = {
        "company": "テスト社",
        "items": [f"項目{i}の説明" for i in range(5)],
        **{f"field_{i}": f"値{i}" * 5 for i in range(60)},
    }
    doc = doc_of("## A\n文。\n", front_matter=fm, body_start_line=70)
    prof = profile_chunk(doc, stand_in, 120)
    assert len(prof) > 3
    lines = profile_lines(fm)
    got = [ln for p in prof for ln in chunk_body(p.text).split("\n")]
    assert got == lines  # every field once, never cut
    assert all(p.n_tokens <= 120 for p in prof)


def test_profile_lines_rendering() -> None:
    fm = {
        "subject": {"name": "Mistral AI", "country": "フランス", "founded_year": 2023},
        "valuation_usd": 14000000000,
        "valuation_latest_billion_usd": 8,
        "tags": {"region": ["欧州", "フランス"]},
        "founders": [{"name": "Arthur Mensch", "role": "CEO"}],
        "empty": None,
        "picking_time_reduction_percent": 30,
        "efficiency_improvement_percent": "30-40",
        "cost_reduction_percentage": "40-50%",
        "adoption_rate_percent_2025_06": 94.1,
    }
    lines = profile_lines(fm)
    assert any(ln.endswith("(picking_time_reduction_percent): 30%") for ln in lines)
    assert any(ln.endswith("(efficiency_improvement_percent): 30-40%") for ln in lines)
    assert any(ln.endswith("(cost_reduction_percentage): 40-50%") for ln in lines)
    assert any(ln.endswith("(adoption_rate_percent_2025_06): 94.1%") for ln in lines)
    assert "名称 (subject.name): Mistral AI" in lines
    assert "国 (subject.country): フランス" in lines
    assert "設立年 (subject.founded_year): 2023" in lines
    assert "評価額（米ドル） (valuation_usd): 14000000000（140億ドル / $14B）" in lines
    assert any("80億ドル" in ln for ln in lines)
    assert "地域 (tags.region): 欧州、フランス" in lines
    assert "創業者 (founders): name: Arthur Mensch; role: CEO" in lines
    assert not any("empty" in ln for ln in lines)


def test_no_profile_without_front_matter() -> None:
    assert profile_chunk(doc_of("# T\n本文。\n"), stand_in, 512) == []


@needs_cases
def test_no_profile_for_case_without_front_matter() -> None:
    doc = load(CASES / "035_moderna.md")
    assert profile_chunk(doc, stand_in, 512) == []


# ----------------------------------------------------------------------------- property test

_LINE = st.one_of(
    st.builds(
        lambda n, t: "#" * n + " " + t,
        st.integers(1, 4),
        st.sampled_from(["概要", "📊 効果", "**太字**", "２．全角", "A"]),
    ),
    st.sampled_from(
        [
            "",
            "",
            "---",
            "```",
            "| 項目 | 値 |",
            "|---|---|",
            "- 箇条書きの項目。",
            "  続きの行。",
            "1. 番号付きの項目",
            "**ラベル**",
            "以下の通り：",
            "│ box │",
        ]
    ),
    st.builds(lambda k, w: "| " + w * k + " | " + str(k) + " |", st.integers(1, 30), st.sampled_from(["売上", "AI"])),
    st.builds(
        lambda k, s: s * k,
        st.integers(1, 12),
        st.sampled_from(["生成AIの導入で業務時間を削減した。", "Revenue grew 3.5x. ", "長い文、読点で区切られ、"]),
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, min_size=1, max_size=40), st.sampled_from([48, 64, 120, 512]), st.integers(1, 30))
def test_chunk_invariants_random_markdown(lines: list[str], max_tokens: int, start: int) -> None:
    body = "\n".join(lines) + "\n"
    doc = doc_of(body, title="ランダム", body_start_line=start)
    chunks = chunk_document(doc, stand_in, max_tokens=max_tokens, target_tokens=max_tokens // 2)
    if not any(has_word_chars(ln) and not re.match(r"^ {0,3}#{1,6}( |$)", ln) for ln in lines):
        return  # nothing but headings/rules: there may be no chunk at all
    check_invariants(doc, chunks, stand_in, max_tokens)
