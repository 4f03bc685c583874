"""Separate rows that can be resolved from rows that go to quarantine, with a reason.

Nothing is dropped: every input row is in exactly one of the two outputs.

Quarantine schema: `record_id` (string, may be null), `source`, `reason`
(one of `REASONS`), `raw` (the whole input row as JSON; a CSV row's
`_input_line` says its file and line, and for a `malformed_row` the line's
problem and its text as it was).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from catalog.schema import INPUT_LINE, ROW_ORDER
from catalog.vocabulary import NULL_TOKENS
from conf.config import ValidationConfig

MALFORMED_ROW = "malformed_row"
MISSING_RECORD_ID = "missing_record_id"
MISSING_TITLE = "missing_title"
DUPLICATE_RECORD_ID = "duplicate_record_id"
REASONS = (MALFORMED_ROW, MISSING_RECORD_ID, MISSING_TITLE, DUPLICATE_RECORD_ID)

_REASON = "_quarantine_reason"

# What carries no text: whitespace, control characters and format characters
# (zero-width space and joiners, word joiner, BOM), as `catalog.text.INVISIBLE`.
_INVISIBLE = r"[\s\p{Z}\p{Cc}\p{Cf}]+"


def _blank(col: Column) -> Column:
    return col.isNull() | (F.regexp_replace(col, _INVISIBLE, "") == "")


def null_value(col: Column) -> Column:
    """True where a raw value is missing, invisible or a null token ("null",
    "n/a", ...): `catalog.text.is_null` as a Spark expression."""
    squeezed = F.lower(F.regexp_replace(col, _INVISIBLE, ""))
    return col.isNull() | squeezed.isin(*sorted(NULL_TOKENS))


def split_valid(df: DataFrame, cfg: ValidationConfig) -> tuple[DataFrame, DataFrame]:
    """(rows to resolve, quarantined rows). Of the rows that are otherwise
    valid, the first with a record_id, in input order, is the one kept; later
    ones with the same id are duplicates. A row without a title does not take
    the id from a valid row after it."""
    malformed = (
        F.col(f"{INPUT_LINE}.problem").isNotNull() if INPUT_LINE in df.columns else F.lit(False)
    )
    reason = F.when(malformed, F.lit(MALFORMED_ROW)).when(
        _blank(F.col("record_id")), F.lit(MISSING_RECORD_ID)
    )
    if cfg.missing_title == "quarantine":
        reason = reason.when(null_value(F.col("title")), F.lit(MISSING_TITLE))
    marked = df.withColumn(_REASON, reason)
    first_seen = F.row_number().over(
        Window.partitionBy("record_id", F.col(_REASON).isNull()).orderBy(ROW_ORDER)
    )
    marked = marked.withColumn(
        _REASON,
        F.when(F.col(_REASON).isNull() & (first_seen > 1), F.lit(DUPLICATE_RECORD_ID)).otherwise(
            F.col(_REASON)
        ),
    )

    valid = marked.filter(F.col(_REASON).isNull()).drop(_REASON, INPUT_LINE)
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
