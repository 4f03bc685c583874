"""tracklink's record schema, in one place: the input roles a catalogue's columns
fill, and the normalised columns a run adds.

Input (the `catalog` format), one row per record as a feed delivered it:

| role          | required | meaning                                                        |
|---------------|----------|----------------------------------------------------------------|
| record_id     | yes      | unique id of the row in the catalogue (any type, read as text) |
| title         | yes      | track title as delivered ("Artist - Title" packing is undone)  |
| source        | no       | feed or partner the row came from                              |
| artists       | no       | artist credit, "A feat. B" and "A & B" are split               |
| album         | no       | release title                                                  |
| duration_ms   | no       | duration: ms, seconds, "3:39", "3m 39sec", decimal minutes     |
| isrc          | no       | ISRC, any punctuation                                          |
| release_year  | no       | "2005", "05", "'05", "2005-03-01"                              |
| kind          | no       | "audio" (default) or "video"                                   |
| track_number  | no       | position on the release: "7", "007", "7/12", "A7"              |
| writers       | no       | songwriter credit: names separated by , ; / & or "and"         |

Any other column passes through to the `clusters` output untouched.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from pyspark.sql.types import (
    ArrayType,
    DataType,
    DoubleType,
    IntegerType,
    StringType,
    StructField,
)


class InputRole(NamedTuple):
    name: str
    required: bool
    meaning: str


INPUT_ROLES = (
    InputRole("record_id", True, "unique id of the row in the catalogue"),
    InputRole("title", True, "track title as delivered"),
    InputRole("source", False, "feed or partner the row came from"),
    InputRole("artists", False, "artist credit"),
    InputRole("album", False, "release title"),
    InputRole("duration_ms", False, "duration, in any unit or format"),
    InputRole("isrc", False, "ISRC, any punctuation"),
    InputRole("release_year", False, "release year or date"),
    InputRole("kind", False, "audio or video"),
    InputRole("track_number", False, "position on the release"),
    InputRole("writers", False, "songwriter credit"),
)
REQUIRED_COLUMNS = tuple(r.name for r in INPUT_ROLES if r.required)
OPTIONAL_COLUMNS = tuple(r.name for r in INPUT_ROLES if not r.required)
CATALOG_COLUMNS = tuple(r.name for r in INPUT_ROLES)


class RawValues(NamedTuple):
    """One record's raw values that normalisation reads, as a feed delivered them."""

    title: object = None
    artists: object = None
    album: object = None
    duration_ms: object = None
    isrc: object = None
    release_year: object = None
    kind: object = None
    track_number: object = None
    writers: object = None


# The input roles normalisation reads, in `RawValues` order.
VALUE_COLUMNS = RawValues._fields


class NormalisedValues(NamedTuple):
    """One record's comparable values, added next to its raw ones."""

    title_norm: str | None
    artist_norm: str | None
    artist_names: list[str]
    album_norm: str | None
    duration_s: float | None
    year: int | None
    isrc_norm: str | None
    track_no: int | None
    kind_norm: str
    version: str | None
    writer_names: list[str]
    parse_issues: list[str]


_NORMALISED_TYPES: dict[str, DataType] = {
    "title_norm": StringType(),
    "artist_norm": StringType(),
    "artist_names": ArrayType(StringType()),
    "album_norm": StringType(),
    "duration_s": DoubleType(),
    "year": IntegerType(),
    "isrc_norm": StringType(),
    "track_no": IntegerType(),
    "kind_norm": StringType(),
    "version": StringType(),
    "writer_names": ArrayType(StringType()),
    "parse_issues": ArrayType(StringType()),
}
NORMALISED_COLUMNS = NormalisedValues._fields
NORMALISED_FIELDS = [StructField(name, _NORMALISED_TYPES[name]) for name in NORMALISED_COLUMNS]

# Ground truth a generated catalogue carries (`catalog.generator`): the
# recording or video each record is, and its recording, work and version.
# They pass through like any other column and are read only to evaluate.
ENTITY_TRUTH = "true_entity_id"
SEMANTIC_TRUTH = ("true_recording_id", "true_work_id", "true_version")

# Input order, so that "a record_id seen before" means the same row on every run.
ROW_ORDER = "_input_row"

# Where a row of a CSV input came from: struct<file, line, problem, text>. `line`
# is the physical line in `file` (the header is line 1); `problem` says why the
# line could not be read as one record (an unbalanced quote, a field count that
# differs from the header's), and `text` is then the line as it was. Read by
# validation (`malformed_row`) and kept in quarantine's `raw`; never resolved.
INPUT_LINE = "_input_line"

# A passthrough column may not use these names.
RESERVED_COLUMNS = frozenset(NORMALISED_COLUMNS) | {
    ROW_ORDER,
    INPUT_LINE,
    "cluster_id",
    "cluster_size",
    "run_id",
}

# Value columns that are parsed; an unparseable value becomes null and is counted.
PARSED_COLUMNS = ("duration_ms", "release_year", "isrc", "kind", "track_number")


def passthrough_columns(columns: Iterable[str]) -> list[str]:
    """The columns of a normalised record that are the user's own, not tracklink's."""
    ours = set(CATALOG_COLUMNS) | set(NORMALISED_COLUMNS) | {ROW_ORDER, INPUT_LINE}
    return [c for c in columns if c not in ours]
