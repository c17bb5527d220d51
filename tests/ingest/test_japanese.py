"""rag.ingest.japanese: normalize, BM25 tokenize, split_sentences, detect_language."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.ingest.japanese import char_bigrams, detect_language, normalize, split_sentences, tokenize

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "000_2a18f7e169fe24df.txt"


# ----------------------------------------------------------------------------- normalize


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ＡＢＣ１２３", "abc123"),  # full-width Latin and digits folded
        ("ｶﾀｶﾅ", "カタカナ"),  # half-width katakana folded
        ("Mistral AI", "mistral ai"),
        ("（株）", "(株)"),
        ("９００％", "900%"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


# ----------------------------------------------------------------------------- tokenize

# (text, tokens that must be present, tokens that must be absent)
TOKEN_CASES = [
    # compound nouns: emitted as their parts (see the module docstring for the measurement)
    ("企業評価額", {"企業", "評価", "額"}, {"企業評価額"}),
    ("生成AIの導入", {"生成", "ai", "導入"}, {"の", "生成ai"}),
    ("AI基盤モデル開発", {"ai", "基盤", "モデル", "開発"}, set()),
    # katakana words; loanword spelling variants meet on the dictionary lemma
    ("エンタープライズプラットフォーム", {"エンタープライズ", "プラットホーム"}, set()),
    ("パラメータ数", {"パラメーター", "数"}, set()),
    ("パラメーター", {"パラメーター"}, set()),
    ("オペレーショナル・エクセレンス", {"オペレーショナル", "エクセレンス"}, {"・"}),
    # numbers with 億/万/%/ドル; a number never joins the word before it
    ("企業評価額140億ドルに達した", {"140億", "ドル", "企業", "評価", "額", "達する"}, {"額140億", "140"}),
    ("１４０億ドル", {"140億", "ドル"}, set()),  # full-width digits
    ("1,700万人", {"1700万"}, {"1", "700"}),
    ("５兆８，０００億円", {"5兆8000億", "円"}, set()),
    ("900%成長", {"900%", "成長"}, set()),
    ("９００％", {"900%"}, set()),
    ("2023年4月に設立", {"2023", "年", "4", "月", "設立"}, set()),
    ("3.5倍", {"3.5", "倍"}, {"3", "5"}),
    # model names and ASCII
    ("Mixtral 8x7Bのパラメータ数は？", {"mixtral", "8x7b", "パラメーター", "数"}, {"は", "？", "?"}),
    ("Mixtral 8x22B", {"mixtral", "8x22b"}, set()),
    ("GPT-4による700FTE削減", {"gpt-4", "gpt", "4", "700fte", "削減"}, {"因る", "による"}),
    ("GPT-3.5", {"gpt-3.5", "gpt", "3.5"}, set()),
    ("シリーズCで€1.7Bを調達", {"シリーズ", "1.7b", "調達"}, {"1", "7b"}),
    ("Andreessen Horowitz (a16z)", {"andreessen", "horowitz", "a16z"}, set()),
    ("ＣｈａｔＧＰＴ Ｅｎｔｅｒｐｒｉｓｅ", {"chatgpt", "enterprise"}, set()),
    # English: lowercased, stop words dropped
    ("What is the valuation of Mistral AI?", {"valuation", "mistral", "ai"}, {"what", "is", "the", "of"}),
    # particles, auxiliaries, non-independent verbs, empty nouns dropped; lemmas for verbs
    (
        "欧州の技術主権を確立しながら推進することである",
        {"欧州", "技術", "主権", "確立", "推進"},
        {"の", "を", "こと", "する", "ある", "で"},
    ),
    ("高い推論効率を実現している", {"高い", "推論", "効率", "実現"}, {"いる", "し"}),
]


@pytest.mark.parametrize("text, present, absent", TOKEN_CASES, ids=[c[0] for c in TOKEN_CASES])
def test_tokenize(text: str, present: set[str], absent: set[str]) -> None:
    toks = tokenize(text)
    assert present <= set(toks), (toks, present - set(toks))
    assert not (absent & set(toks)), (toks, absent & set(toks))


@pytest.mark.parametrize(
    "query, passage",
    [
        ("140億ドル", "企業評価額は約140億ドルに達した"),
        ("140億", "企業評価額は約140億ドルに達した"),
        ("評価額", "企業評価額140億ドル"),
        ("企業評価額", "評価額は140億ドル"),
        ("Mixtral 8x7B", "**Mixtral 8x7B**: 47Bパラメータ"),
        ("ＧＰＴ－４", "GPT-4による700FTE削減"),
        ("パラメーター数", "パラメータ数: 7.3B"),
        ("生成AI", "生成ＡＩの全社導入"),
    ],
)
def test_query_tokens_meet_passage_tokens(query: str, passage: str) -> None:
    """The same function tokenizes questions and passages: the key terms must meet."""
    q, p = set(tokenize(query)), set(tokenize(passage))
    assert q & p, (q, p)


def test_tokenize_empty_and_symbols() -> None:
    assert tokenize("") == []
    assert tokenize("   \n\t") == []
    assert tokenize("、。！？「」|---|***") == []


def test_tokenize_long_text_like_line_by_line() -> None:
    """Long inputs go by blocks of lines; apart from MeCab's context effects, the tokens are
    those of the lines one by one."""
    text = SEED.read_text(encoding="utf-8")
    whole = tokenize(text)
    by_line = [t for ln in text.split("\n") for t in tokenize(ln)]
    a, b = set(whole), set(by_line)
    assert len(a & b) / len(a | b) > 0.97
    assert abs(len(whole) - len(by_line)) < 0.02 * len(by_line)


def test_tokenize_speed() -> None:
    """The tagger alone does ~1.9M chars/s here; tokenize must not be many times slower
    (measured against the bare tagger on the same text, so machine load cancels out)."""
    import fugashi

    text = SEED.read_text(encoding="utf-8") * 4  # ~100K characters
    blocks = [text[i : i + 4000] for i in range(0, len(text), 4000)]
    tagger = fugashi.Tagger()
    tokenize("warm up")
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for b in blocks:
            tagger(b)
        t_tagger = time.perf_counter() - t0
        t0 = time.perf_counter()
        tokenize(text)
        t_tok = time.perf_counter() - t0
        best = min(best, t_tok / t_tagger)
    assert best < 4.0, f"tokenize is {best:.1f}x the bare tagger"


def test_tokenize_thread_safe() -> None:
    lines = [ln for ln in SEED.read_text(encoding="utf-8").split("\n") if ln.strip()][:300]
    expected = [tokenize(ln) for ln in lines]
    results: dict[int, list[list[str]]] = {}
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            results[k] = [tokenize(ln) for ln in lines]
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(results[k] == expected for k in range(4))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_tokenize_never_fails(text: str) -> None:
    toks = tokenize(text)
    assert isinstance(toks, list)
    assert all(isinstance(t, str) and t and not any(c.isspace() for c in t) for t in toks)


# ----------------------------------------------------------------------------- sentences

SENTENCE_CASES = [
    ("ミストラルは成長した。次の文。", ["ミストラルは成長した。", "次の文。"]),
    ("本当？はい！そうです", ["本当？", "はい！", "そうです"]),
    ("彼は「AIだ。」と言った。次。", ["彼は「AIだ。」と言った。", "次。"]),
    ("評価額は€11.7B（約140億ドル）。成長率は3.5倍。", ["評価額は€11.7B（約140億ドル）。", "成長率は3.5倍。"]),
    (
        "Apple Inc. is big. It grew 3.5x in the U.S. market. Next one.",
        ["Apple Inc. is big.", "It grew 3.5x in the U.S. market.", "Next one."],
    ),
    ("Is it? Yes! Fine.", ["Is it?", "Yes!", "Fine."]),
    ("J. Smith wrote e.g. this. Then more.", ["J. Smith wrote e.g. this.", "Then more."]),
    ("一行目\n二行目。三文目。", ["一行目", "二行目。", "三文目。"]),
    # bullets and table rows are units of their own, even with several sentences inside
    ("- 箇条書き。二文目。\n- 次の項目", ["- 箇条書き。二文目。", "- 次の項目"]),
    ("| 年 | 評価額。注 |\n|---|---|\n| 2025 | $14.0B |", ["| 年 | 評価額。注 |", "| 2025 | $14.0B |"]),
    ("## 5. AI製品・ソリューション\n本文。", ["## 5. AI製品・ソリューション", "本文。"]),
    ("---\n\n   \n***", []),
    ("", []),
]


@pytest.mark.parametrize("text, expected", SENTENCE_CASES, ids=[c[0][:20] for c in SENTENCE_CASES])
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_sentences_keeps_original_characters() -> None:
    text = "ＡＩの評価額は１４０億ドル。Ｍｉｘｔｒａｌ　８ｘ７Ｂ！"
    sents = split_sentences(text)
    assert sents == ["ＡＩの評価額は１４０億ドル。", "Ｍｉｘｔｒａｌ　８ｘ７Ｂ！"]
    assert all(s in text for s in sents)


def test_split_sentences_seed_locatable() -> None:
    text = SEED.read_text(encoding="utf-8")
    sents = split_sentences(text)
    assert len(sents) > 200
    lines = text.split("\n")
    pos = 0
    for s in sents:  # in order, each inside one source line
        while s not in lines[pos]:
            pos += 1
        assert pos < len(lines)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("あいう漢字AB c.。!？!?「」\n|-*1 ")), max_size=120))
def test_split_sentences_are_substrings(text: str) -> None:
    for s in split_sentences(text):
        assert s and s == s.strip() and s in text and "\n" not in s


# ----------------------------------------------------------------------------- language


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Mixtral 8x7Bのパラメータ数は？", "ja"),
        ("Mistral AIの評価額は？", "ja"),
        ("ChatGPT Enterpriseを導入した企業は？", "ja"),
        ("ミストラルAIの創業者は誰ですか", "ja"),
        ("評価額", "ja"),
        ("What is the valuation of Mistral AI?", "en"),
        ("What did ミストラルAI raise in its Series C round?", "en"),
        ("How many parameters does Mixtral 8x7B have?", "en"),
        ("ＭＩＸＴＲＡＬ", "en"),
        ("2023?", "en"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


# ----------------------------------------------------------------------------- char_bigrams


@pytest.mark.parametrize(
    "text, expected",
    [
        ("評価額", ["評価", "価額"]),
        ("ＡＩ", ["ai"]),  # NFKC + lowercase first
        ("東、京", ["東", "京"]),  # a one-character run stays a unigram; punctuation splits
        ("140億ドル", ["14", "40", "0億", "億ド", "ドル"]),
        ("GPT-4 model", ["gp", "pt", "4", "mo", "od", "de", "el"]),
        ("", []),
        ("。、！", []),
    ],
)
def test_char_bigrams(text: str, expected: list[str]) -> None:
    assert char_bigrams(text) == expected
