"""ui/filters.py: bilingual facet choices ("日本 / Japan") and typed names resolved to facet values."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ui.filters import canonical_controls, choice_pairs, facet_label, filters_from_controls, resolve_value
from ui.language import initial_lang, lang_from_accept

COUNTRIES = ["フランス", "米国", "日本"]


def _gradio_filter(pairs: list[tuple[str, str]], typed: str) -> list[str]:
    """What Gradio's filterable Dropdown keeps while typing: choices whose label contains the text
    (case-insensitive), as in its frontend; the values of those choices."""
    return [v for label, v in pairs if typed.lower() in label.lower()]


@pytest.mark.parametrize("typed", ["Japan", "japan", "日本", "JPN"])
def test_typing_either_name_selects_japan(typed):
    pairs = choice_pairs("country", COUNTRIES)
    assert _gradio_filter(pairs, typed) == ["日本"]
    assert resolve_value("country", typed, COUNTRIES) == "日本"


def test_labels_are_bilingual_and_values_stay_canonical():
    pairs = dict((v, label) for label, v in choice_pairs("country", COUNTRIES))
    assert pairs["日本"].startswith("日本 / Japan")
    assert pairs["米国"].startswith("米国 / United States")
    assert pairs["フランス"].startswith("フランス / France")
    assert "USA" in pairs["米国"]  # short codes are matched too
    assert facet_label("industry", "製造業") == "製造業"  # no invented translations


def test_any_alias_resolves_when_typed_as_a_custom_value():
    assert resolve_value("country", "アメリカ", COUNTRIES) == "米国"
    assert resolve_value("country", "United States of America", COUNTRIES) == "米国"
    assert resolve_value("country", "Germany", COUNTRIES) is None
    assert canonical_controls("country", ["Japan", "日本", "USA"], COUNTRIES) == ["日本", "米国"]
    assert canonical_controls("country", ["Atlantis"], COUNTRIES) == ["Atlantis"]


def test_filters_from_controls_with_canonical_values():
    f = filters_from_controls(canonical_controls("country", ["Japan"], COUNTRIES), [], [], [], [], "", "")
    assert f == {"country": "日本"}


# ui.language: the first page follows the browser (no own test file for ui.language yet)


@pytest.mark.parametrize(
    ("header", "want"),
    [
        ("en-US,en;q=0.9", "en"),
        ("ja,en-US;q=0.8", "ja"),
        ("fr-FR,en;q=0.5,ja;q=0.7", "ja"),
        ("de-DE", None),
        ("", None),
    ],
)
def test_accept_language(header, want):
    assert lang_from_accept(header) == want


def test_initial_lang_prefers_the_remembered_choice():
    req = SimpleNamespace(headers={"accept-language": "en-GB,en;q=0.9"})
    assert initial_lang("", req) == "en"
    assert initial_lang("ja", req) == "ja"
    assert initial_lang(None, None) == "ja"
