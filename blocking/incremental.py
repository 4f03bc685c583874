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

from blocking.candidates import Keep, SkewReport, block_pairs, guarded_blocks, no_keep

KEY = ["blocker", "kind_norm", "key"]


def incremental_pairs(
    new_keys: DataFrame,
    old_keys: DataFrame,
    max_block_size: int,
    caps: Mapping[str, int] | None = None,
    keep: Keep = no_keep,
) -> tuple[DataFrame, SkewReport]:
    """`new_keys`, `old_keys`: record_id, kind_norm, blocker, key (old ones without
    the records this increment updates). Returns pairs with at least one new
    record (record_id_l < record_id_r, blocked_by) and what the skew guard did.
    `caps`: per-blocker limits below `max_block_size`; `keep`: for the blocks,
    which the guard's report and the pairs both read (see `guarded_blocks`)."""
    touched = new_keys.select(*KEY).distinct()
    old_in_touched = old_keys.join(touched, KEY, "left_semi").withColumn("is_new", F.lit(False))
    members = (
        old_in_touched.unionByName(new_keys.withColumn("is_new", F.lit(True)))
        .distinct()
        # Sorted by record id first: a block's pairs come out ordered.
        .withColumn("member", F.struct("record_id", "is_new"))
    )
    blocks, report = guarded_blocks(members, "member", max_block_size, caps=caps, keep=keep)
    pairs = (
        block_pairs(blocks, "member")
        .where(F.col("member_l.is_new") | F.col("member_r.is_new"))
        .groupBy(
            F.col("member_l.record_id").alias("record_id_l"),
            F.col("member_r.record_id").alias("record_id_r"),
        )
        .agg(F.array_sort(F.collect_set("blocker")).alias("blocked_by"))
    )
    return pairs, report
