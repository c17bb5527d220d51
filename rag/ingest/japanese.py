"""Japanese/English text utilities: normalisation, BM25 tokens, sentence splitting, language.

* `normalize(text)`: NFKC (full/half width folded) + lowercase.
* `tokenize(text)`: content-word tokens for BM25 (fugashi + unidic-lite), the same function
  for passages and queries. Rules, chosen for recall on short Japanese questions:
    - particles, auxiliaries, symbols, pronouns, adverbs, non-independent verbs
      (する/いる/ある/なる…) and a few empty nouns (こと/もの/ため…) are dropped;
    - verbs/adjectives → their lemma (達し → 達する); loanwords (katakana, goshu 外) → the
      dictionary lemma, which folds spelling variants (パラメータ/パラメーター);
    - compound nouns are emitted as their parts only (企業評価額 → 企業, 評価, 額; 生成AI →
      生成, ai): BM25 then matches 評価額 inside 企業評価額 and vice versa. Emitting the joined
      compounds (and adjacent pairs) as well was measured worse on eval/questions/dev.jsonl
      (35 answerable Japanese questions, BM25 alone, section hit@5 / MRR: parts only
      0.971 / 0.876, parts + compounds + pairs 0.943 / 0.756, parts + compounds 0.914 / 0.776);
    - numbers absorb 万/億/兆 and thousands separators, and a number never joins the word
      before it (140億ドル → 140億, ドル; 1,700万人 → 1700万, 人; 900% → 900%);
    - ASCII stretches without spaces are kept whole and also split at - _ . / + & ' when they
      contain letters (GPT-4 → gpt-4, gpt, 4; 8x7B → 8x7b; Series-C → series-c, series, c);
      a few English stop words are dropped.
* `char_bigrams(text)`: overlapping character bigrams of the normalised text inside runs of
  letters/digits (a one-character run stays a unigram) — tokenizer-free lexical evidence that
  still matches where MeCab segments a compound differently in the question and the passage.
* `split_sentences(text)`: sentences at 。！？!? and English ". " (not in numbers or after
  abbreviations), and at every line break; table rows and bullet items stay whole; the
  original characters are kept (each sentence is a substring of the input).
* `detect_language(text)`: "ja" when kana/kanji make up a meaningful share, else "en".

The fugashi Tagger is created lazily, once per process, and used under a lock.
"""

from __future__ import annotations

import re
import threading
import unicodedata

import fugashi

VERSION = 1

# ----------------------------------------------------------------------------- normalisation


def normalize(text: str) -> str:
    """NFKC (folds full-width ASCII/digits and half-width katakana) and lowercase."""
    return unicodedata.normalize("NFKC", text or "").lower()


# ----------------------------------------------------------------------------- the tagger

_TAGGER = None
_TAGGER_LOCK = threading.Lock()


def _tagger():
    global _TAGGER
    if _TAGGER is None:
        t = fugashi.Tagger()
        _TAGGER = t
    return _TAGGER


def tag(text: str) -> list[tuple[str, str, str]]:
    """(surface, white_space_before, feature_raw) for each word; serialised across threads."""
    with _TAGGER_LOCK:
        tagger = _tagger()
        return [(w.surface, w.white_space, w.feature_raw) for w in tagger(text)]


def loan_source(feature_raw: str) -> str | None:
    """The English word a katakana loanword comes from, read off its UniDic features (語種 外, lemma
    "リテンション-retention" → "retention"); None for any other word."""
    f = feature_raw.split(",")
    if len(f) > 12 and f[12] == "外" and "-" in f[7]:
        eng = f[7].split("-", 1)[1].strip().lower()
        if re.fullmatch(r"[a-z][a-z\-]{2,}", eng):
            return eng
    return None


# ----------------------------------------------------------------------------- tokenize

_STOP_NOUNS = frozenset(
    "こと もの ため よう とき ところ ほう うち ほか 方 際 中 上 下 等 など 事 物 為 様 ら 達 たち".split()
)
_STOP_VERBS = frozenset("因る 於く 対する 関する 依る 言う 行く 来る 為る 有る 居る 成る 出来る 無い 良い".split())
_EN_STOP = frozenset(
    """a an the of and or in on at to for from by with as is are was were be been being it its
    this that these those which what who whom whose how when where why do does did has have had
    not no but if than then so such into over under about per via vs etc i we you he she they""".split()
)
_NUM_KANJI = frozenset("万億兆")
_ASCII_WORD = re.compile(r"[a-z0-9]+(?:[-_./+&'][a-z0-9]+)*%?")
_PURE_NUM = re.compile(r"\d+(?:\.\d+)?%?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_ASCII_SPLIT = re.compile(r"[-_/+&']|(?<![0-9])\.|\.(?![0-9])")
_HIRAGANA_ONLY = re.compile(r"[\u3041-\u309f]+")

# item kinds in the intermediate stream
_N, _NUM, _LAT, _PRE, _SUF, _BRK = "n", "num", "lat", "pre", "suf", "brk"


def _items(text: str) -> list[tuple[str, str, bool]]:
    """The text as (kind, form, space_before) items; content words only plus breaks."""
    text = _THOUSANDS.sub("", normalize(text))
    words = tag(text)
    out: list[tuple[str, str, bool]] = []
    i, n = 0, len(words)
    while i < n:
        surf, ws, feat = words[i]
        if surf.isascii() and not surf.isspace():
            # a stretch of ASCII words with no space between them: gpt-4, 8x7b, 3.5, 900%, $14.0b
            j = i + 1
            buf = [surf]
            while j < n and words[j][0].isascii() and not words[j][1]:
                buf.append(words[j][0])
                j += 1
            run = "".join(buf)
            first = True
            last_end = 0
            for m in _ASCII_WORD.finditer(run):
                tok = m.group(0)
                if not first and m.start() > last_end:
                    out.append((_BRK, "", False))
                sp = bool(ws) if first else False
                out.append((_NUM if _PURE_NUM.fullmatch(tok) else _LAT, tok, sp))
                first = False
                last_end = m.end()
            if first:  # only symbols
                out.append((_BRK, "", False))
            elif last_end < len(run):
                out.append((_BRK, "", False))
            i = j
            continue
        i += 1
        f = feat.split(",", 13)
        pos1 = f[0]
        pos2 = f[1] if len(f) > 1 else ""
        sp = bool(ws)
        if pos1 == "名詞":
            if pos2 == "数詞":
                out.append((_NUM, surf, sp))
                continue
            form = surf
            if len(f) > 12 and f[12] == "外" and f[7] not in ("", "*"):
                form = f[7].split("-", 1)[0] or surf
            out.append((_N, form, sp))
        elif pos1 == "形状詞":
            out.append((_N, surf, sp))
        elif pos1 == "接頭辞":
            out.append((_PRE, surf, sp))
        elif pos1 == "接尾辞":
            if pos2 in ("名詞的", "形状詞的"):
                out.append((_SUF, surf, sp))
            else:
                out.append((_BRK, "", sp))
        elif pos1 in ("動詞", "形容詞"):
            out.append((_BRK, "", sp))
            if pos2 != "非自立可能":
                lemma = f[7] if len(f) > 7 and f[7] not in ("", "*") else surf
                lemma = lemma.split("-", 1)[0] or surf
                if lemma not in _STOP_VERBS:
                    out.append(("v", lemma, False))
        else:  # particles, auxiliaries, symbols, pronouns, adverbs, …
            out.append((_BRK, "", sp))
    return out


def _keep_part(kind: str, form: str) -> bool:
    if kind in (_PRE, _SUF):
        return False
    if kind == _LAT:
        return form not in _EN_STOP and not (len(form) == 1 and form.isalpha())
    if kind == _NUM:
        return True
    if form in _STOP_NOUNS:
        return False
    if len(form) == 1 and _HIRAGANA_ONLY.fullmatch(form):
        return False
    return True


def _emit_run(run: list[tuple[str, str]], out: list[str]) -> None:
    for k, f in run:
        if _keep_part(k, f):
            out.append(f)
            if k == _LAT and len(f) > 2 and _ASCII_SPLIT.search(f):
                out.extend(
                    p for p in _ASCII_SPLIT.split(f) if p != f and (len(p) > 1 or p.isdigit()) and p not in _EN_STOP
                )


_BLOCK = 4000


def tokenize(text: str) -> list[str]:
    """BM25 tokens of `text` (see the module docstring for the rules)."""
    if not text or not text.strip():
        return []
    if len(text) > _BLOCK:
        # long inputs go by blocks of whole lines (a token never spans a line break): keeps
        # MeCab's lattice and the live object count small, and so the speed linear
        out: list[str] = []
        start = 0
        while start < len(text):
            end = text.find("\n", start + _BLOCK)
            end = len(text) if end < 0 else end + 1
            out += _tokenize_block(text[start:end])
            start = end
        return out
    return _tokenize_block(text)


def _tokenize_block(text: str) -> list[str]:
    out: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        if run:
            # a lone prefix/suffix contributes nothing
            if not all(k in (_PRE, _SUF) for k, _ in run):
                _emit_run(run, out)
            run.clear()

    for kind, form, sp in _items(text):
        if kind == _BRK:
            flush()
            continue
        if kind == "v":
            flush()
            if form not in _STOP_NOUNS and not (len(form) <= 1):
                out.append(form)
            continue
        if sp:
            flush()
        if kind == _NUM:
            if run and run[-1][0] == _NUM and (form in _NUM_KANJI or run[-1][1][-1:] in _NUM_KANJI):
                # 140 + 億, 5兆 + 8000 + 億 → one number
                run[-1] = (_NUM, run[-1][1] + form)
                continue
            if run and run[-1][0] != _PRE:
                flush()  # a number starts a new run (企業評価額 | 140億ドル)
        elif kind == _LAT and run and run[-1][0] == _LAT:
            flush()
        run.append((kind, form))
    flush()
    return out


# ----------------------------------------------------------------------------- sentences

_TABLE_ROW = re.compile(r"^\s*\|")
_BULLET = re.compile(r"^\s*(?:[-*+•・]|\d{1,3}[.)])\s+")
_JA_END = "。！？"
_CLOSERS = "」』）)】〕］]\"'”’》〉"
_ABBREV = frozenset(
    """inc ltd co corp llc plc mr mrs ms dr prof st vs etc e.g i.e u.s u.k no jr sr approx fig
    al dept est govt univ jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
_WORD_CHAR = re.compile(r"[0-9A-Za-z\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff10-\uff19\uff21-\uff5a\uff66-\uff9f]")


_NON_WORD = re.compile(r"[\W_]+")


def char_bigrams(text: str) -> list[str]:
    """Character bigrams of normalize(text), within runs of word characters (see module doc)."""
    out: list[str] = []
    for run in _NON_WORD.split(normalize(text)):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def has_word_chars(s: str) -> bool:
    """True when `s` contains a letter, digit, kana or kanji (not only symbols/markup)."""
    return bool(_WORD_CHAR.search(s))


def _end_of_terminator(line: str, i: int) -> int:
    """Index just past the terminator at i plus any repeated terminators and closing brackets."""
    n = len(line)
    j = i + 1
    while j < n and (line[j] in _JA_END or line[j] in "!?" or line[j] in _CLOSERS):
        j += 1
    return j


def sentence_spans(line: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of one line (no line breaks inside), stripped."""
    spans: list[tuple[int, int]] = []
    n = len(line)
    start = 0
    i = 0
    while i < n:
        c = line[i]
        cut = -1
        if c in _JA_END:
            cut = _end_of_terminator(line, i)
            # 「…。」と言った: a quotation closed after the terminator continues the sentence
            if cut < n and line[cut - 1] in _CLOSERS and "\u3041" <= line[cut] <= "\u309f":
                cut = -1
        elif c in "!?":
            j = _end_of_terminator(line, i)
            if j >= n or line[j].isspace() or not line[j].isascii():
                cut = j
        elif c == ".":
            j = _end_of_terminator(line, i)
            if j < n and line[j].isspace():
                k = j
                while k < n and line[k].isspace():
                    k += 1
                nxt = line[k] if k < n else ""
                m = re.search(r"([A-Za-z][A-Za-z.]*)$", line[start:i])
                word = m.group(1).lower() if m else ""
                prev = line[i - 1] if i else ""
                if (
                    nxt
                    and (nxt.isupper() or not nxt.isascii() or nxt in "\"'(“[")
                    and word not in _ABBREV
                    and not (len(word) == 1 and prev.isupper())  # initials: J. Smith
                ):
                    cut = j
        if cut > 0:
            spans.append((start, cut))
            start = cut
            i = cut
            continue
        i += 1
    if start < n:
        spans.append((start, n))
    out = []
    for a, b in spans:
        while a < b and line[a].isspace():
            a += 1
        while b > a and line[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, original characters kept; see the module docstring.

    Every line break ends a sentence; table rows, bullet items and Markdown headings are one
    unit each; lines without any letter/digit/kana/kanji (rules, table separators) are skipped.
    """
    out: list[str] = []
    for line in (text or "").splitlines():
        s = line.strip()
        if not s or not has_word_chars(s):
            continue
        if _TABLE_ROW.match(line) or _BULLET.match(line) or s.startswith("#"):
            out.append(s)
            continue
        out.extend(line[a:b] for a, b in sentence_spans(line))
    return out


# ----------------------------------------------------------------------------- language

_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\uff21-\uff3a\uff41-\uff5a]")


def detect_language(text: str) -> str:
    """ "ja" if kana/kanji make up a meaningful share of the text, else "en".

    A kana/kanji carries roughly what 4-5 Latin letters do, so a text is Japanese when
    (kana + kanji) * 5 >= Latin letters; "Mixtral 8x7Bのパラメータ数は？" is "ja",
    "What did ミストラルAI raise in its Series C round?" is "en". No letters at all → "en".
    """
    text = text or ""
    ja = len(_KANA.findall(text)) + len(_KANJI.findall(text))
    if not ja:
        return "en"
    lat = len(_LATIN.findall(text))
    return "ja" if ja * 5 >= lat else "en"
