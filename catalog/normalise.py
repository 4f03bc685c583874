"""Normalise catalog rows: add comparable columns next to the raw ones.

Added columns (`catalog.schema.NormalisedValues`):

| column        | type          | meaning                                                    |
|---------------|---------------|------------------------------------------------------------|
| title_norm    | string        | title without packing, feat., version, album or video tags |
| artist_norm   | string        | main artist credit, folded, no leading "the"; a video      |
|               |               | channel's credit read as its artist ("XVEVO" -> "x")       |
| artist_names  | array<string> | every credited name, featured ones included                |
| album_norm    | string        | album, folded, without "(1998)" / "(unknown)"              |
| duration_s    | double        | duration in seconds                                        |
| year          | int           | release year                                               |
| isrc_norm     | string        | ISRC, 12 characters                                        |
| track_no      | int           | position on the release                                    |
| kind_norm     | string        | "audio" or "video"                                         |
| version       | string        | original, remaster, live, remix, acoustic, edit, ...        |
| writer_names  | array<string> | songwriters, folded as artist names are (empty: no credit) |
| parse_issues  | array<string> | raw columns whose value could not be parsed (now null)     |

Runs as one `mapInArrow` pass on the executors.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import to_arrow_schema
from pyspark.sql.types import StructType

from catalog.packing import album_packing_sources
from catalog.schema import NORMALISED_FIELDS, VALUE_COLUMNS, NormalisedValues, RawValues
from catalog.spilled_values import take_spilled
from catalog.text import (
    channel_credit,
    clean,
    is_null,
    parse_credit,
    parse_duration_s,
    parse_isrc,
    parse_kind,
    parse_title,
    parse_track_number,
    parse_year,
    raw_or_none,
    writer_names,
)
from conf.config import NormaliseConfig


def normalise_values(
    raw: RawValues, cfg: NormaliseConfig, album_packed: bool = False
) -> NormalisedValues:
    """One record's normalised values. `album_packed`: its feed packs the
    release into titles ("Title - Album", `catalog.packing`)."""
    title, artists, album, duration, isrc, release_year, kind, track_number, writers = raw
    issues: list[str] = []

    def parsed(column: str, raw: object, value: object) -> object:
        if value is None and not is_null(raw):
            issues.append(column)
        return value

    track_no = parsed("track_number", track_number, parse_track_number(track_number))
    title = raw_or_none(title)
    if cfg.take_spilled_values:
        spilled = take_spilled(title, is_null(duration), is_null(release_year))
        title = spilled.title
        duration = duration if spilled.length is None else spilled.length
        release_year = release_year if spilled.year is None else spilled.year
    pt = parse_title(title, raw_or_none(artists), raw_or_none(album), track_no, album_packed)
    kind_value = parsed("kind", kind, parse_kind(kind))
    kind_norm = kind_value or ("video" if pt.video else "audio")
    credit = parse_credit(channel_credit(pt.artist, kind_norm == "video"), pt.featured)

    seconds = parse_duration_s(duration)
    if seconds is not None and not cfg.min_duration_s <= seconds <= cfg.max_duration_s:
        seconds = None
    seconds = parsed("duration_ms", duration, seconds)

    year = parse_year(release_year, cfg.two_digit_year_pivot, cfg.min_year, cfg.max_year)
    year = parsed("release_year", release_year, year)
    if year is None and pt.year_hint and cfg.min_year <= pt.year_hint <= cfg.max_year:
        year = pt.year_hint

    return NormalisedValues(
        title_norm=pt.title,
        artist_norm=credit.main,
        artist_names=list(credit.names),
        album_norm=clean(pt.album),
        duration_s=seconds,
        year=year,
        isrc_norm=parsed("isrc", isrc, parse_isrc(isrc)),
        track_no=track_no,
        kind_norm=kind_norm,
        version=pt.version,
        writer_names=writer_names(writers),
        parse_issues=issues,
    )


def normalise(df: DataFrame, cfg: NormaliseConfig) -> DataFrame:
    """`df` (catalog schema, raw text) plus the normalised columns."""
    packing = album_packing_sources(df, cfg)
    out_schema = StructType(df.schema.fields + NORMALISED_FIELDS)
    added_schema = to_arrow_schema(StructType(NORMALISED_FIELDS))

    # Arrow in, Arrow out: the rows are parsed in Python either way, and going
    # through pandas cost a conversion of every column (and of the list
    # columns, object by object) on both sides.
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            columns = [batch.column(c).to_pylist() for c in VALUE_COLUMNS]
            packed = [s in packing for s in batch.column("source").to_pylist()]
            rows = [
                normalise_values(RawValues(*v), cfg, p)
                for v, p in zip(zip(*columns, strict=True), packed, strict=True)
            ]
            added = [
                pa.array([row[i] for row in rows], type=field.type)
                for i, field in enumerate(added_schema)
            ]
            yield pa.RecordBatch.from_arrays(
                [*batch.columns, *added], names=[*batch.schema.names, *added_schema.names]
            )

    return df.mapInArrow(run, out_schema)


def parse_issue_counts(records: DataFrame) -> dict[str, int]:
    """How many rows had an unparseable value, per raw column."""
    rows = (
        records.select(F.explode("parse_issues").alias("column"))
        .groupBy("column")
        .count()
        .collect()
    )
    return {r["column"]: int(r["count"]) for r in rows}
