"""BM25 postings on disk: what an index run writes for readers (instead of token lists in JSON).

All three lexical fields (rag.index.lexical: words, token pairs, character bigrams) are built
while the run stores its chunks (`PostingsBuilder`, bounded memory: term ids in arrays) and written
as term-major postings with their BM25 weights, so a reader maps a few arrays and scores at once:
no JSON of token lists to parse, no matrix to build, no character-bigram pass at the first query.
At 100,000 chunks (eval.bench_scale) the token-list JSON took seconds to load and the bigram
field seconds more at the first query, and both held their token strings in memory.

Layout of a generation's `lexical/` folder:

    meta.json            {"format": 2, "k1", "b", "chunks", "salt", "fields": {name: {"terms", "postings"}}}
    chunk_ids.json       the chunk ids: the column (document) order of every field
    words.terms.json     the words field's terms, in its row order (idf, the token export)
    tokens.npy           every chunk's words in order, as row ids of the words field (int32) …
    tokens_at.npy        … and where each chunk's run starts (int64, chunks + 1): for the indexer's
                         carry-over of unchanged files and the server-mode token-list export
    <field>.hash.npy     64-bit hash of each term (blake2b), ascending; row i = i-th smallest hash
    <field>.indptr.npy   int64 start of each row's postings (terms + 1)
    <field>.docs.npy     int32 chunk column of each posting, ascending within a row
    <field>.weights.npy  float32 BM25 weight of each posting, with the k1 / b of meta.json
    <field>.tfs.npy      int32 term frequency of each posting    } for the next index run only
    <field>.lengths.npy  int32 terms of each chunk               } (rag.index.postings_carry)

Readers map the arrays (numpy mmap): only the postings of query terms are read from disk. A query
term finds its row by binary search on the hashes; two terms of one field with the same 64-bit
hash would make the writer retry with another salt.
"""

from __future__ import annotations

import hashlib
import json
import os
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from rag.ingest import char_bigrams

FORMAT = 2
FIELDS = ("words", "pairs", "chars")
WRITER_PARTS = ("tfs", "lengths")
"""Per-field arrays only the next index run reads (to carry unchanged chunks): not sent to replicas."""
PAIR_SEP = " "  # tokens never contain a space (the tokenizer splits at whitespace)


def token_pairs(tokens: Sequence[str]) -> list[str]:
    """Adjacent token pairs, in order: [a, b, c] → ["a b", "b c"]."""
    return [f"{a}{PAIR_SEP}{b}" for a, b in zip(tokens, tokens[1:])]


def term_hash(term: str, salt: int = 0) -> int:
    h = hashlib.blake2b(term.encode("utf-8", "surrogatepass"), digest_size=8, salt=salt.to_bytes(16, "little"))
    return int.from_bytes(h.digest(), "little")


def bm25_weights(
    rows: np.ndarray, cols: np.ndarray, tfs: np.ndarray, lengths: np.ndarray, n_terms: int, k1: float, b: float
) -> tuple[np.ndarray, np.ndarray]:
    """(float32 BM25 weight of each (term row, document col, tf) posting, float64 document
    frequency of each term). lengths: terms per document."""
    n = len(lengths)
    avgdl = float(lengths.mean()) or 1.0
    df = np.bincount(rows, minlength=n_terms).astype(np.float64)
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    norm = tfs + k1 * (1.0 - b + b * lengths[cols] / avgdl)
    weights = idf[rows] * tfs * (k1 + 1.0) / norm
    return weights.astype(np.float32), df


class PostingsBuilder:
    """Collects chunks (id, word tokens, text) as term ids and writes the `lexical/` folder."""

    def __init__(self) -> None:
        self.chunk_ids: list[str] = []
        self._vocab: dict[str, dict[str, int]] = {f: {} for f in FIELDS}
        self._rows = {f: array("i") for f in FIELDS}  # term id of each posting
        self._tfs = {f: array("i") for f in FIELDS}
        self._counts = {f: array("i") for f in FIELDS}  # postings per chunk
        self._lengths = {f: array("i") for f in FIELDS}  # terms per chunk
        self._tokens = array("i")
        self._token_at = array("q", [0])

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def add(self, chunk_id: str, tokens: Sequence[str], text: str | None) -> None:
        self.chunk_ids.append(chunk_id)
        words = self._vocab["words"]
        self._tokens.extend(words.setdefault(t, len(words)) for t in tokens)
        self._token_at.append(len(self._tokens))
        terms: dict[str, Sequence[str]] = {
            "words": tokens,
            "pairs": token_pairs(tokens),
            "chars": char_bigrams(text) if text is not None else [],
        }
        for f, seq in terms.items():
            vocab, counts = self._vocab[f], Counter(seq)
            self._rows[f].extend(vocab.setdefault(t, len(vocab)) for t in counts)
            self._tfs[f].extend(counts.values())
            self._counts[f].append(len(counts))
            self._lengths[f].append(len(seq))

    def field_arrays(self, f: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(terms in id order, term id of each posting, postings per chunk, term frequency of each
        posting, terms per chunk) of field `f`, as int32 arrays."""

        def arr(a: array) -> np.ndarray:
            return np.frombuffer(a, np.int32) if len(a) else np.zeros(0, np.int32)

        return list(self._vocab[f]), arr(self._rows[f]), arr(self._counts[f]), arr(self._tfs[f]), arr(self._lengths[f])

    def token_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(every chunk's words as ids of the words field, int32; where each chunk's run starts, int64)."""
        toks = np.frombuffer(self._tokens, np.int32) if len(self._tokens) else np.zeros(0, np.int32)
        return toks, np.frombuffer(self._token_at, np.int64)

    def write(self, folder: Path, k1: float, b: float) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        n = len(self.chunk_ids)
        salt = 0
        while True:  # a 64-bit hash collision between two terms of one field: another salt
            hashes = {f: np.fromiter((term_hash(t, salt) for t in self._vocab[f]), np.uint64) for f in FIELDS}
            if all(len(np.unique(h)) == len(h) for h in hashes.values()):
                break
            salt += 1
        meta: dict[str, Any] = {"format": FORMAT, "k1": k1, "b": b, "chunks": n, "salt": salt, "fields": {}}
        for f in FIELDS:
            order = np.argsort(hashes[f], kind="stable")
            rank = np.empty(len(order), np.int64)
            rank[order] = np.arange(len(order))
            n_terms = len(order)
            terms, rows32, counts, tfs32, lengths32 = self.field_arrays(f)
            rows = rows32.astype(np.int64)
            cols = np.repeat(np.arange(n, dtype=np.int64), counts) if n else rows
            tfs = tfs32.astype(np.float64)
            lengths = lengths32.astype(np.float64)
            if n and n_terms:
                weights, _ = bm25_weights(rows, cols, tfs, lengths, n_terms, k1, b)
            else:
                weights = np.zeros(len(rows), np.float32)
            new_rows = rank[rows]
            perm = np.argsort(new_rows, kind="stable")  # columns stay ascending within a row
            indptr = np.zeros(n_terms + 1, np.int64)
            np.cumsum(np.bincount(new_rows, minlength=n_terms), out=indptr[1:])
            save_array(folder / f"{f}.hash.npy", hashes[f][order])
            save_array(folder / f"{f}.indptr.npy", indptr)
            save_array(folder / f"{f}.docs.npy", cols[perm].astype(np.int32))
            save_array(folder / f"{f}.weights.npy", weights[perm])
            save_array(folder / f"{f}.tfs.npy", tfs[perm].astype(np.int32))
            save_array(folder / f"{f}.lengths.npy", lengths.astype(np.int32))
            meta["fields"][f] = {"terms": n_terms, "postings": len(rows)}
            if f == "words":
                write_json(folder / "words.terms.json", [terms[i] for i in order])
                toks, token_at = self.token_arrays()
                save_array(folder / "tokens.npy", rank[toks].astype(np.int32) if len(toks) else toks)
                save_array(folder / "tokens_at.npy", token_at)
        write_json(folder / "chunk_ids.json", self.chunk_ids)
        write_json(folder / "meta.json", meta)  # last: a folder without it is incomplete


def is_writer_part(name: str) -> bool:
    """Whether a `lexical/` file name is one of the WRITER_PARTS (readers never open it)."""
    return any(name == f"{f}.{p}.npy" for f in FIELDS for p in WRITER_PARTS)


def save_array(path: Path, arr: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, arr)
        f.flush()
        os.fsync(f.fileno())


def write_json(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())


# ------------------------------------------------------------------------------------- reading
class MappedField:
    """One field read from disk: BM25 scores of every chunk for a set of terms."""

    def __init__(self, folder: Path, name: str, n_docs: int, salt: int):
        def load(part: str) -> np.ndarray:
            return np.load(folder / f"{name}.{part}.npy", mmap_mode="r")

        self.hashes = load("hash")
        self.n_docs = n_docs
        self.salt = salt
        self._indptr = indptr = load("indptr")
        self.matrix = sparse.csr_matrix(
            (load("weights"), load("docs"), indptr), shape=(len(self.hashes), n_docs), copy=False
        )

    @property
    def df(self) -> np.ndarray:
        """Document frequency of each term (row)."""
        return np.diff(self._indptr).astype(np.float64)

    def rows(self, terms: Iterable[str]) -> list[int]:
        hs = np.array(sorted({term_hash(t, self.salt) for t in terms}), dtype=np.uint64)
        if not len(hs) or not len(self.hashes):
            return []
        pos = np.searchsorted(self.hashes, hs)
        ok = pos < len(self.hashes)
        pos, hs = pos[ok], hs[ok]
        return sorted(int(p) for p in pos[self.hashes[pos] == hs])

    def scores(self, terms: Iterable[str]) -> np.ndarray:
        ids = self.rows(terms)
        if not ids:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.matrix[ids].sum(axis=0)).ravel()


class StoredPostings:
    """A `lexical/` folder opened for reading: its fields, chunk ids and word tokens."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if self.meta.get("format") != FORMAT:
            raise ValueError(f"{folder}: lexical format {self.meta.get('format')!r}, expected {FORMAT}")
        self.chunk_ids: list[str] = json.loads((folder / "chunk_ids.json").read_text(encoding="utf-8"))
        self.k1 = float(self.meta["k1"])
        self.b = float(self.meta["b"])
        self._terms: list[str] | None = None
        self._tokens: np.ndarray | None = None
        self._token_at: np.ndarray | None = None

    def field(self, name: str) -> MappedField:
        return MappedField(self.folder, name, len(self.chunk_ids), int(self.meta.get("salt", 0)))

    @property
    def terms(self) -> list[str]:
        """The words field's terms in row order."""
        if self._terms is None:
            self._terms = json.loads((self.folder / "words.terms.json").read_text(encoding="utf-8"))
        return self._terms

    def tokens_of(self, i: int) -> list[str]:
        """The word tokens of the i-th chunk, in order."""
        if self._tokens is None:
            self._tokens = np.load(self.folder / "tokens.npy", mmap_mode="r")
            self._token_at = np.load(self.folder / "tokens_at.npy", mmap_mode="r")
        assert self._token_at is not None
        terms = self.terms
        return [terms[t] for t in self._tokens[int(self._token_at[i]) : int(self._token_at[i + 1])].tolist()]


def is_postings_folder(folder: Path) -> bool:
    return (folder / "meta.json").is_file()
