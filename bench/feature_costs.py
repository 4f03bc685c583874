"""What each pair feature costs Spark, over a finished run's pairs.

    python bench/feature_costs.py --output OUT [--copies 4] [--repeat 3]

Reads `pairs` and `records` from a tracklink output, joins both records'
values to every pair once (written to a scratch Parquet file, `--copies`
times over so that a small run's pairs make a measurable table), and then
times, for every registered feature (`linkage.pair_features.FEATURES`),
one aggregate over that feature alone; also all of the packaged model's
features together and the read alone. Prints the fastest of `--repeat`
runs of each, in seconds. A measurement script, not a test: compare
features within one run (the machine's speed drifts between runs).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyspark.sql import Column, DataFrame  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from conf.config import load_config  # noqa: E402
from linkage.pair_features import (  # noqa: E402
    DEFAULT_FEATURES,
    FEATURES,
    SIDE_COLUMNS,
    register_similarity_functions,
    with_sides,
)
from runtime.spark import get_spark  # noqa: E402
from storage.delta import read_delta  # noqa: E402


def fastest(pairs: DataFrame, columns: list[Column], repeat: int) -> float:
    """The fastest of `repeat` runs of one aggregate over `columns`."""
    sums = [F.sum(F.col(f"_{i}").cast("double")) for i in range(len(columns))]
    times = []
    for _ in range(repeat):
        # A new query each time: one DataFrame collected again reuses its
        # shuffle files, and only the final sum would run.
        query = pairs.select(*[c.alias(f"_{i}") for i, c in enumerate(columns)]).agg(*sums)
        start = time.perf_counter()
        query.collect()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", required=True, help="a finished tracklink output folder")
    ap.add_argument("--copies", type=int, default=4, help="each pair this many times")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    spark = get_spark(load_config().spark)
    register_similarity_functions(spark)
    pairs = read_delta(spark, f"{args.output}/pairs").select(
        "record_id_l", "record_id_r", "match_weight"
    )
    copies = spark.range(args.copies).withColumnRenamed("id", "copy")
    # Both records' values joined once: what scoring's pairs carry from Splink.
    records = read_delta(spark, f"{args.output}/records")
    sided = with_sides(pairs.crossJoin(copies), records)
    with tempfile.TemporaryDirectory() as scratch:
        sided.write.parquet(f"{scratch}/pairs")
        table = spark.read.parquet(f"{scratch}/pairs")
        print(f"{table.count():,} pairs ({args.copies} copies), {len(SIDE_COLUMNS)} side columns")
        rows = [("(read only)", fastest(table, [F.col("match_weight")], args.repeat))]
        model = [FEATURES[n].column() for n in DEFAULT_FEATURES]
        rows.append(("(packaged model's together)", fastest(table, model, args.repeat)))
        for name, feature in FEATURES.items():
            rows.append((name, fastest(table, [feature.column()], args.repeat)))
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:6.2f} s")


if __name__ == "__main__":
    main()
