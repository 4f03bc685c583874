"""Stable cluster ids: a new run's clusters inherit the previous run's ids.

Downstream teams join on `cluster_id`, so an id must not change when nothing
about its cluster changed. Each new component is matched to the previous
clusters by member overlap:

* every previous id goes to the new component holding most of its members
  (ties: the smaller component label), so on a split the larger part keeps it;
* a new component that receives several previous ids (a merge) keeps the one
  with the largest overlap (ties: the smaller id), the others are retired;
* a component that receives none is born with a new id.

Ids are `c` + 16 hex digits of blake2b(first member, birth generation): the
same history gives the same ids, and two births never collide.

Events schema: `cluster_id`, `event` (new, grew, shrank, merged, split,
retired), `related_id` (the other side of a merge or split), `members`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

EVENTS = ("new", "grew", "shrank", "merged", "split", "retired")


@dataclass(frozen=True)
class StableIds:
    clusters: DataFrame  # record_id, cluster_id, cluster_size
    events: DataFrame  # cluster_id, event, related_id, members


def new_cluster_id(first_member: Column, generation: int) -> Column:
    key = F.concat_ws(":", first_member, F.lit(str(generation)))
    return F.concat(F.lit("c"), F.substring(F.sha2(key, 256), 1, 16))


def _with_size(assign: DataFrame) -> DataFrame:
    return assign.withColumn("cluster_size", F.count("*").over(Window.partitionBy("cluster_id")))


def assign_stable_ids(
    components: DataFrame, previous: DataFrame | None, generation: int
) -> StableIds:
    """`components`: record_id, component (any label, e.g. the smallest member).
    `previous`: record_id, cluster_id of the last run, or None on the first run.
    `generation`: a number that differs on every run (the table version to be written)."""
    comp_first = components.groupBy("component").agg(
        F.min("record_id").alias("first_member"), F.count("*").alias("size")
    )
    if previous is None:
        ids = comp_first.select(
            "component", new_cluster_id(F.col("first_member"), generation).alias("cluster_id")
        )
        clusters = _with_size(components.join(ids, "component").select("record_id", "cluster_id"))
        events = (
            clusters.groupBy("cluster_id")
            .agg(F.count("*").alias("members"))
            .select(
                "cluster_id",
                F.lit("new").alias("event"),
                F.lit(None).cast("string").alias("related_id"),
                "members",
            )
        )
        return StableIds(clusters, events)

    prev = previous.select("record_id", F.col("cluster_id").alias("old_id"))
    overlap = (
        components.join(prev, "record_id")
        .groupBy("component", "old_id")
        .agg(F.count("*").alias("overlap"))
    )
    # Each previous id goes to the component holding most of its members.
    by_old = Window.partitionBy("old_id").orderBy(F.desc("overlap"), F.asc("component"))
    claims = overlap.withColumn("r", F.row_number().over(by_old)).filter("r = 1").drop("r")
    # A component given several ids keeps the one with the largest overlap.
    by_comp = Window.partitionBy("component").orderBy(F.desc("overlap"), F.asc("old_id"))
    ranked = claims.withColumn("r", F.row_number().over(by_comp))
    kept = ranked.filter("r = 1").select("component", F.col("old_id").alias("cluster_id"))
    merged_away = ranked.filter("r > 1").select("component", "old_id")

    ids = (
        comp_first.join(kept, "component", "left")
        .select(
            "component",
            "first_member",
            F.coalesce("cluster_id", new_cluster_id(F.col("first_member"), generation)).alias(
                "cluster_id"
            ),
            F.col("cluster_id").isNull().alias("born"),
        )
        .cache()
    )
    clusters = _with_size(
        components.join(ids, "component").select("record_id", "cluster_id")
    ).cache()

    sizes_now = clusters.groupBy("cluster_id").agg(F.count("*").alias("members"))
    sizes_before = prev.groupBy("old_id").agg(F.count("*").alias("before"))
    # Ids of components born from part of an existing cluster: a split.
    split_from = (
        ids.filter("born")
        .join(overlap, "component")
        .withColumn(
            "r",
            F.row_number().over(
                Window.partitionBy("component").orderBy(F.desc("overlap"), "old_id")
            ),
        )
        .filter("r = 1")
        .select("cluster_id", F.col("old_id").alias("related_id"))
    )
    born = ids.filter("born").select("cluster_id").join(split_from, "cluster_id", "left")
    new_events = born.select(
        "cluster_id",
        F.when(F.col("related_id").isNull(), "new").otherwise("split").alias("event"),
        "related_id",
    )
    kept_ids = ids.filter(~F.col("born")).select("cluster_id")
    changed = (
        kept_ids.join(sizes_now, "cluster_id")
        .join(sizes_before.withColumnRenamed("old_id", "cluster_id"), "cluster_id")
        .join(
            clusters.join(prev, "record_id", "left")
            .groupBy("cluster_id")
            .agg(
                F.sum(
                    F.when(F.col("old_id") != F.col("cluster_id"), 1)
                    .when(F.col("old_id").isNull(), 1)
                    .otherwise(0)
                ).alias("joined")
            ),
            "cluster_id",
        )
        .filter((F.col("joined") > 0) | (F.col("members") != F.col("before")))
        .select(
            "cluster_id",
            F.when(F.col("members") >= F.col("before"), "grew").otherwise("shrank").alias("event"),
            F.lit(None).cast("string").alias("related_id"),
        )
    )
    merged = merged_away.join(ids.select("component", "cluster_id"), "component").select(
        F.col("old_id").alias("cluster_id"),
        F.lit("merged").alias("event"),
        F.col("cluster_id").alias("related_id"),
    )
    claimed = claims.select("old_id")
    retired = (
        sizes_before.select("old_id")
        .join(claimed, "old_id", "left_anti")
        .select(
            F.col("old_id").alias("cluster_id"),
            F.lit("retired").alias("event"),
            F.lit(None).cast("string").alias("related_id"),
        )
    )
    events = (
        new_events.unionByName(changed)
        .unionByName(merged)
        .unionByName(retired)
        .join(sizes_now, "cluster_id", "left")
        .withColumn("members", F.coalesce("members", F.lit(0)).cast("long"))
    )
    return StableIds(clusters.select("record_id", "cluster_id", "cluster_size"), events)
