"""What a labeller sees of a record: its values as delivered, a few parsed
ones, and any passthrough column, as one JSON object per record."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from catalog.schema import passthrough_columns

# In the order a pair is shown; absent ones are left out.
SHOWN = (
    "source",
    "title",
    "artists",
    "album",
    "duration_s",
    "year",
    "isrc_norm",
    "track_no",
    "version",
)


def shown_columns(records: DataFrame) -> list[str]:
    present = [c for c in SHOWN if c in records.columns]
    extra = [c for c in passthrough_columns(records.columns) if not c.startswith("true_")]
    return present + extra


def with_values(pairs: DataFrame, records: DataFrame) -> DataFrame:
    """`pairs` (`record_id_l`, `record_id_r`, ...) with `values_l` and
    `values_r`: each record's shown values as JSON (null: the record is not
    in `records`)."""
    cols = shown_columns(records)
    values = records.select(
        "record_id", F.to_json(F.struct(*[F.col(f"`{c}`") for c in cols])).alias("v")
    )
    return pairs.join(values.toDF("record_id_l", "values_l"), "record_id_l", "left").join(
        values.toDF("record_id_r", "values_r"), "record_id_r", "left"
    )
