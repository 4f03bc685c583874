"""Figures against judged pairs (the `labels` table), with bootstrap
confidence intervals.

A judged pair is a positive if labelled `match`; `unsure` pairs count for
nothing. Precision is over the pairs predicted to match, recall over the
pairs labelled `match`. Labels picked by active learning are the hard
pairs, not a sample of the catalogue: figures over `random` picks (and over
imported golden sets, if they were drawn at random) estimate the
catalogue's; figures over all labels say how the hard cases go.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from pyspark.sql import DataFrame
from pyspark.sql import functions as F


@dataclass(frozen=True)
class GoldenScores:
    pairs: int
    matches: int
    precision: float
    recall: float
    f1: float
    # 95% bootstrap intervals (percentile), over resampled labelled pairs.
    precision_ci: tuple[float, float]
    recall_ci: tuple[float, float]
    f1_ci: tuple[float, float]

    def as_dict(self) -> dict[str, float]:
        flat = {}
        for key, value in asdict(self).items():
            if isinstance(value, tuple):
                flat[f"{key}_low"], flat[f"{key}_high"] = value
            else:
                flat[key] = value
        return flat

    def line(self) -> str:
        def fmt(v: float, ci: tuple[float, float]) -> str:
            return f"{v:.4f} [{ci[0]:.4f}, {ci[1]:.4f}]"

        return (
            f"P {fmt(self.precision, self.precision_ci)}  R {fmt(self.recall, self.recall_ci)}  "
            f"F1 {fmt(self.f1, self.f1_ci)}  ({self.pairs:,} pairs, {self.matches:,} matches)"
        )


def _prf(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, ...]:
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(tp + fp > 0, tp / (tp + fp), 1.0)
        r = np.where(tp + fn > 0, tp / (tp + fn), 1.0)
        f = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    return p, r, f


def score_pairs(
    y: np.ndarray, predicted: np.ndarray, resamples: int = 1000, seed: int = 0
) -> GoldenScores:
    """`y`: 1 for a labelled match; `predicted`: 1 where the model links the pair."""
    y = np.asarray(y, dtype=bool)
    yhat = np.asarray(predicted, dtype=bool)
    cells = np.stack([y & yhat, ~y & yhat, y & ~yhat]).astype(np.int64)  # tp, fp, fn per pair
    point = _prf(*cells.sum(axis=1))
    n = len(y)
    if n:
        rng = np.random.default_rng(seed)
        # Counts of each pair in every resample, drawn in chunks to bound memory.
        sums = []
        for start in range(0, resamples, 100):
            k = min(100, resamples - start)
            weights = rng.multinomial(n, np.full(n, 1.0 / n), size=k)
            sums.append(weights @ cells.T)
        boot = np.concatenate(sums)
        p, r, f = _prf(boot[:, 0], boot[:, 1], boot[:, 2])
        cis = [tuple(float(q) for q in np.percentile(v, [2.5, 97.5])) for v in (p, r, f)]
    else:
        cis = [(float("nan"), float("nan"))] * 3
    return GoldenScores(
        pairs=n,
        matches=int(y.sum()),
        precision=float(point[0]),
        recall=float(point[1]),
        f1=float(point[2]),
        precision_ci=cis[0],
        recall_ci=cis[1],
        f1_ci=cis[2],
    )


def judged_against_clusters(
    labels: DataFrame, clusters: DataFrame, pairs: DataFrame | None
) -> DataFrame:
    """Every judged pair (`match` / `non_match`) with `predicted` (both
    records in one cluster of the run), `match_probability` (if the run
    scored the pair), `picked_by`, and both records' values as labelled."""
    judged = labels.where(F.col("label").isin("match", "non_match"))
    c = clusters.select("record_id", "cluster_id")
    out = (
        judged.join(c.toDF("record_id_l", "cluster_l"), "record_id_l", "left")
        .join(c.toDF("record_id_r", "cluster_r"), "record_id_r", "left")
        .withColumn(
            "predicted",
            F.coalesce(F.col("cluster_l") == F.col("cluster_r"), F.lit(False)),
        )
    )
    if pairs is not None:
        out = out.join(
            pairs.select("record_id_l", "record_id_r", "match_probability"),
            ["record_id_l", "record_id_r"],
            "left",
        )
    else:
        out = out.withColumn("match_probability", F.lit(None).cast("double"))
    return out.select(
        "record_id_l",
        "record_id_r",
        "label",
        "predicted",
        "match_probability",
        "picked_by",
        "origin",
        "values_l",
        "values_r",
    )
