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

Candidates share `title_norm` (version and video tags stripped). Videos are
linked, never merged. When several versions match, the one whose version agrees
with the video's wins: a plain "Official Video" carries the original (or a
remaster of it), a "Live" video the live take.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from conf.config import SemanticsConfig
from linkage.works import cluster_profiles

_ORIGINAL = ("original", "remaster")


def link_videos(records: DataFrame, cfg: SemanticsConfig) -> DataFrame:
    """The `video_links` table (schema in the module docstring)."""
    video = cluster_profiles(records, "video").select(
        F.col("cluster_id").alias("video_cluster_id"),
        "title_norm",
        F.col("artist_norm").alias("v_artist"),
        F.col("version").alias("v_version"),
        F.col("duration_s").alias("v_duration"),
    )
    audio = cluster_profiles(records, "audio").select(
        "cluster_id",
        "title_norm",
        F.col("artist_norm").alias("a_artist"),
        F.col("version").alias("a_version"),
        F.col("duration_s").alias("a_duration"),
        F.col("members").alias("a_members"),
    )
    same_artist = F.coalesce(F.col("v_artist") == F.col("a_artist"), F.lit(False))
    diff = F.abs(F.col("v_duration") - F.col("a_duration"))
    v_ver = F.coalesce(F.col("v_version"), F.lit("original"))
    a_ver = F.coalesce(F.col("a_version"), F.lit("original"))
    version_match = F.when(v_ver.isin(*_ORIGINAL), a_ver.isin(*_ORIGINAL)).otherwise(v_ver == a_ver)
    scored = (
        video.join(audio, "title_norm")
        .withColumn("same_artist", same_artist)
        .withColumn("duration_diff_s", diff)
        .withColumn("version_match", version_match)
        .withColumn(
            "confidence",
            F.lit(0.5)
            + F.when(F.col("same_artist"), 0.4).otherwise(0.0)
            + F.when(
                F.coalesce(diff <= cfg.video_duration_tolerance_s, F.lit(False)), 0.1
            ).otherwise(0.0),
        )
        .where(F.col("confidence") >= cfg.video_link_threshold)
    )
    best = Window.partitionBy("video_cluster_id").orderBy(
        F.desc("version_match"), F.desc("confidence"), F.desc("a_members"), F.asc("cluster_id")
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
