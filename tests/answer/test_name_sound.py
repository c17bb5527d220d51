"""Katakana ↔ Latin sound keys of company names (rag.answer.name_sound)."""

from __future__ import annotations

import pytest

from rag.answer.name_sound import katakana_key, latin_keys, sound_keys


@pytest.mark.parametrize(
    ("kana", "latin"),
    [
        ("ゴールドマン・サックス", "Goldman Sachs"),
        ("ウェルズ・ファーゴ", "Wells Fargo"),
        ("ラディソン・ホテル・グループ", "Radisson Hotel Group"),
        ("ウォルマート", "Walmart"),
        ("インターコム", "Intercom"),
        ("セールスフォース", "Salesforce"),
        ("シティバンク", "Citibank"),
        ("アンソロピック", "Anthropic"),
        ("マイクロソフト", "Microsoft"),
        ("ハギング・フェイス", "Hugging Face"),
        ("データブリックス", "Databricks"),
        ("モデルナ", "Moderna"),
        ("アメリカン・エキスプレス", "American Express"),
        ("スクウェア・エニックス", "Square Enix"),
        ("ジェーピーモルガン・チェース", "JPMorgan Chase"),
        ("アクセンチュア", "Accenture"),
        ("マッキンゼー", "McKinsey"),
        ("パナソニック", "Panasonic"),
    ],
)
def test_the_two_spellings_share_a_key(kana: str, latin: str) -> None:
    assert katakana_key(kana) in latin_keys(latin)


@pytest.mark.parametrize(
    ("kana", "latin"),
    [
        ("ゴールドマン・サックス", "Goldberg Sachs"),
        ("ウェルズ・ファーゴ", "Wells Capital"),
        ("マイクロソフト", "Microchip"),
        ("セールスフォース", "Sales Force Ventures"),
        ("インターコム", "Intercontinental"),
        ("アンソロピック", "Anthropology Labs"),
    ],
)
def test_other_names_do_not(kana: str, latin: str) -> None:
    assert katakana_key(kana) not in latin_keys(latin)


def test_short_names_and_other_scripts_have_no_key() -> None:
    """Keys of fewer than 4 consonants (Visa, Toyota) would be shared by too many names; kanji and
    mixed names are not sounded out."""
    assert sound_keys("ビザ") == set() and sound_keys("Visa") == set()
    assert sound_keys("トヨタ") == set() and sound_keys("Toyota") == set()
    assert sound_keys("三菱UFJ銀行") == set() and sound_keys("") == set()
    assert sound_keys("スケールAI") == set()  # mixed: not a katakana name
