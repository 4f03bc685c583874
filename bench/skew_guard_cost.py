"""What grouping the exact keys into blocks costs Spark, over a finished run's keys.

    python bench/skew_guard_cost.py --output OUT [--copies 10] [--repeat 2]

Reads the exact keys (every blocker but MinHash) from a tracklink output's
`block_keys`, `--copies` times over with the copy's number appended to each
record id and key (so a 100k run's keys stand in for a catalogue ten times
larger, blocks and all), writes them to a scratch Parquet file, and times
`blocking.candidates.record_blocks` on them as a full run calls it: the
blocks kept in memory, the skew guard's report, then the blocks counted.
Prints each of `--repeat` runs in seconds and what they found. A measurement
script, not a test: compare two checkouts one after the other.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyspark.sql import DataFrame  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from blocking.candidates import record_blocks  # noqa: E402
from blocking.minhash import BLOCKER as MINHASH  # noqa: E402
from blocking.registry import block_size_caps  # noqa: E402
from conf.config import load_config  # noqa: E402
from runtime.spark import get_spark  # noqa: E402
from storage.delta import read_delta  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", required=True, help="a finished tracklink output folder")
    ap.add_argument("--copies", type=int, default=10, help="each key row this many times")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    cfg = load_config()
    spark = get_spark(cfg.spark)
    copies = spark.range(args.copies).withColumnRenamed("id", "copy")
    keys = (
        read_delta(spark, f"{args.output}/block_keys")
        .where(F.col("blocker") != MINHASH)
        .crossJoin(copies)
        .select(
            F.concat_ws("#", "record_id", "copy").alias("record_id"),
            "kind_norm",
            "blocker",
            F.concat_ws("#", "key", "copy").alias("key"),
        )
    )
    caps = block_size_caps(cfg.blocking)
    with tempfile.TemporaryDirectory() as scratch:
        keys.write.parquet(f"{scratch}/keys")
        table = spark.read.parquet(f"{scratch}/keys")
        print(f"{table.count():,} key rows ({args.copies} copies)")
        kept: list[DataFrame] = []

        def keep(df: DataFrame) -> DataFrame:
            df = df.cache()
            kept.append(df)
            return df

        for run in range(1, args.repeat + 1):
            start = time.perf_counter()
            blocks, report = record_blocks(table, cfg.blocking.max_block_size, caps, keep=keep)
            count = blocks.count()
            seconds = time.perf_counter() - start
            print(
                f"run {run}: {seconds:6.2f} s, {count:,} blocks kept, "
                f"{report.dropped_keys:,} dropped ({report.dropped_memberships:,} memberships, "
                f"largest {report.largest_block})"
            )
            while kept:
                kept.pop().unpersist()


if __name__ == "__main__":
    main()
