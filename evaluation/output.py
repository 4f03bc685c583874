"""Evaluate a job's output tables against a ground-truth column that passed through."""

from __future__ import annotations

import json
import os

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from conf.errors import InputError
from evaluation.metrics import Scores, score_clusters
from storage.delta import DeltaStore


def version_written_with(store: DeltaStore, table: str, clusters_version: int | None) -> int | None:
    """The version of `table` written by the run that wrote `clusters_version`
    (runs record their table versions); the latest when `clusters_version` is
    None; None when no run did."""
    if clusters_version is None:
        return store.version(table)
    if store.version("runs") is None:
        return None
    for row in store.read("runs").select("table_versions").collect():
        versions = json.loads(row.table_versions or "{}")
        if versions.get("clusters") == clusters_version and table in versions:
            return int(versions[table])
    return None


def output_truth(store: DeltaStore, truth_column: str, version: int | None = None) -> DataFrame:
    """`record_id`, `truth_id` of every input row of the output at `version`
    (default latest): the `clusters` rows, and the quarantined rows of the same
    state (their truth read from the raw JSON), so that a score counts the
    quarantined rows' pairs as missed. Full runs overwrite `quarantine` and
    incremental runs append to it, so the matching version holds exactly the
    rows quarantined so far."""
    clusters = store.read("clusters", version)
    if truth_column not in clusters.columns:
        raise InputError(f"the clusters table has no column {truth_column!r} to evaluate against")
    truth = clusters.select(
        "record_id", F.col(f"`{truth_column}`").cast("string").alias("truth_id")
    )
    q_version = (
        version_written_with(store, "quarantine", version)
        if store.version("quarantine") is not None
        else None
    )
    if q_version is not None:
        q = store.read("quarantine", q_version).filter(F.col("record_id").isNotNull())
        # A repeated id, or one re-delivered valid later, is already in clusters.
        q = (
            q.join(truth.select("record_id"), "record_id", "left_anti")
            .select("record_id", F.get_json_object("raw", f"$.{truth_column}").alias("truth_id"))
            .dropDuplicates(["record_id"])
        )
        truth = truth.unionByName(q)
    return truth


def evaluate_output(store: DeltaStore, truth_column: str, version: int | None = None) -> Scores:
    """Score the `clusters` table (at `version`, default latest) against a truth
    column that passed through; quarantined rows count as unresolved singletons."""
    clusters = store.read("clusters", version)
    truth = output_truth(store, truth_column, version)
    return score_clusters(clusters.select("record_id", "cluster_id"), truth)


def write_diagnostics(
    store: DeltaStore,
    truth_column: str,
    folder: str,
    threshold: float,
    version: int | None = None,
) -> dict[str, str]:
    """The precision-recall curve over thresholds (PNG + CSV) and the worst false
    merges and missed pairs (CSV) of the output at `version`, written to `folder`."""
    from evaluation.diagnostics import plot_curve, threshold_curve, worst_errors

    os.makedirs(folder, exist_ok=True)
    clusters = store.read("clusters", version)
    truth = clusters.select(
        "record_id", F.col(f"`{truth_column}`").cast("string").alias("truth_id")
    ).cache()
    pairs_version = version_written_with(store, "pairs", version)
    if pairs_version is None:
        raise InputError(f"no pairs table version belongs to clusters version {version}")
    pairs = store.read("pairs", pairs_version).select(
        "record_id_l", "record_id_r", "match_probability"
    )
    curve = threshold_curve(pairs, truth)
    best = curve.iloc[curve.f1.idxmax()]
    paths = {
        "curve_csv": os.path.join(folder, "threshold_curve.csv"),
        "curve_png": os.path.join(folder, "threshold_curve.png"),
        "errors_csv": os.path.join(folder, "worst_errors.csv"),
    }
    curve.to_csv(paths["curve_csv"], index=False)
    plot_curve(
        curve,
        paths["curve_png"],
        threshold,
        f"links vs {truth_column}: best F1 {best.f1:.4f} at {best.threshold:.2f}",
    )
    worst_errors(pairs, clusters, truth, threshold).to_csv(paths["errors_csv"], index=False)
    truth.unpersist()
    return paths
