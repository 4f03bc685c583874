"""Cheap exact blocking keys: records that share a key become candidate pairs.

Key table schema (shared by every blocker): `record_id`, `kind_norm`, `blocker`, `key`.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

# Durations are bucketed on two grids offset by half a bucket, so two records
# whose durations differ by at most half a bucket always share a bucket.
DURATION_BUCKET_S = 4.0


def _duration_buckets() -> Column:
    d = F.col("duration_s")
    return F.array(
        F.concat(F.lit("a"), F.floor(d / DURATION_BUCKET_S).cast("string")),
        F.concat(F.lit("b"), F.floor(d / DURATION_BUCKET_S + 0.5).cast("string")),
    )


def _keys(name: str) -> Column:
    """An array of key strings for one exact blocker (null or empty: no key)."""
    title, artist = F.col("title_norm"), F.col("artist_norm")
    if name == "isrc":
        return F.array(F.col("isrc_norm"))
    if name == "title_artist":
        return F.when(
            title.isNotNull() & artist.isNotNull(), F.array(F.concat_ws("|", title, artist))
        )
    if name == "artist_duration":
        # Catches a mangled title ("Hard" for "Hard on Me") by an intact artist.
        return F.when(
            artist.isNotNull() & F.col("duration_s").isNotNull(),
            F.transform(_duration_buckets(), lambda b: F.concat_ws("|", artist, b)),
        )
    if name == "title_duration":
        return F.when(
            title.isNotNull() & F.col("duration_s").isNotNull(),
            F.transform(_duration_buckets(), lambda b: F.concat_ws("|", title, b)),
        )
    raise ValueError(f"unknown exact key {name!r}")


def exact_keys(records: DataFrame, names: Sequence[str]) -> DataFrame:
    """One row per (record, blocker, key) for the named exact blockers."""
    frames = []
    for name in names:
        frames.append(
            records.select(
                "record_id",
                "kind_norm",
                F.lit(name).alias("blocker"),
                F.explode_outer(_keys(name)).alias("key"),
            ).filter(F.col("key").isNotNull())
        )
    if not frames:
        return records.sparkSession.createDataFrame(
            [], "record_id string, kind_norm string, blocker string, key string"
        )
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out
