"""A blocking key's members, grouped with numpy instead of Spark's `collect_set`.

Most keys in a catalogue belong to one record, and Spark's set aggregate
builds a set object per key on both sides of its shuffle (falling back to
sorting them once a task holds more than a few keys): at a million records
it was most of the skew guard's time. Here the keys are shuffled by key as
plain rows (two longs, the weight, the limit, the blocker and the key),
sorted within each partition, and grouped a few thousand rows at a time: a
key's size, its distinct members, and whether it is over its limit come out
of a few vectorised passes. Spark's aggregate stays for members that are
not 64-bit ids (`guarded_blocks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, LongType, StringType, StructField, StructType

# Rows per Arrow batch handed back to Spark.
_BATCH_ROWS = 65_536

GROUPED = StructType(
    [
        StructField("key_id", LongType()),
        StructField("blocker", StringType()),
        StructField("block_size", LongType()),
        StructField("key", StringType()),
        StructField("members", ArrayType(LongType())),
    ]
)


def group_rows(table: pa.Table) -> pa.Table:
    """Key rows (`key_id`, `blocker`, `key`, `_member`, `_weight`,
    `_limit`; every row of each key they hold, see `whole_keys`) -> one row
    per key that is over its limit (`members` null, `key` kept for the
    report) or holds two or more distinct members (`members` sorted, `key`
    null), as `GROUPED`."""
    key = table.column("key_id").to_numpy()
    member = table.column("_member").to_numpy()
    weight = table.column("_weight").to_numpy()
    limit = table.column("_limit").to_numpy()
    order = np.lexsort((member, key))
    key, member, weight = key[order], member[order], weight[order]
    starts_mask = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(starts_mask)
    size = np.add.reduceat(weight, starts) if len(starts) else np.zeros(0, dtype=np.int64)
    first_of_member = starts_mask | np.r_[True, member[1:] != member[:-1]][: len(member)]
    distinct = (
        np.add.reduceat(first_of_member.astype(np.int64), starts)
        if len(starts)
        else np.zeros(0, dtype=np.int64)
    )
    over = size > limit[order[starts]]
    kept = over | (distinct >= 2)
    listed = kept & ~over
    group = np.cumsum(starts_mask) - 1
    values = member[first_of_member & listed[group]]
    counts = np.where(listed, distinct, 0)[kept]
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
    members = pa.ListArray.from_arrays(
        pa.array(offsets), pa.array(values, pa.int64()), mask=pa.array(over[kept])
    )
    first_rows = pa.array(order[starts[kept]])
    keys = table.column("key").take(first_rows)
    return pa.table(
        {
            "key_id": pa.array(key[starts[kept]], pa.int64()),
            "blocker": table.column("blocker").take(first_rows),
            "block_size": pa.array(size[kept], pa.int64()),
            "key": pc.if_else(pa.array(over[kept]), keys, pa.nulls(len(keys), pa.string())),
            "members": members,
        }
    )


def whole_keys(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.Table]:
    """Key rows sorted by `key_id`, in batches -> tables that each hold every
    row of their keys. A key's rows that reach past a batch wait for the
    next; once they are over the key's limit they wait as one row carrying
    their summed weight (its members no longer matter), so a key shared by
    millions of rows never sits in memory whole."""
    carry: pa.Table | None = None
    for batch in batches:
        table = pa.Table.from_batches([batch])
        if carry is not None:
            table = pa.concat_tables([carry, table])
        if not table.num_rows:
            continue
        key = table.column("key_id").to_numpy()
        last = int(np.searchsorted(key, key[-1]))
        carry = _summed_if_over(table.slice(last))
        if last:
            yield table.slice(0, last)
    if carry is not None:
        yield carry


def _summed_if_over(rows: pa.Table) -> pa.Table:
    """One key's rows, or one row of them carrying their summed weight when
    that is over the key's limit."""
    weight = pc.sum(rows.column("_weight")).as_py()
    if weight <= rows.column("_limit")[0].as_py():
        return rows
    first = rows.slice(0, 1)
    column = first.schema.get_field_index("_weight")
    # The field as it came (Spark marks it not null), or the tables no longer concatenate.
    return first.set_column(column, first.schema.field(column), pa.array([weight], pa.int64()))


def grouped_keys(keyed: DataFrame, member: str, size: Column, limit: Column) -> DataFrame:
    """`keyed` (`key_id`, `blocker`, `key` and `member`, a long never null)
    -> `GROUPED`: one row per key over its `limit` or with two or more
    distinct members. `size`: what a row adds to its block's size; `limit`:
    the block's limit, the same on every row of a key. Shuffled by key and
    sorted within each partition (Spark spills what does not fit), then
    grouped a few batches at a time."""
    rows = (
        keyed.select(
            "key_id",
            "blocker",
            "key",
            F.col(member).alias("_member"),
            size.cast("long").alias("_weight"),
            limit.cast("long").alias("_limit"),
        )
        .repartition("key_id")
        .sortWithinPartitions("key_id")
    )

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for table in whole_keys(batches):
            yield from group_rows(table).to_batches(max_chunksize=_BATCH_ROWS)

    return rows.mapInArrow(run, GROUPED)
