"""tracklink's input schema (the `catalog` format) and the columns it adds.

Input, one row per record as a feed delivered it (Parquet, CSV or Delta):

| column        | required | meaning                                                        |
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

REQUIRED_COLUMNS = ("record_id", "title")
OPTIONAL_COLUMNS = (
    "source",
    "artists",
    "album",
    "duration_ms",
    "isrc",
    "release_year",
    "kind",
    "track_number",
    "writers",
)
CATALOG_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# Input order, so that "a record_id seen before" means the same row on every run.
ROW_ORDER = "_input_row"

# Columns that normalisation adds. A passthrough column may not use these names.
NORMALISED_COLUMNS = (
    "title_norm",
    "artist_norm",
    "artist_names",
    "album_norm",
    "duration_s",
    "year",
    "isrc_norm",
    "track_no",
    "kind_norm",
    "version",
    "writer_names",
    "parse_issues",
)
RESERVED_COLUMNS = frozenset(NORMALISED_COLUMNS) | {
    ROW_ORDER,
    "cluster_id",
    "cluster_size",
    "run_id",
}

# Value columns that are parsed; an unparseable value becomes null and is counted.
PARSED_COLUMNS = ("duration_ms", "release_year", "isrc", "kind", "track_number")

# The columns of the MusicBrainz benchmark file (Leipzig "dapo" format) and
# where each goes. CID / CTID are ground truth: they pass through, unused.
MUSICBRAINZ_DAPO_COLUMNS = {
    "TID": "record_id",
    "SourceID": "source",
    "title": "title",
    "artist": "artists",
    "album": "album",
    "length": "duration_ms",
    "year": "release_year",
    "number": "track_number",
}
