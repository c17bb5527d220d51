"""The reader's unit scorer: features of (question, unit, section) and a logistic regression over them.

    qi = question_info(question, lang)
    X = features(qi, qvec, cands, unit_vecs)           # (n_units, len(FEATURES)) float64
    model = load_model()                              # rag/reader_weights.json
    p = model.predict(X)                               # P(unit carries the answer)

Features (one row per candidate unit; candidates = every unit of the top sections):
  cos, cos_gap     e5 cosine between "query: question" and "passage: unit", and its gap to the best
                   candidate's cosine (e5 cosines are compressed; the gap says more than the value)
  lex, lex_gap     idf-weighted share of the question's content tokens (rag.japanese.tokenize;
                   English questions add their glossary terms) found in the unit, and its gap to the best
  bigram           the same over character bigrams (matches across segmentation differences)
  head             idf-weighted share of question tokens found only in the section's title / heading
                   path / lead-in line (context that the unit itself does not repeat)
  type_match       the question asks for a typed value (amount, count, percentage, date, duration,
                   quantity, name: rag.reader_types) and the unit holds one that the question does not
                   (a table row: in the columns whose header the question names, when there are such)
  type_miss        it asks for one and the unit holds none
  type_near        exp(-gap/8): how close such a value sits to the question's words in the unit
  rank             1 / (1 + rank of the unit's section in retrieval)
  log_len          log(1 + characters) of the unit
  kind_*           bullet / row / profile / heading (sentence is the reference)
  row_cell         a table row whose column named by the question (header_scores) holds a value of the
                   asked kind (+1) or holds no value at all (-1: 非公開, —); 0 otherwise
  en_cos_gap, en_lex_gap   cos_gap and lex_gap again for English questions (0 for Japanese ones): an
                   English question meets Japanese text through e5 and the glossary only
Unit tokens include the English source words of katakana loanwords (unidic lemmas), so English
question words meet them.
The idf is computed over the candidate units of the question themselves (a unit is a document), so
the features mean the same on JSQuAD paragraphs and on a case library, and need no index.

The weights are fitted by eval/train_reader.py (JSQuAD, CC BY-SA 4.0; see rag/reader_weights.json).
`fit_logreg` is the L2-regularised logistic regression used there (numpy + scipy L-BFGS).

Unit vectors: `VectorCache` keeps e5 passage vectors of unit texts, keyed by a hash of model name and
text, in memory and (optionally) in an append-only file, so a library's units are embedded once
(`VectorCache.ensure(texts)` at index time, or lazily at answer time).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .reader_types import QType, compatible, nfkc, question_type, typed_spans
from .reader_units import Unit

WEIGHTS_FILE = Path(__file__).with_name("reader_weights.json")
KIND_FEATURES = ("kind_bullet", "kind_row", "kind_profile", "kind_heading")
DENSE_FEATURES = ("cos", "cos_gap")
EN_FEATURES = ("en_cos_gap", "en_lex_gap")
FEATURES = DENSE_FEATURES + ("lex", "lex_gap", "bigram", "head", "type_match", "type_miss", "type_near", "rank",
                             "log_len") + KIND_FEATURES + ("row_cell",) + EN_FEATURES


# ----------------------------------------------------------------------------- text pieces

@lru_cache(maxsize=50000)
def content_tokens(text: str) -> frozenset[str]:
    from .japanese import tokenize

    return frozenset(tokenize(text))


@lru_cache(maxsize=50000)
def loan_glosses(text: str) -> frozenset[str]:
    """English source words of the katakana loanwords in `text` (unidic lemma "リテンション-retention")."""
    from .japanese import _tag

    out = set()
    try:
        words = _tag(nfkc(text))
    except Exception:  # noqa: BLE001
        return frozenset()
    for _surf, _ws, feat in words:
        f = feat.split(",")
        if len(f) > 12 and f[12] == "外" and "-" in f[7]:
            g = f[7].split("-", 1)[1].strip().lower()
            if re.fullmatch(r"[a-z][a-z\-]{2,}", g):
                out.add(g)
    return frozenset(out)


@lru_cache(maxsize=50000)
def unit_tokens(text: str) -> frozenset[str]:
    """content_tokens plus the English glosses of the text's loanwords ("strategy" meets ストラテジー)."""
    return content_tokens(text) | loan_glosses(text)


def _en_forms(tok: str) -> set[str]:
    out = {tok}
    if tok.isascii() and tok.isalpha() and len(tok) > 3:
        if tok.endswith("ies"):
            out.add(tok[:-3] + "y")
        elif tok.endswith("s") and not tok.endswith("ss"):
            out.add(tok[:-1])
    return out


@lru_cache(maxsize=50000)
def bigrams(text: str) -> frozenset[str]:
    from .japanese import char_bigrams

    return frozenset(b for b in char_bigrams(text) if len(b) == 2)


@lru_cache(maxsize=100000)
def squash(s: str) -> str:
    return re.sub(r"[\W_]+", "", nfkc(s).casefold())


@lru_cache(maxsize=50000)
def _typed(text: str) -> tuple[tuple[str, str, int, int], ...]:
    """(kind, squashed text, start, end) of the typed spans of nfkc(text)."""
    return tuple((s.kind, squash(s.text), s.start, s.end) for s in typed_spans(nfkc(text)))


_WH_TOKENS = frozenset("""何 なに なん 誰 だれ どなた どこ いつ いくら いくつ どれ どの どんな どう 如何 くらい ぐらい
程度 what which who whom whose when where why how much many long""".split())


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    lang: str
    tokens: frozenset[str]  # content tokens (+ glossary terms for English), interrogatives removed
    bigrams: frozenset[str]
    qtype: QType
    squashed: str  # squash(text): for "the question already says it" checks


def question_info(question: str, lang: str | None = None) -> QuestionInfo:
    from .japanese import detect_language

    lang = lang or detect_language(question)
    toks = set(content_tokens(question)) - _WH_TOKENS
    if lang == "en":
        toks = {f for t in toks for f in _en_forms(t)}
        try:
            from .glossary import expand_tokens

            toks |= set(expand_tokens(question))
        except Exception:  # noqa: BLE001 — no glossary: the question's own words
            pass
    wh_free = re.sub(r"何|なに|誰|だれ|どこ|いつ|いくら|いくつ|どれ|どの|どんな", " ", nfkc(question))
    return QuestionInfo(question, lang, frozenset(toks), bigrams(wh_free), question_type(question, lang),
                        squash(question))


@dataclass
class Candidate:
    """One unit of one retrieved section."""

    unit: Unit
    section: int  # index of the section among the hits
    rank: int  # retrieval rank of the section (0 = best)
    context: str  # title, heading path and lead-in line of the unit


# ----------------------------------------------------------------------------- features

def _idf(docs: Sequence[frozenset[str]], terms: frozenset[str]) -> dict[str, float]:
    n = len(docs)
    out = {}
    for t in sorted(terms):  # a fixed order: float sums do not depend on the hash seed
        df = sum(1 for d in docs if t in d)
        out[t] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
    return out


def _share(weights: dict[str, float], found: frozenset[str] | set[str]) -> float:
    tot = sum(weights.values())
    if tot <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in found) / tot  # weights is built in sorted order


def type_match(qi: QuestionInfo, text: str) -> bool:
    """The unit holds a value of the asked kind that the question does not already state."""
    kinds = qi.qtype.kinds
    if kinds == ("other",):
        return False
    for kind, sq, _a, _b in _typed(text):
        if sq and sq in qi.squashed or not any(compatible(k, kind) for k in kinds):
            continue
        return True
    return False


def _marks(qi: QuestionInfo, t: str) -> list[tuple[int, int]]:
    """Where the question's tokens occur in nfkc text `t`."""
    out = []
    low = t.lower()
    for tok in qi.tokens:
        if len(tok) < 2 and not tok.isdigit():
            continue
        for m in re.finditer(re.escape(tok), low if tok.isascii() else t):
            out.append((m.start(), m.end()))
    return out


def type_near(qi: QuestionInfo, text: str) -> float:
    """How close a value of the asked kind sits to the question's words in the unit: exp(-gap/8) for the
    closest such value (0 when the question asks for no typed value or the unit has none)."""
    kinds = qi.qtype.kinds
    if kinds == ("other",):
        return 0.0
    t = nfkc(text)
    marks = _marks(qi, t)
    if not marks:
        return 0.0
    best = 0.0
    for kind, sq, start, end in _typed(text):
        if sq and sq in qi.squashed or not any(compatible(k, kind) for k in kinds):
            continue
        outside = [max(0, a - end, start - e) for a, e in marks if not (a >= start and e <= end)]
        if outside:
            best = max(best, math.exp(-min(outside) / 8.0))
    return best


def header_scores(qi: QuestionInfo, header: Sequence[str]) -> list[float]:
    """How well each column header matches the question: share of the header's tokens among the question's
    (English questions: through the glossary) plus half the character-bigram overlap (Japanese)."""
    out = []
    qb = qi.bigrams
    for h in header:
        ht = unit_tokens(h)
        s = len(ht & qi.tokens) / len(ht) if ht else 0.0
        if qi.lang == "ja":
            hb = bigrams(h)
            s += 0.5 * (len(hb & qb) / len(hb) if hb else 0.0)
        out.append(s)
    return out


def kind_match(qi: QuestionInfo, text: str, kind: str) -> bool:
    """`text` holds a value compatible with `kind` that the question does not already state."""
    return any(not (sq and sq in qi.squashed) and compatible(kind, k) for k, sq, _a, _b in _typed(text))


HEADER_MATCH = 0.5  # header_scores at or above this: the column is the one the question names


def row_cell(qi: QuestionInfo, u: Unit) -> float:
    """A table row, for a question asking for a typed value: +1 when a column whose header matches the
    question holds a value of the (first) asked kind, -1 when none does and one of them holds no value
    at all (非公開, —: the table says the figure is not given), 0 otherwise."""
    if u.kind != "row" or not u.header or len(u.header) != len(u.cells) or qi.qtype.kind == "other":
        return 0.0
    hs = header_scores(qi, u.header)
    matched = [j for j, h in enumerate(hs) if h >= HEADER_MATCH]
    if not matched:
        return 0.0
    if any(kind_match(qi, u.cells[j], qi.qtype.kind) for j in matched):
        return 1.0
    if any(not _typed(u.cells[j]) for j in matched):
        return -1.0
    return 0.0


def value_text(qi: QuestionInfo, u: Unit) -> str:
    """Where a unit's answer value must be: for a table row whose header names what the question asks
    (header_scores), only those columns ("評価額: 非公開" holds no amount even if the row's other cells
    do); the unit's text otherwise."""
    if u.kind != "row" or not u.header or len(u.header) != len(u.cells):
        return u.text
    hs = header_scores(qi, u.header)
    matched = [j for j, h in enumerate(hs) if h >= HEADER_MATCH]
    if not matched:
        return u.text
    return " / ".join(f"{u.header[j]}: {u.cells[j]}" for j in matched)


def features(qi: QuestionInfo, qvec: np.ndarray | None, cands: Sequence[Candidate],
             unit_vecs: np.ndarray | None) -> np.ndarray:
    """Feature rows (in FEATURES order) of the candidates of one question."""
    n = len(cands)
    X = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if n == 0:
        return X
    col = {f: i for i, f in enumerate(FEATURES)}
    utoks = [unit_tokens(c.unit.text) for c in cands]
    ubig = [bigrams(c.unit.text) for c in cands]
    idf_t = _idf(utoks, qi.tokens)
    idf_b = _idf(ubig, qi.bigrams)
    if qvec is not None and unit_vecs is not None and len(unit_vecs) == n:
        cos = unit_vecs @ qvec
        X[:, col["cos"]] = cos
        X[:, col["cos_gap"]] = cos - cos.max()
    for i, c in enumerate(cands):
        u = c.unit
        X[i, col["lex"]] = _share(idf_t, utoks[i])
        X[i, col["bigram"]] = _share(idf_b, ubig[i])
        ctx = unit_tokens(c.context) if c.context else frozenset()
        X[i, col["head"]] = _share(idf_t, ctx - utoks[i])
        typed = qi.qtype.kind != "other"
        vt = value_text(qi, u) if typed else u.text
        if vt is u.text:
            tm = type_match(qi, vt) if typed else False
        else:  # the named columns of a row: a value of the first asked kind
            tm = kind_match(qi, vt, qi.qtype.kind)
        X[i, col["type_match"]] = float(tm)
        X[i, col["type_miss"]] = float(typed and not tm)
        X[i, col["type_near"]] = type_near(qi, vt) if tm else 0.0
        X[i, col["rank"]] = 1.0 / (1.0 + c.rank)
        X[i, col["log_len"]] = math.log1p(len(u.text))
        k = f"kind_{u.kind}"
        if k in col:
            X[i, col[k]] = 1.0
        X[i, col["row_cell"]] = row_cell(qi, u)
    X[:, col["lex_gap"]] = X[:, col["lex"]] - X[:, col["lex"]].max()
    if qi.lang == "en":
        X[:, col["en_cos_gap"]] = X[:, col["cos_gap"]]
        X[:, col["en_lex_gap"]] = X[:, col["lex_gap"]]
    return X


# ----------------------------------------------------------------------------- logistic regression

def fit_logreg(X: np.ndarray, y: np.ndarray, l2: float = 1.0, sample_weight: np.ndarray | None = None,
               fixed: dict[int, float] | None = None) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression (the intercept is not penalised); returns (w, b).

    Minimises sum_i s_i * logloss(y_i, sigmoid(x_i.w + b)) / sum_i s_i + l2/2 * |w|^2 / n_eff with
    scipy's L-BFGS; deterministic. `fixed` pins some weights (column → value)."""
    from scipy.optimize import minimize

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, d = X.shape
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    s = s / s.sum()
    free = np.ones(d, dtype=bool)
    w0 = np.zeros(d)
    for j, v in (fixed or {}).items():
        free[j] = False
        w0[j] = v
    n_eff = float(n)

    def f(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = w0.copy()
        w[free] = theta[:-1]
        b = theta[-1]
        z = X @ w + b
        # log(1 + e^z) - y z, stable
        loss = np.sum(s * (np.logaddexp(0.0, z) - y * z)) + 0.5 * l2 * float(w[free] @ w[free]) / n_eff
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        g = s * (p - y)
        gw = X.T @ g + l2 * w / n_eff
        return loss, np.concatenate([gw[free], [g.sum()]])

    theta0 = np.zeros(int(free.sum()) + 1)
    res = minimize(f, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 1000, "gtol": 1e-6})
    w = w0.copy()
    w[free] = res.x[:-1]
    return w, float(res.x[-1])


def sigmoid(z: np.ndarray | float) -> np.ndarray | float:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z)))


@dataclass
class ReaderModel:
    """Weights of the unit scorer (standardised features → logit) and the top-unit calibration."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    w: np.ndarray
    b: float
    calib: tuple[float, float, float] = (1.0, 0.0, 0.0)  # top-unit P: sigmoid(a*logit + c*margin + d)
    meta: dict[str, Any] = field(default_factory=dict)

    def logits(self, X: np.ndarray) -> np.ndarray:
        """X has the columns of FEATURES (all of them); the model uses its own subset."""
        idx = [FEATURES.index(f) for f in self.features]
        Z = (X[:, idx] - self.mean) / self.scale
        return Z @ self.w + self.b

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(sigmoid(self.logits(X)))

    def top_probability(self, logits: np.ndarray) -> float:
        """Calibrated probability that the best-scoring unit carries the answer."""
        if len(logits) == 0:
            return 0.0
        srt = np.sort(logits)[::-1]
        margin = float(srt[0] - srt[1]) if len(srt) > 1 else 5.0
        a, c, d = self.calib
        return float(sigmoid(a * srt[0] + c * margin + d))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [round(float(x), 6) for x in self.mean],
            "scale": [round(float(x), 6) for x in self.scale],
            "weights": [round(float(x), 6) for x in self.w],
            "bias": round(float(self.b), 6),
            "top_calibration": [round(float(x), 6) for x in self.calib],
            **({"meta": self.meta} if self.meta else {}),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "ReaderModel":
        return cls(tuple(d["features"]), np.asarray(d["mean"], float), np.asarray(d["scale"], float),
                   np.asarray(d["weights"], float), float(d["bias"]),
                   tuple(d.get("top_calibration", (1.0, 0.0, 0.0))), dict(d.get("meta", {})))


_models: dict[tuple[str, str, float], ReaderModel] = {}


def load_model(variant: str = "dense", path: Path | str | None = None) -> ReaderModel:
    """The fitted unit scorer: variant "dense" (with e5 cosines) or "lexical" (without)."""
    p = Path(path or WEIGHTS_FILE)
    key = (str(p), variant, p.stat().st_mtime)
    m = _models.get(key)
    if m is None:
        data = json.loads(p.read_text(encoding="utf-8"))
        m = _models[key] = ReaderModel.from_json(data["models"][variant])
    return m


def load_weights_file(path: Path | str | None = None) -> dict[str, Any]:
    return json.loads(Path(path or WEIGHTS_FILE).read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- unit vectors

_REC_DTYPE_CACHE: dict[int, np.dtype] = {}


def _rec_dtype(dim: int) -> np.dtype:
    dt = _REC_DTYPE_CACHE.get(dim)
    if dt is None:
        dt = _REC_DTYPE_CACHE[dim] = np.dtype([("key", "S16"), ("vec", "<f4", (dim,))])
    return dt


class VectorCache:
    """e5 passage vectors of unit texts; in memory, plus an append-only file when `path` is given.

    Keys are the first 16 bytes of sha1(model name + NUL + text); records are (key, float32[dim])."""

    MAX_CHARS = 1000  # a longer unit is embedded from its first MAX_CHARS characters (window-safe)

    def __init__(self, embedder: Any, path: Path | str | None = None, query: bool = False):
        self.embedder = embedder
        self.path = Path(path) if path else None
        self.query = query  # "query: " vectors (embed_queries) instead of passages
        self._lock = threading.Lock()
        self._vecs: dict[bytes, np.ndarray] = {}
        self._loaded = False
        self.misses = 0
        self.hits = 0

    def _key(self, text: str) -> bytes:
        kind = "q" if self.query else "p"
        return hashlib.sha1(f"{self.embedder.name}\0{kind}\0{text}".encode("utf-8")).digest()[:16]

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.path is None or not self.path.exists():
            return
        dt = _rec_dtype(self.embedder.dim)
        size = self.path.stat().st_size
        n = size // dt.itemsize
        if size != n * dt.itemsize:  # a write cut short (killed process): drop the partial record
            os.truncate(self.path, n * dt.itemsize)
        if n:
            recs = np.fromfile(self.path, dtype=dt, count=n)
            for k, v in zip(recs["key"], recs["vec"]):
                self._vecs[bytes(k)] = v

    def _embed(self, texts: list[str]) -> np.ndarray:
        cut = [t[: self.MAX_CHARS] for t in texts]
        if self.query:
            many = getattr(self.embedder, "embed_queries", None)
            if many is not None:
                return np.asarray(many(cut), dtype=np.float32)
            return np.stack([self.embedder.embed_query(t) for t in cut]).astype(np.float32)
        try:
            return self.embedder.embed_passages(cut)
        except ValueError:  # over the model window: halve the over-long ones until they fit
            out = []
            for t in cut:
                while True:
                    try:
                        out.append(self.embedder.embed_passages([t])[0])
                        break
                    except ValueError:
                        t = t[: max(1, len(t) // 2)]
            return np.asarray(out, dtype=np.float32)

    def get(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        """Vectors of `texts` (n, dim), embedding (and storing) the ones not seen before."""
        with self._lock:
            self._load()
            keys = [self._key(t) for t in texts]
            missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in self._vecs))
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        for i in range(0, len(missing), batch):
            part = missing[i:i + batch]
            vecs = self._embed(part)
            with self._lock:
                new = [(self._key(t), v) for t, v in zip(part, vecs)]
                for k, v in new:
                    self._vecs[k] = np.asarray(v, dtype=np.float32)
                self._append(new)
        with self._lock:
            if not texts:
                return np.zeros((0, self.embedder.dim), np.float32)
            return np.stack([self._vecs[k] for k in keys]).astype(np.float32)

    ensure = get

    def _append(self, new: list[tuple[bytes, np.ndarray]]) -> None:
        if self.path is None or not new:
            return
        dt = _rec_dtype(self.embedder.dim)
        recs = np.zeros(len(new), dtype=dt)
        recs["key"] = [k for k, _ in new]
        recs["vec"] = np.stack([v for _, v in new])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, recs.tobytes())
        finally:
            os.close(fd)

    def __len__(self) -> int:
        with self._lock:
            self._load()
            return len(self._vecs)
