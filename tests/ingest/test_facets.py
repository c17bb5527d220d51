"""rag.ingest.facets: the declared mapping, canonical facets, country/company normalisation."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.config import Settings
from rag.ingest import facets as facets_mod
from rag.ingest.body_fields import body_table, first_heading
from rag.ingest.documents import load_document
from rag.ingest.facet_spec import PACKAGED_MAPPING, FacetMappingError
from rag.ingest.facet_values import alias_key, flatten_front_matter, parse_year
from rag.ingest.facets import FacetMapping, aliases_for, canonical_value, company_aliases, normalize_country

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "000_2a18f7e169fe24df.txt"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
CASES = REPO.parent / "shared" / "corpus" / "cases"
needs_corpus = pytest.mark.skipif(
    not CASES.is_dir(), reason=f"shared corpus not found at {CASES} (it lives next to the repo, not in it)"
)


@pytest.fixture()
def mapping() -> FacetMapping:
    """A fresh packaged mapping (its company registry starts empty but for the declared groups)."""
    return FacetMapping.load()


def _facets(path: Path, mapping: FacetMapping) -> dict[str, Any]:
    return load_document(path, mapping=mapping).facets


# ------------------------------------------------------------ canonical facets, table-driven

# file → (doc_id, title, company, country, industry, founded_year)
CORPUS = {
    "001_mitsubishi_ufj.md": (
        "001_mufg",
        "三菱UFJ銀行 - ChatGPT Enterprise導入による月22万時間削減とAI Native組織への転換",
        "三菱UFJフィナンシャル・グループ/三菱UFJ銀行",
        "日本",
        "金融・銀行業",
        1919,
    ),
    "003_panasonic_connect.md": (
        "GENAI_003",
        "Panasonic Connect - ConnectAI 生成AI導入事例",
        "Panasonic Connect",
        "日本",
        "Information and Communication Technology",
        2018,
    ),
    "006_softbank.md": (
        "006_softbank",
        "ソフトバンク：生成AI全社導入による営業・業務効率化の実践事例",
        "ソフトバンク株式会社",
        "日本",
        "通信・IT",
        1981,
    ),
    "007_seven_eleven.md": (
        "007_seven_eleven",
        "セブン-イレブン・ジャパン：AI発注数提案システムによる発注業務40%削減",
        "株式会社セブン-イレブン・ジャパン",
        "日本",
        "流通・小売（コンビニエンスストア）",
        1974,
    ),
    "021_klarna.md": (
        "021_klarna",
        "Klarna - OpenAI GPT-4による700FTE削減とマルチチャネル業務自動化",
        "Klarna Bank AB",
        "スウェーデン",
        "金融・フィンテック（BNPL：後払い決済）",
        2005,
    ),
    "022_harvey.md": (
        "GENAI_GL002",
        "Harvey - リーガルAI",
        "Counsel AI Corporation (Harvey)",
        "米国",
        "法務サービス・リーガルテック",
        2022,
    ),
    "028_hca_healthcare.md": (
        "GENAI_GL008",
        "HCA Healthcare - Google Cloud AI による臨床文書作成自動化と医療業務効率化",
        "HCA Healthcare",
        "米国",
        "Healthcare",
        None,
    ),
    "035_moderna.md": (
        "035_moderna",
        "Tier 1 Case Study: Moderna × OpenAI ChatGPT Enterprise",
        "Moderna Inc.",
        "米国",
        "製薬・バイオテクノロジー（mRNA医薬品開発）",
        None,
    ),
    "036_anthropic.md": ("GENAI_036", "Anthropic - Claude Enterprise", "Anthropic", "米国", "AI/テクノロジー", 2021),
    "037_cohere.md": ("GENAI_037", "Cohere - Enterprise AI Platform", "Cohere", "カナダ", "AI/テクノロジー", 2019),
    "038_huggingface.md": ("GENAI_038", "Hugging Face - AI Model Hub", "Hugging Face", "米国", "AI/テクノロジー", 2016),
    "040_databricks.md": (
        "GENAI_040",
        "Databricks - Data & AI Platform",
        "Databricks",
        "米国",
        "AI/テクノロジー",
        2013,
    ),
}

SEED_ROW = (
    "GENAI_042",
    "Mistral AI - European AI Leader & Data Sovereignty Pioneer",
    "Mistral AI",
    "フランス",
    "AI/テクノロジー",
    2023,
)

FIXTURE_ROWS = {
    "fm_subject.md": (
        "FIX_101",
        "Nordwind Robotics - 倉庫自動化AIの全社展開",
        "Nordwind Robotics",
        "ドイツ",
        "物流・ロボティクス",
        2014,
    ),
    "fm_case_id.md": (
        "FIX_102_thames",
        "Thames Assurance - 保険金請求審査の生成AI化",
        "Thames Assurance plc",
        "英国",
        "金融・保険",
        1887,
    ),
    "fm_case_study_id.md": (
        "FIX_103_mirai",
        "みらい物流：配車計画への生成AI導入",
        "株式会社みらい物流",
        "日本",
        "運輸・物流",
        1962,
    ),
    "fm_organization.md": (
        "FIX_104_hokusei",
        "北星ヘルスケア：看護記録の音声AI化",
        "医療法人 北星会",
        "日本",
        "医療・ヘルスケア",
        1978,
    ),
    "no_front_matter.md": (
        "no_front_matter",
        "Tier 1 Case Study: Helvetia MedTech × 生成AI",
        "Helvetia MedTech AG",
        "スイス",
        "医療機器（診断装置）",
        2009,
    ),
    "broken_block.md": ("FIX_106", "Aurora Foods - 需要予測AIと食品ロス削減", "Aurora Foods", "日本", "食品製造", 1955),
    "unterminated.md": ("unterminated", "本文のはずの見出し", None, None, None, None),
    "non_mapping.md": ("non_mapping", "非マッピングのフロントマター", None, None, None, None),
}

KEYS = ("doc_id", "title", "company", "country", "industry", "founded_year")


def _row(f: dict[str, Any]) -> tuple:
    return tuple(f.get(k) for k in KEYS)


@needs_corpus
@pytest.mark.parametrize(("name", "expected"), sorted(CORPUS.items()), ids=sorted(CORPUS))
def test_real_corpus_canonical_facets(name: str, expected: tuple, mapping: FacetMapping) -> None:
    assert _row(_facets(CASES / name, mapping)) == expected


def test_seed_canonical_facets(mapping: FacetMapping) -> None:
    f = _facets(SEED, mapping)
    assert _row(f) == SEED_ROW
    assert f["company_ja"] == "ミストラルAI" and f["country_en"] == "France" and f["region"] == "欧州"
    assert f["employees"] == 350 and f["headquarters"] == "Paris, France" and f["category"] == "genai_provider"
    assert f["tags"][:4] == ["AI", "LLM", "オープンソース", "データ主権"] and "EU AI Act" in f["tags"]
    assert f["tags"].count("LLM") == 1  # flattened and de-duplicated
    assert f["source"] == str(SEED.resolve())
    assert f["fm.subject.employees"] == 350 and f["fm.quantitative_impact.valuation_usd"] == 14000000000
    assert f["fm.key_investors"][0].startswith("ASML") and f["fm.tags.compliance"] == ["GDPR", "EU AI Act"]
    assert f["fm.ai_adoption.use_case_secondary"][0] == "コード生成"
    assert f["fm.founders_team"].startswith('[{"name": "Arthur Mensch"')  # list of mappings → JSON
    assert f["company_aliases"] == ["Mistral AI", "ミストラルAI"]


@pytest.mark.parametrize(("name", "expected"), sorted(FIXTURE_ROWS.items()), ids=sorted(FIXTURE_ROWS))
def test_fixture_canonical_facets(name: str, expected: tuple, mapping: FacetMapping) -> None:
    assert _row(_facets(FIXTURES / name, mapping)) == expected


@needs_corpus
def test_real_corpus_other_facets(mapping: FacetMapping) -> None:
    f = {name: _facets(CASES / name, mapping) for name in CORPUS}
    assert f["021_klarna.md"]["country_en"] == "Sweden" and f["021_klarna.md"]["region"] == "欧州"
    assert f["037_cohere.md"]["headquarters"].startswith("Toronto, Canada")
    assert f["003_panasonic_connect.md"]["company_ja"] == "パナソニック コネクト株式会社"
    assert alias_key("パナソニックコネクト") in f["003_panasonic_connect.md"]["company_keys"]
    assert "Harvey" in f["022_harvey.md"]["company_aliases"]
    assert "MUFG" in f["001_mitsubishi_ufj.md"]["company_aliases"]  # from the body's 企業名 row
    assert f["001_mitsubishi_ufj.md"]["headquarters"] == "東京都千代田区"  # the body's 本部 row
    assert f["035_moderna.md"]["employees"] == "大規模企業（従業員数: 2,000名以上）"
    assert f["038_huggingface.md"]["employees"] == "200-250"
    assert f["007_seven_eleven.md"]["fm.case_published_date"] == "2020-01-01"
    assert f["006_softbank.md"]["fm.key_metrics.adoption_rate"] == "70%以上"
    assert f["006_softbank.md"]["tags"][-1] == "日本企業"
    for name, facets in f.items():
        assert facets["source"] == str((CASES / name).resolve())


def test_all_facet_values_are_chroma_metadata(mapping: FacetMapping) -> None:
    types_mod = pytest.importorskip("chromadb.api.types")
    paths = [SEED, *FIXTURES.glob("*.md"), *(CASES.glob("*.md") if CASES.is_dir() else [])]
    for path in paths:
        f = _facets(path, mapping)
        types_mod.validate_metadata(f)
        for value in f.values():
            assert value is not None and value != []
            if isinstance(value, list):
                assert len({type(v) for v in value}) == 1


# ----------------------------------------------------------------------------- countries

COUNTRY_CASES = [
    ("米国（サンフランシスコ）", "米国"),
    ("米国（カリフォルニア州）", "米国"),
    ("United States", "米国"),
    ("USA", "米国"),
    ("ＵＳＡ", "米国"),
    ("U.S.", "米国"),
    ("アメリカ合衆国（マサチューセッツ州ケンブリッジ）", "米国"),
    ("San Francisco, California", "米国"),
    ("Headquartered in Nashville, Tennessee", "米国"),
    ("東京都港区", "日本"),
    ("東京都千代田区", "日本"),
    ("北海道札幌市中央区", "日本"),
    ("大阪府大阪市北区", "日本"),
    ("Japan", "日本"),
    ("japan", "日本"),
    ("日本", "日本"),
    ("Tokyo", "日本"),
    ("スウェーデン（ストックホルム本部）", "スウェーデン"),
    ("ストックホルム、スウェーデン", "スウェーデン"),
    ("Paris, France", "フランス"),
    ("フランス", "フランス"),
    ("Toronto, Canada（with offices in San Francisco, Montreal, London, New York, Paris, Seoul, Tokyo）", "カナダ"),
    ("カナダ", "カナダ"),
    ("英国（ロンドン本社）", "英国"),
    ("UK", "英国"),
    ("London", "英国"),
    ("ドイツ（ミュンヘン本社）", "ドイツ"),
    ("Munich, Germany", "ドイツ"),
    ("中華人民共和国", "中国"),
    ("Shanghai", "中国"),
    ("スイス（チューリッヒ）", "スイス"),
    ("（本社：東京）", "日本"),
    ("Ruritania", None),
    ("Global", None),
    ("南米", None),  # a region, and "米" alone must not make it the US
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("value", "expected"), COUNTRY_CASES, ids=[c[0] or "<empty>" for c in COUNTRY_CASES])
def test_normalize_country(value: str, expected: str | None) -> None:
    assert normalize_country(value) == expected


def test_canonical_value_for_filters() -> None:
    assert canonical_value("country", "Japan") == canonical_value("country", "日本") == "日本"
    assert canonical_value("country", "USA") == canonical_value("country", "アメリカ") == "米国"
    assert canonical_value("country", "Ruritania") == "Ruritania"
    assert canonical_value("country_en", "日本") == "Japan"
    assert canonical_value("region", "Europe") == "欧州"
    assert canonical_value("region", "フランス") == "欧州"
    assert canonical_value("region", "APAC") == "アジア太平洋"
    assert canonical_value("region", "Latin America") == "中南米"
    assert canonical_value("region", "North America") == "北米"
    assert canonical_value("region", "EMEA (ヨーロッパ・中東・アフリカ)") == "EMEA"
    assert canonical_value("founded_year", "２００５年") == "2005"
    assert canonical_value("industry", "  AI/テクノロジー ") == "AI/テクノロジー"
    assert canonical_value("not_a_facet", "ＡＢＣ　１") == "ABC 1"


def test_aliases_for_countries_and_regions() -> None:
    us = aliases_for("country", "USA")
    assert {"米国", "United States", "USA", "アメリカ合衆国"} <= us
    assert {"日本", "Japan", "東京都"} <= aliases_for("country", "Japan")
    assert {"欧州", "Europe", "ヨーロッパ"} <= aliases_for("region", "EU")
    assert aliases_for("industry", "製造") == {"製造"}


# ----------------------------------------------------------------------------- companies


def test_company_aliases_from_documents_are_case_insensitive(mapping: FacetMapping) -> None:
    assert mapping.canonical_value("company", "ミストラルAI") == "ミストラルAI"  # not loaded yet
    load_document(SEED, mapping=mapping)
    for spelling in ("ミストラルAI", "ミストラルＡＩ", "mistral ai", "MISTRAL-AI", "Mistral AI"):
        assert mapping.canonical_value("company", spelling) == "Mistral AI"
        assert mapping.canonical_value("company_ja", spelling) == "Mistral AI"
    assert {"Mistral AI", "ミストラルAI"} <= mapping.aliases_for("company", "mistral ai")


def test_declared_company_groups_and_legal_forms(mapping: FacetMapping) -> None:
    load_document(FIXTURES / "fm_subject.md", mapping=mapping)
    assert mapping.canonical_value("company", "ノルトヴィント") == "Nordwind Robotics"
    assert mapping.canonical_value("company", "nordwind") == "Nordwind Robotics"
    # declared groups work before any document is loaded, and a document's name then wins
    assert mapping.canonical_value("company", "klarna") == "Klarna Bank AB"
    assert mapping.canonical_value("company", "みらい物流") == "みらい物流"
    load_document(FIXTURES / "fm_case_study_id.md", mapping=mapping)
    assert mapping.canonical_value("company", "みらい物流") == "株式会社みらい物流"


def test_company_aliases_function() -> None:
    fm = {
        "subject": {
            "name": "Panasonic Connect",
            "name_ja": "パナソニック コネクト株式会社",
            "aliases": ["パナソニックコネクト", "Panasonic Connect Co., Ltd."],
        }
    }
    names = company_aliases(fm)
    assert names[0] == "Panasonic Connect"
    assert {"パナソニック コネクト", "パナソニック コネクト株式会社", "Panasonic Connect Co., Ltd."} <= set(names)
    assert len({alias_key(n) for n in names}) == len(names)  # one spelling per key
    assert "パナソニックコネクト" not in names  # same key as "パナソニック コネクト"
    assert company_aliases({"company_name": "Counsel AI Corporation (Harvey)"})[:3] == [
        "Counsel AI Corporation (Harvey)",
        "Harvey",
        "ハーヴィー",
    ]
    assert "三菱UFJ銀行" in company_aliases({"company_name": "三菱UFJフィナンシャル・グループ/三菱UFJ銀行"})
    assert company_aliases({"organization": "株式会社セブン-イレブン・ジャパン"})[1] == "セブン-イレブン・ジャパン"
    assert company_aliases({}) == []


def test_company_keys_facet(mapping: FacetMapping) -> None:
    f = _facets(SEED, mapping)
    assert f["company_keys"] == [alias_key("Mistral AI"), alias_key("ミストラルAI")]
    assert alias_key("ＭＩＳＴＲＡＬ－ａｉ") == alias_key("mistral ai") == "mistralai"
    assert alias_key("セブン-イレブン") == alias_key("セブンイレブン")


def test_register_company_from_stored_metadata(mapping: FacetMapping) -> None:
    mapping.register_company(["Cohere", "コヒア"])
    assert mapping.canonical_value("company", "こひあ") == "こひあ"  # hiragana is a different name
    assert mapping.canonical_value("company", "コヒア") == "Cohere"


# ------------------------------------------------------------------------ value parsing


@pytest.mark.parametrize(
    ("value", "year"),
    [
        (2005, 2005),
        ("2005年", 2005),
        ("１９１９年（三菱銀行）、2006年合併", 1919),
        ("1919年（…）、2006年合併", 1919),
        ("2018-04-01", 2018),
        (2023.0, 2023),
        ("設立不明", None),
        (12, None),
        (True, None),
        (None, None),
        ("30-40", None),
    ],
)
def test_parse_year(value: Any, year: int | None) -> None:
    assert parse_year(value) == year


def test_tags_flatten_dicts_lists_and_strings(mapping: FacetMapping) -> None:
    fm = {"tags": {"industry": ["AI", "LLM"], "region": ["欧州"], "x": {"y": ["LLM", "深い"]}}, "keywords": "単独"}
    f = mapping.compute(fm, "", Path("t.md"))
    assert f["tags"] == ["AI", "LLM", "欧州", "深い", "単独"]


def test_flatten_front_matter_values() -> None:
    fm = {
        "a": {"b": {"c": 1}},
        "none": None,
        "empty": [],
        "ints": [1, 2],
        "mixed_num": [1, 2.5],
        "mixed": [1, "x", True],
        "bools": [True, False],
        "dicts": [{"k": 1}],
        "nan": float("nan"),
        "big": 2**70,
        "nones": [None, "x"],
        "s": "text",
    }
    flat = flatten_front_matter(fm)
    assert flat == {
        "fm.a.b.c": 1,
        "fm.ints": [1, 2],
        "fm.mixed_num": [1.0, 2.5],
        "fm.mixed": ["1", "x", "true"],
        "fm.bools": [True, False],
        "fm.dicts": '[{"k": 1}]',
        "fm.nan": "nan",
        "fm.big": str(2**70),
        "fm.nones": ["x"],
        "fm.s": "text",
    }
    assert "fm.dicts" not in flatten_front_matter(fm, lists_of_mappings="skip")
    assert "fm.dicts" not in flatten_front_matter({"dicts": [{"k": "x" * 50}]}, max_json_chars=20)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(fm=st.dictionaries(st.text(max_size=6), _json, max_size=6))
def test_flattened_values_are_always_chroma_types(fm: dict) -> None:
    for key, value in flatten_front_matter(fm).items():
        assert key.startswith("fm.")
        if isinstance(value, list):
            assert value and len({type(v) for v in value}) == 1
            assert all(type(v) in (str, int, float, bool) for v in value)
        else:
            assert type(value) in (str, int, float, bool)
            if isinstance(value, float):
                assert math.isfinite(value)


def test_body_table_and_first_heading() -> None:
    body = (
        "# 題名\n\n| フィールド | 値 |\n|---|---|\n| **企業名** | **Acme Inc.** |\n| 業界 | 製造 |\n"
        "| **企業名** | 二度目は無視 |\n| a | b | c |\n```\n| **国/地域** | コード内 |\n```\n"
    )
    table = body_table(body)
    assert table == {"フィールド": "値", "企業名": "Acme Inc.", "業界": "製造"}
    assert body_table("\n" * 10 + "| **業界** | 遠い |", max_lines=5) == {}
    assert first_heading("## 二\n# 一 #\n") == "一"
    assert first_heading("本文のみ") is None


# ----------------------------------------------------------------------- the mapping file


def test_packaged_mapping_declares_the_canonical_facets(mapping: FacetMapping) -> None:
    assert PACKAGED_MAPPING.is_file()
    assert {
        "doc_id",
        "title",
        "company",
        "company_ja",
        "company_aliases",
        "country",
        "country_en",
        "region",
        "industry",
        "category",
        "founded_year",
        "employees",
        "headquarters",
        "tags",
        "source",
    } <= set(mapping.facet_names)
    assert Settings().facets_file is None  # None → the packaged file


def test_user_mapping_file_overrides_the_packaged_one(tmp_path: Path) -> None:
    user = tmp_path / "my_facets.yaml"
    user.write_text(
        "facets:\n"
        "  doc_id: {sources: [ref, '@stem']}\n"
        "  company: {sources: [org.name], vocabulary: companies}\n"
        "  country: {type: country, sources: [org.where]}\n"
        "  title: {sources: ['@heading']}\n"
        "vocabularies:\n"
        "  countries:\n"
        "    日本: {en: Japan, region: アジア, aliases: [Japan, 東京都]}\n"
        "flatten: {prefix: 'meta.'}\n",
        encoding="utf-8",
    )
    m = FacetMapping.load(Settings(facets_file=user).facets_file)
    doc = tmp_path / "d.md"
    doc.write_text(
        "---\nref: R-1\norg: {name: 社名, where: 東京都港区}\nid: ignored\n---\n# 見出し\n", encoding="utf-8"
    )
    f = load_document(doc, mapping=m).facets
    assert f["doc_id"] == "R-1" and f["company"] == "社名" and f["country"] == "日本" and f["title"] == "見出し"
    assert f["meta.org.name"] == "社名" and not any(k.startswith("fm.") for k in f)
    assert "industry" not in f
    # without table sources, a table-only document gets no company
    assert "company" not in load_document(FIXTURES / "no_front_matter.md", mapping=m).facets


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("facets: [1, 2]", "'facets' must be a non-empty mapping"),
        ("facets:\n  a: {sources: [x], type: colour}", "unknown type 'colour'"),
        ("facets:\n  a: {sources: ['facet:b']}\n  b: {sources: [x]}", "must name a facet listed before it"),
        ("facets:\n  a: {sources: []}", "'sources' must be a non-empty list"),
        ("facets:\n  a: {sources: ['@nowhere']}", "unknown source '@nowhere'"),
        ("facets:\n  a: {sources: [{from: x, require: latin}]}", "unknown 'require: latin'"),
        ("facets:\n  a: {sources: [x], colour: red}", "unknown keys ['colour']"),
        ("facets: {a: [", "not valid YAML"),
        ("facets:\n  a: {sources: [x]}\nvocabularies:\n  companies: {groups: [a, b]}", "must be a list of lists"),
        ("facets:\n  a: {sources: [x]}\nbody_table: {max_lines: many}", "'body_table.max_lines'"),
    ],
)
def test_invalid_mapping_files_are_reported(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FacetMappingError, match="^" + str(path).replace("\\", "\\\\")) as info:
        FacetMapping.load(path)
    assert message in str(info.value)
    with pytest.raises(FacetMappingError, match="cannot read"):
        FacetMapping.load(tmp_path / "missing.yaml")


def test_module_functions_use_one_default_mapping() -> None:
    assert facets_mod.default_mapping() is facets_mod.default_mapping()
    assert normalize_country("Japan") == facets_mod.default_mapping().normalize_country("Japan")


def test_a_nested_company_block_gives_the_company_and_its_english_name(tmp_path: Path, mapping: FacetMapping) -> None:
    """`company: {name, name_en}` (three documents of corpus/more write it): the company facet and its
    English alias come from it, so an English question naming "Sumitomo Mitsui Card" finds it."""
    p = tmp_path / "nested.md"
    p.write_text(
        '---\nid: "FIX_NESTED"\ntitle: "三井住友カード - X-Ghost AIオペレーター導入"\ncompany:\n'
        '  name: "三井住友カード株式会社"\n  name_en: "Sumitomo Mitsui Card Co., Ltd."\n  country: "日本"\n---\n\n'
        "## 1. 概要\n\n本文。\n",
        encoding="utf-8",
    )
    f = load_document(p, mapping=mapping).facets
    assert f["company"] == "三井住友カード株式会社" and f["company_ja"] == "三井住友カード株式会社"
    assert "Sumitomo Mitsui Card" in f["company_aliases"]


def test_a_bracketed_note_on_a_name_is_no_alias() -> None:
    """「広告企業W（仮称）」 / "Advertising Company W (Pseudonym)": (Pseudonym) and （仮称） say the name is
    made up; they are no name of the company (answer lines read "Pseudonym: 2.")."""
    fm = {"company": {"name": "広告企業W（仮称）", "name_en": "Advertising Company W (Pseudonym)"}}
    aliases = company_aliases(fm)
    assert "Advertising Company W" in aliases and "広告企業W" in aliases
    assert not {"Pseudonym", "仮称"} & set(aliases)
