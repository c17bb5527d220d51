"""Whose fact it is (rag.answer.entities): library companies named, entities without a document.

On real documents loaded by rag.ingest (the seed, the fixtures, the 12 shared cases) and, for the
13-document library, on the real index snapshot as `ask` gets it.
"""

from __future__ import annotations

import pytest

from rag.answer.entities import (
    EntityCheck,
    build_index,
    check_entities,
    display_name,
    entity_index,
    library_spelling,
    mention_note,
    refusal_reason,
)
from rag.ingest import load_document
from rag.schema import LoadError
from tests.conftest import CORPUS, FIXTURES, MORE, SEEDS, needs_more, needs_shared


def _load(paths) -> list:
    docs = []
    for p in paths:
        try:
            docs.append(load_document(p))
        except LoadError:
            continue
    return docs


@pytest.fixture(scope="module")
def seed_lib():
    """The seed (Mistral AI) plus the fixture documents (invented companies)."""
    return entity_index(_load([*sorted(SEEDS.iterdir()), *sorted((FIXTURES / "docs").glob("*.md"))]))


@pytest.fixture(scope="module")
def lib13():
    return entity_index(_load([*sorted(SEEDS.iterdir()), *sorted(CORPUS.glob("*.md"))]))


# ----------------------------------------------------------------------------- seed + fixtures


@pytest.mark.parametrize("q", ["When was Mistral AI founded?", "ミストラルAIのCEOは誰？", "How big is Mistral's team?"])
def test_seed_names_mistral(seed_lib, q: str) -> None:
    c = check_entities(q, seed_lib)
    assert c.named_docs == ["GENAI_042"] and not c.unknown and not c.refuse


@pytest.mark.parametrize(
    ("q", "doc"),
    [
        ("What did Nordwind Robotics automate?", "FIX_101"),
        ("ノルトヴィント・ロボティクスの導入効果は？", "FIX_101"),
        ("How many claims does Thames Assurance review with AI?", "FIX_102_thames"),
        ("みらい物流の配車時間はどれだけ短縮した？", "FIX_103_mirai"),
    ],
)
def test_fixture_companies_named(seed_lib, q: str, doc: str) -> None:
    c = check_entities(q, seed_lib)
    assert doc in c.named_docs and not c.refuse, c


def test_product_of_one_document_names_it(seed_lib) -> None:
    """Mixtral is only in the Mistral document's front matter: the question is about that document."""
    c = check_entities("Mixtral 8x7Bの総パラメータ数は？", seed_lib)
    assert c.named_docs == ["GENAI_042"] and not c.refuse


@pytest.mark.parametrize(
    ("q", "name", "lang", "reason"),
    [
        ("What is Toyota's 2024 revenue?", "Toyota", "en", "The library has no document about Toyota."),
        ("トヨタの2024年の売上高は？", "トヨタ", "ja", "ライブラリにトヨタに関する資料はありません。"),
        (
            "What is Goldman Sachs' AI strategy?",
            "Goldman Sachs",
            "en",
            "The library has no document about Goldman Sachs.",
        ),
        ("任天堂の売上高は？", "任天堂", "ja", "ライブラリに任天堂に関する資料はありません。"),
        (
            "ソニーグループの生成AI活用事例は？",
            "ソニーグループ",
            "ja",
            "ライブラリにソニーグループに関する資料はありません。",
        ),
    ],
)
def test_absent_company_refused_with_reason(seed_lib, q: str, name: str, lang: str, reason: str) -> None:
    c = check_entities(q, seed_lib)
    assert c.refuse and c.no_document == [name] and not c.named_docs, c
    assert refusal_reason(c, lang) == reason


def test_not_every_capitalised_word_is_an_entity(seed_lib) -> None:
    for q in [
        "What is the context window of the models?",
        "Which French AI company has the most open models?",
        "How many GPUs were used?",
        "アクティブパラメータ数が最も多いモデルは？",
        "生成AIの導入で成果を上げた企業は？",
    ]:
        c = check_entities(q, seed_lib)
        assert not c.refuse and not c.unknown, (q, c)


def test_unknown_beside_a_named_company_is_not_a_refusal(seed_lib) -> None:
    c = check_entities("Compare Mistral AI and Toyota on revenue", seed_lib)
    assert c.named_docs == ["GENAI_042"] and c.no_document == ["Toyota"] and not c.refuse


def test_acronym_after_a_named_company_is_not_an_entity(seed_lib) -> None:
    c = check_entities("What is Mistral's NPS?", seed_lib)
    assert c == EntityCheck(["GENAI_042"], [], {}, [])


@pytest.mark.parametrize("q", ["DHLの物流倉庫ではAI導入で仕分け効率が何％向上した？", "DHLの売上高は？"])
def test_an_acronym_the_library_never_writes_before_no_is_an_absent_company(seed_lib, q: str) -> None:
    """「DHLの…」 naming no library company: DHL is what the question is about (it was answered with
    another company's figure); acronyms the library writes (AI, CEO) are no entity."""
    c = check_entities(q, seed_lib)
    assert c.unknown == ["DHL"] and c.refuse
    for ok in ("AIの導入時期は？", "CEOは誰？", "ミストラルAIのCEOは誰？"):
        assert not check_entities(ok, seed_lib).refuse, ok


# ----------------------------------------------------------------------------- the 13-document library


@needs_shared
@pytest.mark.parametrize(
    ("q", "doc"),
    [
        ("What valuation did Mistral AI reach, and who led the round?", "GENAI_042"),
        ("How many hours a month did MUFG save?", "001_mufg"),
        ("三菱UFJ銀行の月間削減時間は？", "001_mufg"),
        ("What results did Klarna's AI assistant achieve?", "021_klarna"),
        ("クラーナのAIアシスタントは何言語に対応している？", "021_klarna"),
        ("Who are Harvey's customers?", "GENAI_GL002"),
    ],
)
def test_library_companies_named(lib13, q: str, doc: str) -> None:
    c = check_entities(q, lib13)
    assert c.named_docs == [doc] and not c.refuse, c


@needs_shared
@pytest.mark.parametrize(
    ("q", "lang"), [("What is Toyota's 2024 revenue?", "en"), ("トヨタの2024年の売上高は？", "ja")]
)
def test_toyota_refused_in_13_doc_library(lib13, q: str, lang: str) -> None:
    """Toyota is mentioned in passing (Cohere's and Mistral's competitive landscape) but has no document."""
    c = check_entities(q, lib13)
    assert c.refuse and not c.named_docs and c.unknown == []
    name = c.no_document[0]
    assert c.mentioned[name]  # the documents that mention it
    assert refusal_reason(c, lang).startswith(
        "The library has no document about Toyota." if lang == "en" else "ライブラリにトヨタに関する資料はありません。"
    )


@needs_shared
def test_competitor_only_inside_another_document(lib13) -> None:
    """Westlaw appears only in Harvey's competitor table: it has no document of its own."""
    c = check_entities("Who are Westlaw's customers?", lib13)
    assert c.refuse and c.no_document == ["Westlaw"] and c.mentioned == {"Westlaw": ["GENAI_GL002"]}
    names = {"GENAI_GL002": "Harvey"}
    assert refusal_reason(c, "en", names) == (
        "The library has no document about Westlaw. It is mentioned in the documents of Harvey."
    )
    assert mention_note("Westlaw", ["Harvey"], "en") == (
        "Westlaw has no document of its own; this comes from Harvey's document."
    )
    assert mention_note("Westlaw", ["Harvey"], "ja").startswith("Westlawに関する資料はありません。")


@needs_shared
def test_two_companies_named_in_order(lib13) -> None:
    c = check_entities("Compare Klarna and Mistral AI on valuation", lib13)
    assert c.named_docs == ["021_klarna", "GENAI_042"] and not c.no_document


@needs_shared
def test_real_snapshot_agrees(indexed_settings, lib13) -> None:
    """The index snapshot `ask` reads gives the same answers as the loaded documents."""
    from rag.index import get_library

    snap = get_library(indexed_settings).snapshot()
    for q in [
        "What is Toyota's 2024 revenue?",
        "トヨタの2024年の売上高は？",
        "Who are Westlaw's customers?",
        "What results did Klarna's AI assistant achieve?",
        "三菱UFJ銀行の月間削減時間は？",
        "ミストラルAIのCEOは誰？",
    ]:
        assert check_entities(q, snap) == check_entities(q, lib13), q
    assert entity_index(snap) is entity_index(snap)  # cached per snapshot


# ----------------------------------------------------------------------------- 49 documents (corpus/more)


@pytest.fixture(scope="module")
def lib49():
    return entity_index(_load([*sorted(SEEDS.iterdir()), *sorted(CORPUS.glob("*.md")), *sorted(MORE.glob("*.md"))]))


@needs_more
def test_a_bracket_in_a_title_without_a_company_part_is_no_name(lib49) -> None:
    """「東京都の生成AI（ChatGPT）全庁導入事例」 has no "Company - …" head: ChatGPT does not name that
    document, so a question about a missing company and ChatGPT is refused, and a question about MUFG
    and ChatGPT names MUFG only."""
    c = check_entities("サントリーのChatGPT利用者数は？", lib49)
    assert c.refuse and c.no_document == ["サントリー"], c
    assert check_entities("How many hours did MUFG save with ChatGPT?", lib49).named_docs == ["001_mufg"]


@needs_more
def test_a_name_in_brackets_beside_the_company_names_it(lib49) -> None:
    """ "Macquarie Bank（マッコーリー銀行）" in the document: the Japanese name is that company's."""
    c = check_entities("マッコーリー銀行の年間純利益は？", lib49)
    assert c.named_docs == ["GENAI_GL009"] and not c.refuse, c


@needs_more
def test_a_doc_id_spells_the_english_name_of_a_japanese_only_document(lib49) -> None:
    c = check_entities("How many ideas did the Tokyo Metropolitan Government collect?", lib49)
    assert c.named_docs == ["008_tokyo_metropolitan"] and not c.refuse, c


@needs_more
def test_ordinary_words_do_not_name_a_company(lib49) -> None:
    """best (Best Buy), scale (Scale AI), recruit (Recruit Holdings) written as ordinary words."""
    assert check_entities("What is the best practice for deploying AI at scale?", lib49).named_docs == []
    assert check_entities("How many staff did KDDI recruit?", lib49).named_docs == ["GENAI_JP020"]
    assert check_entities("Did Best Buy use Gemini?", lib49).named_docs == ["GENAI_GL006"]
    assert check_entities("How does Scale AI label data?", lib49).named_docs == ["GENAI_039"]


@needs_more
def test_a_document_without_front_matter_is_named_from_its_profile(lib49) -> None:
    """002_square_enix has no front matter; its profile says "**企業名**: 株式会社スクウェア・エニックス"."""

    assert display_name(lib49, "002_square_enix_chatgpt_gameai", "ja") == "スクウェア・エニックス"
    # no Latin name given: the doc id's words that sound like スクウェア・エニックス, not its topic words
    assert display_name(lib49, "002_square_enix_chatgpt_gameai", "en") == "Square Enix"
    assert display_name(lib49, "007_olympus_endoscope_ai", "en") == "Olympus"  # "**企業名**: オリンパス（Olympus）"
    assert "002_square_enix_chatgpt_gameai" in check_entities("スクウェア・エニックスの従業員数は？", lib49).named_docs


def test_english_display_names_are_whole_names() -> None:
    """An English answer line names the company by a whole Latin name: not a first word cut from a
    longer one, a legal name when that is all there is, else the name a short doc id spells."""
    idx = build_index(
        [
            ("GENAI_038", "Hugging Face", {"company": "Hugging Face", "company_ja": "ハギングフェイス"}, "本文"),
            ("JP016", "住友商事", {"company": "住友商事株式会社（Sumitomo Corporation）"}, "本文"),
            ("JP029", "三井住友カード", {"company": "Sumitomo Mitsui Card"}, "Sumitomo"),
            (
                "008_tokyo_metropolitan",
                "東京都の生成AI（ChatGPT）全庁導入事例",
                {"organization_name": "東京都"},
                "本文",
            ),
            (
                "002_square_enix_chatgpt_gameai",
                "スクウェア・エニックス",
                {"company_ja": "スクウェア・エニックス"},
                "本文",
            ),
            ("003_kaiyo_denki_genai_chatbot", "海洋電機", {"company_ja": "海洋電機"}, "本文"),
        ]
    )
    assert display_name(idx, "GENAI_038", "en") == "Hugging Face"
    assert display_name(idx, "JP016", "en") == "Sumitomo Corporation"
    assert display_name(idx, "008_tokyo_metropolitan", "en") == "Tokyo Metropolitan"
    # a long stem carries topic words: only the words that sound like its katakana name
    assert display_name(idx, "002_square_enix_chatgpt_gameai", "en") == "Square Enix"
    assert display_name(idx, "003_kaiyo_denki_genai_chatbot", "en") is None  # kanji: no sound to match


@needs_more
@pytest.mark.parametrize(
    ("q", "name"),
    [
        ("When did Rakuten launch its AI assistant?", "Rakuten"),  # subject of "did", mentioned in passing
        ("How much did BMW invest in generative AI?", "BMW"),  # an acronym as the subject
        ("What share of Accenture staff use Copilot?", "Accenture"),  # before an organisation noun
        ("Who is the CEO of Samsung Electronics?", "Samsung Electronics"),  # the title is no part of it
    ],
)
def test_what_an_english_question_is_about_needs_a_document(lib49, q: str, name: str) -> None:
    """A company the library only mentions in passing (or never), asked about as the question's subject,
    is refused instead of answered with another company's figure."""
    c = check_entities(q, lib49)
    assert c.refuse and c.no_document == [name], c


@needs_more
def test_a_subject_beside_a_named_company_or_an_object_is_no_refusal(lib49) -> None:
    """ "When did Oracle partner with Cohere?" is about Cohere; "Which companies use ChatGPT?" asks for
    companies, not about a ChatGPT document."""
    c = check_entities("When did Oracle partner with Cohere?", lib49)
    assert c.named_docs == ["GENAI_037"] and not c.no_document, c
    assert not check_entities("Which companies use ChatGPT?", lib49).refuse
    assert check_entities("When did Klarna launch its AI assistant?", lib49).named_docs == ["021_klarna"]


# ----------------------------------------------------------------------------- katakana ↔ Latin names


@pytest.fixture(scope="module")
def latin_only():
    """Documents that write their company in Latin letters only, the way many case studies do."""
    return build_index(
        [
            (
                "GS_1",
                "Goldman Sachs - AI投資分析",
                {"company": "Goldman Sachs"},
                "Goldman Sachsはリサーチ生産性を2.4倍にした。",
            ),
            ("WF_1", "Wells Fargo - Fargo", {"company": "Wells Fargo"}, "Wells Fargoは2024年に336Mの対話を処理した。"),
            ("RH_1", "Radisson Hotel Group", {"company": "Radisson Hotel Group"}, "ホテル数: 1,520+"),
            ("GB_1", "Goldberg Sachs Partners", {"company": "Goldberg Sachs Partners"}, "別の会社。"),
            ("CB_1", "Citibank", {"company": "Citibank"}, "シティの拠点とバンクの業務。"),
            ("BB_1", "Best Buy", {"company": "Best Buy Co., Inc."}, "ベストな選択とバイの話。"),
            ("HV_1", "Harvey", {"company": "Counsel AI Corporation (Harvey)"}, "Counsel AIのリーガルAI。"),
        ]
    )


@pytest.mark.parametrize(
    ("q", "doc"),
    [
        ("ゴールドマン・サックスの研究チームの生産性はどれだけ向上しましたか？", "GS_1"),
        ("ウェルズ・ファーゴのFargoは年間何件の対話を処理しましたか？", "WF_1"),
        ("ラディソン・ホテル・グループは何軒のホテルを運営していますか？", "RH_1"),
        ("ラディソンのホテル数は？", "RH_1"),
    ],
)
def test_a_katakana_name_finds_the_latin_only_document(latin_only, q: str, doc: str) -> None:
    """Without this the question was refused: 「ライブラリにゴールドマン・サックスに関する資料はありません」."""
    c = check_entities(q, latin_only)
    assert c.named_docs == [doc] and not c.refuse and not c.unknown, c


def test_a_katakana_word_made_of_library_words_finds_its_document(latin_only) -> None:
    """シティ and バンク are library words, so シティバンク was no entity candidate: it was answered
    from SoftBank's document."""
    assert check_entities("シティバンクの従業員数は？", latin_only).named_docs == ["CB_1"]
    # a middle dot sets off a foreign name: a 4-consonant key is enough (ベスト・バイ → Best Buy)
    assert check_entities("ベスト・バイの従業員数は？", latin_only).named_docs == ["BB_1"]


def test_a_short_sound_alike_of_a_common_word_names_nothing(latin_only) -> None:
    """コンソール (console) sounds like Counsel (AI Corporation) by 4 consonants: too short for a word
    that is no name candidate."""
    assert check_entities("コンソールの操作ログは保存されますか？", latin_only).named_docs == []


def test_a_katakana_name_that_sounds_like_no_document_is_still_refused(latin_only) -> None:
    c = check_entities("マイクロソフトの従業員数は？", latin_only)
    assert c.refuse and c.no_document[0] == "マイクロソフト", c  # (this tiny library never says 従業員数 either)


def test_a_counter_after_nan_is_no_entity(latin_only) -> None:
    """何軒 / 何社: the counter starts no name (it was refused as an absent entity 「軒」)."""
    for q, counter in [("トヨタは何軒の販売店を持っていますか？", "軒"), ("トヨタは何社と提携しましたか？", "社")]:
        c = check_entities(q, latin_only)
        assert c.refuse and c.no_document[0] == "トヨタ" and counter not in c.unknown, c


@needs_more
@pytest.mark.parametrize(
    ("q", "doc"),
    [
        ("ゴールドマン・サックスの研究チームの生産性はどれだけ向上しましたか？", "051_goldman_sachs"),
        ("ウェルズ・ファーゴの従業員数は？", "054_wells_fargo"),
        ("ラディソン・ホテル・グループは何軒のホテルを運営していますか？", "GENAI_GL007"),
        ("インターコムのFinの解決率は？", "GENAI_CS_INTERCOM_001"),
    ],
)
def test_katakana_names_in_the_49_document_library(lib49, q: str, doc: str) -> None:
    c = check_entities(q, lib49)
    assert c.named_docs == [doc] and not c.refuse, c


def test_the_answer_line_names_the_company_as_the_asker_spelled_it(latin_only) -> None:
    """The question is searched as the library spells the company (its words then meet the document's:
    「ゴールドマン・サックスの従業員数は？」 was refused for "question terms not in the sources"), and a
    Japanese answer line names it as the asker did."""

    def spelled(q: str) -> tuple[str, dict[str, str]]:
        return library_spelling(q, check_entities(q, latin_only))

    assert spelled("ゴールドマン・サックスの時価総額は？") == (
        "Goldman Sachsの時価総額は？",
        {"GS_1": "ゴールドマン・サックス"},
    )
    assert spelled("Goldman Sachsの時価総額は？") == ("Goldman Sachsの時価総額は？", {})
    assert spelled("マイクロソフトの時価総額は？")[1] == {}
    assert library_spelling("ゴールドマン・サックスの時価総額は？", None)[1] == {}  # no entity check: as asked


def test_a_katakana_topic_the_library_only_mentions_is_refused() -> None:
    """「マイクロソフトの従業員数は？」: the tagger splits マイクロソフト into マイクロ + ソフト (common words), so
    it was no candidate and SoftBank's headcount was the answer. A katakana word opening the question
    that one or two documents merely mention is what the question is about; one most documents write
    (データサイエンス) is a topic, not a company."""
    idx = build_index(
        [
            (
                "SB_1",
                "ソフトバンク",
                {"company": "ソフトバンク株式会社"},
                "従業員数: 約2万人。フランスのデータサイエンス。",
            ),
            (
                "SC_1",
                "住友商事",
                {"company": "住友商事株式会社"},
                "日本マイクロソフトと比較した。データサイエンスの組織。",
            ),
            ("KD_1", "KDDI", {"company": "KDDI株式会社"}, "データサイエンスの人材育成。"),
        ]
    )
    c = check_entities("マイクロソフトの従業員数は？", idx)
    assert c.refuse and c.no_document == ["マイクロソフト"] and c.mentioned == {"マイクロソフト": ["SC_1"]}, c
    assert "データサイエンス" not in check_entities("データサイエンスの活用事例は？", idx).no_document
    assert "フランス" not in check_entities("フランスのAI企業の評価額は？", idx).no_document  # a place
    assert check_entities("ソフトバンクの従業員数は？", idx).named_docs == ["SB_1"]


def test_the_asked_attribute_is_no_entity(latin_only) -> None:
    """「プラットフォームの名前は？」 was refused as 「ライブラリに名前に関する資料はありません」 (名前 is a word the
    library never writes): a plain noun after の that ends the question is what is asked."""
    for q, asked in [("プラットフォームの名前は？", "名前"), ("ゴールドマン・サックスの社是とは何ですか？", "社是")]:
        c = check_entities(q, latin_only)
        assert asked not in c.unknown and asked not in c.no_document, c
    assert check_entities("任天堂の従業員数は？", latin_only).no_document[0] == "任天堂"  # a name still is one
