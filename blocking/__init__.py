"""Blocking: which record pairs linkage gets to see, without an all-pairs join."""

from blocking.candidates import (
    SkewReport,
    block_keys,
    candidate_pairs,
    describe_minhash,
    guard_skew,
    pairs_from_keys,
)
from blocking.exact_keys import exact_keys
from blocking.minhash import lsh_threshold, minhash_band_keys

__all__ = [
    "SkewReport",
    "block_keys",
    "candidate_pairs",
    "describe_minhash",
    "exact_keys",
    "guard_skew",
    "lsh_threshold",
    "minhash_band_keys",
    "pairs_from_keys",
]
