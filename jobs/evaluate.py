"""Score a resolved output against ground truth: pairwise and B-cubed P/R/F1,
the precision-recall curve of the links over thresholds (PNG and CSV), and the
worst false merges and missed pairs (CSV, with both records side by side).

    python -m jobs.evaluate --output DIR --truth COLUMN [--as-of-version N] [--report DIR]

The truth column must have passed through the input (e.g. `true_entity_id` of
a generated catalogue, `CID` of MusicBrainz). The figures are printed and
logged to the MLflow run that produced that version of the tables.
"""

from __future__ import annotations

import argparse
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conf.config import load_config
from evaluation.metrics import format_scores
from evaluation.output import evaluate_output, write_diagnostics
from jobs.cli import add_config_arguments, run_cli
from runtime.spark import get_spark
from runtime.tracking import RunTracker
from storage.delta import DeltaStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tracklink evaluate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--output", required=True, help="the resolve job's output folder")
    parser.add_argument("--truth", required=True, metavar="COLUMN")
    parser.add_argument(
        "--as-of-version",
        type=int,
        default=None,
        metavar="N",
        help="evaluate this version of the tables (default: the latest)",
    )
    parser.add_argument(
        "--report",
        default=None,
        metavar="DIR",
        help="where the threshold curve (PNG, CSV) and the worst errors (CSV) go "
        "(default: OUTPUT/_reports/clusters-vN)",
    )
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.overrides)
    spark = get_spark(cfg.spark)
    store = DeltaStore(spark, args.output, cfg.output.delta_engine)
    scores = evaluate_output(store, args.truth, args.as_of_version)
    print(format_scores(scores))
    version = store.version("clusters") if args.as_of_version is None else args.as_of_version
    folder = args.report or os.path.join(args.output, "_reports", f"clusters-v{version}")
    paths = write_diagnostics(
        store, args.truth, folder, cfg.clustering.threshold, args.as_of_version
    )
    for path in paths.values():
        print(f"  wrote {path}")
    run_id = store.run_that_wrote("clusters", args.as_of_version)
    with RunTracker(
        cfg.tracking, args.output, run_name="evaluate", resume_run_id=run_id
    ) as tracker:
        tracker.metrics({f"eval_{k}": v for k, v in scores.as_dict().items()})
        for path in paths.values():
            tracker.artifact_file(path, "evaluation")
    return 0


if __name__ == "__main__":
    run_cli(main)
