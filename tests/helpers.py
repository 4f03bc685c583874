"""Tiny hand-made catalogues for the Spark stage tests."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from catalog.readers import conform

CATALOG_ROWS_SCHEMA = (
    "record_id string, source string, title string, artists string, album string, "
    "duration_ms string, isrc string, release_year string, kind string, track_number string"
)


def catalog(spark: SparkSession, rows: list[dict], extra_schema: str = "") -> DataFrame:
    """A conformed catalog DataFrame from dicts (missing keys are null)."""
    schema = CATALOG_ROWS_SCHEMA + (", " + extra_schema if extra_schema else "")
    names = [part.strip().split(" ")[0] for part in schema.split(",")]
    data = [tuple(r.get(n) for n in names) for r in rows]
    return conform(spark.createDataFrame(data, schema))
