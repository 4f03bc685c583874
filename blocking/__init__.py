"""Blocking: which record pairs linkage gets to see, without an all-pairs join."""

from blocking.candidates import (
    SkewReport,
    block_keys,
    candidate_pairs,
    describe_caps,
    describe_minhash,
    embedding_pairs,
    guarded_blocks,
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
from blocking.incremental import incremental_pairs
from blocking.minhash import lsh_threshold, minhash_band_keys
from blocking.registry import (
    BLOCKERS,
    Blocker,
    block_size_caps,
    check_blocking,
    describe_blockers,
    exact_blockers,
)

__all__ = [
    "BLOCKERS",
    "Blocker",
    "SkewReport",
    "block_size_caps",
    "check_blocking",
    "describe_blockers",
    "exact_blockers",
    "incremental_pairs",
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
    "lsh_threshold",
    "minhash_band_keys",
    "guarded_blocks",
    "simhash_threshold",
    "union_pairs",
]
