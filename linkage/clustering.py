"""Connected components over the links at or above a match threshold, in Spark.

Min-label propagation: every linked record starts with its own id as label and
takes the smallest label among itself and its neighbours until nothing changes,
so each component ends up labelled by its smallest record_id. Iterations grow
with a component's diameter, which is small for duplicates of one recording.

Output schema: `record_id`, `cluster_id` (string: the component's smallest
record_id), `cluster_size` (long). Every input record appears exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from runtime.progress import get_logger


@dataclass(frozen=True)
class ClusteringResult:
    clusters: DataFrame
    iterations: int
    links: int


def _undirected(links: DataFrame) -> DataFrame:
    a = links.select(F.col("record_id_l").alias("src"), F.col("record_id_r").alias("dst"))
    b = links.select(F.col("record_id_r").alias("src"), F.col("record_id_l").alias("dst"))
    return a.unionByName(b)


def connected_components(
    record_ids: DataFrame, links: DataFrame, max_iterations: int = 50
) -> ClusteringResult:
    """Components of the graph with nodes `record_ids.record_id` and edges `links`
    (`record_id_l`, `record_id_r`)."""
    log = get_logger()
    edges = _undirected(links).cache()
    n_links = links.count()
    labels = (
        edges.select(F.col("src").alias("record_id"))
        .distinct()
        .withColumn("label", F.col("record_id"))
        .localCheckpoint()
    )

    iterations = 0
    while True:
        iterations += 1
        neighbour_labels = edges.join(labels.withColumnRenamed("record_id", "src"), "src").select(
            F.col("dst").alias("record_id"), "label"
        )
        updated = (
            labels.unionByName(neighbour_labels)
            .groupBy("record_id")
            .agg(F.min("label").alias("label"))
            .localCheckpoint()
        )
        changed = (
            updated.join(labels.withColumnRenamed("label", "old"), "record_id")
            .filter(F.col("label") != F.col("old"))
            .count()
        )
        labels = updated
        if changed == 0:
            break
        if iterations >= max_iterations:
            log.warning(
                "clustering stopped after %d iterations with %d labels still changing; "
                "raise clustering.max_iterations",
                iterations,
                changed,
            )
            break
    edges.unpersist()

    clusters = (
        record_ids.select("record_id")
        .join(labels, "record_id", "left")
        .select("record_id", F.coalesce("label", "record_id").alias("cluster_id"))
        .withColumn("cluster_size", F.count("*").over(Window.partitionBy("cluster_id")))
    )
    return ClusteringResult(clusters, iterations, n_links)


def cluster_pairs(
    record_ids: DataFrame, scored_pairs: DataFrame, threshold: float, max_iterations: int = 50
) -> ClusteringResult:
    """Cluster records linked with `match_probability >= threshold`."""
    links = scored_pairs.filter(F.col("match_probability") >= threshold).select(
        "record_id_l", "record_id_r"
    )
    return connected_components(record_ids, links, max_iterations)
