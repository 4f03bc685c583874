"""Cheap exact blocking keys: records that share a key become candidate pairs.

Key table schema (shared by every blocker): `record_id`, `kind_norm`, `blocker`, `key`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

# Durations are bucketed on two grids offset by half a bucket, so two records
# whose durations differ by at most half a bucket always share a bucket.
DURATION_BUCKET_S = 4.0


# Keys that pin a release position (track number) need the duration to agree
# more closely: they are for records whose text shares nothing (a feed that
# blanked non-Latin titles, a title field holding the album).
POSITION_BUCKET_S = 2.0
POSITION_ONLY_BUCKET_S = 1.0

# `title_head_duration` keys on the title's first one and first two words:
# an export that appended the credit, the album or genre words to one feed's
# title leaves its start intact. The one-word key serves one-word titles; in
# a large catalogue its blocks exceed the cap and the two-word key is the one
# that proposes.
TITLE_HEAD_WORDS = (1, 2)


def _duration_buckets(width: float = DURATION_BUCKET_S) -> Column:
    d = F.col("duration_s")
    return F.array(
        F.concat(F.lit("a"), F.floor(d / width).cast("string")),
        F.concat(F.lit("b"), F.floor(d / width + 0.5).cast("string")),
    )


def _with_duration(prefix: Column, width: float) -> Column:
    return F.transform(_duration_buckets(width), lambda b: F.concat_ws("|", prefix, b))


def _text_values() -> Column:
    """Every text field's distinct values: title, artist and album."""
    return F.array_distinct(F.array_compact(F.array(_title(), _artist(), F.col("album_norm"))))


def _title() -> Column:
    return F.col("title_norm")


def _artist() -> Column:
    return F.col("artist_norm")


def _duration() -> Column:
    return F.col("duration_s")


def _track() -> Column:
    return F.col("track_no")


# Each function gives a record's keys for one blocker, as an array of
# strings (null or empty: no key). `blocking.registry` names them.


def isrc_key() -> Column:
    return F.array(F.col("isrc_norm"))


def title_artist_key() -> Column:
    return F.when(
        _title().isNotNull() & _artist().isNotNull(), F.array(F.concat_ws("|", _title(), _artist()))
    )


def artist_duration_key() -> Column:
    return F.when(
        _artist().isNotNull() & _duration().isNotNull(),
        _with_duration(_artist(), DURATION_BUCKET_S),
    )


def text_duration_key() -> Column:
    return F.when(
        _duration().isNotNull(),
        F.flatten(F.transform(_text_values(), lambda v: _with_duration(v, DURATION_BUCKET_S))),
    )


def title_head_duration_key() -> Column:
    words = F.split(_title(), " ")
    heads = F.array_distinct(
        F.array(*[F.array_join(F.slice(words, 1, n), " ") for n in TITLE_HEAD_WORDS])
    )
    return F.when(
        _title().isNotNull() & _duration().isNotNull(),
        F.flatten(F.transform(heads, lambda h: _with_duration(h, DURATION_BUCKET_S))),
    )


def title_duration_key() -> Column:
    return F.when(
        _title().isNotNull() & _duration().isNotNull(), _with_duration(_title(), DURATION_BUCKET_S)
    )


def text_track_key() -> Column:
    return F.when(
        _track().isNotNull(),
        F.transform(_text_values(), lambda v: F.concat_ws("|", v, _track().cast("string"))),
    )


def album_track_duration_key() -> Column:
    return F.when(
        F.col("album_norm").isNotNull() & _track().isNotNull() & _duration().isNotNull(),
        _with_duration(
            F.concat_ws("|", F.col("album_norm"), _track().cast("string")), POSITION_BUCKET_S
        ),
    )


def track_duration_key() -> Column:
    return F.when(
        _track().isNotNull() & _duration().isNotNull(),
        _with_duration(_track().cast("string"), POSITION_ONLY_BUCKET_S),
    )


def track_year_duration_key() -> Column:
    return F.when(
        _track().isNotNull() & F.col("year").isNotNull() & _duration().isNotNull(),
        _with_duration(
            F.concat_ws("|", _track().cast("string"), F.col("year").cast("string")),
            POSITION_ONLY_BUCKET_S,
        ),
    )


def exact_keys(records: DataFrame, keys: Mapping[str, Callable[[], Column]]) -> DataFrame:
    """One row per (record, blocker, key): `keys` maps each blocker's name to
    its key function (`blocking.registry.exact_key_functions`)."""
    frames = []
    for name, key in keys.items():
        frames.append(
            records.select(
                "record_id",
                "kind_norm",
                F.lit(name).alias("blocker"),
                F.explode_outer(key()).alias("key"),
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
