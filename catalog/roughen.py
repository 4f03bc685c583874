"""Dirt for training catalogues that real feeds have and the generator's
defaults do not: artist credits removed, lengths wrong, fields misfiled, rows
flattened into the title. The pair model trains on generated catalogues
roughened this way (`pipeline.training`).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

# What a flattened row's title may end with (`roughen(flatten=...)`): a
# store's genre list, lower-cased by normalisation like any title word.
GENRE_LISTS = (
    "Pop",
    "Rock",
    "Pop Music Pop Rock",
    "Country Music Contemporary Country",
    "Hip Hop/Rap Music Rap",
    "Dance Electronic",
    "R&B/Soul Music Contemporary R&B",
    "Alternative Music Indie Rock",
    "Singer/Songwriter",
    "Jazz Vocal",
    "Latin Music",
    "Soundtrack",
)


def roughen(
    catalogue: DataFrame,
    seed: int,
    drop_artist: float,
    wrong_length: float,
    misfile: float = 0.0,
    flatten: float = 0.0,
) -> DataFrame:
    """Dirt real feeds have and the generator's defaults do not: a record with
    no artist credit, a length that is simply wrong (a hidden track, a bad
    edit), and (`misfile`) text in the wrong field, a third each: title and
    credit swapped; the credit packed before the title with no separator;
    the track title filed as the credit and the release title as the track
    title. Without it the network never sees a true pair lacking an artist,
    nor one whose lengths disagree or whose fields cross, and reads all of
    them as "different".

    `flatten`: a share of records whose export appended other columns to
    the title: the credit and the release title each with even odds (and
    then left empty), and a genre list with odds of three in four, at least
    one of them. Splink then sees a long title and no credit."""
    artist_gone = F.rand(seed) < drop_artist
    length_wrong = F.rand(seed + 1) < wrong_length
    random_ms = (F.lit(60_000) + F.rand(seed + 2) * 540_000).cast("long").cast("string")
    # One draw per row, materialised: a rand() repeated in several CASE
    # branches is drawn only where evaluated and would drift apart.
    roll = F.col("_misfile_roll")
    has_credit = F.col("artists").isNotNull() & (F.trim("artists") != "")
    swapped = has_credit & (roll < misfile / 3)
    packed = has_credit & (roll >= misfile / 3) & (roll < 2 * misfile / 3)
    shifted = F.col("album").isNotNull() & (roll >= 2 * misfile / 3) & (roll < misfile)
    none = F.lit(None).cast("string")
    title = (
        F.when(swapped, F.col("artists"))
        .when(packed, F.concat_ws(" ", "artists", "title"))
        .when(shifted, F.col("album"))
        .otherwise(F.col("title"))
    )
    artists = (
        F.when(swapped | shifted, F.col("title")).when(packed, none).otherwise(F.col("artists"))
    )
    album = F.when(shifted, none).otherwise(F.col("album"))
    return (
        _flatten(
            catalogue.withColumn("_misfile_roll", F.rand(seed + 3))
            .withColumns({"title": title, "artists": artists, "album": album})
            .drop("_misfile_roll"),
            seed,
            flatten,
        )
        .withColumn("artists", F.when(artist_gone, none).otherwise(F.col("artists")))
        .withColumn("duration_ms", F.when(length_wrong, random_ms).otherwise(F.col("duration_ms")))
    )


def _flatten(catalogue: DataFrame, seed: int, share: float) -> DataFrame:
    if share <= 0:
        return catalogue
    rolls = {
        f"_{name}_roll": F.rand(seed + 4 + i) for i, name in enumerate(("flat", "move", "genre"))
    }
    flat = F.col("_flat_roll") < share
    move = F.col("_move_roll")
    genre_roll = F.col("_genre_roll")
    # Two independent even coins for credit and release from one draw.
    move_artist = flat & (move < 0.5) & F.col("artists").isNotNull()
    move_album = flat & (((move * 4).cast("int") % 2) == 0) & F.col("album").isNotNull()
    with_genre = flat & ((genre_roll < 0.75) | ~(move_artist | move_album))
    genres = F.array(*[F.lit(g) for g in GENRE_LISTS])
    # The genre pick reuses the roll's spread above 0.75: uniform enough.
    pick = (genre_roll * 1000).cast("int") % len(GENRE_LISTS) + 1
    none = F.lit(None).cast("string")
    title = F.concat_ws(
        " ",
        F.col("title"),
        F.when(move_artist, F.col("artists")),
        F.when(move_album, F.col("album")),
        F.when(with_genre, F.element_at(genres, pick)),
    )
    return (
        catalogue.withColumns(rolls)
        .withColumns(
            {
                "title": F.when(flat, title).otherwise(F.col("title")),
                "artists": F.when(move_artist, none).otherwise(F.col("artists")),
                "album": F.when(move_album, none).otherwise(F.col("album")),
            }
        )
        .drop(*rolls)
    )
