"""rag.index.lexical: BM25 fields (words, pairs, chars), k1/b as scoring parameters, persistence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.index.lexical import K1, LexicalIndex, PostingsBuilder, token_pairs
from rag.ingest.japanese import char_bigrams, tokenize

TEXTS = {
    "a": "企業評価額は140億ドルに達した。",
    "b": "評価の後で企業は額を公表した。",  # same words as "a", other order
    "c": "ミストラルAIはフランスの企業である。",
}


def _index(texts: dict[str, str] = TEXTS) -> LexicalIndex:
    ids = list(texts)
    return LexicalIndex(ids, [tokenize(texts[i]) for i in ids], texts=[texts[i] for i in ids])


@pytest.mark.parametrize(
    "tokens, pairs",
    [
        (["企業", "評価", "額"], ["企業 評価", "評価 額"]),
        (["a"], []),
        ([], []),
    ],
)
def test_token_pairs(tokens: list[str], pairs: list[str]) -> None:
    assert token_pairs(tokens) == pairs


def test_words_field_matches_shared_tokens() -> None:
    lex = _index()
    got = dict(lex.search(tokenize("企業の評価額"), k=3))
    assert set(got) == {"a", "b", "c"} or {"a", "b"} <= set(got)
    assert got["a"] > 0 and got["b"] > 0


def test_pairs_field_prefers_the_same_word_order() -> None:
    lex = _index()
    q = token_pairs(tokenize("企業評価額"))
    got = lex.search(q, k=3, field="pairs")
    assert got and got[0][0] == "a"
    assert "b" not in dict(got)  # same words, never adjacent in that order


def test_chars_field_matches_without_the_tokenizer() -> None:
    lex = _index()
    got = lex.search(char_bigrams("ミストラル"), k=3, field="chars")
    assert got[0][0] == "c"


def test_chars_field_without_texts_matches_nothing() -> None:
    ids = list(TEXTS)
    lex = LexicalIndex(ids, [tokenize(TEXTS[i]) for i in ids])
    assert lex.search(char_bigrams("ミストラル"), k=3, field="chars") == []


def test_unknown_field_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown lexical field"):
        _index().search(["企業"], field="trigrams")


def test_allowed_restricts_every_field() -> None:
    lex = _index()
    assert all(c == "b" for c, _ in lex.search(tokenize("企業の評価額"), 5, allowed={"b"}))
    assert lex.search(char_bigrams("ミストラル"), 5, allowed={"a"}, field="chars") == []
    assert lex.search(token_pairs(tokenize("企業評価額")), 5, allowed=set(), field="pairs") == []


def test_k1_changes_saturation_not_matching() -> None:
    ids = ["once", "many"]
    toks = [["評価", "x", "y", "z", "w"], ["評価", "評価", "評価", "評価", "評価"]]
    low = LexicalIndex(ids, toks, k1=0.3).scores(["評価"])
    high = LexicalIndex(ids, toks, k1=2.0).scores(["評価"])
    # repetition counts far less at a low k1
    assert low[1] / low[0] < high[1] / high[0]
    assert np.all(low > 0) and np.all(high > 0)


def test_save_load_round_trip_and_old_k1_ignored(tmp_path: Path) -> None:
    lex = _index()
    path = tmp_path / "lexical.json"
    lex.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"chunk_ids", "tokens"}
    # an older file that stored its k1/b: scored with today's parameters
    data.update(k1=1.2, b=0.75)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    back = LexicalIndex.load(path, TEXTS)
    assert back.k1 == K1
    q = tokenize("企業の評価額")
    assert np.allclose(back.scores(q), lex.scores(q))
    assert back.search(char_bigrams("ミストラル"), 1, field="chars")[0][0] == "c"


def test_idf_is_higher_for_rarer_words() -> None:
    idf = _index().idf()
    assert idf["ミストラル"] > idf["企業"]


def _postings(tmp_path: Path, texts: dict[str, str] = TEXTS, k1: float = K1) -> Path:
    b = PostingsBuilder()
    for cid, text in texts.items():
        b.add(cid, tokenize(text), text)
    b.write(tmp_path / "lexical", k1, 0.75)
    return tmp_path / "lexical"


@pytest.mark.parametrize(
    "field, query",
    [
        ("words", tokenize("企業の評価額")),
        ("pairs", token_pairs(tokenize("企業評価額"))),
        ("chars", char_bigrams("ミストラルの企業")),
        ("words", ["どこにもない語"]),
    ],
)
def test_postings_score_as_the_in_memory_index(tmp_path: Path, field: str, query: list[str]) -> None:
    """Written postings, mapped back, give the in-memory index's scores on every field."""
    opened = LexicalIndex.open(_postings(tmp_path), TEXTS)
    assert opened.chunk_ids == list(TEXTS)
    assert np.array_equal(opened.scores(query, field), _index().scores(query, field))
    assert opened.search(query, 3, allowed={"b", "c"}, field=field) == _index().search(query, 3, {"b", "c"}, field)


def test_postings_keep_tokens_idf_and_rebuild_for_other_k1(tmp_path: Path) -> None:
    folder = _postings(tmp_path)
    opened = LexicalIndex.open(folder, TEXTS)
    assert opened.tokens == _index().tokens and opened.tokens_of(2) == tokenize(TEXTS["c"])
    assert opened.idf() == pytest.approx(_index().idf())
    assert opened.token_data() == {"chunk_ids": list(TEXTS), "tokens": _index().tokens}
    other = LexicalIndex.open(folder, TEXTS, k1=2.0)  # written with K1: rebuilt in memory
    q = tokenize("企業の評価額")
    assert np.allclose(other.scores(q), LexicalIndex(list(TEXTS), _index().tokens, k1=2.0).scores(q))
    assert other.search(char_bigrams("ミストラル"), 1, field="chars")[0][0] == "c"


def test_postings_of_an_empty_library(tmp_path: Path) -> None:
    opened = LexicalIndex.open(_postings(tmp_path, {}))
    assert len(opened) == 0 and opened.search(["企業"], 5) == [] and opened.idf() == {}
