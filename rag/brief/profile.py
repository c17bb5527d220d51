"""The profile section (company, country, headquarters, founded, employees, industry): each value
from the canonical facets, cited to the front-matter key or body table row that fed the facet, as
written in the document (country and company names shown with their original spelling)."""

from __future__ import annotations

from typing import Any

from rag.brief.amounts import _num_text
from rag.brief.builder_base import _BuilderBase
from rag.brief.document import _mapping
from rag.brief.labels import PROFILE_FIELDS, labels
from rag.brief.records import BriefItem, _Ref
from rag.brief.text import _MONTHS, _fold, evidence_key, nfkc
from rag.ingest import alias_key, has_japanese, parse_year


class _ProfileMixin(_BuilderBase):
    """Profile facts of one document, each cited to where its facet came from."""

    # ---------------------------------------------------------------- facet origins

    def facet_origin(self, facet: str) -> tuple[Any, _Ref] | None:
        """(raw value, reference) of the front-matter key / table row that fed a facet."""
        if facet in self._origin_cache:
            return self._origin_cache[facet]

        mapping = _mapping(self.settings)
        spec = mapping.spec(facet)
        target = self.d.facets.get(facet)
        result = None
        if spec is not None and target not in (None, "", []):
            for src in spec.sources:
                if src.kind == "fm":
                    value = self.d.fm_value(src.ref)
                    where = "fm"
                elif src.kind == "table":
                    row = self.d.table.get(src.ref)
                    value = row[1] if row else None
                    where = "table"
                elif src.kind == "facet":
                    got = self.facet_origin(src.ref)
                    if got is None:
                        continue
                    value, ref = got
                    where = "facet"
                else:
                    continue
                if value in (None, "", [], {}) or isinstance(value, (dict, list)):
                    continue
                text = str(value)
                if src.require == "japanese" and not has_japanese(text):
                    continue
                if spec.type == "year" and parse_year(value) != target:
                    continue
                if spec.type in ("country", "country_en", "region"):
                    c = mapping.normalize_country(text)
                    if c is None or (spec.type == "country" and c != target):
                        continue
                if where == "fm":
                    parts = src.ref.split(".")
                    block = self.d.fm_block(parts)
                    if block is None:
                        continue
                    quote = self.d.fm_raw_text(block[0]) or text
                    ref = _Ref(self.d, (), block[0], block[1], quote)
                elif where == "table":
                    label, val, line = self.d.table[src.ref]
                    ref = self.body_ref(line, line, val)
                result = (value, ref)
                break
        self._origin_cache[facet] = result
        return result

    # ---------------------------------------------------------------- profile

    def profile(self) -> tuple[list[BriefItem], list[str]]:
        items: list[BriefItem] = []
        missing: list[str] = []
        labels_ = labels()["profile"]
        for fld in PROFILE_FIELDS:
            label = labels_[fld][self.li]
            item = getattr(self, f"_profile_{fld}")(label)
            if item is None:
                missing.append(fld)
            else:
                items.append(item)
        return items, missing

    def _fact(self, label: str, value: str, refs: list[_Ref], key: str, raw: Any = None) -> BriefItem:
        sep = ": " if self.lang == "en" else "："
        return BriefItem(f"{label}{sep}{value}", [], [r.quote for r in refs], "fact", label, value, key, raw, refs)

    def _profile_company(self, label: str) -> BriefItem | None:
        got = self.facet_origin("company")
        if got is None:
            return None

        value, ref = got
        shown = str(self.d.facets.get("company") or value)
        refs = [_Ref(ref.doc, ref.heading_path, ref.start_line, ref.end_line, self._company_quote(ref, shown))]
        ja = self.facet_origin("company_ja")
        if ja is not None and alias_key(str(ja[0])) != alias_key(shown):
            shown = f"{shown} / {ja[0]}"
            refs.append(_Ref(ja[1].doc, ja[1].heading_path, ja[1].start_line, ja[1].end_line, str(ja[0])))
        return self._fact(label, shown, refs, "company", value)

    def _company_quote(self, ref: _Ref, shown: str) -> str:
        lines = " ".join(self.d.line(n) for n in range(ref.start_line, ref.end_line + 1))
        return shown if evidence_key(shown) in evidence_key(lines) else ref.quote

    def _profile_country(self, label: str) -> BriefItem | None:
        got = self.facet_origin("country")
        if got is None:
            return None
        raw, ref = got
        canon = str(self.d.facets.get("country") or raw)
        raw_s = str(raw).strip()
        if self.lang == "ja":
            shown = raw_s if canon in nfkc(raw_s) else f"{canon}（{raw_s}）"
        else:
            en = str(self.d.facets.get("country_en") or canon)
            shown = en if _fold(raw_s) == _fold(en) else f"{en} ({raw_s})"
        return self._fact(label, shown, [ref], "country", raw)

    def _profile_headquarters(self, label: str) -> BriefItem | None:
        got = self.facet_origin("headquarters")
        if got is None:
            return None
        raw, ref = got
        return self._fact(label, str(raw).strip(), [ref], "headquarters", raw)

    def _profile_founded(self, label: str) -> BriefItem | None:
        got = self.facet_origin("founded_year")
        if got is None:
            return None
        raw, ref = got
        year = self.d.facets.get("founded_year")
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            month = self.d.fm_value("subject.founded_month") if ref.heading_path == () else None
            shown = f"{year}年" if self.lang == "ja" else str(year)
            if isinstance(month, int) and 1 <= month <= 12 and self.d.fm_block(["subject", "founded_month"]):
                mb = self.d.fm_block(["subject", "founded_month"])
                assert mb is not None
                if abs(mb[0] - ref.start_line) <= 2:  # cite both keys with one range
                    lo, hi = min(ref.start_line, mb[0]), max(ref.end_line, mb[1])
                    ref = _Ref(ref.doc, (), lo, hi, ref.quote)
                    shown = f"{year}年{month}月" if self.lang == "ja" else f"{_MONTHS[month - 1]} {year}"
        else:
            shown = str(raw).strip()
        return self._fact(label, shown, [ref], "founded_year", raw)

    def _profile_employees(self, label: str) -> BriefItem | None:
        got = self.facet_origin("employees")
        if got is None:
            return None
        raw, ref = got
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            shown = f"{_num_text(raw)}名" if self.lang == "ja" else f"{_num_text(raw)} people"
        else:
            shown = str(raw).strip()
        return self._fact(label, shown, [ref], "employees", raw)

    def _profile_industry(self, label: str) -> BriefItem | None:
        got = self.facet_origin("industry")
        if got is None:
            return None
        raw, ref = got
        return self._fact(label, str(raw).strip(), [ref], "industry", raw)
