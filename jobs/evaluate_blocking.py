"""Measure blocking alone against ground truth: pair completeness, reduction ratio
and candidates per record, for the union of blockers and for each one.

    python -m jobs.evaluate_blocking --input PATH --truth COLUMN [--map ROLE=COLUMN ...]
                                     [--config ...] [--set key=value ...]
"""

from __future__ import annotations

import argparse
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pyspark.sql import functions as F

from blocking import candidate_pairs, describe_minhash
from catalog import normalise, read_input, split_valid
from catalog.profile import profile_roles
from conf.errors import InputError
from evaluation.blocking_quality import blocking_quality, format_blocking_quality, missed_pairs
from jobs.cli import add_config_arguments, add_input_arguments, load_job_config, run_cli
from runtime.progress import StageTimer
from runtime.spark import get_spark
from runtime.tracking import RunTracker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tracklink evaluate-blocking",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_arguments(parser)
    parser.add_argument("--truth", required=True, metavar="COLUMN")
    parser.add_argument(
        "--missed",
        default=None,
        metavar="PATH.csv",
        help="write the true pairs no blocker proposed, with both records' normalised fields",
    )
    parser.add_argument(
        "--output", default=None, help="folder for the MLflow store (default: none, no tracking)"
    )
    add_config_arguments(parser)
    args = parser.parse_args(argv)

    cfg = load_job_config(args)
    spark = get_spark(cfg.spark)
    timer = StageTimer(spark, cfg.progress.heartbeat_s)
    raw = read_input(spark, args.input, cfg.input)
    if args.truth not in raw.columns:
        raise InputError(f"--truth {args.truth}: no such column in the input")
    valid, _ = split_valid(raw, cfg.validation)
    records = normalise(valid, cfg.normalise).cache()
    roles = profile_roles(records, cfg.roles, cfg.input.embeddings)
    for line in roles.lines():
        timer.note(line)
    with timer.stage("blocking"):
        timer.note(describe_minhash(cfg.blocking))
        candidates, skew = candidate_pairs(
            records, cfg.blocking, usable=roles.usable, vectors=roles.vectors
        )
    if skew.dropped_keys:
        timer.note(
            "skew guard dropped %d keys (largest %d): %s",
            skew.dropped_keys,
            skew.largest_block,
            ", ".join(skew.examples),
        )
    truth = records.select("record_id", F.col(f"`{args.truth}`").alias("truth_id"))
    rows = blocking_quality(truth, candidates)
    print(format_blocking_quality(rows))
    print(f"blocking wall time {timer.seconds['blocking']:.1f}s")
    if args.missed:
        fields = ["record_id", "title_norm", "artist_norm", "album_norm", "duration_s", "year"]
        side = lambda s: records.select(  # noqa: E731
            [
                F.col(c).alias(f"{c}_{s}") if c != "record_id" else F.col(c).alias(f"record_id_{s}")
                for c in fields
            ]
        )
        missed = (
            missed_pairs(truth, candidates)
            .join(side("l"), "record_id_l")
            .join(side("r"), "record_id_r")
        )
        missed.toPandas().sort_values(["record_id_l", "record_id_r"]).to_csv(
            args.missed, index=False
        )
        print(f"missed true pairs written to {args.missed}")
    if args.output:
        tracking = cfg.tracking
        with RunTracker(tracking, args.output, run_name="evaluate_blocking") as tracker:
            tracker.params(cfg.to_dict())
            tracker.metrics(
                {
                    f"{q.blocker}_{k}": v
                    for q in rows
                    for k, v in q.as_dict().items()
                    if k != "blocker"
                }
            )
            tracker.metrics({"blocking_seconds": timer.seconds["blocking"]})
            # which data and which LSH curves (and encoder) these figures belong to
            tracker.tags(
                {
                    "input": args.input,
                    "truth": args.truth,
                    "lsh": describe_minhash(cfg.blocking),
                    "blockers": ",".join(q.blocker for q in rows if q.blocker != "all"),
                }
            )
    return 0


if __name__ == "__main__":
    run_cli(main)
