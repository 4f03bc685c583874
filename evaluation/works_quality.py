"""Works against a truth column (a real catalogue's "same song" label, such as
SHS100K's `set_id`), and a title-only baseline to hold them against.

Records carry a predicted group (`work_id`, from `works_of_records`) and a
truth value. Definitions, over the records given:

* pairwise: over unordered pairs of records. A pair is *predicted* when both
  records are in one predicted group, *true* when they share the truth value.
  Precision = predicted and true / predicted; recall = predicted and true / true.
  Large groups weigh by the square of their size.
* B-cubed: per record r with predicted group G(r) and true group T(r),
  precision(r) = |G(r) ∩ T(r)| / |G(r)|, recall(r) = |G(r) ∩ T(r)| / |T(r)|
  (r itself included, so a singleton scores 1), each averaged over the records.
  Every record weighs the same, whatever its group's size.
* F1: the harmonic mean of the two; a side with nothing to count (no predicted
  or no true pair) scores 1.

A null truth value or predicted group makes the record a group of its own on
that side. Both scores come from counts of the (predicted, truth) cells
(`evaluation.metrics.score_clusters`): |G ∩ T| is a cell, |G| and |T| its
margins, the pairs of a group n(n-1)/2; no record pairs are formed.
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from catalog.text import clean, without_brackets
from evaluation.metrics import Scores, score_clusters

__all__ = [
    "missed_pairs",
    "score_groups",
    "title_key",
    "title_only_groups",
    "works_of_records",
    "wrong_pairs",
]


def works_of_records(clusters: DataFrame, works: DataFrame) -> DataFrame:
    """Each record's primary work: `clusters` (record_id, cluster_id, ...) with
    `work_id` added.

    `works` has work_id, cluster_id and `primary` (a medley's cluster has one
    row per song it holds, the first with primary = true). Tables written
    before `primary` existed hold one row per cluster: all primary; so does a
    null `primary`. Records whose cluster has no `works` row (videos) are left
    out. Should a cluster have more than one primary row, the smallest work_id
    is taken so that each record still counts once."""
    primary = (
        F.coalesce(F.col("primary"), F.lit(True)) if "primary" in works.columns else F.lit(True)
    )
    one = works.where(primary).groupBy("cluster_id").agg(F.min("work_id").alias("work_id"))
    return clusters.join(one, "cluster_id").select(*clusters.columns, "work_id")


def title_key(title: str | None) -> str | None:
    """The baseline's group key: the title lower-cased and folded, without its
    bracketed parts and punctuation ("Laura (What's He Got...)" -> "laura")."""
    if title is None:
        return None
    return clean(without_brackets(title))


def title_only_groups(df: DataFrame, title_col: str, group_col: str = "title_group") -> DataFrame:
    """`df` with `group_col`: the naive "same title, same work" baseline
    (`title_key` of `title_col`). A title with no words left has a null key,
    so its record stands alone when scored."""

    @F.pandas_udf("string")
    def keys(titles: pd.Series) -> pd.Series:
        return titles.map(lambda t: title_key(t) if isinstance(t, str) else None)

    return df.withColumn(group_col, keys(F.col(title_col)))


def score_groups(
    records: DataFrame, predicted: str, truth: str, record_id: str = "record_id"
) -> Scores:
    """Pairwise and B-cubed scores (module docstring) of `predicted` against
    `truth`, over the rows of `records` (one per record, `record_id` unique)."""
    rows = records.select(
        F.col(record_id).cast("string").alias("record_id"),
        F.col(predicted).cast("string").alias("cluster_id"),
        F.col(truth).cast("string").alias("truth_id"),
    )
    return score_clusters(rows.select("record_id", "cluster_id"), rows.drop("cluster_id"))


def _cells(records: DataFrame, predicted: str, truth: str, label: str, record_id: str) -> DataFrame:
    """(p, t, label, n): how many records share a predicted group, a truth
    value and a label. Nulls become the record's own group, as when scored."""
    own = F.concat(F.lit("\u0000"), F.col(record_id).cast("string"))
    return records.groupBy(
        F.coalesce(F.col(predicted).cast("string"), own).alias("p"),
        F.coalesce(F.col(truth).cast("string"), own).alias("t"),
        F.coalesce(F.col(label).cast("string"), F.lit("")).alias("label"),
    ).agg(F.count("*").alias("n"))


def _pairs_across_cells(cells: DataFrame, same: str, differ: str) -> DataFrame:
    """Record pairs that agree on `same` and differ on `differ`, counted per
    (label_a, label_b) with label_a <= label_b. Cells are joined with cells of
    the same `same` group: a diagnostic for development, quadratic in the
    number of cells one group splits into, never in its records."""
    a = cells.select(
        F.col(same).alias("k"), F.col(differ).alias("d_a"), F.col("label").alias("l_a"), "n"
    )
    b = cells.select(
        F.col(same).alias("k"),
        F.col(differ).alias("d_b"),
        F.col("label").alias("l_b"),
        F.col("n").alias("m"),
    )
    # Every unordered record pair is met twice, once from each side's cell.
    return (
        a.join(b, "k")
        .where(F.col("d_a") != F.col("d_b"))
        .groupBy(F.least("l_a", "l_b").alias("label_a"), F.greatest("l_a", "l_b").alias("label_b"))
        .agg((F.sum(F.col("n") * F.col("m")) / 2).cast("long").alias("pairs"))
        .orderBy(F.desc("pairs"), "label_a", "label_b")
    )


def missed_pairs(
    records: DataFrame, predicted: str, truth: str, label: str, record_id: str = "record_id"
) -> DataFrame:
    """True pairs not predicted (one truth value, two predicted groups), counted
    per pair of labels (e.g. titles): label_a, label_b, pairs; most first."""
    return _pairs_across_cells(_cells(records, predicted, truth, label, record_id), "t", "p")


def wrong_pairs(
    records: DataFrame, predicted: str, truth: str, label: str, record_id: str = "record_id"
) -> DataFrame:
    """Predicted pairs that are not true (one predicted group, two truth
    values), counted per pair of labels: label_a, label_b, pairs; most first."""
    return _pairs_across_cells(_cells(records, predicted, truth, label, record_id), "p", "t")
