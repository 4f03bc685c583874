"""Label candidate pairs of a resolved output, or import golden labels, into
its `labels` Delta table.

    tracklink label --output DIR [--batch N] [--labeller NAME]
    tracklink label --output DIR --import PAIRS.csv          (id_l,id_r,label)
    tracklink label --output DIR --import FILE --cluster-column COL   (record_id,COL)
    tracklink label --output DIR --cluster-column COL        (a column the run passed through)

Without --import or --cluster-column: a labelling session over the last
run's pairs. It shows the pairs whose label would teach the model the most
(`labelling.selection`: near the threshold, Splink and the pair model
disagreeing, weak links in large clusters) and a few random ones, two
records side by side with the fields that differ marked (`*`). Keys: m
match, n non-match, u unsure, b back, q quit. Answers are saved as you go;
run it again to go on where you stopped. Then `tracklink train`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conf.errors import InputError
from jobs.cli import add_config_arguments, load_job_config, run_cli
from labelling.console import Session
from labelling.importer import as_label_rows, pairs_from_clusters, pairs_from_file, read_table_file
from labelling.selection import pick_pairs
from labelling.shown import with_values
from labelling.table import LABELS, append_labels, current_labels, label_rows
from runtime.spark import get_spark
from storage.delta import DeltaStore


def resolved_store(spark, cfg, output: str) -> DeltaStore:
    store = DeltaStore.for_output(spark, output, cfg.output)
    missing = [t for t in ("pairs", "records", "clusters") if store.version(t) is None]
    if missing:
        raise InputError(
            f"{output}: no resolved run here (no {', '.join(missing)} table); run tracklink resolve first"
        )
    return store


def run_threshold(store: DeltaStore, default: float) -> float:
    """The threshold the last run clustered at (a champion may bring its own)."""
    if store.version("runs") is None:
        return default
    row = store.read("runs").orderBy("started_at", ascending=False).select("model_inputs").first()
    try:
        return float(json.loads(row.model_inputs or "{}").get("threshold", default))
    except (TypeError, ValueError, AttributeError):
        return default


def import_labels(args, spark, store: DeltaStore) -> int:
    records = store.read("records")
    run_id = store.run_that_wrote("pairs")
    if args.cluster_column:
        source = read_table_file(spark, args.import_path) if args.import_path else records
        if "record_id" not in source.columns:
            raise InputError(
                f"--import {args.import_path}: a cluster file needs a record_id column"
            )
        pairs = pairs_from_clusters(source, store.read("pairs"), args.cluster_column)
        name = f"cluster column {args.cluster_column}"
    else:
        pairs = pairs_from_file(read_table_file(spark, args.import_path), args.import_path)
        name = os.path.basename(args.import_path.rstrip("/"))
    imported = as_label_rows(pairs, records, args.labeller, name, run_id)
    if imported.unknown_records:
        print(
            f"  {imported.unknown_records:,} pairs name records this output does not hold "
            f"(e.g. {', '.join(imported.examples)}): not imported"
        )
    if not imported.pairs:
        raise InputError(f"--import: no pair to import from {name}")
    commit = append_labels(store, imported.rows, f"import {name}")
    print(
        f"imported {imported.pairs:,} labelled pairs ({imported.matches:,} match) from {name} "
        f"into {commit.path} (version {commit.version})"
    )
    return 0


def session(args, spark, cfg, store: DeltaStore) -> int:
    labelled = current_labels(store)
    threshold = run_threshold(store, cfg.clustering.threshold)
    batch = pick_pairs(
        store.read("pairs"), store.read("clusters"), labelled, threshold, cfg.labelling, args.batch
    )
    if batch.empty:
        print("every candidate pair is labelled")
        return 0
    ids = spark.createDataFrame(batch[["record_id_l", "record_id_r"]])
    values = with_values(ids, store.read("records")).toPandas()
    batch = batch.merge(values, on=["record_id_l", "record_id_r"], how="left")
    run_id = store.run_that_wrote("pairs")
    print(
        f"{len(batch)} pairs to label (threshold {threshold:.3f}); m match, n non-match, u unsure, b back, q quit"
    )

    def write(rows: list[dict]) -> None:
        append_labels(store, label_rows(spark, rows), "label")

    counts = Session(batch, write, args.labeller, run_id).run()
    total = current_labels(store)
    summary = (
        {}
        if total is None
        else {r.label: r["count"] for r in total.groupBy("label").count().collect()}
    )
    print(
        f"this session: {sum(counts.values())} answers {counts}; "
        f"{store.path(LABELS)} now holds {sum(summary.values()):,} labelled pairs {summary}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tracklink label",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--output", required=True, help="a resolve job's output folder")
    parser.add_argument(
        "--import",
        dest="import_path",
        default=None,
        metavar="FILE",
        help="golden pairs (CSV or Parquet: id_l,id_r,label), or with "
        "--cluster-column a file of record_id and that column",
    )
    parser.add_argument(
        "--cluster-column",
        default=None,
        metavar="COL",
        help="a column naming each record's true cluster (in --import's file, "
        "or passed through into the run's records)",
    )
    parser.add_argument(
        "--batch", type=int, default=None, help="pairs per session (labelling.batch_size)"
    )
    parser.add_argument("--labeller", default=None, help="who labels (default: the login name)")
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    if args.batch is not None and args.batch < 1:
        raise InputError("--batch must be at least 1")
    args.labeller = args.labeller or _login()
    cfg = load_job_config(args)
    spark = get_spark(cfg.spark)
    store = resolved_store(spark, cfg, args.output)
    if args.import_path or args.cluster_column:
        return import_labels(args, spark, store)
    return session(args, spark, cfg, store)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


if __name__ == "__main__":
    run_cli(main)
