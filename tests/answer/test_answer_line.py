"""The answer line's rendering table (ja → en and en → ja) and the one-sentence template."""

from __future__ import annotations

import pytest

from rag.answer.answer_line import en_number, find_period, ja_number, make_answer_line, render_value
from rag.ingest import detect_language

JA_TO_EN = [
    ("600億円", "¥60 billion"),
    ("€11.7B（約140億ドル）", "€11.7B (about $14B)"),
    ("2023年4月", "April 2023"),
    ("約30〜40分", "about 30–40 minutes"),
    ("350名", "350 people"),
    # a space between a figure and 万 / 億 (the documents' own spacing) is no break: 万 was lost
    ("約 7000 万人", "about 70 million people"),  # was "about 7,000 people"
    ("1.4～2.4 億円", "¥140–240 million"),
    ("3 万人", "30,000 people"),
    ("490k症例", "490k"),  # a lowercase k is the scale too (was "490 k")
    ("$400k–$600k", "$400k–$600k"),
    ("Phase 1 万全", "Phase 1"),
    ("$200~400", "$200–400"),  # a range between figures (the tilde was kept)
    ("年間$200～400ミリオン", "$200–400M per year"),  # the katakana scale (was dropped: "$200~400")
    ("$70.603ビリオン", "$70.603B"),
    ("スウェーデン", "Sweden"),  # a glossary key as English writes it (was "sweden")
    ("米国FDA", "US FDA"),  # was "us FDA"
    ("最高経営責任者", "CEO"),
    ("欧州", "Europe"),  # 万全 (thorough) is a word, not a scale: no "Phase 10,000"
    ("1ヶ月半", "1.5 months"),  # "and a half" (was "1 month 半", then "1 month")
    ("2年半", "2.5 years"),
    ("1時間半", "1.5 hours"),
    ("約2年", "about 2 years"),  # a count of years (was "about 2 年")
    ("2年目", "year 2"),
    ("規制が決まるまで待つ", "規制が決まるまで待つ"),  # no English of its own: kept, not "to" (まで)
    ("2.3百万", "2.3 million"),
    ("230万件", "2.3 million"),
    ("1兆2000億円", "¥1.2 trillion"),
    ("45%", "45%"),
    ("92.0%", "92.0%"),  # decimals as the document writes them
    ("3.0倍", "3.0x"),
    ("45％", "45%"),
    ("2025年第2-3四半期", "Q2–Q3 2025"),
    ("2025年第1四半期", "Q1 2025"),
    ("2024年度", "FY2024"),
    ("2024年11月22日", "November 22, 2024"),
    ("2023年初", "early 2023"),
    ("2023年12月-2024年1月", "December 2023 – January 2024"),
    ("約5兆8,000億円", "about ¥5.8 trillion"),
    ("5,000万円", "¥50 million"),
    ("1万円", "¥10,000"),
    ("4-8時間", "4–8 hours"),
    ("2,000名以上", "at least 2,000 people"),
    ("90%超", "over 90%"),
    ("約3倍", "about 3x"),
    ("37位", "37th"),
    ("非公開", "not disclosed"),
    ("月22万時間", "220,000 hours per month"),
    ("年間360,000時間", "360,000 hours per year"),  # digits grouped with commas stay one figure
    ("50%～70%", "50–70%"),
    ("年間数十億円", "billions of yen per year"),
    ("2分（従来11分）", "2 minutes (previously 11 minutes)"),
    ("€11,700M", "€11.7B"),
    ("Arthur Mensch（アルチュール・メンシュ）", "Arthur Mensch"),
    ("アルチュール・メンシュ（Arthur Mensch）", "Arthur Mensch"),
    ("$14.0B", "$14.0B"),
    ("約2,000-3,000万円", "about ¥20–30 million"),  # the first number takes the second's scale
    ("30〜40億円", "¥3–4 billion"),
    ("1-2億ドル", "$100–200 million"),
    ("5〜10万件", "50,000–100,000"),
    ("年間300B", "300B per year"),  # the abbreviated scale stays with the amount ("300 per yearB" before)
    ("年間$40B", "$40B per year"),
    ("1店舗1日約80分", "1 store 1 day about 80 minutes"),  # rendered amounts kept apart ("dayabout")
    ("2020-2021年", "2020–2021"),
    ("約7,500万～1億4,000万円", "about ¥75–140 million"),  # an end in two scales (was "約7,500万~1")
    ("3ヶ月～1年", "3 months–1 year"),  # ends with units of their own (was "3 months~1")
    ("30分～1時間", "30 minutes–1 hour"),
    ("3ヶ月～2024年度", "3 months~FY2024"),  # a year after the dash is no end of a duration
    ("25カ国 → 60カ国", "25 countries → 60 countries"),
    ("数週間", "several weeks"),  # was left in Japanese
    ("ゼロ", "zero"),
    ("ほぼゼロ", "almost zero"),
    ("数十年", "decades"),
    ("数百~数千", "hundreds to thousands"),
    ("$15,000~$50,000", "$15,000–$50,000"),  # a sign on both ends (the tilde was left)
    ("$15兆+", "over $15 trillion"),  # a sign with a Japanese scale; "+" after it is 超 ("$15 trillion +" before)
    ("1,520+", "1,520+"),  # no space before a bare "+" ("1,520 +" before)
    ("+30%", "+30%"),  # a sign stays with its number ("+ 30%" before)
]

EN_TO_JA = [
    ("¥1-5億", "1-5億円"),  # a sign and a Japanese scale on a range (was "1〜5円億")
    ("¥1-5億円", "1-5億円"),  # the currency once
    ("$14B", "140億ドル"),
    ("April 2023", "2023年4月"),
    ("30 minutes", "30分"),
    ("€11.7B (about $14B)", "117億ユーロ（約140億ドル）"),
    ("350 people", "350人"),
    ("$1.3 million", "130万ドル"),
    ("¥60 billion", "600億円"),
    ("$500K", "50万ドル"),
    ("$40M", "4,000万ドル"),
    ("Q2 2025", "2025年第2四半期"),
    ("FY2024", "2024年度"),
    ("September 3, 2025", "2025年9月3日"),
    ("over 90%", "90%超"),
    ("about 2 hours", "約2時間"),
    ("25x", "25倍"),
    ("at least 750", "750以上"),
    ("2 vs 11 minutes", "2 vs 11分"),
    ("$8兆", "8兆ドル"),  # mixed notation: the scale word stays with the number ("8ドル兆" before)
    ("$15兆+", "15兆ドル超"),
    ("$400k–$600k", "40万〜60万ドル"),  # a range with its currency (and scale) on both ends (was "40万ドル–60万ドル")
    ("€1-€2B", "10億〜20億ユーロ"),
]


@pytest.mark.parametrize(("src", "want"), JA_TO_EN)
def test_ja_to_en(src: str, want: str) -> None:
    assert render_value(src, "en") == want


@pytest.mark.parametrize(("src", "want"), EN_TO_JA)
def test_en_to_ja(src: str, want: str) -> None:
    assert render_value(src, "ja") == want


def test_table_is_large_enough() -> None:
    assert len(JA_TO_EN) + len(EN_TO_JA) >= 25


@pytest.mark.parametrize("v", ["1", "999", "10000", "2300000", "14000000000", "1200000000000", "11700000000"])
def test_number_round_trip(v: str) -> None:
    """A number written the Japanese way and read back the English way keeps its value."""
    from decimal import Decimal

    d = Decimal(v)
    en = render_value(ja_number(d) + "円", "en")
    assert en.startswith("¥")
    back = render_value(en, "ja")
    assert back == ja_number(d) + "円", (v, en, back)
    assert en_number(d) in en


def test_line_table_row_en() -> None:
    unit = "ラウンド: Series C / 時期: 2025年9月 / 金額（EUR）: €1,700M / 評価額（EUR）: €11,700M"
    line = make_answer_line("en", "Mistral AI", None, "€11,700M", unit)
    assert line == "Mistral AI: €11.7B valuation (Series C, September 2025)."
    assert detect_language(line) == "en"


def test_line_table_row_ja() -> None:
    unit = "ラウンド: Series C / 時期: 2025年9月 / 金額（EUR）: €1,700M / 評価額（EUR）: €11,700M"
    line = make_answer_line("ja", "ミストラルAI", None, "€11,700M", unit)
    assert line == "ミストラルAIの評価額は117億ユーロです（Series C、2025年9月）。"
    assert detect_language(line) == "ja"


def test_line_given_period_and_both_currencies() -> None:
    line = make_answer_line("en", "Mistral AI", "Series C, 2025", "€11.7B（約140億ドル）", "")
    assert line == "Mistral AI: €11.7B (about $14B) (Series C, 2025)."


def test_line_label_value_unit() -> None:
    unit = "従業員数: 350名（2025年9月）"
    assert (
        make_answer_line("en", "Mistral AI", None, "350名", unit)
        == "Mistral AI: headcount — 350 people (September 2025)."
    )
    assert (
        make_answer_line("ja", "ミストラルAI", None, "350名", unit)
        == "ミストラルAIの従業員数は350名です（2025年9月）。"
    )


def test_line_name_in_latin_for_english_asker() -> None:
    line = make_answer_line(
        "en",
        "Mistral AI",
        None,
        "Arthur Mensch（アルチュール・メンシュ）",
        "CEO: Arthur Mensch（アルチュール・メンシュ）",
    )
    assert line == "Mistral AI: CEO — Arthur Mensch."
    assert "メンシュ" not in line


def test_line_english_unit_for_japanese_asker() -> None:
    line = make_answer_line("ja", "Klarna", None, "2.3 million", "The assistant handled 2.3 million chats (2024).")
    assert line == "Klarna：230万です（2024年）。"


def test_line_no_period_when_several_dates() -> None:
    unit = "2023年に導入し、2024年に全社展開、コストを40%削減した。"
    line = make_answer_line("en", "Acme", None, "40%", unit)
    assert line == "Acme: 40%."


def test_english_line_drops_unknown_japanese_words() -> None:
    out = render_value("カスタマーサービス対応時間2分（従来11分）", "en")
    assert out == "2 minutes (previously 11 minutes)"
    assert detect_language(make_answer_line("en", "Klarna", None, "カスタマーサービス対応時間2分（従来11分）")) == "en"


@pytest.mark.parametrize(
    "text,en,ja",
    [
        ("2025-05-05", "May 5, 2025", "2025年5月5日"),
        ("2025-05", "May 2025", "2025年5月"),
        ("2023-2024", "2023–2024", "2023-2024"),  # a range of years, not an amount
    ],
)
def test_iso_dates_and_year_ranges(text: str, en: str, ja: str) -> None:
    assert render_value(text, "en") == en
    assert render_value(text, "ja") == ja


def test_a_year_range_is_one_period_not_a_month() -> None:
    """2020-2021年 is a period of two years, not "2020-20" read as year-month (the answer line showed
    "(2,020–20)")."""
    unit = "Phase 1: 基盤構築 — 時期: 2020-2021年 / 主な活動: AI研究チーム立ち上げ"
    assert find_period("Phase 1: 基盤構築", unit) == "2020-2021年"
    assert make_answer_line("en", "Goldman Sachs", None, "Phase 1: 基盤構築", unit).endswith("(2020–2021).")
    assert find_period("x", "2025-05 に開始") == "2025-05"


def test_katakana_loanwords_are_rendered_in_english_names_are_not() -> None:
    """An English answer line gives a span of loanwords in the English words they come from (UniDic's
    lemma), not in katakana; a katakana name (no English source) stays as written."""
    assert render_value("ビジュアル / クリエイティブツール", "en") == "visual / creative tool"
    assert render_value("プラットフォーム", "en") == "platform"
    assert "ウェルズ" in render_value("ウェルズ・ファーゴ", "en")


def test_a_key_value_table_row_is_labelled_by_its_key() -> None:
    """A two-column 項目 | 内容 table: the value's label is the row's first cell, not the column header
    ("Citibankの内容は約200,000名です" before)."""
    row = "項目: 従業員数 / 内容: 約200,000名"
    assert make_answer_line("ja", "Citibank", None, "約200,000名", row) == "Citibankの従業員数は約200,000名です。"
    assert make_answer_line("en", "Goldman Sachs", None, "1869年", "項目: 創業 / 内容: 1869年") == (
        "Goldman Sachs: founded 1869."
    )
    # in English only a key the glossary knows whole: word by word, 開発製品 read "develop products"
    assert make_answer_line("en", "Cohere", None, "Takane", "項目: 開発製品 / 内容: Takane") == "Cohere: Takane."
    # a table whose value column says what it holds keeps that header
    assert make_answer_line("ja", "Mistral AI", None, "17億ユーロ", "ラウンド: シリーズC / 金額: 17億ユーロ") == (
        "Mistral AIの金額は17億ユーロです（シリーズC）。"
    )


@pytest.mark.parametrize(
    "text,en",
    [
        ("週3.5日", "3.5 days a week"),
        ("週3-5回", "3–5 times a week"),
        ("週1回以上", "at least once a week"),
        ("2-5営業日", "2–5 business days"),
        ("1回", "1 time"),
        ("2024年3月3-5日", "March 3–5, 2024"),
        ("3月3-5日", "March 3–5"),
        ("（3-5日）", "(3–5 days)"),
        ("¥1-5億", "¥100–500 million"),  # was "¥1–5 billion": 億 read back through the glossary as "billion"
        ("¥90-150億", "¥9–15 billion"),
        ("1～5億円", "¥100–500 million"),
    ],
)
def test_rates_per_week_and_business_days(text: str, en: str) -> None:
    assert render_value(text, "en") == en


def test_a_colon_inside_parentheses_labels_nothing() -> None:
    """「Radisson Hotel Group (本社: ベルギー、1,520以上のホテル…)」: the line read "at least 1,520 Radisson Hotel
    Group (headquarters" with the text before the colon taken for a label."""
    unit = "Radisson Hotel Group (本社: ベルギー、1,520以上のホテル、100カ国以上で展開) は"
    assert (
        make_answer_line("en", "Radisson Hotel Group", None, "1,520以上", unit)
        == "Radisson Hotel Group: at least 1,520."
    )


def test_a_date_answer_gets_no_second_date_as_its_period() -> None:
    """「創業: 2004年、2009年にリクルートが買収」 answers "founded 2004"; the line said "2004 founded (2009)"."""
    assert (
        make_answer_line("en", "Indeed", None, "2004年", "創業: 2004年、2009年にリクルートが買収")
        == "Indeed: founded 2004."
    )


def test_a_generic_column_header_is_no_label_and_the_row_key_is() -> None:
    """「項目: 利用回数（12ヶ月） / 内容: 139万6,639回 / ソース: Newsroom」: the value is labelled by its row's key
    (a third column — a source — does not hide it), never by the header 内容 ("…の内容は139万回"); a
    header like メトリクス alone says nothing ("MUFG: metrics.")."""
    row = "項目: 利用回数（12ヶ月） / 内容: 139万6,639回 / ソース: Newsroom"
    assert make_answer_line("ja", "パナソニック コネクト", None, "139万6,639回", row).startswith(
        "パナソニック コネクトの利用回数は"
    )
    assert make_answer_line("ja", "MUFG", None, "80分", "メトリクス: 80分") == "MUFG：80分です。"
    assert make_answer_line("en", "MUFG", None, "80分", "Metrics: 80分") == "MUFG: 80 minutes."
    infra = "項目: インフラ / 内容: Microsoft Azure OpenAI Service / ソース: 公式"
    line = make_answer_line("en", "Panasonic Connect", None, "Microsoft Azure OpenAI Service", infra)
    assert line == "Panasonic Connect: infrastructure — Microsoft Azure OpenAI Service."
