"""Similarity features of a scored pair, for the learned pair model.

Splink's match weight sums per-comparison evidence as if the comparisons were
independent, and its levels cut each similarity into a few bins. The pair
model sees the weight and the similarities themselves, so it can learn their
interactions: an exact title and artist with lengths 12 s apart is a version,
not the same recording.

Every feature is a float in a small range, computed in Spark SQL (the string
similarities come from Splink's jar, registered on the session). Output: the
input pairs plus one column per name in `FEATURES`.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from catalog.text import clean
from catalog.vocabulary import SAME_AUDIO_TAGS, STORE_GENRES

# Order matters: a trained model's inputs are these, in this order.
FEATURES = (
    "splink_weight",
    "title_jw",
    "title_lev",
    "title_tokens",
    "artist_missing",
    "artist_jw",
    "artist_names",
    "album_missing",
    "album_jw",
    "duration_missing",
    "duration_gap",
    "duration_within_2s",
    "year_missing",
    "year_gap",
    "isrc_both",
    "isrc_equal",
    "track_both",
    "track_equal",
    "version_same",
    "version_tagged",
    "crossed_title_artist",
    "text_moved",
    "title_contained",
    "title_padded",
    "script_lost",
)

# What the packaged model learns from: Splink's weight, and the comparisons
# whose meaning is music's rather than the feed's: a length gap, version tags,
# album and ISRC. The title and artist similarities are left to Splink, whose
# EM learns per catalogue how much a typo or a missing credit means; a network
# trained on generated typos learnt the generator's. Chosen by comparing four
# subsets on generated seed 2025 and MusicBrainz 20K (README "Pair model").
# `crossed_title_artist` and `text_moved` (v2) see text in the wrong field
# and are zero otherwise, so they can only tell the network "same" (README
# "Text in the wrong field"). `title_padded` (v5) sees a title with the other
# record's values appended; v3's looser `title_contained` also linked a large
# catalogue's same-artist songs (README "Pair model v5"). `script_lost`, text
# an ASCII-only export lost, is read by v9 only, which is packaged but not
# the default (README "Pair model v9").
MODEL_FEATURES = (
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

# The record columns the features read (normalised records, see catalog.normalise).
RECORD_COLUMNS = (
    "record_id",
    "title_norm",
    "artist_norm",
    "artist_names",
    "album_norm",
    "duration_s",
    "year",
    "isrc_norm",
    "track_no",
    "version",
)


# Both records' values a feature reads, as `<column>_l` / `<column>_r`. Pairs
# that already carry all of them (Splink's predictions with its matching
# columns retained) are not joined to the records again.
SIDE_COLUMNS = tuple(
    f"{c}_{s}"
    for c in (*(c for c in RECORD_COLUMNS if c not in ("record_id", "version")), "version_class")
    for s in ("l", "r")
)


def register_similarity_functions(spark: SparkSession) -> None:
    """Make `jaro_winkler` callable from SQL (Splink's jar; a no-op once done)."""
    from splink.internals.spark.jar_location import get_scala_udfs

    registered = {f.name for f in spark.catalog.listFunctions() if f.name == "jaro_winkler"}
    if registered:
        return
    for udf in get_scala_udfs():
        spark.udf.registerJavaFunction(*udf)


def _sides(records: DataFrame) -> tuple[DataFrame, DataFrame]:
    same = F.col("version").isin(*sorted(SAME_AUDIO_TAGS)) | F.col("version").isNull()
    base = records.select(*RECORD_COLUMNS).withColumn(
        "version_class", F.when(same, F.lit("original")).otherwise(F.col("version"))
    )
    left = base.select(*[F.col(c).alias(f"{c}_l") for c in base.columns])
    right = base.select(*[F.col(c).alias(f"{c}_r") for c in base.columns])
    return left, right


def _flag(condition: Column) -> Column:
    return F.when(condition, F.lit(1.0)).otherwise(F.lit(0.0))


def _jw(column: str) -> Column:
    return F.coalesce(F.expr(f"jaro_winkler({column}_l, {column}_r)"), F.lit(0.0))


def _set_jaccard(left: Column, right: Column) -> Column:
    union = F.size(F.array_union(left, right))
    return F.when(
        union > 0, F.size(F.array_intersect(left, right)) / union.cast("double")
    ).otherwise(F.lit(0.0))


_TEXT_FIELDS = ("title_norm", "artist_norm", "album_norm")


def _words(column: str) -> Column:
    return F.array_remove(F.coalesce(F.split(column, " "), F.array().cast("array<string>")), "")


def _text_moved() -> Column:
    """How much more two records' words agree pooled than field by field.

    Zero when each word sits in the same field on both sides (typos lower
    both measures alike; a record with no text has neither); positive when
    agreement exists only across fields: a title and credit swapped, the
    credit packed into the title, the release title filed as the title."""
    words = {side: [_words(f"{c}_{side}") for c in _TEXT_FIELDS] for side in ("l", "r")}
    pooled = _set_jaccard(F.concat(*words["l"]), F.concat(*words["r"]))
    # Words tagged with their field: fields never share a tagged word, so
    # the tagged sets' intersection and union are the per-field ones summed
    # (no per-word tagging, whose lambda Spark interprets row by row).
    sides = list(zip(words["l"], words["r"], strict=True))
    shared = sum(F.size(F.array_intersect(a, b)) for a, b in sides)
    either = sum(F.size(F.array_union(a, b)) for a, b in sides)
    by_field = F.when(either > 0, shared / either.cast("double")).otherwise(F.lit(0.0))
    return F.greatest(pooled - by_field, F.lit(0.0))


def _title_contained() -> Column:
    """How much more one record's title is found among all the other's words
    than the two titles agree word for word.

    Zero for equal titles and for titles that share nothing; positive when
    every word of one title is somewhere in the other record, the other's
    title carrying more: an export that appended the credit, the release or
    genre words to a title. "Love" against "Love Me Do" scores too, so the
    network must weigh it with the credit and the length."""
    title = {side: _words(f"title_norm_{side}") for side in ("l", "r")}
    pooled = {side: F.concat(*[_words(f"{c}_{side}") for c in _TEXT_FIELDS]) for side in ("l", "r")}

    def found(a: str, b: str) -> Column:
        words = F.array_distinct(title[a])
        return F.when(
            F.size(words) > 0,
            F.size(F.array_intersect(words, pooled[b])) / F.size(words).cast("double"),
        ).otherwise(F.lit(0.0))

    same = _set_jaccard(title["l"], title["r"])
    return F.greatest(F.greatest(found("l", "r"), found("r", "l")) - same, F.lit(0.0))


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
    flattened row, whole values are (`title_contained` sees both)."""
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


def _script_lost() -> Column:
    """How much of what one record lacks is the other's non-Latin text, as
    an ASCII-only export would lose it.

    The other record's title must have no Latin letter and some outside
    ASCII (normalised text keeps no accents, so those are another
    script's), and this record's title must be what is left of it without
    them: nothing, or a number. Every text field where the other record has
    such letters counts, and is explained where this record holds exactly
    what is left; the score is the share explained. A record of only "?"
    against "深海の精" by 岩崎文紀 scores 1; against a Latin title, or "kino"
    against "кино" (a transliteration), it scores 0, and so does a record
    whose only words are a genre list both exports appended."""
    beyond_ascii = r"[^\x00-\x7F]"

    def left(value: Column) -> Column:
        return F.trim(F.regexp_replace(F.regexp_replace(value, beyond_ascii + "+", " "), " +", " "))

    def lost(plain: str, other: str) -> Column:
        ascii_only = [
            ~F.coalesce(F.col(f"{c}_{plain}"), F.lit("")).rlike(beyond_ascii) for c in _TEXT_FIELDS
        ]
        applicable, explained = [], []
        for c in _TEXT_FIELDS:
            value = F.col(f"{c}_{other}")
            has_script = F.coalesce(value.rlike(beyond_ascii), F.lit(False))
            applicable.append(has_script.cast("int"))
            explained.append(
                has_script & (F.coalesce(F.col(f"{c}_{plain}"), F.lit("")) == left(value))
            )
        title_gone = explained[0] & ~F.col(f"title_norm_{other}").rlike("[a-z]")
        share = sum(e.cast("int") for e in explained) / sum(applicable).cast("double")
        whole = ascii_only[0] & ascii_only[1] & ascii_only[2] & title_gone
        return F.when(whole, share).otherwise(F.lit(0.0))

    return F.coalesce(F.greatest(lost("l", "r"), lost("r", "l")), F.lit(0.0))


def pair_features(pairs: DataFrame, records: DataFrame) -> DataFrame:
    """`pairs` (record_id_l, record_id_r, match_weight, ...) with the `FEATURES`
    columns added (and `SIDE_COLUMNS` dropped); `records` must hold every
    record the pairs mention, unless the pairs carry `SIDE_COLUMNS`."""
    register_similarity_functions(pairs.sparkSession)
    if set(SIDE_COLUMNS) <= set(pairs.columns):
        joined = pairs
    else:
        # Splink retains only the columns its model compares (a feed without
        # ISRCs has no isrc comparison): join the records' values instead.
        left, right = _sides(records)
        carried = [c for c in SIDE_COLUMNS if c in pairs.columns]
        joined = pairs.drop(*carried).join(left, "record_id_l").join(right, "record_id_r")

    def missing(column: str) -> Column:
        return F.col(f"{column}_l").isNull() | F.col(f"{column}_r").isNull()

    def both(column: str) -> Column:
        return F.col(f"{column}_l").isNotNull() & F.col(f"{column}_r").isNotNull()

    title_len = F.greatest(F.length("title_norm_l"), F.length("title_norm_r"), F.lit(1))
    gap = F.abs(F.col("duration_s_l") - F.col("duration_s_r"))
    year_gap = F.abs(F.col("year_l") - F.col("year_r"))
    features = {
        # Clipped: beyond +-30 the weight says nothing the model needs.
        "splink_weight": F.least(F.greatest(F.col("match_weight"), F.lit(-30.0)), F.lit(30.0))
        / 10.0,
        "title_jw": _jw("title_norm"),
        "title_lev": 1.0 - F.levenshtein("title_norm_l", "title_norm_r") / title_len,
        "title_tokens": _set_jaccard(F.split("title_norm_l", " "), F.split("title_norm_r", " ")),
        "artist_missing": _flag(missing("artist_norm")),
        "artist_jw": _jw("artist_norm"),
        "artist_names": F.coalesce(
            _set_jaccard(F.col("artist_names_l"), F.col("artist_names_r")), F.lit(0.0)
        ),
        "album_missing": _flag(missing("album_norm")),
        "album_jw": _jw("album_norm"),
        "duration_missing": _flag(missing("duration_s")),
        # log1p: 1 s and 3 s differ more than 61 s and 63 s.
        "duration_gap": F.coalesce(F.log1p(gap), F.lit(0.0)),
        "duration_within_2s": _flag(gap <= 2.0),
        "year_missing": _flag(missing("year")),
        "year_gap": F.coalesce(F.least(year_gap, F.lit(10)) / 10.0, F.lit(0.0)),
        "isrc_both": _flag(both("isrc_norm")),
        "isrc_equal": _flag(F.col("isrc_norm_l") == F.col("isrc_norm_r")),
        "track_both": _flag(both("track_no")),
        "track_equal": _flag(F.col("track_no_l") == F.col("track_no_r")),
        "version_same": _flag(F.col("version_class_l") == F.col("version_class_r")),
        "version_tagged": _flag(
            (F.col("version_class_l") != "original") | (F.col("version_class_r") != "original")
        ),
        # A feed that files the credit as the title, or the title as the
        # credit: one record's title is the other's artist, and more like it
        # than the fields compared straight (a self-titled song is not that).
        "crossed_title_artist": F.greatest(
            F.coalesce(
                F.greatest(
                    F.expr("jaro_winkler(title_norm_l, artist_norm_r)"),
                    F.expr("jaro_winkler(artist_norm_l, title_norm_r)"),
                ),
                F.lit(0.0),
            )
            - F.greatest(_jw("title_norm"), _jw("artist_norm")),
            F.lit(0.0),
        ),
        "text_moved": _text_moved(),
        "title_contained": _title_contained(),
        "title_padded": _title_padded(),
        "script_lost": _script_lost(),
    }
    assert tuple(features) == FEATURES
    return joined.select(
        *[c for c in pairs.columns if c not in SIDE_COLUMNS],
        *[col.cast("float").alias(name) for name, col in features.items()],
    )
