"""Read an input into the catalog schema: every catalog column present, as text.

Values stay raw here (parsing is normalisation's job); only the column names
are mapped. A missing path, an unreadable file, missing required columns or an
empty input raise `InputError`.
"""

from __future__ import annotations

import os
from typing import Literal

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from catalog.schema import (
    CATALOG_COLUMNS,
    MUSICBRAINZ_DAPO_COLUMNS,
    REQUIRED_COLUMNS,
    RESERVED_COLUMNS,
    ROW_ORDER,
)
from catalog.shifted_rows import Layout, repair_shifted
from catalog.text import NULL_TOKENS
from conf.errors import InputError
from runtime.progress import get_logger
from storage.delta import is_delta_table, read_delta

InputFormat = Literal["catalog", "musicbrainz-dapo"]
INPUT_FORMATS: tuple[str, ...] = ("catalog", "musicbrainz-dapo")


def _is_local(path: str) -> bool:
    return "://" not in path or path.startswith("file://")


def _check_exists(path: str) -> None:
    local = path.removeprefix("file://")
    if _is_local(path) and not os.path.exists(local):
        raise InputError(f"input not found: {path}")


def _read_csv(spark: SparkSession, path: str) -> DataFrame:
    # Every column as text: type inference would turn "007" into 7 and "'05" into null.
    return (
        spark.read.option("header", True)
        .option("inferSchema", False)
        .option("multiLine", True)
        .option("escape", '"')
        .option("mode", "PERMISSIVE")
        .csv(path)
    )


def _looks_like_csv(path: str) -> bool:
    if path.lower().endswith((".csv", ".csv.gz", ".tsv")):
        return True
    if os.path.isdir(path):
        names = [n for n in os.listdir(path) if not n.startswith((".", "_"))]
        return bool(names) and all(n.lower().endswith((".csv", ".csv.gz")) for n in names)
    return False


def _read_catalog(spark: SparkSession, path: str) -> DataFrame:
    if is_delta_table(path):
        return read_delta(spark, path)
    if _looks_like_csv(path):
        return _read_csv(spark, path)
    return spark.read.parquet(path)


def _put_back_shifted(raw: DataFrame, path: str) -> DataFrame:
    """The file's right-shifted rows put back (`catalog.shifted_rows`): in this
    format a row that lost its source id slid one column right. Counted and
    logged: the files are benchmark-sized, and a repair should never be silent."""
    if "id" not in raw.columns:
        return raw
    order = tuple(raw.columns[raw.columns.index("id") :])
    if not {"number", "length", "year"} <= set(order):
        return raw
    fixed = repair_shifted(
        raw, Layout(order, track_number="number", duration="length", year="year")
    )
    token = F.lower(F.regexp_replace("id", r"\s", ""))
    empty_ids = F.col("id").isNull() | token.isin(*sorted(NULL_TOKENS))
    moved = raw.filter(empty_ids).count() - fixed.filter(empty_ids).count()
    if moved:
        get_logger().info(
            "%s: %d rows had lost their source id and slid one column right; put back", path, moved
        )
    return fixed


def _read_musicbrainz_dapo(spark: SparkSession, path: str) -> DataFrame:
    raw = _read_csv(spark, path)
    missing = [c for c in MUSICBRAINZ_DAPO_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(f"{path} is not a MusicBrainz dapo file: no column {', '.join(missing)}")
    raw = _put_back_shifted(raw, path)
    renamed = raw
    for src, dst in MUSICBRAINZ_DAPO_COLUMNS.items():
        renamed = renamed.withColumnRenamed(src, dst)
    return renamed


def conform(df: DataFrame) -> DataFrame:
    """Catalog columns first, as strings (missing optional ones as null), then
    the passthrough columns, then the input order column."""
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(
            f"input has no {', '.join(missing)} column (has: {', '.join(df.columns[:12])})"
        )
    clashes = sorted(set(df.columns) & RESERVED_COLUMNS)
    if clashes:
        raise InputError(f"input columns clash with tracklink's own: {', '.join(clashes)}")
    catalog = [
        (F.col(f"`{c}`").cast("string") if c in df.columns else F.lit(None).cast("string")).alias(c)
        for c in CATALOG_COLUMNS
    ]
    passthrough = [F.col(f"`{c}`") for c in df.columns if c not in CATALOG_COLUMNS]
    return df.select(*catalog, *passthrough).withColumn(ROW_ORDER, F.monotonically_increasing_id())


def read_input(spark: SparkSession, path: str, input_format: str) -> DataFrame:
    """The input at `path` in the catalog schema (see `catalog.schema`)."""
    if input_format not in INPUT_FORMATS:
        raise InputError(
            f"unknown input format {input_format!r} (expected one of {', '.join(INPUT_FORMATS)})"
        )
    _check_exists(path)
    try:
        if input_format == "musicbrainz-dapo":
            df = _read_musicbrainz_dapo(spark, path)
        else:
            df = _read_catalog(spark, path)
    except AnalysisException as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError(f"cannot read {path}: {first}") from None
    return conform(df)
