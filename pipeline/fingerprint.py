"""Whether a full run repeats the last finished one, and which of its tables
would come out the same.

A full run whose input, config and running model are those of the last
finished full run writes nothing that is unchanged: it compares each table's
new content with the stored one (a digest of every row but its run id) and
commits only the tables that differ, and no `runs` row when none does. The
comparison is only made when the fingerprints match, so other runs pay nothing.
"""

from __future__ import annotations

import hashlib
import os

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DoubleType, FloatType

from storage.delta import is_delta_table

# Columns a rerun gives new values without changing the result.
RUN_COLUMNS = ("run_id", "created_at")


def input_fingerprint(source: str) -> str | None:
    """A local input's identity: each file's path, size and modification time
    (a Delta table's version). None where it cannot be told cheaply (a URI,
    a metastore table): such a run is never taken for a repeat."""
    if "://" in source and not source.startswith("file://"):
        return None
    path = source.removeprefix("file://")
    if not os.path.exists(path):
        return None
    if is_delta_table(path):
        from deltalake import DeltaTable

        return f"delta:{os.path.abspath(path)}@{DeltaTable(path).version()}"
    entries = []
    for folder, _, files in os.walk(path) if os.path.isdir(path) else [("", [], [path])]:
        for name in sorted(files):
            full = os.path.join(folder, name)
            st = os.stat(full)
            entries.append(f"{os.path.abspath(full)}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()[:24]


# Decimals a digest keeps of a floating-point value: scoring the same pairs
# again differs in the last bits (summation order), not in what they mean.
DIGITS = 9


def _settled(df: DataFrame, name: str) -> Column:
    col = F.col(f"`{name}`")
    kind = df.schema[name].dataType
    if isinstance(kind, (DoubleType, FloatType)):
        return F.round(col, DIGITS).alias(name)
    if isinstance(kind, ArrayType) and isinstance(kind.elementType, (DoubleType, FloatType)):
        return F.transform(col, lambda x: F.round(x, DIGITS)).alias(name)
    return col


def content_digest(df: DataFrame) -> tuple[int, str]:
    """(rows, an order-free digest of every row but its run columns, floats
    to `DIGITS` decimals)."""
    cols = [c for c in df.columns if c not in RUN_COLUMNS]
    row_hash = F.xxhash64(F.to_json(F.struct(*[_settled(df, c) for c in cols])))
    out = df.agg(
        F.count(F.lit(1)).alias("n"), F.sum(row_hash.cast("decimal(38,0)")).alias("h")
    ).collect()[0]
    return int(out["n"]), str(out["h"])


def same_content(new: DataFrame, stored: DataFrame) -> bool:
    if sorted(new.columns) != sorted(stored.columns):
        return False
    return content_digest(new) == content_digest(stored.select(*new.columns))
