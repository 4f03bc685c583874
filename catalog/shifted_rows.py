"""Rows a delimited feed wrote one column to the right, put back.

A feed that loses a row's first field (an empty source id, its delimiter
dropped with it) moves every later value one column right: the track number
lands in `title`, the title in `length`, the length in `artist`, and so on.
Read as it is, such a row has a number for a title and a duration for an
artist, and no blocker or comparison can match it (how many rows this fixes
on MusicBrainz 20K: docs/architecture.md, "Reading, validation and
normalisation").

A row is put back one column to the left when its first field is empty and
its values parse better that way: a plausible track number, a duration, a
year (each parser's own judgement, `catalog.text`). Nothing else is touched,
and the last column becomes empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
from pyspark.sql import DataFrame

from catalog.text import is_null, parse_duration_s, parse_track_number, parse_year

# A track number longer than this is an id that slid into the number column.
MAX_TRACK_DIGITS = 4


@dataclass(frozen=True)
class Layout:
    """A feed's columns in file order, from its leading field to its last,
    and which of them hold the values that reveal a shift."""

    order: tuple[str, ...]
    track_number: str
    duration: str
    year: str


def _plausible_track(raw: object) -> bool:
    text = "" if is_null(raw) else str(raw).strip()
    if text.isdigit() and len(text) > MAX_TRACK_DIGITS:
        return False
    return parse_track_number(raw) is not None


def _score(values: dict[str, object], layout: Layout) -> int:
    return (
        _plausible_track(values[layout.track_number])
        + (parse_duration_s(values[layout.duration]) is not None)
        + (parse_year(values[layout.year], loose=False) is not None)
    )


def unshifted(values: dict[str, object], layout: Layout) -> dict[str, object] | None:
    """`values` moved one column left, if that is how the row reads; else None."""
    if not is_null(values[layout.order[0]]):
        return None
    left = {name: values[nxt] for name, nxt in zip(layout.order, layout.order[1:], strict=False)}
    left[layout.order[-1]] = None
    return left if _score(left, layout) > _score(values, layout) else None


def repair_shifted(df: DataFrame, layout: Layout) -> DataFrame:
    """`df` with its right-shifted rows put back (same schema, same rows)."""
    names = list(layout.order)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            columns = {n: batch.column(n).to_pylist() for n in names}
            for i in range(batch.num_rows):
                row = {n: columns[n][i] for n in names}
                if (fixed := unshifted(row, layout)) is not None:
                    for n in names:
                        columns[n][i] = fixed[n]
            arrays = [
                pa.array(columns[f.name], type=f.type)
                if f.name in columns
                else batch.column(f.name)
                for f in batch.schema
            ]
            yield pa.RecordBatch.from_arrays(arrays, schema=batch.schema)

    return df.mapInArrow(run, df.schema)
