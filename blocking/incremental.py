"""Candidate pairs for new records against records resolved earlier.

An incremental run keys only its new records; the keys of old records come from
the `block_keys` table the previous runs stored. A pair is proposed when a new
record shares a key with any record, old or new, exactly as in a full run, and
the skew guard counts a block over old and new members together, so an increment
proposes the pairs a full run on everything would propose for its records.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from blocking.candidates import SkewReport, guard_skew

KEY = ["blocker", "kind_norm", "key"]


def incremental_pairs(
    new_keys: DataFrame,
    old_keys: DataFrame,
    max_block_size: int,
    caps: Mapping[str, int] | None = None,
) -> tuple[DataFrame, SkewReport]:
    """`new_keys`, `old_keys`: record_id, kind_norm, blocker, key (old ones without
    the records this increment updates). Returns pairs with at least one new
    record (record_id_l < record_id_r, blocked_by) and what the skew guard did.
    `caps`: per-blocker limits below `max_block_size` (see `guard_skew`)."""
    touched = new_keys.select(*KEY).distinct()
    old_in_touched = old_keys.join(touched, KEY, "left_semi").withColumn("is_new", F.lit(False))
    members = old_in_touched.unionByName(new_keys.withColumn("is_new", F.lit(True))).distinct()
    kept, report = guard_skew(members, max_block_size, caps=caps)
    left = kept.filter("is_new").select(F.col("record_id").alias("a"), "blocker", "key_id")
    right = kept.select(F.col("record_id").alias("b"), "key_id")
    pairs = (
        left.join(right, "key_id")
        .filter(F.col("a") != F.col("b"))
        .select(
            F.least("a", "b").alias("record_id_l"),
            F.greatest("a", "b").alias("record_id_r"),
            "blocker",
        )
        .groupBy("record_id_l", "record_id_r")
        .agg(F.array_sort(F.collect_set("blocker")).alias("blocked_by"))
    )
    return pairs, report
