"""Briefing faults of issue #16 (item 7), each checked on the real documents of the library:
Klarna, Harvey, Mistral AI and Klarna vs MUFG. Every item still carries a checked citation."""

from __future__ import annotations

import re

import pytest

from rag import brief as B
from rag.config import Settings
from tests.brief.test_briefing import check_briefing, check_item
from tests.conftest import needs_shared

# a number written the Japanese way: 2005年, 3,000名, 75億円, 140億ドル, 18-24ヶ月, 2時間
JA_NUMBER = re.compile(r"\d[\d,.]*\s*(?:年|月|日|名|人|億|万|兆|円|ドル|ユーロ|ヶ月|か月|カ月|時間|分|件|社|倍)")
KANA = re.compile(r"[\u3040-\u30ff]")


def _values(b: B.Briefing, keys: tuple[str, ...]) -> list[B.BriefItem]:
    return [it for s in b.sections if s.key in keys for it in s.items if it.kind in ("fact", "figure")]


@needs_shared
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_klarna_key_figures_are_klarnas_own(indexed_settings: Settings, lang: str) -> None:
    """Rows of the benchmark table about other technologies (従来RPA, rule-based chatbots) and of the
    table of other fintechs (Stripe, Revolut, N26) are not Klarna's key figures."""
    b = B.build_briefing("Klarna", lang, indexed_settings)
    check_briefing(b)
    figs = b.section("figures").items
    assert figs
    for it in figs:
        for other in ("従来RPA", "ルールベース", "Stripe", "Revolut", "N26"):
            assert other not in it.text, (other, it.text)


@needs_shared
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_no_duplicated_items_or_cells(indexed_settings: Settings, lang: str) -> None:
    b = B.build_briefing("Klarna", lang, indexed_settings)
    texts = [it.text for it in b.items()]
    assert len(texts) == len(set(texts)), [t for t in texts if texts.count(t) > 1]
    label = "ビジネス効果" if lang == "ja" else "Business impact"
    assert sum(1 for it in b.items() if it.label == label) == 1
    cmp = B.compare("Klarna", "MUFG", lang, indexed_settings)
    for side in ("a", "b"):
        cells = [getattr(r, side) for r in cmp.rows if getattr(r, side) is not None]
        seen = [(c.text, tuple(c.cites)) for c in cells]
        assert len(seen) == len(set(seen)), [s for s in seen if seen.count(s) > 1]


@needs_shared
@pytest.mark.parametrize("lang, a, b_", [("en", "$50.0M", "$20.0M"), ("ja", "75億円", "30億円")])
def test_comparison_rows_in_one_currency(indexed_settings: Settings, lang: str, a: str, b_: str) -> None:
    """Both documents give cost savings in yen and dollars: the row uses one currency for both."""
    cmp = B.compare("Klarna", "MUFG", lang, indexed_settings)
    row = next(r for r in cmp.rows if r.key.endswith("cost_savings"))
    assert (row.a.value, row.b.value) == (a, b_)
    for cell in cmp.items():
        check_item(cell, cmp.citations, lang)


@needs_shared
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_valuation_and_funding_cells(indexed_settings: Settings, lang: str) -> None:
    """Klarna gives both in one table cell: each field shows its own part, no leaked `|`."""
    cmp = B.compare("Klarna", "MUFG", lang, indexed_settings)
    val, fund = cmp.row("valuation").a, cmp.row("funding").a
    assert val is not None and fund is not None
    assert "|" not in val.text and "|" not in fund.text
    assert val.text != fund.text
    assert "45" in val.text and "2.7" not in val.text
    assert "2.7" in fund.text and "45" not in fund.text
    label = "評価額" if lang == "ja" else "Valuation"
    line = next(x for x in B.render_markdown(cmp).splitlines() if x.startswith(f"| {label} |"))
    assert "\\|" not in line, line


@needs_shared
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_harvey_customers_are_named(indexed_settings: Settings, lang: str) -> None:
    b = B.build_briefing("Harvey", lang, indexed_settings)
    check_briefing(b)
    text = " ".join(it.text for it in b.section("customers").items)
    for name in ("A&O Shearman", "Ashurst", "PwC"):
        assert name in text, (name, text)


@needs_shared
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_founders_and_lead_investors(indexed_settings: Settings, lang: str) -> None:
    m = B.build_briefing("Mistral AI", lang, indexed_settings)
    check_briefing(m)
    people = " ".join(it.text for it in m.items())
    for name in ("Arthur Mensch", "Guillaume Lample", "Timothée Lacroix", "ASML"):
        assert name in people, name
    h = B.build_briefing("Harvey", lang, indexed_settings)
    check_briefing(h)
    people = " ".join(it.text for it in h.items())
    for name in ("Gabriel Pereyra", "OpenAI Startup Fund", "Sequoia Capital"):
        assert name in people, name


def test_english_rendering_of_japanese_values() -> None:
    from rag.brief.english import english_value

    assert english_value("600億円") == "¥60 billion"
    assert english_value("140億ドル") == "$14 billion"
    assert english_value("2023年4月") == "April 2023"
    assert english_value("2005年") == "2005"
    assert english_value("350名") == "350 people"
    assert english_value("Arthur Mensch（アルチュール・メンシュ）") == "Arthur Mensch"
    assert english_value("約5兆8,000億円") == "about ¥5.8 trillion"


@needs_shared
@pytest.mark.parametrize("company", ["Klarna", "Harvey", "Mistral AI"])
def test_english_briefing_values_in_english(indexed_settings: Settings, company: str) -> None:
    b = B.build_briefing(company, "en", indexed_settings)
    check_briefing(b)
    for it in _values(b, ("profile", "figures", "people")):
        assert not JA_NUMBER.search(it.value), (it.label, it.value)
    prof = {it.key: it for it in b.section("profile").items}
    if company == "Klarna":
        assert prof["founded_year"].value == "2005"
        assert prof["employees"].value.startswith("3,000 people")
    if company == "Mistral AI":
        founders = b.section("people").items[0]
        assert not KANA.search(founders.value), founders.value
    cmp = B.compare("Klarna", "MUFG", "en", indexed_settings)
    for r in cmp.rows:
        for c in (r.a, r.b):
            if c is not None and c.kind in ("fact", "figure"):
                assert not JA_NUMBER.search(c.value), (r.label, c.value)
