"""The Splink (Fellegi-Sunter) model: which columns are compared, and how.

Settings are built from `conf.LinkageConfig`; the trained model is a JSON that
any Splink backend can load (it is logged to MLflow with every run).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from conf.config import LinkageConfig
from catalog.vocabulary import SAME_AUDIO_TAGS

# The columns Splink sees; everything else stays out of its joins.
MODEL_COLUMNS = (
    "record_id",
    "title_norm",
    "artist_norm",
    "artist_names",
    "album_norm",
    "duration_s",
    "year",
    "isrc_norm",
    "track_no",
    "version_class",
)


def model_input(records: DataFrame) -> DataFrame:
    """Normalised records reduced to the model's columns.

    `version_class` folds the versions that are the same audio (a remaster is
    the original recording) so that the version comparison is a plain equality.
    """
    same = F.col("version").isin(*sorted(SAME_AUDIO_TAGS))
    return records.withColumn(
        "version_class", F.when(same | F.col("version").isNull(), F.lit("original")).otherwise(F.col("version"))
    ).select(*MODEL_COLUMNS)


def settings(cfg: LinkageConfig):  # -> splink.SettingsCreator
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    title = cl.CustomComparison(
        output_column_name="title_norm",
        comparison_levels=[
            cll.NullLevel("title_norm"),
            cll.ExactMatchLevel("title_norm", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("title_norm", 0.95),
            cll.JaroWinklerLevel("title_norm", 0.85),
            cll.ElseLevel(),
        ],
    )
    artist = cl.CustomComparison(
        output_column_name="artist_norm",
        comparison_levels=[
            cll.NullLevel("artist_norm"),
            cll.ExactMatchLevel("artist_norm", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("artist_norm", 0.92),
            cll.ArrayIntersectLevel("artist_names", 1),
            cll.JaroWinklerLevel("artist_norm", 0.8),
            cll.ElseLevel(),
        ],
    )
    album = cl.CustomComparison(
        output_column_name="album_norm",
        comparison_levels=[
            cll.NullLevel("album_norm"),
            cll.ExactMatchLevel("album_norm"),
            cll.JaroWinklerLevel("album_norm", 0.9),
            cll.ElseLevel(),
        ],
    )
    duration = cl.CustomComparison(
        output_column_name="duration_s",
        comparison_levels=[
            cll.NullLevel("duration_s"),
            cll.AbsoluteDifferenceLevel("duration_s", 1.5),
            cll.AbsoluteDifferenceLevel("duration_s", 4),
            cll.AbsoluteDifferenceLevel("duration_s", 15),
            cll.ElseLevel(),
        ],
    )
    year = cl.CustomComparison(
        output_column_name="year",
        comparison_levels=[
            cll.NullLevel("year"),
            cll.ExactMatchLevel("year"),
            cll.AbsoluteDifferenceLevel("year", 1),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            title,
            artist,
            album,
            duration,
            year,
            cl.ExactMatch("isrc_norm"),
            cl.ExactMatch("track_no"),
            cl.ExactMatch("version_class"),
        ],
        max_iterations=cfg.em_max_iterations,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
