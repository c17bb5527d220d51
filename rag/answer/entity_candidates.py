"""Candidate entity names in a question, for rag.answer.entities: runs of capitalised Latin words and
Japanese noun runs (fugashi), each with the evidence that the question is about it (see the
docstring of rag.answer.entities for the rules), and the text folding both modules share."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rag.ingest import japanese

_CORP_WORD = re.compile(
    r"^(?:Inc|Corp|Corporation|Co|Ltd|LLC|PLC|AG|AB|SA|NV|GmbH|Group|Holdings|Bank|Motors|Airlines|Technologies|"
    r"Labs|Systems|Partners|Capital|Ventures|Financial|Insurance|Pharmaceuticals|Industries|Electric|Securities)\.?$"
)
_JA_CORP = re.compile(
    r"(?:社|株式会社|銀行|グループ|ホールディングス|証券|生命|損保|保険|自動車|製作所|電機|電気|商事|物産|工業|重工|"
    r"電力|航空|鉄道|通信|製薬|薬品|化学|電工|不動産|新聞|放送|大学|病院|研究所|財団|協会|機構)$"
)
# English function words that start questions or sit capitalised in them; months and weekdays
EN_FUNCTION_WORDS = frozenset(
    """what which who whom whose when where why how is are was were do does did can could will would should
    shall may might has have had tell give list name show compare describe explain summarize summarise according
    in on at for from by with of and or the a an to as if i we you it this that these those there please
    among between across within without after before during since until about into over under only all each
    both either neither some any most other such than then also our your their its my
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
# an English question's auxiliary before its subject ("When did Rakuten launch …?", "How much does BMW
# spend …?"): the capitalised run right after it is what the question is about
_EN_AUX = re.compile(r"(?:^|\s)(?:did|does|do|has|have|had|is|was|are|were|will|would|can|could)\s+(?:the\s+)?$", re.I)
# nouns that only an organisation has, right after a name ("Accenture staff", "Aeon stores"): the name
# is an organisation the question is about
_ORG_NOUN = re.compile(
    r"\s+(?:staff|employees?|workforce|headcount|workers|customers|clients|stores|branches|subsidiar(?:y|ies)|"
    r"revenues?|sales|profits?|shares|stock|ceo|cfo|cto|coo|board|headquarters)\b"
)
# a job title written before "of" ("CEO of Samsung Electronics"): the name is what follows it
_TITLE_OF = re.compile(
    r"^(?:CEO|CFO|CTO|COO|CIO|CDO|President|Chairman|Chairwoman|Chair|Founder|Co-founder|Head|Director|"
    r"Chief \w+ Officer)\s+of\s+",
)
_LATIN_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9&\-]*(?:\.[A-Za-z0-9]+)*(?:['’]s)?")
_KATA = re.compile(r"[\u30a1-\u30faー]{2,}")
_KANJI = re.compile(r"[\u3400-\u9fff々]")


def _fold(s: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", s or "")).strip().casefold()


def _flat(s: str) -> str:
    return re.sub(r"[\s\-‐‑–—_・･.,()（）'’&/]+", "", _fold(s))


@dataclass
class _Cand:
    name: str
    start: int
    strong: bool  # possessive, corporate word/suffix, proper-noun tag: the question is about it
    # an inner capital (OpenAI) or a Latin name (acronyms too) before の/は/が: a name, maybe a product
    hint: bool = False
    acronym: bool = False  # GPU, CEO, NPS: unknown only with strong evidence (IBM's)
    # the subject of the question's auxiliary ("When did Rakuten launch …?") or a name before an
    # organisation noun ("Accenture staff"): about it when the question names no library company
    # ("When did Oracle partner with Cohere?" is about Cohere)
    about: bool = False


def _latin_candidates(q: str, ja_question: bool) -> list[_Cand]:
    out: list[_Cand] = []
    toks = list(_LATIN_TOKEN.finditer(q))
    i = 0
    while i < len(toks):
        t = toks[i]
        w = t.group(0)
        bare = re.sub(r"['’]s$", "", w)
        initial = not ja_question and not re.search(r"[^\s\"'“(]", q[: t.start()].split("?")[-1].split(".")[-1])
        if not bare[0].isupper() and not re.search(r"[a-z][A-Z]", bare) or bare.casefold() in EN_FUNCTION_WORDS:
            i += 1
            continue
        seq, j = [t], i + 1
        while j < len(toks):
            gap = q[seq[-1].end() : toks[j].start()]
            nxt = toks[j].group(0)
            if (
                seq[-1].group(0).endswith(("'s", "’s"))
                or gap not in (" ", "")
                and not re.fullmatch(r"\s*&\s*| of ", gap)
            ):
                break
            if nxt[0].isupper() or re.fullmatch(r"\d[\w.]*", nxt) or (nxt == "of" and j + 1 < len(toks)):
                seq.append(toks[j])
                j += 1
                continue
            break
        while seq and seq[-1].group(0) == "of":
            seq.pop()
        name = q[seq[0].start() : seq[-1].end()]
        cut = _TITLE_OF.match(name)
        if cut and len(name) > cut.end():  # "CEO of Samsung Electronics" → Samsung Electronics
            name = name[cut.end() :]
            seq = [x for x in seq if x.start() >= seq[0].start() + cut.end()]
        possessive = bool(re.search(r"['’]s$", name))
        name = re.sub(r"['’]s$", "", name)
        inner_cap = bool(re.search(r"[a-z][A-Z]", name))
        corp = any(_CORP_WORD.match(x.group(0)) for x in seq[1:])
        after = q[seq[-1].end() :]
        subject = not ja_question and bool(_EN_AUX.search(q[: seq[0].start()]) and re.match(r"\s+[a-z]", after))
        org = not ja_question and not possessive and _ORG_NOUN.match(after) is not None
        strong = possessive or corp
        acronym = re.fullmatch(r"[A-Z0-9&\-]{1,5}s?", name) is not None
        follows_ja = ja_question and re.match(r"\s*(?:の|は|が|社)", after) is not None
        if (not initial or strong or inner_cap or len(seq) > 1) and len(name) >= 2:
            hint = (inner_cap and not acronym) or follows_ja
            out.append(_Cand(name, seq[0].start(), strong, hint, acronym, subject or org))
        i = j
    return out


_ASKED_TAIL = re.compile(
    r"(?:は|とは|って)\s*(?:何|なに|誰|だれ|いつ|どこ|いくら|どれ)?\s*(?:ですか|でしょうか)?\s*[？?。]?\s*$"
)


def _ja_candidates(q: str, vocab_flat: str) -> list[_Cand]:
    out: list[_Cand] = []
    pos, run, proper = 0, [], False
    morphs: list[str] = []
    words = japanese.tag(q)

    def flush(end: int) -> None:
        nonlocal run, proper
        if run:
            s = "".join(run).strip("・")
            start = end - len("".join(run))
            corp = _JA_CORP.search(s) is not None and len(s) > 1 and _JA_CORP.fullmatch(s) is None
            if re.search(r"[\u3040-\u30ff\u3400-\u9fff]", s) and not re.fullmatch(r"[\d,.]+.?", s):
                # a word the library never uses (任天 of 任天堂; トヨタ…): the run may be a name
                unseen = any(
                    (_KANJI.search(m) or _KATA.search(m))
                    and (len(m) >= 2 or _KANJI.search(m))
                    and _flat(m) not in vocab_flat
                    for m in morphs
                )
                # 「Xの名前は？」: a plain noun after の that ends the question is what is asked, not who
                asked = not (corp or proper) and q[:start].endswith("の") and _ASKED_TAIL.match(q, end)
                if (corp or proper or unseen) and not asked:
                    out.append(_Cand(s, max(0, start), corp or proper))
        run, proper, morphs[:] = [], False, []

    for surface, space, feat in words:
        f = feat.split(",")
        idx = q.find(surface, pos)
        if idx < 0:
            idx = pos
        pos = idx + len(surface)
        nouny = f[0] in ("名詞", "接頭辞") or (f[0] == "接尾辞" and f[1] == "名詞的") or surface == "・"
        if f[0] == "名詞" and f[1] in ("数詞", "代名詞"):
            nouny = False
        if nouny and not run and f[0] == "接尾辞":
            continue  # a counter or suffix after a non-noun (何軒, 何社) starts no name
        if nouny and not (space and run and not surface.isascii()):
            run.append(surface)
            morphs.append(surface)
            proper = proper or (f[1] == "固有名詞" and f[2] != "地名")
        else:
            flush(idx)
            if nouny:
                run.append(surface)
                morphs.append(surface)
                proper = f[1] == "固有名詞" and f[2] != "地名"
    flush(len(q))
    return out
