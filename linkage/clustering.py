"""Connected components over the links at or above a match threshold, in Spark.

Min-label propagation: every linked record starts with the smallest of its own
and its neighbours' ids as label and takes the smallest label among itself and
its neighbours until nothing changes, so each component ends up with one
label; it is then named by its smallest record_id. Iterations grow with a
component's diameter, which is small for duplicates of one recording.

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
    """Both directions of every link, as 64-bit ids: `src`, `dst`."""
    a = links.select(F.xxhash64("record_id_l").alias("src"), F.xxhash64("record_id_r").alias("dst"))
    return a.unionByName(a.select(F.col("dst").alias("src"), F.col("src").alias("dst")))


def connected_components(
    record_ids: DataFrame, links: DataFrame, max_iterations: int = 50
) -> ClusteringResult:
    """Components of the graph with nodes `record_ids.record_id` and edges `links`
    (`record_id_l`, `record_id_r`).

    Labels propagate over 64-bit hashes of the record ids (joins and minima on
    longs, not strings); the smallest record_id names each component at the
    end. Two ids sharing a hash would join their components: blocking checks a
    full run's ids for that and stops (about 1 in 30 million at a million
    records)."""
    log = get_logger()
    edges = _undirected(links).cache()
    n_links = links.count()
    # A node's first label: the smallest of itself and its neighbours.
    labels = (
        edges.groupBy("src")
        .agg(F.least(F.first("src"), F.min("dst")).alias("label"))
        .localCheckpoint()
    )

    iterations = 1
    while True:
        if iterations >= max_iterations:
            log.warning(
                "clustering stopped after %d iterations before the labels settled; "
                "raise clustering.max_iterations",
                iterations,
            )
            break
        iterations += 1
        neighbours = (
            edges.join(labels, "src")
            .groupBy(F.col("dst").alias("src"))
            .agg(F.min("label").alias("offered"))
        )
        updated = (
            labels.join(neighbours, "src")
            .select(
                "src",
                F.least("label", "offered").alias("label"),
                (F.col("offered") < F.col("label")).alias("changed"),
            )
            .localCheckpoint()
        )
        # Read from the checkpoint: no second join to tell what changed.
        changed = updated.where("changed").count()
        labels = updated.drop("changed")
        if changed == 0:
            break
    edges.unpersist()

    component = F.coalesce(F.col("label"), F.col("rid"))
    clusters = (
        record_ids.select("record_id", F.xxhash64("record_id").alias("rid"))
        .join(labels.withColumnRenamed("src", "rid"), "rid", "left")
        .withColumn("_component", component)
        .select(
            "record_id",
            F.min("record_id").over(Window.partitionBy("_component")).alias("cluster_id"),
            F.count("*").over(Window.partitionBy("_component")).alias("cluster_size"),
        )
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
