"""MinHash LSH band keys over character shingles of "title artist", and the
Jaccard floor that prunes what the bands let through by chance.

Two records whose shingle sets have Jaccard similarity s share at least one of
b bands of r rows with probability 1 - (1 - s^r)^b; `lsh_threshold` gives the
s where that S-curve is steepest. Below it the curve has a long tail, and since
unrelated pairs vastly outnumber related ones, most band collisions are pairs
of low similarity that got lucky. `jaccards` recomputes the exact similarity of
the proposed pairs a batch at a time (numpy, on the executors), and the
candidate table keeps a pair that only MinHash proposed when it clears
`similarity_floor`.

Signatures are datasketch's MinHash (its affine32 scheme, its permutations for
`seed`), computed a whole batch at a time with numpy on the executors: a
shingle's 32-bit input hash is FNV-1a over its code points, and datasketch's
own pre-mix and permutations follow. `tests/test_blocking.py` checks that the
vectorised signatures equal `datasketch.MinHash.update_batch`'s. Band keys
are hashed with fixed 64-bit arithmetic, so they are the same on every machine
and every run (Python's `hash()` is salted).

A shingle is a run of `shingle_size` characters of " text " (a space on each
side, so short words count); text shorter than that is right-padded with
spaces. `text` is the normalised title and main artist with whitespace
removed, so a feed that drops spaces ("NoBombardeen") still overlaps.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, StringType, StructField, StructType

from conf.config import MinHashConfig

BLOCKER = "minhash"

_FNV32_OFFSET = np.uint32(2166136261)
_FNV32_PRIME = np.uint32(16777619)
_MIX64 = np.uint64(0x9E3779B97F4A7C15)
_FNV64_PRIME = np.uint64(0x100000001B3)
# Separates the texts of a batch in one buffer; normalised text holds no NUL.
_SEPARATOR = 0
_TEXTS_PER_SLICE = 256


def lsh_threshold(bands: int, rows: int) -> float:
    """The Jaccard similarity at which a pair is proposed with about even odds."""
    return (1.0 / bands) ** (1.0 / rows)


def _padded(text: str, size: int) -> str:
    padded = f" {text} "
    return padded.ljust(size)


def shingles(text: str | None, size: int) -> set[str]:
    """The shingle set of one text (the reference the vectorised code follows)."""
    if not text:
        return set()
    padded = _padded(text, size)
    return {padded[i : i + size] for i in range(len(padded) - size + 1)}


def shingle_hash(shingle: str) -> int:
    """The 32-bit input hash of one shingle: FNV-1a over its code points."""
    h = int(_FNV32_OFFSET)
    for ch in shingle:
        h = ((h ^ ord(ch)) * int(_FNV32_PRIME)) & 0xFFFFFFFF
    return h


class BandHasher:
    """MinHash signatures and band keys for batches of texts; built once per
    executor batch stream (the permutations come from datasketch)."""

    def __init__(self, cfg: MinHashConfig) -> None:
        from datasketch import MinHash
        from datasketch.minhash import _fmix  # its affine32 pre-mix, applied as it does

        self.cfg = cfg
        self.num_perm = cfg.bands * cfg.rows
        template = MinHash(num_perm=self.num_perm, seed=cfg.seed, scheme="affine32")
        a, b = template.permutations
        self._a = np.asarray(a, dtype=np.uint32)[None, :]
        self._b = np.asarray(b, dtype=np.uint32)[None, :]
        self._fmix = lambda hv: _fmix(hv, 32)

    def shingle_hashes(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Every shingle's input hash for a batch, and the text each belongs to
        (texts must be non-empty). One pass over one code-point buffer."""
        k = self.cfg.shingle_size
        padded = [_padded(t, k) for t in texts]
        buf = np.frombuffer(chr(_SEPARATOR).join(padded).encode("utf-32-le"), dtype=np.uint32)
        n = len(buf) - k + 1
        h = np.full(n, _FNV32_OFFSET, dtype=np.uint32)
        valid = np.ones(n, dtype=bool)
        for j in range(k):
            window = buf[j : j + n]
            valid &= window != _SEPARATOR
            h = (h ^ window) * _FNV32_PRIME
        lengths = np.fromiter((len(t) + 1 for t in padded), dtype=np.int64, count=len(padded))
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        owner = np.searchsorted(starts, np.arange(n), side="right") - 1
        return h[valid], owner[valid]

    def signatures(self, texts: list[str]) -> np.ndarray:
        """uint32 signatures, one row per (non-empty) text."""
        if not texts:
            return np.empty((0, self.num_perm), dtype=np.uint32)
        hv, owner = self.shingle_hashes(texts)
        mixed = self._fmix(hv)
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        out = np.full((len(texts), self.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
        # In slices of whole texts: a (shingles x permutations) block that fits
        # in cache is several times faster than one batch-sized temporary.
        for first in range(0, len(starts), _TEXTS_PER_SLICE):
            bounds = starts[first : first + _TEXTS_PER_SLICE + 1]
            lo, hi = bounds[0], (bounds[-1] if len(bounds) > _TEXTS_PER_SLICE else len(mixed))
            block = np.multiply(mixed[lo:hi, None], self._a)
            block += self._b
            seg = bounds[:_TEXTS_PER_SLICE] - lo
            out[owner[bounds[:_TEXTS_PER_SLICE]]] = np.minimum.reduceat(block, seg, axis=0)
        return out

    def band_hashes(self, signatures: np.ndarray) -> np.ndarray:
        """int64 band keys, one column per band (fixed arithmetic, same everywhere)."""
        r = self.cfg.rows
        sig = signatures.astype(np.uint64)
        out = np.empty((len(sig), self.cfg.bands), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for band in range(self.cfg.bands):
                h = np.full(len(sig), np.uint64(band + 1) * _MIX64, dtype=np.uint64)
                for col in sig[:, band * r : (band + 1) * r].T:
                    h = (h ^ col) * _FNV64_PRIME
                out[:, band] = h ^ (h >> np.uint64(29))
        return out.view(np.int64)

    def band_keys(self, text: str | None) -> list[str]:
        """One text's band keys, as the Spark stage writes them."""
        if not text:
            return []
        return [f"{b}:{v}" for b, v in enumerate(self.band_hashes(self.signatures([text]))[0])]


def shingled_text() -> Column:
    """The text that is shingled (see the module docstring)."""
    text = F.concat_ws("", F.col("title_norm"), F.coalesce(F.col("artist_norm"), F.lit("")))
    return F.regexp_replace(text, r"\s+", "")


def title_text() -> Column:
    """The title alone, spaced as `shingled_text` is (for `plausible`)."""
    return F.regexp_replace(F.coalesce(F.col("title_norm"), F.lit("")), r"\s+", "")


@functools.lru_cache(maxsize=65_536)
def _shingle_set(text: str, size: int) -> frozenset[str]:
    return frozenset(shingles(text, size))


def jaccard_of(left: str | None, right: str | None, size: int) -> float:
    """Exact Jaccard similarity of two texts' shingle sets (0 if either is empty).
    Each record is in many pairs, so its shingle set is built once per worker."""
    if not left or not right:
        return 0.0
    a, b = _shingle_set(left, size), _shingle_set(right, size)
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


# Shingles of up to `_PACKED_MAX` characters of the Basic Multilingual Plane
# pack exactly, with the index of their text, into one int64: 16 bits a
# character, `_OWNER_BITS` for the text. So `jaccards` compares shingles
# themselves, not hashes of them, as sorted int64 sets (what numpy does fastest).
_PACKED_MAX = 3
_CHAR_BITS = 16
_OWNER_BITS = 64 - 1 - _CHAR_BITS * _PACKED_MAX
_PAIRS_PER_CHUNK = (1 << _OWNER_BITS) - 1


def _shingle_sets(texts: list[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Each text's distinct shingles as sorted int64 (text index in the high
    bits, then the shingle's characters), and which texts hold a character
    beyond the BMP (their shingles here are not exact). `texts`: non-empty,
    fewer than 2**_OWNER_BITS."""
    padded = [_padded(t, size) for t in texts]
    buf = np.frombuffer(chr(_SEPARATOR).join(padded).encode("utf-32-le"), dtype=np.uint32)
    lengths = np.fromiter((len(t) + 1 for t in padded), dtype=np.int64, count=len(padded))
    position_owner = np.repeat(np.arange(len(padded), dtype=np.int64), lengths)
    wide = np.zeros(len(padded), dtype=bool)
    wide[position_owner[: len(buf)][(buf >> _CHAR_BITS) != 0]] = True
    buf = (buf & ((1 << _CHAR_BITS) - 1)).astype(np.int64)
    n = len(buf) - size + 1
    code = np.zeros(n, dtype=np.int64)
    valid = np.ones(n, dtype=bool)
    for j in range(size):
        window = buf[j : j + n]
        valid &= window != _SEPARATOR
        code = (code << _CHAR_BITS) | window
    owner = position_owner[:n]
    # Stable: numpy's stable sort of integers is a radix/run-merging sort,
    # several times faster here than the default quicksort (the keys come in
    # runs, one per text), with the same result.
    keys = np.sort((owner[valid] << (_CHAR_BITS * _PACKED_MAX)) | code[valid], kind="stable")
    return keys[np.r_[True, keys[1:] != keys[:-1]]], wide


def jaccards(left: list[str | None], right: list[str | None], size: int) -> np.ndarray:
    """`jaccard_of` for many pairs at once (float64, one per pair), exact.

    Candidate checks judge millions of text pairs, and one pair at a time in
    Python was most of their cost. Shingles longer than `_PACKED_MAX`, and
    texts with a character beyond the BMP, take `jaccard_of`."""
    if len(left) != len(right):
        raise ValueError("jaccards: both sides need one text per pair")
    out = np.zeros(len(left), dtype=np.float64)
    both = np.flatnonzero([bool(a) and bool(b) for a, b in zip(left, right, strict=True)])
    if size > _PACKED_MAX:
        out[both] = [jaccard_of(left[i], right[i], size) for i in both]
        return out
    shift = _CHAR_BITS * _PACKED_MAX
    for lo in range(0, len(both), _PAIRS_PER_CHUNK):
        chunk = both[lo : lo + _PAIRS_PER_CHUNK]
        (set_l, wide_l), (set_r, wide_r) = (
            _shingle_sets([texts[i] for i in chunk], size) for texts in (left, right)
        )
        sizes = [np.bincount(s >> shift, minlength=len(chunk)) for s in (set_l, set_r)]
        # Two sorted runs: a stable sort merges them in one pass.
        merged = np.sort(np.concatenate((set_l, set_r)), kind="stable")
        shared = merged[1:][merged[1:] == merged[:-1]]
        common = np.bincount(shared >> shift, minlength=len(chunk))
        union = sizes[0] + sizes[1] - common
        out[chunk] = np.where(union > 0, common / np.maximum(union, 1), 0.0)
        for i in chunk[wide_l | wide_r]:
            out[i] = jaccard_of(left[i], right[i], size)
    return out


def plausible(
    text_l: str | None,
    text_r: str | None,
    title_l: str | None,
    title_r: str | None,
    duration_l: float | None,
    duration_r: float | None,
    cfg: MinHashConfig,
) -> bool:
    """Whether a pair that only MinHash proposed is kept.

    Its title+artist shingle sets must reach `similarity_floor`, and it must
    not look like one artist's other song: an artist name is often longer
    than a title, so its shingles alone carry such a pair over the floor.
    Those pairs differ in both title and length, so the titles must share
    `title_floor` of their shingles or the lengths agree within
    `max_duration_gap_s` (or one is unknown)."""
    if jaccard_of(text_l, text_r, cfg.shingle_size) < cfg.similarity_floor:
        return False
    if duration_l is None or duration_r is None:
        return True
    if abs(duration_l - duration_r) <= cfg.max_duration_gap_s:
        return True
    return jaccard_of(title_l, title_r, cfg.shingle_size) >= cfg.title_floor


def minhash_band_keys(records: DataFrame, cfg: MinHashConfig) -> DataFrame:
    """One row per (record, band key): `record_id`, `kind_norm`, `blocker`, `key`."""
    text = records.select("record_id", "kind_norm", shingled_text().alias("_text"))
    return band_keys(text, "record_id", cfg)


def band_keys(texts: DataFrame, id_column: str, cfg: MinHashConfig) -> DataFrame:
    """`texts` (`id_column`, `kind_norm`, `_text`, any other columns) -> one row
    per (id, band key) with `blocker` and `key` added and `_text` dropped."""
    others = [c for c in texts.columns if c != "_text"]
    schema = StructType(
        [f for f in texts.schema.fields if f.name in others]
        + [StructField("keys", ArrayType(StringType()))]
    )

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow.compute as pc

        hasher = BandHasher(cfg)
        bands = np.array([str(b) for b in range(cfg.bands)])
        for batch in batches:
            texts = batch.column("_text").to_pylist()
            keep = np.array([bool(t) for t in texts], dtype=bool)
            hashes = hasher.band_hashes(hasher.signatures([t for t in texts if t]))
            flat = pc.binary_join_element_wise(
                pa.array(np.tile(bands, len(hashes))),
                pc.cast(pa.array(hashes.ravel()), pa.string()),
                ":",
            )
            offsets = np.concatenate(([0], np.cumsum(np.where(keep, cfg.bands, 0))))
            keys = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), flat)
            yield pa.RecordBatch.from_arrays(
                [batch.column(c) for c in others] + [keys], others + ["keys"]
            )

    return texts.mapInArrow(run, schema).select(
        *others, F.lit(BLOCKER).alias("blocker"), F.explode("keys").alias("key")
    )
