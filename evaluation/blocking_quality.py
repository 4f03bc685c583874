"""How good is blocking: pair completeness, reduction ratio, candidates per record.

Pair completeness is the share of true pairs that some blocker proposed: a
true pair no blocker proposes is lost for good. Figures are given for the
union and for each blocker alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


@dataclass(frozen=True)
class BlockerQuality:
    blocker: str
    candidate_pairs: int
    true_pairs_found: int
    pair_completeness: float
    pairs_per_record: float
    reduction_ratio: float

    def as_dict(self) -> dict:
        return asdict(self)


def blocking_quality(truth: DataFrame, candidates: DataFrame) -> list[BlockerQuality]:
    """`truth`: record_id, truth_id for the blocked records. `candidates`:
    record_id_l, record_id_r, blocked_by. First row: the union ("all")."""
    n = truth.count()
    true_pairs = (
        truth.groupBy("truth_id")
        .count()
        .agg(F.sum(F.col("count") * (F.col("count") - 1) / 2))
        .collect()[0][0]
        or 0
    )
    all_pairs = n * (n - 1) / 2
    t = truth.select("record_id", F.col("truth_id").cast("string").alias("t"))
    labelled = (
        candidates.join(
            t.withColumnRenamed("record_id", "record_id_l").withColumnRenamed("t", "tl"),
            "record_id_l",
        )
        .join(
            t.withColumnRenamed("record_id", "record_id_r").withColumnRenamed("t", "tr"),
            "record_id_r",
        )
        .select(
            F.explode(F.array_union(F.array(F.lit("all")), "blocked_by")).alias("blocker"),
            (F.col("tl") == F.col("tr")).cast("int").alias("is_true"),
        )
    )
    rows = (
        labelled.groupBy("blocker")
        .agg(F.count("*").alias("pairs"), F.sum("is_true").alias("found"))
        .collect()
    )
    out = []
    for r in sorted(rows, key=lambda r: (r["blocker"] != "all", r["blocker"])):
        out.append(
            BlockerQuality(
                blocker=r["blocker"],
                candidate_pairs=int(r["pairs"]),
                true_pairs_found=int(r["found"] or 0),
                pair_completeness=(r["found"] or 0) / true_pairs if true_pairs else 1.0,
                pairs_per_record=2 * r["pairs"] / n if n else 0.0,
                reduction_ratio=1 - r["pairs"] / all_pairs if all_pairs else 0.0,
            )
        )
    return out


def format_blocking_quality(rows: list[BlockerQuality]) -> str:
    lines = [f"{'blocker':<16}{'pairs':>12}{'true found':>12}{'PC':>9}{'pairs/rec':>11}{'RR':>10}"]
    for q in rows:
        lines.append(
            f"{q.blocker:<16}{q.candidate_pairs:>12,}{q.true_pairs_found:>12,}"
            f"{q.pair_completeness:>9.4f}{q.pairs_per_record:>11.2f}{q.reduction_ratio:>10.6f}"
        )
    return "\n".join(lines)


def missed_pairs(truth: DataFrame, candidates: DataFrame) -> DataFrame:
    """The true pairs no blocker proposed: record_id_l < record_id_r, as the
    candidate table orders them. For reading what blocking cannot see; on a
    catalogue with large true clusters this is quadratic in cluster size."""
    t = truth.select("record_id", F.col("truth_id").cast("string").alias("t"))
    true_pairs = (
        t.alias("l")
        .join(
            t.alias("r"),
            (F.col("l.t") == F.col("r.t")) & (F.col("l.record_id") < F.col("r.record_id")),
        )
        .select(
            F.col("l.record_id").alias("record_id_l"), F.col("r.record_id").alias("record_id_r")
        )
    )
    return true_pairs.join(
        candidates.select("record_id_l", "record_id_r"), ["record_id_l", "record_id_r"], "left_anti"
    )
