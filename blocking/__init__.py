"""Blocking: which record pairs linkage gets to see, without an all-pairs join."""

from blocking.candidates import (
    SkewReport,
    block_keys,
    candidate_pairs,
    describe_caps,
    describe_minhash,
    embedding_pairs,
    guard_skew,
    pairs_from_keys,
    plausible_pairs,
    union_pairs,
)
from blocking.embedding import (
    band_collision_probability,
    describe_embedding,
    embed_records,
    embedding_band_keys,
    simhash_threshold,
)
from blocking.exact_keys import exact_keys
from blocking.minhash import lsh_threshold, minhash_band_keys

__all__ = [
    "SkewReport",
    "plausible_pairs",
    "band_collision_probability",
    "block_keys",
    "candidate_pairs",
    "describe_embedding",
    "describe_caps",
    "describe_minhash",
    "embed_records",
    "embedding_band_keys",
    "embedding_pairs",
    "exact_keys",
    "guard_skew",
    "lsh_threshold",
    "minhash_band_keys",
    "pairs_from_keys",
    "simhash_threshold",
    "union_pairs",
]
