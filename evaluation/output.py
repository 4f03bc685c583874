"""Evaluate a job's output tables against a ground-truth column that passed through."""

from __future__ import annotations

import json

from pyspark.sql import functions as F

from evaluation.metrics import Scores, score_clusters
from runtime.errors import InputError
from storage.delta import DeltaStore


def _quarantine_version(store: DeltaStore, clusters_version: int | None) -> int | None:
    """The `quarantine` version written by the run that wrote `clusters_version`
    (runs record their table versions); None when no run did."""
    if clusters_version is None:
        return store.version("quarantine")
    if store.version("runs") is None:
        return None
    for row in store.read("runs").select("table_versions").collect():
        versions = json.loads(row.table_versions or "{}")
        if versions.get("clusters") == clusters_version and "quarantine" in versions:
            return int(versions["quarantine"])
    return None


def evaluate_output(store: DeltaStore, truth_column: str, version: int | None = None) -> Scores:
    """Score the `clusters` table (at `version`, default latest) against a truth
    column that passed through. Quarantined rows of the same state (their truth
    read from the raw JSON) count as unresolved singletons: their pairs are missed.
    Full runs overwrite `quarantine` and incremental runs append to it, so the
    matching version holds exactly the rows quarantined so far."""
    clusters = store.read("clusters", version)
    if truth_column not in clusters.columns:
        raise InputError(f"the clusters table has no column {truth_column!r} to evaluate against")
    truth = clusters.select(
        "record_id", F.col(f"`{truth_column}`").cast("string").alias("truth_id")
    )
    q_version = (
        _quarantine_version(store, version) if store.version("quarantine") is not None else None
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
    return score_clusters(clusters.select("record_id", "cluster_id"), truth)
