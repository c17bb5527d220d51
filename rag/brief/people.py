"""Who is behind a company and who buys from it: founders (and the CEO), lead / key investors, and
named customers, as the document states them: front-matter fields (`founders`, `co_founder`,
`founders_team[].name`, `ceo`, `lead_investors`, `key_investors`, `major_clients`, `key_customers`…),
else body lines labelled so (`**共同創業者**: …`, `**Name**（CEO・共同創業者）`, `主導投資家: …`) and the
names a customers section gives (sub-headings that are names, bold list items under a customers
lead-in, the first column of a table of customers)."""

from __future__ import annotations

import re
from typing import Any

from rag.brief.builder_base import _BuilderBase
from rag.brief.key_labels import _fm_label, _tokens
from rag.brief.labels import labels
from rag.brief.own_facts import company_keys, foreign_lines, names_company
from rag.brief.records import BriefItem, _Ref
from rag.brief.text import _BULLET, _HEADING, _contains_any, _fold, nfkc

MAX_NAMES = 6
_FOUNDER_WORDS = ("創業者", "共同創業者", "創設者", "founder", "co-founder", "cofounder", "founders")
_LEAD_INVESTOR_WORDS = ("主導投資家", "リード投資家", "筆頭投資家", "lead investor", "lead investors", "led by")
_CUSTOMER_HEADER = ("企業", "企業名", "顧客", "顧客名", "導入企業", "company", "customer", "client")
_CUSTOMER_WORDS = ("顧客", "主要客", "採用企業", "導入企業", "利用企業", "customer", "client")
_NAME_LIKE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9&.,'’+\- ]*|[\u30a0-\u30ffー・]+)$")  # Latin or katakana
_LABELLED = re.compile(r"^\s*(?:[-*+•・]\s+)?\*\*(?P<label>[^*]{1,30})\*\*\s*[:：]\s*(?P<value>.+)$")
_BOLD_NAME = re.compile(r"^\s*(?:[-*+•・]\s+)?\*\*(?P<name>[^*]{2,60})\*\*\s*(?P<rest>.*)$")
_SPLIT = re.compile(r"\s*[、，,;；]\s*|\s+and\s+|\s*/\s*")


def _head(name: str) -> str:
    """A name without its trailing description: "Gabriel Pereyra（元Google…）" → "Gabriel Pereyra"."""
    return re.split(r"\s*[（(]", name.strip(), maxsplit=1)[0].strip(" -–—:：")


class _PeopleMixin(_BuilderBase):
    """Founders, investors and named customers of one document, each cited."""

    def _sep(self) -> str:
        return ": " if self.lang == "en" else "："

    def _joined(self, names: list[str], more: int = 0) -> str:
        s = ("、" if self.lang == "ja" else "; ").join(names)
        if more > 0:
            s += f"（ほか{more}件）" if self.lang == "ja" else f" (+{more} more)"
        return s

    # ---------------------------------------------------------------- front matter

    def _fm_names(self, want) -> list[tuple[list[str], Any]]:
        """(path, value) of front-matter keys selected by `want(tokens, value)`, in file order."""
        found: list[tuple[list[str], Any]] = []

        def walk(v: Any, path: list[str]) -> None:
            if path and want(_tokens(path[-1]), v):
                found.append((path, v))
                return
            if isinstance(v, dict):
                for k, x in v.items():
                    walk(x, path + [str(k)])

        walk(self.d.fm, [])
        return found

    def _fm_names_item(self, path: list[str], v: Any, label: str) -> BriefItem | None:
        block = self.d.fm_block(path)
        if block is None or ".".join(path) in self.shown_keys:
            return None
        if isinstance(v, str):
            names = [_head(x) for x in _SPLIT.split(v) if _head(x)]
        elif isinstance(v, list):
            names = [
                _head(str(x.get("name"))) if isinstance(x, dict) and x.get("name") else _head(str(x))
                for x in v
                if isinstance(x, (str, dict))
            ]
        else:
            return None
        shown: list[str] = []
        refs: list[_Ref] = []
        for name in names:
            line = self.d.fm_item_line(block, name) if name else None
            if line is None or name in shown:
                continue
            shown.append(name)
            refs.append(_Ref(self.d, (), line, line, name))
            if len(shown) >= MAX_NAMES:
                break
        if not refs:
            return None
        self.shown_keys.add(".".join(path))
        lo, hi = min(r.start_line for r in refs), max(r.end_line for r in refs)
        value = self._joined(shown, len(names) - len(shown))
        ref = _Ref(self.d, (), lo, hi, shown[0])
        return BriefItem(f"{label}{self._sep()}{value}", [], shown, "fact", label, value, ".".join(path), v, [ref])

    # ---------------------------------------------------------------- body

    def _body_labelled(self, words: tuple[str, ...], key: str, label: str) -> BriefItem | None:
        """Names from body lines labelled with one of `words` (a `**label**: names` line, or bold names
        followed by a role naming it)."""
        names: list[str] = []
        refs: list[_Ref] = []
        for n in range(self.d.doc.body_start_line, len(self.d.lines) + 1):
            raw = self.d.line(n)
            if n in self.d.fence or "**" not in raw or self._skip_section(self.d.section_of(n)):
                continue
            m = _LABELLED.match(raw)
            got: list[str] = []
            if m and _contains_any(_fold(m.group("label")), words):
                got = [_head(x) for x in _SPLIT.split(m.group("value").replace("**", "")) if _head(x)]
                got = [g for g in got if len(g) <= 60]
            else:
                b = _BOLD_NAME.match(raw)
                if b:
                    inner = b.group("name")
                    role = (inner[len(_head(inner)) :] + " " + b.group("rest"))[:80]
                    if _contains_any(_fold(role), words) and not _contains_any(_fold(_head(inner)), words):
                        got = [_head(inner)]
            for g in got:
                if g and g not in names and len(names) < MAX_NAMES:
                    names.append(g)
                    refs.append(self.body_ref(n, n, g))
                    self.used_lines.add(n)
        if not refs:
            return None
        value = self._joined(names)
        return BriefItem(f"{label}{self._sep()}{value}", [], names, "fact", label, value, key, None, refs)

    # ---------------------------------------------------------------- items

    def people(self) -> list[BriefItem]:
        """Founders, CEO and lead (or key) investors, when the document names them."""
        lab = labels()["people"]
        items: list[BriefItem] = []
        founders = self._fm_names(
            lambda t, v: ("founder" in t or "founders" in t or "cofounder" in t) and isinstance(v, (str, list))
        )
        got = [self._fm_names_item(p, v, lab["founders"][self.li]) for p, v in founders]
        got = [g for g in got if g is not None]
        if not got:
            body = self._body_labelled(_FOUNDER_WORDS, "founders", lab["founders"][self.li])
            got = [body] if body else []
        items += got
        ceo = self._fm_names(lambda t, v: t == ["ceo"] and isinstance(v, str))
        items += [i for p, v in ceo if (i := self._fm_names_item(p, v, "CEO")) is not None]
        investors = self._fm_names(
            lambda t, v: bool({"investor", "investors"} & set(t)) and bool({"lead", "key", "major", "main"} & set(t))
        )
        investors.sort(key=lambda pv: 0 if "lead" in _tokens(pv[0][-1]) else 1)
        for p, v in investors[:1]:
            label = lab["lead_investors" if "lead" in _tokens(p[-1]) else "key_investors"][self.li]
            it = self._fm_names_item(p, v, label)
            if it is not None:
                items.append(it)
        if not any("lead" in _tokens(p[-1]) for p, _v in investors[:1]):
            body = self._body_labelled(_LEAD_INVESTOR_WORDS, "lead_investors", lab["lead_investors"][self.li])
            if body is not None:
                items.append(body)
        return items

    def named_customers(self) -> BriefItem | None:
        """The customers the document names: a front-matter list of clients / customers, else the
        sub-headings, bold list items or first table column of its customers sections."""
        label = labels()["people"]["customers"][self.li]
        fm = self._fm_names(
            lambda t, v: t[-1] in ("clients", "customers")
            and (isinstance(v, list) or (isinstance(v, str) and not re.fullmatch(r"[\d,.\s+~-]+", v)))
        )
        for p, v in fm:
            it = self._fm_names_item(p, v, _fm_label(p[-1], self.lang))
            if it is not None:
                return it
        return self._body_customers(label)

    def _body_customers(self, label: str) -> BriefItem | None:
        heads = _CUSTOMER_WORDS
        keys = company_keys(self.d)
        foreign = foreign_lines(self.d)  # competitors' rows are not customers
        names: list[str] = []
        refs: list[_Ref] = []

        def add(name: str, line: int) -> None:
            name = _head(nfkc(name).replace("**", ""))
            if (
                2 <= len(name) <= 40
                and name not in names
                and not names_company(name, keys)
                and not _contains_any(_fold(name), heads)
                and len(names) < MAX_NAMES
            ):
                names.append(name)
                refs.append(self.body_ref(line, line, name))

        for si, sec in enumerate(self.d.sections):
            path = [p for p in sec.heading_path if p != self.d.title]
            if len(path) < 2 or self._skip_section(si) or not _contains_any(_fold(path[-2]), heads):
                continue
            line = sec.start_line if _HEADING.match(self.d.line(sec.start_line)) else None
            if line is not None and _NAME_LIKE.match(_head(nfkc(path[-1]))):  # "Snowflake（…）", not "3.1 成果"
                add(path[-1], line)
        for u in self.d.units:
            ctx = " ".join(self.d.sections[u.sec].heading_path[-1:]) + " " + (u.lead[1] if u.lead else "")
            if u.line in foreign or self._skip_section(u.sec) or not _contains_any(_fold(ctx), heads):
                continue
            raw = self.d.line(u.line)
            if u.table and u.header and _fold(u.header[1][0]) in _CUSTOMER_HEADER:
                add(u.cells()[0], u.line)
            elif (
                u.bullet
                and (b := _BOLD_NAME.match(raw))
                and _BULLET.match(raw)
                and _NAME_LIKE.match(_head(nfkc(b.group("name"))))
            ):
                add(b.group("name"), u.line)
        if len(names) < 2:
            return None
        value = self._joined(names)
        return BriefItem(f"{label}{self._sep()}{value}", [], names, "fact", label, value, "named_customers", None, refs)
