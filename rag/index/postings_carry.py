"""BM25 postings of the next generation from the previous one's plus the new chunks', without
re-reading the carried chunks' texts.

Rebuilding the postings from every carried chunk's tokens and text (character bigrams included) cost
about half of a one-file re-index at 100,000 chunks. Here the previous generation's postings are
taken as they are, in hash space: the columns of chunks that are gone are dropped, the rest are
renumbered (their order is kept), the new chunks' postings are appended, and the BM25 weights of
every posting are recomputed from the stored term frequencies and chunk lengths (idf and the mean
length change with any change), all in numpy.

New terms are hashed with the previous generation's salt. The writer's collision check (two distinct
terms, one 64-bit hash: retry with another salt) covers the new terms among themselves and, for the
words field whose terms are stored, against the old ones; a pair or bigram term new to the library
that collides with an old one (odds about n² / 2⁶⁵ for n terms: ~10⁻⁷ at a few million) would
share its postings. A full rebuild (`casebook index --rebuild`) re-draws the salt.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.index.postings import (
    FIELDS,
    FORMAT,
    WRITER_PARTS,
    PostingsBuilder,
    StoredPostings,
    bm25_weights,
    is_postings_folder,
    save_array,
    term_hash,
    write_json,
)


class CarryError(RuntimeError):
    """The previous postings cannot be carried (the caller rebuilds them from tokens)."""


def can_carry(old_folder: Path) -> bool:
    """Whether `old_folder` holds postings with the arrays a carry needs (written since they exist)."""
    return is_postings_folder(old_folder) and all(
        (old_folder / f"{f}.{p}.npy").is_file() for f in FIELDS for p in WRITER_PARTS
    )


def write_carried(
    folder: Path, old_folder: Path, carried_ids: Sequence[str], new: PostingsBuilder, k1: float, b: float
) -> None:
    """Write `folder` (the layout of rag.index.postings) for the chunks `carried_ids` of the postings
    in `old_folder`, in their order there, followed by the chunks added to `new`."""
    old = StoredPostings(old_folder)
    pos = {cid: i for i, cid in enumerate(old.chunk_ids)}
    try:
        keep = np.fromiter((pos[c] for c in carried_ids), np.int64, len(carried_ids))
    except KeyError as e:
        raise CarryError(f"{old_folder}: chunk {e} is not in the previous postings") from None
    if len(keep) > 1 and not bool(np.all(np.diff(keep) > 0)):
        raise CarryError("the carried chunks are not in the previous postings' order")
    salt = int(old.meta.get("salt", 0))
    n_old, n_new = len(keep), len(new)
    col_of = np.full(len(old.chunk_ids), -1, np.int64)
    col_of[keep] = np.arange(n_old)
    folder.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {"format": FORMAT, "k1": k1, "b": b, "chunks": n_old + n_new, "salt": salt, "fields": {}}
    for f in FIELDS:

        def load(part: str, f: str = f) -> np.ndarray:
            return np.load(old_folder / f"{f}.{part}.npy", mmap_mode="r")

        old_hash, indptr, docs = load("hash"), load("indptr"), load("docs")
        rows = np.repeat(np.arange(len(old_hash), dtype=np.int64), np.diff(indptr))
        cols = col_of[docs]
        alive = cols >= 0
        terms, new_rows, new_counts, new_tfs, new_lengths = new.field_arrays(f)
        new_hash = np.fromiter((term_hash(t, salt) for t in terms), np.uint64, len(terms))
        if len(np.unique(new_hash)) != len(new_hash):
            raise CarryError(f"two new {f} terms share a hash")
        if f == "words":
            _check_words(old, old_hash, terms, new_hash)
        hashes = np.concatenate([old_hash[rows[alive]], new_hash[new_rows]])
        cols = np.concatenate([cols[alive], n_old + np.repeat(np.arange(n_new, dtype=np.int64), new_counts)])
        tfs = np.concatenate([load("tfs")[alive], new_tfs]).astype(np.float64)
        lengths = np.concatenate([load("lengths")[keep], new_lengths]).astype(np.float64)
        # the carried postings are already in (hash, column) order: a stable sort keeps them so and
        # puts each new posting after the old ones of its term (new columns are the highest)
        order = np.argsort(hashes, kind="stable")
        hashes, cols, tfs = hashes[order], cols[order], tfs[order]
        starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]]) if len(hashes) else np.zeros(0, np.int64)
        term_hashes = hashes[starts]
        row_of = np.cumsum(np.r_[False, hashes[1:] != hashes[:-1]]) if len(hashes) else np.zeros(0, np.int64)
        n_terms = len(term_hashes)
        if len(hashes) and n_old + n_new:
            weights, _ = bm25_weights(row_of, cols, tfs, lengths, n_terms, k1, b)
        else:
            weights = np.zeros(len(hashes), np.float32)
        out_indptr = np.zeros(n_terms + 1, np.int64)
        out_indptr[1:-1] = starts[1:]
        out_indptr[-1] = len(hashes)
        save_array(folder / f"{f}.hash.npy", term_hashes)
        save_array(folder / f"{f}.indptr.npy", out_indptr)
        save_array(folder / f"{f}.docs.npy", cols.astype(np.int32))
        save_array(folder / f"{f}.weights.npy", weights)
        save_array(folder / f"{f}.tfs.npy", tfs.astype(np.int32))
        save_array(folder / f"{f}.lengths.npy", lengths.astype(np.int32))
        meta["fields"][f] = {"terms": n_terms, "postings": len(hashes)}
        if f == "words":
            _write_words(folder, old, old_hash, keep, new, terms, new_hash, term_hashes)
    write_json(folder / "chunk_ids.json", [*(old.chunk_ids[i] for i in keep), *new.chunk_ids])
    write_json(folder / "meta.json", meta)  # last: a folder without it is incomplete


def _check_words(old: StoredPostings, old_hash: np.ndarray, terms: list[str], new_hash: np.ndarray) -> None:
    """A new word whose hash is an old word's must be that word."""
    if not len(new_hash) or not len(old_hash):
        return
    at = np.minimum(np.searchsorted(old_hash, new_hash), len(old_hash) - 1)
    same = np.flatnonzero(old_hash[at] == new_hash)
    old_terms = old.terms
    for i in same.tolist():
        if old_terms[int(at[i])] != terms[i]:
            raise CarryError(f"the word {terms[i]!r} shares a hash with {old_terms[int(at[i])]!r}")


def _write_words(
    folder: Path,
    old: StoredPostings,
    old_hash: np.ndarray,
    keep: np.ndarray,
    new: PostingsBuilder,
    terms: list[str],
    new_hash: np.ndarray,
    term_hashes: np.ndarray,
) -> None:
    """words.terms.json and the token arrays (tokens.npy / tokens_at.npy) in the new row order."""
    names = dict(zip(old_hash.tolist(), old.terms))
    names.update(zip(new_hash.tolist(), terms))
    write_json(folder / "words.terms.json", [names[h] for h in term_hashes.tolist()])
    old_tokens = np.load(old.folder / "tokens.npy", mmap_mode="r")
    old_at = np.load(old.folder / "tokens_at.npy", mmap_mode="r")
    starts, ends = old_at[keep], old_at[keep + 1]
    lens = ends - starts
    idx = np.repeat(ends - np.cumsum(lens), lens) + np.arange(int(lens.sum())) if len(keep) else np.zeros(0, np.int64)
    carried = np.searchsorted(term_hashes, old_hash[old_tokens[idx]]) if len(idx) else np.zeros(0, np.int64)
    new_tok, new_at = new.token_arrays()
    fresh = np.searchsorted(term_hashes, new_hash[new_tok]) if len(new_tok) else np.zeros(0, np.int64)
    save_array(folder / "tokens.npy", np.concatenate([carried, fresh]).astype(np.int32))
    at = np.concatenate([[0], np.cumsum(lens), int(lens.sum()) + new_at[1:]]).astype(np.int64)
    save_array(folder / "tokens_at.npy", at)
