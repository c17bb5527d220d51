"""Filters: parsing, dict form, Chroma `where`, Python matching (same semantics), aliases, no-match."""

from __future__ import annotations

import pytest

from rag.config import Settings
from rag.search import Filters, infer_filters
from rag.search.filter_index import FilterIndex, allowed_chunks
from tests.conftest import needs_shared

# ---------------------------------------------------------------------------- parse / where


@pytest.mark.parametrize(
    "items, where",
    [
        (["country=日本"], {"country": {"$eq": "日本"}}),
        (["country=日本,米国"], {"country": {"$in": ["日本", "米国"]}}),
        (["country!=日本"], {"country": {"$ne": "日本"}}),
        (["tags~=LLM"], {"tags": {"$contains": "LLM"}}),
        (["tags=LLM"], {"tags": {"$contains": "LLM"}}),  # equality on a list field = has the element
        (["tags~=LLM,RAG"], {"$or": [{"tags": {"$contains": "LLM"}}, {"tags": {"$contains": "RAG"}}]}),
        (["founded_year>=2020"], {"founded_year": {"$gte": 2020}}),
        (["founded_year<=2023"], {"founded_year": {"$lte": 2023}}),
        (["founded_year>2020"], {"founded_year": {"$gt": 2020}}),
        (["founded_year < 2023"], {"founded_year": {"$lt": 2023}}),
        (
            ["founded_year>=2020", "founded_year<=2023"],
            {"$and": [{"founded_year": {"$gte": 2020}}, {"founded_year": {"$lte": 2023}}]},
        ),
        (["fm.subject.employees=350"], {"fm.subject.employees": {"$eq": 350}}),
        (["fm.tier=flagship"], {"fm.tier": {"$eq": "flagship"}}),
        (["doc_id=GENAI_042"], {"doc_id": {"$eq": "GENAI_042"}}),
        (["company=Acme\\, Inc."], {"company": {"$eq": "Acme, Inc."}}),
        ([], None),
    ],
)
def test_parse_to_where(items: list[str], where: dict | None) -> None:
    assert Filters.parse(items).to_where() == where


@pytest.mark.parametrize(
    "items, canonical",
    [
        (["country=Japan"], "日本"),
        (["country=japan"], "日本"),
        (["country=USA"], "米国"),
        (["country=United States"], "米国"),
        (["country=France"], "フランス"),
        (["country=Ｊａｐａｎ"], "日本"),  # full-width
    ],
)
def test_country_values_are_canonicalised(items: list[str], canonical: str) -> None:
    assert Filters.parse(items).to_where() == {"country": {"$eq": canonical}}


@pytest.mark.parametrize(
    "bad, needle",
    [
        ("country", "expected KEY=VALUE"),
        ("=日本", "expected KEY=VALUE"),
        ("country=", "expected KEY=VALUE"),
        ("founded_year>=abc", "expected a number"),
        ("colour=red", "unknown filter key"),
        ("country=,", "no value"),
    ],
)
def test_parse_errors(bad: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        Filters.parse([bad])


@pytest.mark.parametrize(
    "d, where",
    [
        ({"country": "フランス"}, {"country": {"$eq": "フランス"}}),
        ({"country": ["日本", "米国"]}, {"country": {"$in": ["日本", "米国"]}}),
        ({"tags": ["LLM"]}, {"tags": {"$contains": "LLM"}}),
        ({"founded_year": {"gte": 2020}}, {"founded_year": {"$gte": 2020}}),
        (
            {"founded_year": {"$gte": 2020, "$lte": 2023}},
            {"$and": [{"founded_year": {"$gte": 2020}}, {"founded_year": {"$lte": 2023}}]},
        ),
        ({"country": {"ne": "日本"}}, {"country": {"$ne": "日本"}}),
        ({"industry": {"contains": "小売"}}, None),  # substring on a string field: only after resolve()
        ({}, None),
    ],
)
def test_from_dict(d: dict, where: dict | None) -> None:
    f = Filters.from_dict(d)
    if "industry" in d:
        assert f.clauses[0].op == "contains"
        return
    assert f.to_where() == where


def test_from_dict_example_and_round_trip() -> None:
    f = Filters.from_dict({"country": "フランス", "tags": ["LLM"], "founded_year": {"gte": 2020}})
    assert f.to_where() == {
        "$and": [{"country": {"$eq": "フランス"}}, {"tags": {"$contains": "LLM"}}, {"founded_year": {"$gte": 2020}}]
    }
    assert Filters.from_dict(f.to_dict()) == f
    p = Filters.parse(["country=日本,米国", "tags~=LLM", "founded_year>=2020", "founded_year<=2023"])
    assert Filters.from_dict(p.to_dict()) == p
    assert p.to_dict() == {"country": ["日本", "米国"], "tags": ["LLM"], "founded_year": {"gte": 2020, "lte": 2023}}


def test_empty_and_describe() -> None:
    assert Filters().is_empty and Filters.parse([]).is_empty and Filters.from_dict(None).is_empty
    f = Filters.parse(["country=日本,米国", "tags~=LLM", "founded_year>=2020"])
    assert not f.is_empty
    assert f.describe("en") == "country = 日本 or 米国; tags contains LLM; founded_year ≥ 2020"
    assert f.describe("ja") == "国 = 日本 または 米国、タグに「LLM」を含む、設立年 ≥ 2020"
    assert Filters().describe("ja") == "絞り込みなし"


# ---------------------------------------------------------------------------- matches (Chroma semantics)

META_FR = {
    "country": "フランス",
    "tags": ["LLM", "オープンソース"],
    "founded_year": 2023,
    "company": "Mistral AI",
    "fm.subject.employees": 350,
}
META_JP = {"country": "日本", "tags": ["業務効率化"], "founded_year": 1919, "company": "三菱UFJ銀行"}
META_NONE = {"company": "X"}  # no country, no tags, no founded_year


@pytest.mark.parametrize(
    "items, expected",  # matches for (FR, JP, NONE)
    [
        (["country=フランス"], (True, False, False)),
        (["country=日本,フランス"], (True, True, False)),
        (["country!=日本"], (True, False, True)),  # a missing key passes $ne, as in Chroma
        (["tags~=LLM"], (True, False, False)),
        (["tags~=LL"], (False, False, False)),  # exact element before resolve(), as Chroma's $contains
        (["founded_year>=2020"], (True, False, False)),
        (["founded_year<2000"], (False, True, False)),
        (["founded_year>=1900", "founded_year<=2023"], (True, True, False)),
        (["fm.subject.employees=350"], (True, False, False)),
        (["fm.subject.employees>=100"], (True, False, False)),
        (["country=日本", "tags~=LLM"], (False, False, False)),
        ([], (True, True, True)),
    ],
)
def test_matches(items: list[str], expected: tuple[bool, bool, bool]) -> None:
    f = Filters.parse(items)
    assert tuple(f.matches(m) for m in (META_FR, META_JP, META_NONE)) == expected


def test_resolve_folds_aliases_and_substrings() -> None:
    metas = [
        dict(META_FR, title="Mistral AI - European AI Leader", company_aliases=["Mistral AI", "ミストラルAI"]),
        dict(META_JP, industry="金融・銀行業", company_aliases=["MUFG", "三菱UFJ銀行"]),
        {"country": "日本", "industry": "流通・小売（コンビニエンスストア）", "tags": ["需要予測"]},
    ]
    cases = [
        (["company=ミストラルAI"], [True, False, False]),
        (["company=ミストラル AI"], [True, False, False]),
        (["company=mistral ai"], [True, False, False]),
        (["company=MUFG"], [False, True, False]),
        (["company=Nobody Inc"], [False, False, False]),
        (["tags~=llm"], [True, False, False]),
        (["tags~=予測"], [False, False, True]),
        (["industry~=小売"], [False, False, True]),
        (["industry~=金融,小売"], [False, True, True]),
        (["industry~=宇宙"], [False, False, False]),
        (["fm.subject.employees=350"], [True, False, False]),
        (["country!=日本"], [True, False, False]),
    ]
    for items, expected in cases:
        r = Filters.parse(items).resolve(metas)
        assert [r.matches(m) for m in metas] == expected, items
    assert Filters.parse(["company=Nobody Inc"]).resolve(metas).matches_nothing()
    r = Filters.parse(["industry~=小売"]).resolve(metas)
    assert r.to_where() == {"industry": {"$eq": "流通・小売（コンビニエンスストア）"}}


def test_filter_index_is_the_twin_of_resolve_and_matches() -> None:
    """rag.search.filter_index (distinct values per key, cached) resolves and selects exactly as
    `resolve` + `matches` over every chunk, missing keys, list values and ranges included."""
    metas = {
        "fr#0": dict(META_FR, title="Mistral AI - European AI Leader", company_aliases=["Mistral AI", "ミストラルAI"]),
        "fr#1": dict(META_FR, title="Mistral AI - European AI Leader", company_aliases=["Mistral AI", "ミストラルAI"]),
        "jp#0": dict(META_JP, industry="金融・銀行業", company_aliases=["MUFG", "三菱UFJ銀行"]),
        "x#0": {"country": "日本", "industry": "流通・小売（コンビニエンスストア）", "tags": ["需要予測"]},
        "y#0": {"country": None, "founded_year": 2020.0, "fm.flag": True},
        "z#0": {"founded_year": "2020", "fm.flag": 1},
    }
    fi = FilterIndex(metas)
    for items in (
        ["company=ミストラルAI"],
        ["company=MUFG"],
        ["company=Nobody Inc"],
        ["tags~=llm"],
        ["industry~=金融,小売"],
        ["country!=日本"],
        ["country=日本", "industry~=小売"],
        ["founded_year>=2020"],
        ["founded_year=2020"],
        ["fm.flag=true"],
        ["fm.flag=1"],
        ["fm.subject.employees=350"],
    ):
        f = Filters.parse(items)
        want = f.resolve(metas)
        got, allowed = fi.allowed(f)
        assert [(c.key, c.op, [(type(v), v) for v in c.values]) for c in got.clauses] == [
            (c.key, c.op, [(type(v), v) for v in c.values]) for c in want.clauses
        ], items
        assert allowed == {c for c, m in metas.items() if want.matches(m)}, items
        assert fi.allowed(f) == (got, allowed)  # cached


# ---------------------------------------------------------------------------- against the real index

FILTER_CASES = [
    ["country=日本"],
    ["country=Japan"],
    ["country=日本,米国"],
    ["country!=日本"],
    ["country=USA", "founded_year>=2020"],
    ["tags~=LLM"],
    ["tags~=llm"],
    ["founded_year>=2020", "founded_year<=2023"],
    ["founded_year<2000"],
    ["company=ミストラルAI"],
    ["company=MUFG"],
    ["company=Klarna"],
    ["industry~=小売"],
    ["doc_id=GENAI_042"],
    ["kind=profile"],
    ["country=フランス", "company=Mistral AI"],
]


@needs_shared
@pytest.mark.parametrize("items", FILTER_CASES, ids=lambda x: "&".join(x))
def test_where_and_matches_agree_on_the_index(indexed_settings: Settings, items: list[str]) -> None:
    """The Chroma `where` and Python `matches` select exactly the same chunks of the real index."""
    from rag.index import get_library

    snap = get_library(indexed_settings).snapshot()
    f = Filters.parse(items).resolve(snap.metas)
    py = {cid for cid, m in snap.metas.items() if f.matches(m)}
    assert py, f"{items} should match something in the seed + shared corpus"
    chroma = snap.store.ids_where(f.to_where())
    assert chroma == py
    assert allowed_chunks(snap, Filters.parse(items)) == (f, py)


@needs_shared
def test_country_filter_selects_japanese_companies(indexed_settings: Settings) -> None:
    from rag.index import get_library

    snap = get_library(indexed_settings).snapshot()
    f = Filters.parse(["country=Japan"]).resolve(snap.metas)
    docs = {m["doc_id"] for m in snap.metas.values() if f.matches(m)}
    assert docs == {"001_mufg", "GENAI_003", "006_softbank", "007_seven_eleven"}


@needs_shared
def test_company_alias_resolves_to_the_document(indexed_settings: Settings) -> None:
    from rag.index import get_library

    snap = get_library(indexed_settings).snapshot()
    for alias, doc in [
        ("ミストラルAI", "GENAI_042"),
        ("mistral ai", "GENAI_042"),
        ("MUFG", "001_mufg"),
        ("三菱UFJ", "001_mufg"),
        ("クラーナ", "021_klarna"),
        ("HuggingFace", "GENAI_038"),
        ("パナソニックコネクト", "GENAI_003"),
        ("SoftBank", "006_softbank"),
    ]:
        f = Filters.parse([f"company={alias}"]).resolve(snap.metas)
        docs = {m["doc_id"] for m in snap.metas.values() if f.matches(m)}
        assert docs == {doc}, (alias, docs)


@needs_shared
@pytest.mark.parametrize(
    "items",
    [
        ["country=ブラジル"],
        ["company=Nobody Inc"],
        ["tags~=存在しないタグ"],
        ["founded_year>=2100"],
        ["country=日本", "company=Mistral AI"],
        ["fm.no_such_field=1"],
    ],
)
def test_no_match_filter_returns_nothing(indexed_settings: Settings, items: list[str]) -> None:
    """Never unfiltered results: both sides and retrieve() return nothing."""
    from rag.index import get_library
    from rag.search import Retriever, retrieve

    snap = get_library(indexed_settings).snapshot()
    f = Filters.parse(items).resolve(snap.metas)
    assert not any(f.matches(m) for m in snap.metas.values())
    if not f.matches_nothing():
        assert snap.store.ids_where(f.to_where()) == set()
    assert retrieve("評価額はいくら？", filters=Filters.parse(items), k=5, settings=indexed_settings) == []
    hits, ranking = Retriever(indexed_settings).search("valuation", Filters.parse(items), k=5)
    assert hits == [] and ranking == []


# ---------------------------------------------------------------------------- suggestions


@pytest.mark.parametrize(
    "question, expected",
    [
        ("米国企業の生成AI活用事例は？", {"country": "米国"}),
        ("日本企業の導入事例を教えて", {"country": "日本"}),
        ("Which Japanese companies cut working hours with ChatGPT?", {"country": "日本"}),
        ("What did the Swedish fintech automate?", {"country": "スウェーデン", "industry": {"contains": ["金融"]}}),
        ("Show me retail cases", {"industry": {"contains": ["小売"]}}),
        ("French AI startups and their valuation", {"country": "フランス"}),
        ("ミストラルAIの評価額は？", {}),
        ("日本市場での展開可能性は？", {}),  # about Japan, not about Japanese companies
    ],
)
def test_infer_filters(question: str, expected: dict) -> None:
    assert infer_filters(question) == expected


@needs_shared
def test_infer_filters_are_only_suggestions(indexed_settings: Settings) -> None:
    from rag.index import get_library
    from rag.search import retrieve

    snap = get_library(indexed_settings).snapshot()
    q = "米国企業の評価額は？"
    assert infer_filters(q, snap) == {"country": "米国"}
    hits = retrieve(q, k=10, settings=indexed_settings)
    assert hits  # retrieve() does not apply the suggestion by itself
    assert infer_filters("ブラジル企業の事例", snap) == {}  # no Brazilian company in the index
