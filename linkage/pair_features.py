"""Similarity features of a scored pair, for the learned pair model.

Splink's match weight sums per-comparison evidence as if the comparisons were
independent, and its levels cut each similarity into a few bins. The pair
model sees the weight and the similarities themselves, so it can learn their
interactions: an exact title and artist with lengths 12 s apart is a version,
not the same recording.

`FEATURES` is the registry: one `Feature` per name, saying how it is computed
and what it measures. Every feature is a float in a small range, computed in
Spark SQL (the string similarities come from Splink's jar, registered on the
session). A model names the features it reads, in the order of its inputs
(`PairModel.features`); scoring computes those only, and training may pick
any registered feature (`DEFAULT_FEATURES` unless told otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import MappingProxyType

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from catalog.text import clean
from catalog.vocabulary import STORE_GENRES
from linkage.model import MODEL_COLUMNS, model_input

# Both records' values a feature reads, as `<column>_l` / `<column>_r`: the
# columns Splink compares (`linkage.model.MODEL_COLUMNS`). Pairs that already
# carry all of them (Splink's predictions with its matching columns retained)
# are not joined to the records again.
SIDE_COLUMNS = tuple(f"{c}_{s}" for c in MODEL_COLUMNS if c != "record_id" for s in ("l", "r"))


@dataclass(frozen=True)
class Feature:
    """One input a pair model may read: `column()` is its value over a pair
    that carries both records' `SIDE_COLUMNS` and Splink's `match_weight`."""

    name: str
    description: str
    column: Callable[[], Column]


_REGISTRY: dict[str, Feature] = {}


def _register(name: str, description: str, column: Callable[[], Column]) -> None:
    if name in _REGISTRY:
        raise ValueError(f"pair feature {name} registered twice")
    _REGISTRY[name] = Feature(name, description, column)


def register_similarity_functions(spark: SparkSession) -> None:
    """Make `jaro_winkler` callable from SQL (Splink's jar; a no-op once done)."""
    from splink.internals.spark.jar_location import get_scala_udfs

    registered = {f.name for f in spark.catalog.listFunctions() if f.name == "jaro_winkler"}
    if registered:
        return
    for udf in get_scala_udfs():
        spark.udf.registerJavaFunction(*udf)


def with_sides(pairs: DataFrame, records: DataFrame) -> DataFrame:
    """`pairs` with both records' `SIDE_COLUMNS` joined from `records` (any
    the pairs carried are replaced)."""
    base = model_input(records)
    left = base.select(*[F.col(c).alias(f"{c}_l") for c in base.columns])
    right = base.select(*[F.col(c).alias(f"{c}_r") for c in base.columns])
    carried = [c for c in SIDE_COLUMNS if c in pairs.columns]
    return pairs.drop(*carried).join(left, "record_id_l").join(right, "record_id_r")


def _flag(condition: Column) -> Column:
    return F.when(condition, F.lit(1.0)).otherwise(F.lit(0.0))


def _missing(column: str) -> Column:
    return F.col(f"{column}_l").isNull() | F.col(f"{column}_r").isNull()


def _both(column: str) -> Column:
    return F.col(f"{column}_l").isNotNull() & F.col(f"{column}_r").isNotNull()


def _jw(column: str) -> Column:
    return F.coalesce(F.expr(f"jaro_winkler({column}_l, {column}_r)"), F.lit(0.0))


def _set_jaccard(left: Column, right: Column) -> Column:
    union = F.size(F.array_union(left, right))
    return F.when(
        union > 0, F.size(F.array_intersect(left, right)) / union.cast("double")
    ).otherwise(F.lit(0.0))


def _duration_gap() -> Column:
    return F.abs(F.col("duration_s_l") - F.col("duration_s_r"))


_TEXT_FIELDS = ("title_norm", "artist_norm", "album_norm")


def _words(column: str) -> Column:
    return F.array_remove(F.coalesce(F.split(column, " "), F.array().cast("array<string>")), "")


def _title_lev() -> Column:
    title_len = F.greatest(F.length("title_norm_l"), F.length("title_norm_r"), F.lit(1))
    return 1.0 - F.levenshtein("title_norm_l", "title_norm_r") / title_len


def _year_gap() -> Column:
    gap = F.abs(F.col("year_l") - F.col("year_r"))
    return F.coalesce(F.least(gap, F.lit(10)) / 10.0, F.lit(0.0))


def _crossed_title_artist() -> Column:
    # A feed that files the credit as the title, or the title as the credit:
    # one record's title is the other's artist, and more like it than the
    # fields compared straight (a self-titled song is not that).
    crossed = F.greatest(
        F.expr("jaro_winkler(title_norm_l, artist_norm_r)"),
        F.expr("jaro_winkler(artist_norm_l, title_norm_r)"),
    )
    return F.greatest(
        F.coalesce(crossed, F.lit(0.0)) - F.greatest(_jw("title_norm"), _jw("artist_norm")),
        F.lit(0.0),
    )


def _text_moved() -> Column:
    """How much more two records' words agree pooled than field by field.

    Zero when each word sits in the same field on both sides (typos lower
    both measures alike; a record with no text has neither); positive when
    agreement exists only across fields: a title and credit swapped, the
    credit packed into the title, the release title filed as the title."""
    words = {
        side: [F.array_distinct(_words(f"{c}_{side}")) for c in _TEXT_FIELDS] for side in ("l", "r")
    }
    pooled = _jaccard_of_sets(*(F.array_distinct(F.concat(*words[s])) for s in ("l", "r")))
    # Fields never share a word tagged with its field, so the tagged sets'
    # intersection and union are the per-field ones summed (no per-word
    # tagging, whose lambda Spark interprets row by row).
    sides = [_shared_and_either(a, b) for a, b in zip(words["l"], words["r"], strict=True)]
    by_field = _ratio(sum(s for s, _ in sides), sum(e for _, e in sides))
    return F.greatest(pooled - by_field, F.lit(0.0))


def _shared_and_either(a: Column, b: Column) -> tuple[Column, Column]:
    """Sizes of the intersection and union of two arrays without repeats: the
    union's from the sizes, one hash set per pair instead of two."""
    shared = F.size(F.array_intersect(a, b))
    return shared, F.size(a) + F.size(b) - shared


def _ratio(part: Column, whole: Column) -> Column:
    """part / whole, 0 when whole is 0 (part is then 0 too)."""
    return part / F.greatest(whole, F.lit(1)).cast("double")


def _jaccard_of_sets(a: Column, b: Column) -> Column:
    return _ratio(*_shared_and_either(a, b))


# Cleaned words of the store genres, "and" left out (it pads every title).
GENRE_WORDS = tuple(sorted({w for g in STORE_GENRES for w in (clean(g) or "").split()} - {"and"}))


def _title_padded() -> Column:
    """How much of what one title has beyond the other's title is the other
    record's whole credit, whole release title or store genre words.

    The longer title must begin with the shorter one; of the words after it,
    the share left once the shorter record's credit and release title (each
    as a whole phrase) and genre words are taken out is subtracted from 1. An
    export that appended those columns ("Yellow Coldplay Parachutes Pop"
    against "Yellow" by Coldplay on Parachutes) scores 1. "Love Me Do"
    against "Love" scores 0, and so does "Machine of Signals" against
    "Machine" by Lonely Signals: single words shared by chance are not a
    flattened row, whole values are."""
    genres = "array(" + ", ".join(f"'{w}'" for w in GENRE_WORDS) + ")"

    def padded(outer: str, inner: str) -> Column:
        longer, shorter = f"title_norm_{outer}", f"title_norm_{inner}"
        rest = f"substring({longer}, length({shorter}) + 2)"
        removed = f"concat(' ', {rest}, ' ')"
        for column in (f"artist_norm_{inner}", f"album_norm_{inner}"):
            removed = f"replace({removed}, concat(' ', coalesce({column}, ''), ' '), ' ')"
        left = f"filter(split(trim({removed}), ' +'), w -> w != '' AND NOT array_contains({genres}, w))"
        return F.expr(
            f"""CASE WHEN length({shorter}) > 0
                      AND left({longer}, length({shorter}) + 1) = concat({shorter}, ' ')
                 THEN 1.0 - size({left}) / size(split(trim({rest}), ' +'))
                 ELSE 0.0 END"""
        )

    return F.coalesce(F.greatest(padded("l", "r"), padded("r", "l")), F.lit(0.0))


# --- the registry ------------------------------------------------------------
# Display order only: a model's inputs are the features it names, in its order.

_register(
    "splink_weight",
    "Splink's match weight, clipped to +-30 (beyond it says nothing more) and divided by 10",
    lambda: F.least(F.greatest(F.col("match_weight"), F.lit(-30.0)), F.lit(30.0)) / 10.0,
)
_register("title_jw", "Jaro-Winkler similarity of the titles", lambda: _jw("title_norm"))
_register(
    "title_lev", "1 - the titles' Levenshtein distance over the longer title's length", _title_lev
)
_register(
    "title_tokens",
    "Jaccard similarity of the titles' words",
    lambda: _set_jaccard(F.split("title_norm_l", " "), F.split("title_norm_r", " ")),
)
_register(
    "artist_missing", "1 if either record has no artist", lambda: _flag(_missing("artist_norm"))
)
_register("artist_jw", "Jaro-Winkler similarity of the artists", lambda: _jw("artist_norm"))
_register(
    "artist_names",
    "Jaccard similarity of the credited artists' names",
    lambda: F.coalesce(_set_jaccard(F.col("artist_names_l"), F.col("artist_names_r")), F.lit(0.0)),
)
_register("album_missing", "1 if either record has no album", lambda: _flag(_missing("album_norm")))
_register("album_jw", "Jaro-Winkler similarity of the albums", lambda: _jw("album_norm"))
_register(
    "duration_missing", "1 if either record has no length", lambda: _flag(_missing("duration_s"))
)
_register(
    "duration_gap",
    "log1p of the lengths' gap in seconds (1 s and 3 s differ more than 61 s and 63 s)",
    lambda: F.coalesce(F.log1p(_duration_gap()), F.lit(0.0)),
)
_register(
    "duration_within_2s",
    "1 if the lengths are at most 2 s apart",
    lambda: _flag(_duration_gap() <= 2.0),
)
_register("year_missing", "1 if either record has no year", lambda: _flag(_missing("year")))
_register("year_gap", "the years' gap, capped at 10, over 10", _year_gap)
_register("isrc_both", "1 if both records have an ISRC", lambda: _flag(_both("isrc_norm")))
_register(
    "isrc_equal",
    "1 if the ISRCs are equal",
    lambda: _flag(F.col("isrc_norm_l") == F.col("isrc_norm_r")),
)
_register("track_both", "1 if both records have a track number", lambda: _flag(_both("track_no")))
_register(
    "track_equal",
    "1 if the track numbers are equal",
    lambda: _flag(F.col("track_no_l") == F.col("track_no_r")),
)
_register(
    "version_same",
    "1 if both are the same version (a remaster is the original)",
    lambda: _flag(F.col("version_class_l") == F.col("version_class_r")),
)
_register(
    "version_tagged",
    "1 if either is tagged as a version other than the original",
    lambda: _flag(
        (F.col("version_class_l") != "original") | (F.col("version_class_r") != "original")
    ),
)
_register(
    "crossed_title_artist",
    "how much more one record's title is like the other's artist than the fields compared straight",
    _crossed_title_artist,
)
_register(
    "text_moved",
    "how much more the records' words agree pooled than field by field",
    _text_moved,
)
_register(
    "title_padded",
    "the share of a longer title's tail that is the other record's credit, release or genre words",
    _title_padded,
)

FEATURES: MappingProxyType[str, Feature] = MappingProxyType(_REGISTRY)

# What the packaged model (v5) learns from, and what training uses unless
# told otherwise: Splink's weight, and the comparisons whose meaning is
# music's rather than the feed's: a length gap, version tags, album and ISRC.
# The title and artist similarities are left to Splink, whose EM learns per
# catalogue how much a typo or a missing credit means; a network trained on
# generated typos learnt the generator's. `crossed_title_artist`,
# `text_moved` and `title_padded` see text in the wrong field and are zero
# otherwise, so they can only tell the network "same". How the subsets
# compared is in docs/results/pair-models.md.
DEFAULT_FEATURES = (
    "splink_weight",
    "album_missing",
    "album_jw",
    "duration_missing",
    "duration_gap",
    "duration_within_2s",
    "isrc_both",
    "isrc_equal",
    "version_same",
    "version_tagged",
    "crossed_title_artist",
    "text_moved",
    "title_padded",
)


def unknown_features(names: Iterable[str]) -> list[str]:
    """Those of `names` that are not registered, sorted."""
    return sorted(set(names) - set(FEATURES))


def pair_features(
    pairs: DataFrame, records: DataFrame, features: Iterable[str] | None = None
) -> DataFrame:
    """`pairs` (record_id_l, record_id_r, match_weight, ...) with one float
    column per name in `features` (every registered feature if None), in that
    order, and `SIDE_COLUMNS` dropped; `records` must hold every record the
    pairs mention, unless the pairs carry `SIDE_COLUMNS`."""
    names = tuple(FEATURES if features is None else features)
    unknown = unknown_features(names)
    if unknown:
        raise ValueError(f"unknown pair features: {', '.join(unknown)}")
    register_similarity_functions(pairs.sparkSession)
    # Splink retains only the columns its model compares (a feed without
    # ISRCs has no isrc comparison): then the records' values are joined.
    joined = pairs if set(SIDE_COLUMNS) <= set(pairs.columns) else with_sides(pairs, records)
    return joined.select(
        *[c for c in pairs.columns if c not in SIDE_COLUMNS],
        *[FEATURES[name].column().cast("float").alias(name) for name in names],
    )
