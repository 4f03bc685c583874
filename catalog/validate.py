"""Separate rows that can be resolved from rows that go to quarantine, with a reason.

Nothing is dropped: every input row is in exactly one of the two outputs.

Quarantine schema: `record_id` (string, may be null), `source`, `reason`
(one of `REASONS`), `raw` (the whole input row as JSON).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from catalog.schema import ROW_ORDER
from catalog.vocabulary import NULL_TOKENS
from conf.config import ValidationConfig

MISSING_RECORD_ID = "missing_record_id"
MISSING_TITLE = "missing_title"
DUPLICATE_RECORD_ID = "duplicate_record_id"
REASONS = (MISSING_RECORD_ID, MISSING_TITLE, DUPLICATE_RECORD_ID)

_REASON = "_quarantine_reason"


def _blank(col: Column) -> Column:
    return col.isNull() | (F.trim(col) == "")


def null_value(col: Column) -> Column:
    """True where a raw value is missing or a null token ("null", "n/a", ...):
    `catalog.text.is_null` as a Spark expression."""
    squeezed = F.lower(F.regexp_replace(F.trim(col), r"\s+", ""))
    return col.isNull() | squeezed.isin(*sorted(NULL_TOKENS))


def split_valid(df: DataFrame, cfg: ValidationConfig) -> tuple[DataFrame, DataFrame]:
    """(rows to resolve, quarantined rows). The first row with a record_id, in
    input order, is the one kept; later rows with the same id are duplicates."""
    first_seen = F.row_number().over(Window.partitionBy("record_id").orderBy(ROW_ORDER))
    reason = F.when(_blank(F.col("record_id")), F.lit(MISSING_RECORD_ID))
    if cfg.missing_title == "quarantine":
        reason = reason.when(null_value(F.col("title")), F.lit(MISSING_TITLE))
    reason = reason.when(first_seen > 1, F.lit(DUPLICATE_RECORD_ID))
    marked = df.withColumn(_REASON, reason)

    valid = marked.filter(F.col(_REASON).isNull()).drop(_REASON)
    raw_columns = [c for c in df.columns if c != ROW_ORDER]
    quarantine = marked.filter(F.col(_REASON).isNotNull()).select(
        F.col("record_id"),
        F.col("source"),
        F.col(_REASON).alias("reason"),
        F.to_json(
            F.struct(*[F.col(f"`{c}`") for c in raw_columns]), {"ignoreNullFields": "false"}
        ).alias("raw"),
    )
    return valid, quarantine
