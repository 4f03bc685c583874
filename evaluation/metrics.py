"""Cluster quality against ground truth: pairwise and B-cubed precision/recall/F1.

Computed with Spark aggregations over group sizes; nothing record-level is
collected. Records missing from the predicted assignment (quarantined) count
as singletons: their true pairs are missed, not ignored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


@dataclass(frozen=True)
class Scores:
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    records: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score_clusters(predicted: DataFrame, truth: DataFrame) -> Scores:
    """`predicted`: record_id, cluster_id. `truth`: record_id, truth_id (every record)."""
    joined = truth.join(predicted.select("record_id", "cluster_id"), "record_id", "left").select(
        "record_id",
        F.col("truth_id").cast("string").alias("t"),
        F.coalesce(F.col("cluster_id"), F.concat(F.lit("unresolved:"), F.col("record_id"))).alias(
            "c"
        ),
    )
    # A record with no truth label is its own true entity.
    joined = joined.withColumn("t", F.coalesce("t", F.concat(F.lit("unlabelled:"), "record_id")))
    # Read three times by the one query below.
    joined = joined.cache()
    both = joined.groupBy("c", "t").agg(F.count("*").alias("n_ct"))
    by_c = joined.groupBy("c").agg(F.count("*").alias("n_c"))
    by_t = joined.groupBy("t").agg(F.count("*").alias("n_t"))

    # One pass over the (cluster, entity) cells. Pairs: a cell's n_ct records
    # each pair with the n_c - 1 others of their cluster, so summing
    # n_ct * (n_c - 1) over a cluster's cells counts its pairs twice (in
    # longs: exact). B-cubed: every record weighs the same; its precision is
    # the share of its cluster that is truly its entity, its recall the share
    # of its entity in its cluster.
    n_ct, n_c, n_t = F.col("n_ct"), F.col("n_c"), F.col("n_t")
    b3 = (
        both.join(by_c, "c")
        .join(by_t, "t")
        .agg(
            F.sum(n_ct * (n_ct - 1)).alias("tp2"),
            F.sum(n_ct * (n_c - 1)).alias("pred2"),
            F.sum(n_ct * (n_t - 1)).alias("true2"),
            F.sum(n_ct * n_ct / n_c).alias("p"),
            F.sum(n_ct * n_ct / n_t).alias("r"),
            F.sum(n_ct).alias("n"),
        )
        .collect()[0]
    )
    joined.unpersist()
    tp, pred, true = ((b3[k] or 0) // 2 for k in ("tp2", "pred2", "true2"))
    n = int(b3["n"] or 0)
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    bp = (b3["p"] / n) if n else 1.0
    br = (b3["r"] / n) if n else 1.0
    return Scores(p, r, _f1(p, r), bp, br, _f1(bp, br), int(true), int(pred), int(tp), n)


def format_scores(s: Scores) -> str:
    return (
        f"pairwise P {s.pairwise_precision:.4f} R {s.pairwise_recall:.4f} F1 {s.pairwise_f1:.4f} | "
        f"B-cubed P {s.bcubed_precision:.4f} R {s.bcubed_recall:.4f} F1 {s.bcubed_f1:.4f} | "
        f"{s.true_positive_pairs:,} of {s.true_pairs:,} true pairs found, "
        f"{s.predicted_pairs:,} predicted, {s.records:,} records"
    )
