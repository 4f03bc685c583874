"""Resolve a music catalogue into Delta tables (see `pipeline` for the stages,
`pipeline.tables` for what each table holds).

    tracklink resolve --input PATH|TABLE --output DIR [--map ROLE=COLUMN ...]
                      [--input-format catalog|musicbrainz-dapo]
                      [--mode full|incremental] [--truth COLUMN]
                      [--config conf/local.yaml] [--set key=value ...]
    python -m jobs.resolve ...          (the same arguments)
    spark-submit jobs/resolve.py ...    (the same arguments)

`--mode incremental` adds new or changed records to an earlier run's output.
A run holds `<output>/_lock`, is tracked in MLflow, and checks that input rows
= resolved rows + quarantined rows.
"""

from __future__ import annotations

import argparse
import os
import sys

if __package__ in (None, ""):  # `spark-submit jobs/resolve.py` without --py-files
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jobs.cli import add_config_arguments, add_input_arguments, load_job_config, run_cli
from pipeline import MODES, RunInput, check_config, format_summary, resolve
from runtime.spark import get_spark


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tracklink resolve",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_arguments(parser)
    parser.add_argument("--output", required=True, help="folder for the Delta tables")
    parser.add_argument(
        "--mode",
        default="full",
        choices=tuple(MODES),
        help="full: resolve the input from scratch; incremental: add new or changed "
        "records to the output of an earlier run",
    )
    parser.add_argument(
        "--truth",
        default=None,
        metavar="COLUMN",
        help="ground-truth column of the input: evaluate at the end (never used to resolve)",
    )
    add_config_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = load_job_config(args)
    check_config(cfg)
    spark = get_spark(cfg.spark)
    source = RunInput(args.input, args.input_format, args.truth)
    print(format_summary(resolve(spark, cfg, source, args.output, args.mode)))
    return 0


if __name__ == "__main__":
    run_cli(main)
