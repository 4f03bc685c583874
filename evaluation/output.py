"""Evaluate a job's output tables against a ground-truth column that passed through."""

from __future__ import annotations

from pyspark.sql import functions as F

from evaluation.metrics import Scores, score_clusters
from runtime.errors import InputError
from storage.delta import DeltaStore


def evaluate_output(store: DeltaStore, truth_column: str, version: int | None = None) -> Scores:
    """Score the `clusters` table (at `version`, default latest) against a truth
    column that passed through. The same run's quarantined rows (their truth
    read from the raw JSON) count as unresolved singletons: their pairs are missed."""
    clusters = store.read("clusters", version)
    if truth_column not in clusters.columns:
        raise InputError(f"the clusters table has no column {truth_column!r} to evaluate against")
    truth = clusters.select(
        "record_id", F.col(f"`{truth_column}`").cast("string").alias("truth_id")
    )
    run_ids = [r.run_id for r in clusters.select("run_id").distinct().limit(2).collect()]
    if store.version("quarantine") is not None and len(run_ids) == 1:
        # Each run writes one version of every table, so the versions line up.
        q = store.read("quarantine", version).filter(
            (F.col("run_id") == run_ids[0]) & F.col("record_id").isNotNull()
        )
        # A repeated id is already in clusters under its first row.
        q = (
            q.join(truth.select("record_id"), "record_id", "left_anti")
            .select("record_id", F.get_json_object("raw", f"$.{truth_column}").alias("truth_id"))
            .dropDuplicates(["record_id"])
        )
        truth = truth.unionByName(q)
    return score_clusters(clusters.select("record_id", "cluster_id"), truth)
