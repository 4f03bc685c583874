"""Generate a realistic, dirty music catalogue with ground truth (see catalog.generator).

    python -m jobs.generate_catalog --records N --seed S --output PATH [--format parquet|csv|delta]
                                    [--vector-dim D]

`--vector-dim D` adds `audio_embedding`, a D-long recording embedding per
record (`catalog.generated_vectors`; not with --format csv).

The same (records, seed) gives the same rows on every machine.
"""

from __future__ import annotations

import argparse
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from catalog.generated_vectors import with_recording_vectors
from catalog.generator import generate_catalog
from conf.config import load_config
from conf.errors import InputError
from jobs.cli import add_config_arguments, run_cli
from runtime.progress import StageTimer
from runtime.spark import get_spark
from storage.delta import DeltaStore


def write_catalog(df, output: str, fmt: str) -> None:
    if fmt == "parquet":
        df.write.mode("overwrite").parquet(output)
    elif fmt == "csv":
        df.write.mode("overwrite").option("header", True).option("escape", '"').csv(output)
    else:
        parent, name = os.path.split(os.path.abspath(output.rstrip("/")))
        DeltaStore(df.sparkSession, parent).write(df, name, metadata={"generator": "tracklink"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tracklink generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", required=True)
    parser.add_argument("--format", choices=("parquet", "csv", "delta"), default="parquet")
    parser.add_argument(
        "--vector-dim",
        type=int,
        default=0,
        help="add an audio_embedding column of this length (0: none)",
    )
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    if args.records < 1:
        raise InputError("--records must be at least 1")
    if args.vector_dim and args.format == "csv":
        raise InputError("--vector-dim: a CSV cannot hold vectors; use parquet or delta")
    cfg = load_config(args.config, args.overrides)
    spark = get_spark(cfg.spark)
    timer = StageTimer()
    with timer.stage("generate"):
        df = generate_catalog(spark, args.records, args.seed)
        if args.vector_dim:
            df = with_recording_vectors(df, args.vector_dim, args.seed)
        write_catalog(df, args.output, args.format)
    print(
        f"wrote {args.records:,} records (seed {args.seed}) to {args.output} as {args.format} "
        f"in {timer.seconds['generate']:.1f}s"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
