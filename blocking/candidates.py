"""Candidate pairs: the union of every blocker's keys, with skew guards.

Output schema: `record_id_l`, `record_id_r` (record_id_l < record_id_r),
`blocked_by` (sorted array of the blockers that proposed the pair).
Records of different kinds (audio, video) are never paired here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from blocking.embedding import above_floor, describe_embedding, embed_records, embedding_band_keys
from blocking.exact_keys import exact_keys
from blocking.minhash import lsh_threshold, minhash_band_keys
from conf.config import BlockingConfig, EmbeddingBlockingConfig


@dataclass(frozen=True)
class SkewReport:
    """What the skew guard dropped: keys shared by more than `max_block_size` records."""

    dropped_keys: int
    dropped_memberships: int
    largest_block: int
    examples: list[str]

    def merged(self, other: SkewReport) -> SkewReport:
        """Both guards' drops in one report (the largest examples first)."""

        def size(example: str) -> int:
            return int(example.rsplit("(", 1)[-1].rstrip(")"))

        return SkewReport(
            self.dropped_keys + other.dropped_keys,
            self.dropped_memberships + other.dropped_memberships,
            max(self.largest_block, other.largest_block),
            sorted(self.examples + other.examples, key=size, reverse=True)[:5],
        )


def block_keys(records: DataFrame, cfg: BlockingConfig) -> DataFrame:
    """Every key-only blocker's keys: `record_id`, `kind_norm`, `blocker`, `key`.
    Embedding blocking is not here: its pairs also need the vectors (the
    cosine floor), see `embedding_pairs`."""
    keys = exact_keys(records, cfg.exact_keys)
    if cfg.minhash.enabled:
        keys = keys.unionByName(minhash_band_keys(records, cfg.minhash))
    return keys


def guard_skew(keys: DataFrame, max_block_size: int) -> tuple[DataFrame, SkewReport]:
    """Drop blocks larger than `max_block_size`: a key like "intro" or "track 1"
    shared by thousands of records would make a quadratic join and propose
    pairs no blocker meant. The pairs it would have made must come from other blockers."""
    sizes = keys.groupBy("blocker", "kind_norm", "key").agg(F.count("*").alias("block_size"))
    oversized = sizes.filter(F.col("block_size") > max_block_size).cache()
    summary = oversized.agg(
        F.count("*").alias("n"),
        F.coalesce(F.sum("block_size"), F.lit(0)).alias("members"),
        F.coalesce(F.max("block_size"), F.lit(0)).alias("largest"),
    ).collect()[0]
    examples = [
        f"{r['blocker']}:{r['key']} ({r['block_size']})"
        for r in oversized.orderBy(F.desc("block_size")).limit(5).collect()
    ]
    kept = keys.join(
        F.broadcast(oversized.select("blocker", "kind_norm", "key")),
        ["blocker", "kind_norm", "key"],
        "left_anti",
    )
    oversized.unpersist()
    report = SkewReport(
        int(summary["n"]), int(summary["members"]), int(summary["largest"]), examples
    )
    return kept, report


def pairs_from_keys(keys: DataFrame) -> DataFrame:
    """Self-join on shared keys; one row per distinct pair with its blockers."""
    left = keys.select(F.col("record_id").alias("record_id_l"), "blocker", "kind_norm", "key")
    right = keys.select(F.col("record_id").alias("record_id_r"), "blocker", "kind_norm", "key")
    return (
        left.join(right, ["blocker", "kind_norm", "key"])
        .filter(F.col("record_id_l") < F.col("record_id_r"))
        .groupBy("record_id_l", "record_id_r")
        .agg(F.array_sort(F.collect_set("blocker")).alias("blocked_by"))
    )


def candidate_pairs(
    records: DataFrame, cfg: BlockingConfig, keys: DataFrame | None = None
) -> tuple[DataFrame, SkewReport]:
    """Candidate pairs for `records` (normalised), and what the skew guard did.
    `keys`: `block_keys(records, cfg)` when the caller already has them (an
    incremental run stores them so that old records are never re-keyed)."""
    keys = (block_keys(records, cfg) if keys is None else keys).distinct()
    kept, report = guard_skew(keys, cfg.max_block_size)
    pairs = pairs_from_keys(kept)
    if cfg.embedding.enabled:
        by_embedding, embedding_report = embedding_pairs(records, cfg.embedding, cfg.max_block_size)
        pairs = union_pairs(pairs, by_embedding.drop("cosine"))
        report = report.merged(embedding_report)
    return pairs, report


def embedding_pairs(
    records: DataFrame, cfg: EmbeddingBlockingConfig, max_block_size: int
) -> tuple[DataFrame, SkewReport]:
    """Pairs sharing a SimHash band key whose cosine clears the floor:
    `record_id_l`, `record_id_r`, `blocked_by` (["embedding"]), `cosine`."""
    # Checkpointed: the keys and the vectors both come from it, and the
    # encoder must run once per record, not once per use.
    embedded = embed_records(records, cfg).localCheckpoint()
    kept, report = guard_skew(embedding_band_keys(embedded), max_block_size)
    return above_floor(pairs_from_keys(kept), embedded, cfg.similarity_floor), report


def union_pairs(left: DataFrame, right: DataFrame) -> DataFrame:
    """One row per pair, `blocked_by` the sorted union of both sides' blockers."""
    return (
        left.unionByName(right)
        .groupBy("record_id_l", "record_id_r")
        .agg(
            F.array_sort(F.array_distinct(F.flatten(F.collect_list("blocked_by")))).alias(
                "blocked_by"
            )
        )
    )


def describe_minhash(cfg: BlockingConfig) -> str:
    """The LSH thresholds the config implies: MinHash, and embedding when on."""
    m = cfg.minhash
    text = (
        f"minhash {m.bands} bands x {m.rows} rows over {m.shingle_size}-grams: "
        f"pairs proposed from Jaccard ~{lsh_threshold(m.bands, m.rows):.2f}"
        if m.enabled
        else "minhash off"
    )
    if cfg.embedding.enabled:
        text += "; " + describe_embedding(cfg.embedding)
    return text
