"""Link each video cluster to the audio recording cluster it carries.

Output `video_links`, one row per linked video cluster:

| column             | type   | meaning                                                  |
|--------------------|--------|----------------------------------------------------------|
| video_cluster_id   | string | the video cluster                                        |
| cluster_id         | string | the audio recording cluster it carries                   |
| confidence         | double | link score (title 0.5, artist 0.4, duration 0.1)         |
| same_artist        | bool   | evidence: main artists agree                             |
| duration_diff_s    | double | evidence: |video - audio| median duration                  |
| version_match      | bool   | evidence: the audio version is what the video says       |

A video's credit is often its channel's ("ShadowstormVEVO", "Neon Islands -
Topic", "EtrainOfficial"): the channel suffix is dropped before comparing, and
a " - Topic - " left in the title is too. Candidates share the title, or the
artist and the title's first two letters; title and artist count as agreeing
within `semantics.video_max_edits` edits (typos), so the score is title 0.5,
artist 0.4, duration 0.1 as before. Videos are linked, never merged. When several versions match, the one whose version agrees
with the video's wins: a plain "Official Video" carries the original (or a
remaster of it), a "Live" video the live take.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from conf.config import SemanticsConfig

# A lyric video or a visualizer is another video of the original audio.
_ORIGINAL = ("original", "remaster", "lyric_video", "visualizer")


def channel_artist(artist: Column) -> Column:
    """A channel's name as the artist it is: without VEVO, Official or Topic."""
    return F.trim(F.regexp_replace(artist, r"(\s*(vevo|official|topic))+$", ""))


def _squashed(artist: Column) -> Column:
    # "TheEndlessWaves" channel vs "endless waves" credit: no leading "the", no spaces.
    return F.regexp_replace(F.regexp_replace(artist, r"^the\s*", ""), r"\s+", "")


def _close(a: Column, b: Column, max_edits: int) -> Column:
    # With a threshold Spark stops counting past it (-1): most candidates are far apart.
    return F.coalesce(F.levenshtein(a, b, max_edits) >= 0, F.lit(False))


def link_videos(profiles: DataFrame, cfg: SemanticsConfig) -> DataFrame:
    """The `video_links` table (schema in the module docstring) from cluster
    profiles (`linkage.cluster_profiles`)."""
    video = profiles.where(F.col("kind_norm") == "video").select(
        F.col("cluster_id").alias("video_cluster_id"),
        F.regexp_replace("title_norm", r"^topic\s+", "").alias("v_title"),
        _squashed(channel_artist(F.col("artist_norm"))).alias("v_artist"),
        F.col("version").alias("v_version"),
        F.col("duration_s").alias("v_duration"),
    )
    audio = profiles.where(F.col("kind_norm") == "audio").select(
        "cluster_id",
        F.col("title_norm").alias("a_title"),
        _squashed(F.col("artist_norm")).alias("a_artist"),
        F.col("version").alias("a_version"),
        F.col("duration_s").alias("a_duration"),
        F.col("members").alias("a_members"),
    )
    by_title = video.join(audio, F.col("v_title") == F.col("a_title"))
    by_artist = video.join(
        audio,
        (F.col("v_artist") == F.col("a_artist"))
        & (F.substring("v_title", 1, 2) == F.substring("a_title", 1, 2)),
    )
    edits = cfg.video_max_edits
    same_artist = _close(F.col("v_artist"), F.col("a_artist"), edits)
    diff = F.abs(F.col("v_duration") - F.col("a_duration"))
    v_ver = F.coalesce(F.col("v_version"), F.lit("original"))
    a_ver = F.coalesce(F.col("a_version"), F.lit("original"))
    version_match = F.when(v_ver.isin(*_ORIGINAL), a_ver.isin(*_ORIGINAL)).otherwise(v_ver == a_ver)
    # Held to the threshold before the duplicates are dropped: a common title
    # pairs a video with thousands of audio clusters, and almost none reach it
    # (docs/semantics.md, "Video links").
    scored = (
        by_title.unionByName(by_artist)
        .withColumn("same_artist", same_artist)
        .withColumn("duration_diff_s", diff)
        .withColumn(
            "confidence",
            F.when(_close(F.col("v_title"), F.col("a_title"), edits), 0.5).otherwise(0.0)
            + F.when(F.col("same_artist"), 0.4).otherwise(0.0)
            + F.when(
                F.coalesce(diff <= cfg.video_duration_tolerance_s, F.lit(False)), 0.1
            ).otherwise(0.0),
        )
        .where(F.col("confidence") >= cfg.video_link_threshold)
        .dropDuplicates(["video_cluster_id", "cluster_id"])
        .withColumn("version_match", version_match)
        .withColumn(
            "_edits",
            F.levenshtein("v_title", "a_title") + F.levenshtein("v_artist", "a_artist"),
        )
    )
    best = Window.partitionBy("video_cluster_id").orderBy(
        F.desc("version_match"),
        F.desc("confidence"),
        F.asc_nulls_last("_edits"),
        F.asc_nulls_last("duration_diff_s"),
        F.desc("a_members"),
        F.asc("cluster_id"),
    )
    return (
        scored.withColumn("_r", F.row_number().over(best))
        .where("_r = 1")
        .select(
            "video_cluster_id",
            "cluster_id",
            "confidence",
            "same_artist",
            "duration_diff_s",
            "version_match",
        )
    )
