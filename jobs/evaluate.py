"""Score a resolved output against ground truth: pairwise and B-cubed P/R/F1,
the precision-recall curve of the links over thresholds (PNG and CSV), and the
worst false merges and missed pairs (CSV, with both records side by side).

    python -m jobs.evaluate --output DIR --truth COLUMN [--as-of-version N] [--report DIR]
    python -m jobs.evaluate --output DIR --golden [--as-of-version N] [--report DIR]
    python -m jobs.evaluate --output DIR --works-truth COLUMN [--as-of-version N]

The truth column must have passed through the input (e.g. `true_entity_id` of
a generated catalogue, `CID` of MusicBrainz). `--golden` scores the run
against the `labels` table instead (`tracklink label`): pairwise precision,
recall and F1 of "both records in one cluster" over the judged pairs, with
95% bootstrap intervals, over all labels and over the randomly picked ones
alone (the unbiased estimate), and writes the pairs where the run and the
labels disagree (golden_disagreements.csv). The figures are printed and
logged to the MLflow run that produced that version of the tables.

`--works-truth COLUMN` scores the `works` table against a passed-through
column that names each record's song (an ISWC, a work id, SHS100K's
`set_id`): pairwise and B-cubed P/R/F1 over the audio records in a work (each
cluster's primary work), beside the naive grouping by title for scale.
"""

from __future__ import annotations

import argparse
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conf.config import load_config
from conf.errors import InputError
from evaluation.golden import judged_against_clusters, score_pairs
from evaluation.metrics import format_scores
from evaluation.output import evaluate_output, write_diagnostics
from evaluation.works_quality import score_groups, title_only_groups, works_of_records
from jobs.cli import add_config_arguments, run_cli
from labelling.table import current_labels
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
    parser.add_argument("--truth", default=None, metavar="COLUMN")
    parser.add_argument(
        "--golden", action="store_true", help="score against the labels table (tracklink label)"
    )
    parser.add_argument(
        "--works-truth",
        default=None,
        metavar="COLUMN",
        help="score the works against this passed-through column (the song of each record)",
    )
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
    if not (args.truth or args.golden or args.works_truth):
        raise InputError(
            "say what to score against: --truth COLUMN, --golden or --works-truth COLUMN"
        )
    cfg = load_config(args.config, args.overrides)
    spark = get_spark(cfg.spark)
    store = DeltaStore.for_output(spark, args.output, cfg.output)
    if args.golden:
        evaluate_golden(cfg, store, args)
    if args.truth:
        evaluate_truth(cfg, store, args)
    if args.works_truth:
        evaluate_works(cfg, store, args)
    return 0


def _report_folder(args, store: DeltaStore) -> str:
    version = store.version("clusters") if args.as_of_version is None else args.as_of_version
    return args.report or os.path.join(args.output, "_reports", f"clusters-v{version}")


def evaluate_golden(cfg, store: DeltaStore, args) -> None:
    labels = current_labels(store)
    if labels is None:
        raise InputError(f"{args.output}: no labels table; run tracklink label first")
    pairs = store.read("pairs", args.as_of_version) if store.version("pairs") is not None else None
    judged = judged_against_clusters(
        labels, store.read("clusters", args.as_of_version), pairs
    ).toPandas()
    if judged.empty:
        raise InputError("the labels table holds no match or non_match judgement")
    resamples = cfg.training.bootstrap
    y = (judged["label"] == "match").to_numpy()
    figures = {"golden": score_pairs(y, judged["predicted"].to_numpy(), resamples)}
    random = (judged["picked_by"] == "random").to_numpy()
    if random.any():
        figures["golden_random"] = score_pairs(
            y[random], judged["predicted"].to_numpy()[random], resamples
        )
    print(f"against the labels ({store.path('labels')}):")
    print(f"  all judged pairs      {figures['golden'].line()}")
    if "golden_random" in figures:
        print(f"  randomly picked only  {figures['golden_random'].line()}")
    folder = _report_folder(args, store)
    os.makedirs(folder, exist_ok=True)
    wrong = judged[(judged["label"] == "match") != judged["predicted"]]
    path = os.path.join(folder, "golden_disagreements.csv")
    wrong.to_csv(path, index=False)
    print(f"  {len(wrong):,} disagreements: wrote {path}")
    _log_into_run(cfg, store, args, _prefixed(figures), [path])


def evaluate_truth(cfg, store: DeltaStore, args) -> None:
    scores = evaluate_output(store, args.truth, args.as_of_version)
    print(format_scores(scores))
    folder = _report_folder(args, store)
    paths = write_diagnostics(
        store, args.truth, folder, cfg.clustering.threshold, args.as_of_version
    )
    for path in paths.values():
        print(f"  wrote {path}")
    metrics = {f"eval_{k}": v for k, v in scores.as_dict().items()}
    _log_into_run(cfg, store, args, metrics, list(paths.values()))


def evaluate_works(cfg, store: DeltaStore, args) -> None:
    column = args.works_truth
    clusters = store.read("clusters", args.as_of_version)
    if column not in clusters.columns:
        raise InputError(
            f"{column!r} is not a column of clusters; pass it through the input "
            f"(the clusters table has {', '.join(clusters.columns)})"
        )
    if store.version("works") is None:
        raise InputError(f"{args.output}: no works table; run tracklink resolve first")
    records = works_of_records(
        clusters.select("record_id", "cluster_id", "title", column),
        store.read("works", args.as_of_version),
    ).cache()
    try:
        figures = {
            "works": score_groups(records, "work_id", column),
            "works_title_only": score_groups(
                title_only_groups(records, "title"), "title_group", column
            ),
        }
    finally:
        records.unpersist()
    print(f"works against {column}:")
    print(f"  works       {format_scores(figures['works'])}")
    print(f"  title only  {format_scores(figures['works_title_only'])}")
    _log_into_run(cfg, store, args, _prefixed(figures), [])


def _prefixed(figures: dict) -> dict[str, float]:
    return {
        f"eval_{prefix}_{k}": v
        for prefix, scores in figures.items()
        for k, v in scores.as_dict().items()
    }


def _log_into_run(
    cfg, store: DeltaStore, args, metrics: dict[str, float], files: list[str]
) -> None:
    """Into the MLflow run that wrote the evaluated version of the tables."""
    run_id = store.run_that_wrote("clusters", args.as_of_version)
    with RunTracker(
        cfg.tracking, args.output, run_name="evaluate", resume_run_id=run_id
    ) as tracker:
        tracker.metrics(metrics)
        for path in files:
            tracker.artifact_file(path, "evaluation")


if __name__ == "__main__":
    run_cli(main)
