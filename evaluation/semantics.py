"""Quality of works, video links and relation kinds against the generator's truth.

Needs `true_recording_id`, `true_work_id`, `true_version` on the records, joined
to `works` and `video_links`. Definitions:

* works pairwise P/R/F1: over pairs of *audio records*; a pair is predicted
  when both records' clusters are in one work, true when they share
  `true_work_id`. Record-level so that large clusters weigh by their size, like
  the recording-level pairwise figure.
* video links: a video cluster's true recording is its records' commonest
  `true_recording_id`, a recording cluster's likewise; a link is right when the
  two agree. Precision = right / links made; recall = right / video clusters
  whose true recording has audio records in the input.
* relation accuracy: share of `works` rows whose relation equals the commonest
  `true_version` of the cluster's records.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from catalog.schema import SEMANTIC_TRUTH

TRUTH_COLUMNS = SEMANTIC_TRUTH


def has_truth(records: DataFrame) -> bool:
    return all(c in records.columns for c in TRUTH_COLUMNS)


def _pair_counts(df: DataFrame, predicted: str, true: str) -> tuple[int, int, int]:
    """(pairs in both, pairs in `predicted` groups, pairs in `true` groups) from
    one aggregation: the cell counts of (predicted, true) add up to both margins."""
    cells = df.groupBy(predicted, true).count().cache()
    try:

        def pairs(*keys: str) -> int:
            n = cells.groupBy(*keys).agg(F.sum("count").alias("n"))
            total = n.agg(F.sum(F.col("n") * (F.col("n") - 1) / 2)).collect()[0][0]
            return int(total or 0)

        return pairs(predicted, true), pairs(predicted), pairs(true)
    finally:
        cells.unpersist()


def _majorities(records: DataFrame) -> DataFrame:
    """Per cluster: its commonest `true_recording_id` and `true_version` (ties
    broken by value), and its kind."""

    def commonest(column: str) -> DataFrame:
        counted = records.groupBy("cluster_id", "kind_norm", column).count()
        w = Window.partitionBy("cluster_id").orderBy(F.desc("count"), F.asc(column))
        return counted.withColumn("_r", F.row_number().over(w)).where("_r = 1").drop("_r", "count")

    return commonest("true_recording_id").join(
        commonest("true_version").drop("kind_norm"), "cluster_id"
    )


def _prf(tp: float, pred: float, true: float) -> tuple[float, float, float]:
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate_semantics(records: DataFrame, works: DataFrame, links: DataFrame) -> dict[str, float]:
    """Metrics named `works_precision`, ..., `video_recall`, `relation_accuracy`."""
    # A medley's later songs aside: each record counts once, in its cluster's own work.
    own = works.where(F.col("primary")) if "primary" in works.columns else works
    audio = records.where(F.col("kind_norm") == "audio").join(own, "cluster_id")
    wp, wr, wf = _prf(*_pair_counts(audio, "work_id", "true_work_id"))

    truth = _majorities(records).cache()
    try:
        rec_truth = truth.where(F.col("kind_norm") == "audio").select(
            "cluster_id", F.col("true_recording_id").alias("a_truth")
        )
        vid_truth = truth.where(F.col("kind_norm") == "video").select(
            F.col("cluster_id").alias("video_cluster_id"),
            F.col("true_recording_id").alias("v_truth"),
        )
        judged = links.join(vid_truth, "video_cluster_id").join(rec_truth, "cluster_id")
        right = judged.where(F.col("a_truth") == F.col("v_truth")).count()
        linkable = vid_truth.join(
            rec_truth.select(F.col("a_truth").alias("v_truth")).distinct(), "v_truth"
        ).count()
        n_links = links.count()
        kinds = (
            own.join(truth.select("cluster_id", "true_version"), "cluster_id")
            .agg(
                F.count("*").alias("n"),
                F.sum(F.when(F.col("relation") == F.col("true_version"), 1).otherwise(0)).alias(
                    "right"
                ),
            )
            .collect()[0]
        )
    finally:
        truth.unpersist()
    n_kinds, right_kinds = int(kinds["n"]), int(kinds["right"] or 0)
    return {
        "works_precision": wp,
        "works_recall": wr,
        "works_f1": wf,
        "video_precision": right / n_links if n_links else 1.0,
        "video_recall": right / linkable if linkable else 1.0,
        "relation_accuracy": right_kinds / n_kinds if n_kinds else 1.0,
    }


def format_semantics(m: dict[str, float]) -> str:
    return (
        f"works P {m['works_precision']:.4f} R {m['works_recall']:.4f} F1 {m['works_f1']:.4f}; "
        f"video links P {m['video_precision']:.4f} R {m['video_recall']:.4f}; "
        f"relation kinds {m['relation_accuracy']:.4f}"
    )
