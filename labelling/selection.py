"""Which candidate pairs to show a labeller: those whose label would teach
the model the most, plus a few random ones.

* `near_threshold`: the pair's probability is nearest the clustering
  threshold, where a label most often flips a link.
* `disagreement`: Splink's probability and the pair model's differ most.
* `weak_edge`: the lowest-scored links inside clusters of `large_cluster`
  records or more, where one wrong link merges two recordings.
* `random`: uniform over all candidate pairs, so that precision estimated
  from the labels is not only about the hard pairs.

Each way takes its share of the batch (`labelling.mix`) from the pairs not
labelled yet, in a fixed order: a session cut short is offered the same
pairs again.
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from conf.config import LabellingConfig

WAYS = ("near_threshold", "disagreement", "weak_edge", "random")


def _shares(cfg: LabellingConfig, n: int) -> dict[str, int]:
    total = sum(cfg.mix.values())
    wanted = {w: cfg.mix.get(w, 0.0) / total * n for w in WAYS}
    counts = {w: int(v) for w, v in wanted.items()}
    # The rounding remainder goes to the largest fractions.
    for w in sorted(WAYS, key=lambda w: counts[w] - wanted[w])[: n - sum(counts.values())]:
        counts[w] += 1
    return counts


def pick_pairs(
    pairs: DataFrame,
    clusters: DataFrame | None,
    labelled: DataFrame | None,
    threshold: float,
    cfg: LabellingConfig,
    n: int | None = None,
) -> pd.DataFrame:
    """Up to `n` unlabelled pairs of `pairs` (a run's scored pairs), each
    with `picked_by`, interleaved across the ways of picking. `clusters`:
    `record_id`, `cluster_size` (None: no weak edges); `labelled`: pairs
    already judged (`record_id_l`, `record_id_r`)."""
    n = n or cfg.batch_size
    keep = ["record_id_l", "record_id_r", "match_probability"]
    has_splink = "splink_probability" in pairs.columns
    open_pairs = pairs.select(*keep, *(["splink_probability"] if has_splink else []))
    if labelled is not None:
        open_pairs = open_pairs.join(
            labelled.select("record_id_l", "record_id_r"),
            ["record_id_l", "record_id_r"],
            "left_anti",
        )
    open_pairs = open_pairs.cache()
    shares = _shares(cfg, n)
    picked: dict[str, pd.DataFrame] = {}
    # Each way asks for more than its share: a pair two ways pick is shown once.
    ids = ["record_id_l", "record_id_r"]
    picked["near_threshold"] = open_pairs.orderBy(
        F.abs(F.col("match_probability") - F.lit(threshold)), *ids
    ).limit(2 * n)
    if has_splink:
        picked["disagreement"] = (
            open_pairs.where(F.col("splink_probability").isNotNull())
            .orderBy(F.desc(F.abs(F.col("splink_probability") - F.col("match_probability"))), *ids)
            .limit(2 * n)
        )
    if clusters is not None:
        large = clusters.where(F.col("cluster_size") >= cfg.large_cluster).select(
            F.col("record_id").alias("record_id_l")
        )
        picked["weak_edge"] = (
            open_pairs.where(F.col("match_probability") >= F.lit(threshold))
            .join(large, "record_id_l", "left_semi")
            .orderBy("match_probability", *ids)
            .limit(2 * n)
        )
    total = open_pairs.count()
    if total:
        fraction = min(1.0, 4.0 * n / total)
        picked["random"] = (
            open_pairs.sample(fraction=fraction, seed=cfg.seed)
            .orderBy(F.xxhash64(*ids, F.lit(cfg.seed)))
            .limit(2 * n)
        )
    frames = {way: df.toPandas() for way, df in picked.items()}
    open_pairs.unpersist()
    return _interleave(frames, shares, n)


def _interleave(frames: dict[str, pd.DataFrame], shares: dict[str, int], n: int) -> pd.DataFrame:
    """Each way's share, first come first served across ways; a way short of
    pairs leaves its share to the others."""
    seen: set[tuple[str, str]] = set()
    queues = {w: list(frames[w].itertuples(index=False)) for w in WAYS if w in frames}
    taken: dict[str, int] = dict.fromkeys(queues, 0)
    out: list[dict] = []

    def take(way: str) -> bool:
        while queues[way]:
            row = queues[way].pop(0)
            key = (row.record_id_l, row.record_id_r)
            if key not in seen:
                seen.add(key)
                out.append({**row._asdict(), "picked_by": way})
                taken[way] += 1
                return True
        return False

    # Round robin within shares, so the random pairs are mixed in, not last.
    while len(out) < n:
        moved = False
        for way in queues:
            if len(out) < n and taken[way] < shares.get(way, 0) and take(way):
                moved = True
        if not moved:
            break
    # Shares left unfilled go to whichever ways still have pairs.
    for way in queues:
        while len(out) < n and take(way):
            pass
    columns = ["record_id_l", "record_id_r", "match_probability", "splink_probability", "picked_by"]
    return pd.DataFrame(out).reindex(columns=columns)
