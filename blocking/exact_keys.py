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
            _with_duration(artist, DURATION_BUCKET_S),
        )
    if name == "text_duration":
        # Any text field's value, whichever field holds it, and the length: a
        # feed that filed the title as the credit, or the release title as the
        # title, still shares a value and a length with the other feeds.
        values = F.array_distinct(F.array_compact(F.array(title, artist, F.col("album_norm"))))
        return F.when(
            F.col("duration_s").isNotNull(),
            F.flatten(F.transform(values, lambda v: _with_duration(v, DURATION_BUCKET_S))),
        )
    if name == "title_head_duration":
        words = F.split(title, " ")
        heads = F.array_distinct(
            F.array(*[F.array_join(F.slice(words, 1, n), " ") for n in TITLE_HEAD_WORDS])
        )
        return F.when(
            title.isNotNull() & F.col("duration_s").isNotNull(),
            F.flatten(F.transform(heads, lambda h: _with_duration(h, DURATION_BUCKET_S))),
        )
    if name == "title_duration":
        return F.when(
            title.isNotNull() & F.col("duration_s").isNotNull(),
            _with_duration(title, DURATION_BUCKET_S),
        )
    track, year, duration = F.col("track_no"), F.col("year"), F.col("duration_s")
    if name == "text_track":
        # Any text value and the track number: a feed that left out the length
        # and misfiled the title still shares a value and a position with the
        # others (59 of the 157 MusicBrainz 20K pairs the other keys missed).
        values = F.array_distinct(F.array_compact(F.array(title, artist, F.col("album_norm"))))
        return F.when(
            track.isNotNull(),
            F.transform(values, lambda v: F.concat_ws("|", v, track.cast("string"))),
        )
    if name == "album_track_duration":
        # The same position on the same release, of about the same length.
        album = F.col("album_norm")
        return F.when(
            album.isNotNull() & track.isNotNull() & duration.isNotNull(),
            _with_duration(F.concat_ws("|", album, track.cast("string")), POSITION_BUCKET_S),
        )
    if name == "track_duration":
        # A feed that blanked the text and the year: position and a length to
        # the second. Only small catalogues keep such blocks under the cap.
        return F.when(
            track.isNotNull() & duration.isNotNull(),
            _with_duration(track.cast("string"), POSITION_ONLY_BUCKET_S),
        )
    if name == "track_year_duration":
        # No text at all: position, year and a length to the second.
        return F.when(
            track.isNotNull() & year.isNotNull() & duration.isNotNull(),
            _with_duration(
                F.concat_ws("|", track.cast("string"), year.cast("string")),
                POSITION_ONLY_BUCKET_S,
            ),
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
