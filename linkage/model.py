"""The Splink (Fellegi-Sunter) model: which columns are compared, and how.

Settings are built from `conf.LinkageConfig`; the trained model is a JSON that
any Splink backend can load (it is logged to MLflow with every run).
"""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from catalog.vocabulary import SAME_AUDIO_TAGS
from conf.config import LinkageConfig

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


def model_input(records: DataFrame, vectors: Iterable[str] = ()) -> DataFrame:
    """Normalised records reduced to the model's columns, and the catalogue's
    `vectors` (`input.embeddings`) the model compares.

    `version_class` folds the versions that are the same audio (a remaster is
    the original recording) so that the version comparison is a plain equality.
    """
    same = F.col("version").isin(*sorted(SAME_AUDIO_TAGS))
    return records.withColumn(
        "version_class",
        F.when(same | F.col("version").isNull(), F.lit("original")).otherwise(F.col("version")),
    ).select(*MODEL_COLUMNS, *[F.col(f"`{v}`") for v in vectors])


def model_vectors(model_json: dict) -> list[str]:
    """The vector columns a trained model compares."""
    return [
        c["output_column_name"]
        for c in model_json.get("comparisons", [])
        if c["output_column_name"] not in MODEL_COLUMNS
    ]


def model_columns(model_json: dict) -> list[str]:
    """The columns a trained model compares (its comparisons' names)."""
    return [c["output_column_name"] for c in model_json.get("comparisons", [])]


def _levels(cfg: LinkageConfig):
    """Each comparison's levels, in order, null level first."""
    import splink.comparison_level_library as cll

    def exact_tf(column: str):
        # A term-frequency-adjusted exact match on a value held by k of N
        # records has u = k/N: its weight grows with the catalogue, for the
        # title and the artist alike, while the prior shrinks only once.
        # The floor on u stops that, so at scale an exact title and artist
        # still need a length, an album or an ISRC to agree.
        level = cll.ExactMatchLevel(column, term_frequency_adjustments=True)
        if cfg.tf_minimum_u is None:
            return level
        return level.configure(tf_minimum_u_value=cfg.tf_minimum_u)

    return {
        "title_norm": [
            cll.NullLevel("title_norm"),
            exact_tf("title_norm"),
            cll.JaroWinklerLevel("title_norm", 0.95),
            cll.JaroWinklerLevel("title_norm", 0.85),
            cll.ElseLevel(),
        ],
        "artist_norm": [
            cll.NullLevel("artist_norm"),
            exact_tf("artist_norm"),
            cll.JaroWinklerLevel("artist_norm", 0.92),
            cll.ArrayIntersectLevel("artist_names", 1),
            cll.JaroWinklerLevel("artist_norm", 0.8),
            cll.ElseLevel(),
        ],
        "album_norm": [
            cll.NullLevel("album_norm"),
            cll.ExactMatchLevel("album_norm"),
            cll.JaroWinklerLevel("album_norm", 0.9),
            cll.ElseLevel(),
        ],
        "duration_s": [
            cll.NullLevel("duration_s"),
            cll.AbsoluteDifferenceLevel("duration_s", 1.5),
            cll.AbsoluteDifferenceLevel("duration_s", 4),
            cll.AbsoluteDifferenceLevel("duration_s", 15),
            cll.ElseLevel(),
        ],
        "year": [
            cll.NullLevel("year"),
            cll.ExactMatchLevel("year"),
            cll.AbsoluteDifferenceLevel("year", 1),
            cll.ElseLevel(),
        ],
        "isrc_norm": [
            cll.NullLevel("isrc_norm"),
            cll.ExactMatchLevel("isrc_norm"),
            cll.ElseLevel(),
        ],
        "track_no": [cll.NullLevel("track_no"), cll.ExactMatchLevel("track_no"), cll.ElseLevel()],
        "version_class": [
            cll.NullLevel("version_class"),
            cll.ExactMatchLevel("version_class"),
            cll.ElseLevel(),
        ],
    }


def _vector_levels(column: str, cfg: LinkageConfig) -> list:
    """Cosine similarity levels of a vector column, closest first."""
    import splink.comparison_level_library as cll

    return [
        cll.NullLevel(column),
        *[cll.CosineSimilarityLevel(column, t) for t in sorted(cfg.vector_levels, reverse=True)],
        cll.ElseLevel(),
    ]


def settings(
    cfg: LinkageConfig, present: Iterable[str] | None = None, vectors: Iterable[str] = ()
):  # -> splink.SettingsCreator
    """Splink settings: a comparison per column in `present` (None: all), so
    a role the catalogue does not fill is left out, and one per vector column."""
    import splink.comparison_library as cl
    from splink import SettingsCreator

    present = None if present is None else set(present)
    comparisons = []
    levels_by_column = _levels(cfg)
    levels_by_column.update({v: _vector_levels(v, cfg) for v in vectors})
    for column, levels in levels_by_column.items():
        if present is not None and column not in present:
            continue
        fixed = cfg.fixed_m.get(column)
        if fixed is not None:
            if len(fixed) != len(levels) - 1:
                raise ValueError(
                    f"linkage.fixed_m.{column} needs {len(levels) - 1} values, one per non-null level"
                )
            levels = [levels[0]] + [
                lvl.configure(m_probability=m, fix_m_probability=True)
                for lvl, m in zip(levels[1:], fixed, strict=True)
            ]
        comparisons.append(cl.CustomComparison(output_column_name=column, comparison_levels=levels))
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=comparisons,
        max_iterations=cfg.em_max_iterations,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
