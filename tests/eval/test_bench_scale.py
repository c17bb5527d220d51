"""eval.scale_corpus, the synthetic library of the scale benchmark: copies go through the real
ingest path with new ids, companies, countries and founding years, so filters have selectivity."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from eval.scale_corpus import COUNTRIES, load_sources, plan_copies, write_library
from rag.ingest import load_document
from rag.search import Filters
from tests.conftest import FIXTURES, SEEDS

SOURCES = [SEEDS / "000_2a18f7e169fe24df.txt", FIXTURES / "docs" / "no_front_matter.md"]


def test_copies_have_new_ids_companies_countries_and_years(tmp_path: Path) -> None:
    sources = load_sources(SOURCES)
    plan = [(i, n) for i in range(len(sources)) for n in range(4)]  # the file itself + 3 copies
    copies = write_library(sources, plan, tmp_path)
    docs = {c.doc_id: load_document(tmp_path / c.file_name) for c in copies}
    assert len(docs) == len(copies) == 8  # ids unique
    assert {c.doc_id for c in copies if c.number == 0} == {s.doc_id for s in sources}
    made = [c for c in copies if c.number]
    assert len({c.company for c in made}) == len(made)
    for c in made:
        f = docs[c.doc_id].facets
        assert c.doc_id.startswith(sources[c.source].doc_id + "-S")
        assert f["country"] == c.country and f["founded_year"] == c.founded_year
        names = {f.get("company"), f.get("company_ja"), *(f.get("company_aliases") or [])}
        assert {c.company, c.company_ja} & names, (c.doc_id, names)
        text = (tmp_path / c.file_name).read_text(encoding="utf-8")
        assert not any(n in text for n in sources[c.source].names)  # the source company is gone
    mistral = [docs[c.doc_id] for c in made if c.source == 0]
    assert all(len(d.body) > 1000 and not d.issues for d in mistral)
    assert len({c.country for c in made}) > 1  # countries vary


def test_a_country_filter_selects_exactly_its_copies(tmp_path: Path) -> None:
    sources = load_sources(SOURCES)
    copies = write_library(sources, [(i, n) for i in range(2) for n in range(1, 4)], tmp_path)
    metas = {c.doc_id: load_document(tmp_path / c.file_name).facets for c in copies}
    for country, n in Counter(c.country for c in copies).items():
        f = Filters.parse([f"country={country}"]).resolve(metas)
        assert {d for d, m in metas.items() if f.matches(m)} == {c.doc_id for c in copies if c.country == country}
        assert n < len(copies) or len(copies) == 1
    assert set(metas[c.doc_id]["country"] for c in copies) <= set(COUNTRIES)


def test_plan_reaches_the_target_without_passing_it() -> None:
    plan = plan_copies([30, 50, 20], 1000)
    total = sum([30, 50, 20][i] for i, _ in plan)
    assert 950 <= total <= 990 and plan[:3] == [(0, 0), (1, 0), (2, 0)]
    assert len(set(plan)) == len(plan)
