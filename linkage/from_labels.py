"""The pair model learned from the user's labels.

Every judged pair (`match` / `non_match`) is scored by the Splink model the
last full run trained (so a labelled pair blocking never proposed still has
Splink's weight), its pair features are computed from the `records` table,
and the labels are split by a hash of the pair: `holdout` of them are never
trained on and give the figures; a pair keeps its side as labels grow, so a
champion trained earlier has not seen the holdout of a later training
either. Within the training part, out-of-fold probabilities choose the
threshold (the one with the highest F1); the model is then fitted on the
whole training part, starting from the running model's weights or from
scratch.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from conf.config import TrainingConfig
from linkage.pair_features import pair_features
from linkage.pair_model import PairModel, fit_pair_model
from linkage.scoring import score_with_model

FOLDS = 5


def labelled_features(
    spark: SparkSession,
    labels: DataFrame,
    records: DataFrame,
    splink_model: dict[str, Any],
    features: tuple[str, ...],
) -> pd.DataFrame:
    """One row per judged pair: ids, `y` (1 = match), `picked_by`, `origin`,
    Splink's `match_probability`, and `features`."""
    judged = labels.where(F.col("label").isin("match", "non_match")).select(
        "record_id_l",
        "record_id_r",
        (F.col("label") == "match").cast("int").alias("y"),
        "picked_by",
        "origin",
    )
    known = records.select("record_id")
    judged = judged.join(known.toDF("record_id_l"), "record_id_l", "left_semi").join(
        known.toDF("record_id_r"), "record_id_r", "left_semi"
    )
    candidates = judged.select(
        "record_id_l", "record_id_r", F.array().cast("array<string>").alias("blocked_by")
    )
    scored, _ = score_with_model(spark, records, candidates, splink_model, pair_model=None)
    with_features = pair_features(scored, records, features)
    data = judged.join(
        with_features.select("record_id_l", "record_id_r", "match_probability", *features),
        ["record_id_l", "record_id_r"],
    ).toPandas()
    return data.sort_values(["record_id_l", "record_id_r"], ignore_index=True)


def in_holdout(data: pd.DataFrame, share: float) -> np.ndarray:
    """A pair's side, from a hash of its ids: the same pair, the same side."""
    keys = (data["record_id_l"] + "\x1f" + data["record_id_r"]).to_numpy()
    buckets = np.fromiter(
        (zlib.crc32(k.encode()) % 10_000 for k in keys), dtype=np.int64, count=len(keys)
    )
    return buckets < int(round(share * 10_000))


def best_threshold(y: np.ndarray, p: np.ndarray, tolerance: float, prefer: float) -> float:
    """Of the thresholds whose F1 over `p` is within `tolerance` of the best
    (or within one match's worth), the one nearest `prefer`."""
    candidates = np.unique(np.concatenate([np.round(p, 4), [prefer]]))
    positives = float((y == 1).sum())
    if not positives:
        return prefer
    f1s = []
    for t in candidates:
        yhat = p >= t
        tp = float((yhat & (y == 1)).sum())
        f1s.append(2 * tp / (yhat.sum() + positives) if tp else 0.0)
    f1s = np.asarray(f1s)
    close = candidates[f1s >= f1s.max() - max(tolerance, 1.0 / positives)]
    at = close[np.argmin(np.abs(close - prefer))]
    return float(min(max(at, 0.05), 0.99))


@dataclass(frozen=True)
class LabelFit:
    model: PairModel
    threshold: float
    train_pairs: int
    out_of_fold_f1: float


def _fit(x, y, groups, features, cfg: TrainingConfig, init: PairModel | None, provenance, anchors):
    model, _ = fit_pair_model(
        x,
        y,
        groups,
        epochs=cfg.epochs,
        batch_size=256,
        seed=cfg.seed,
        features=features,
        provenance=provenance,
        init=init,
        learning_rate=1e-3 if init is not None else 3e-3,
        anchors=None if anchors is None else (*anchors, cfg.anchor_weight),
    )
    return model


def fit_on_labels(
    train: pd.DataFrame,
    features: tuple[str, ...],
    cfg: TrainingConfig,
    init: PairModel | None,
    provenance: dict[str, Any],
    anchors: tuple[np.ndarray, np.ndarray] | None = None,
    prefer: float = 0.9,
) -> LabelFit:
    """Choose the threshold on out-of-fold probabilities of `train` (near
    `prefer`, the running threshold, unless the labels say otherwise), then
    fit on all of it. `anchors`: unlabelled pairs' features and the running
    model's probabilities for them (`TrainingConfig.anchor_weight`)."""
    x = train[list(features)].to_numpy(np.float64)
    y = train["y"].to_numpy(np.float64)
    groups = np.arange(len(train))
    fold = np.arange(len(train)) % FOLDS
    np.random.default_rng(cfg.seed).shuffle(fold)
    oof = np.zeros(len(train))
    for k in range(FOLDS):
        inside = fold != k
        if len(np.unique(y[inside])) < 2:
            oof[~inside] = y[inside].mean()
            continue
        m = _fit(x[inside], y[inside], groups[inside], features, cfg, init, {}, anchors)
        oof[~inside] = m.probability(x[~inside])
    threshold = best_threshold(y.astype(int), oof, cfg.threshold_tolerance, prefer)
    yhat = oof >= threshold
    tp = float((yhat & (y == 1)).sum())
    oof_f1 = 2 * tp / (yhat.sum() + (y == 1).sum()) if tp else 0.0
    model = _fit(x, y, groups, features, cfg, init, {**provenance, "threshold": threshold}, anchors)
    return LabelFit(model, threshold, len(train), float(oof_f1))


def anchor_pairs(
    pairs: DataFrame, records: DataFrame, labelled: DataFrame, model: PairModel, n: int, seed: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Up to `n` candidate pairs nobody labelled, uniformly drawn, with the
    features `model` reads and its probability for each."""
    if n == 0 or model is None:
        return None
    open_pairs = pairs.select("record_id_l", "record_id_r", "match_weight").join(
        labelled.select("record_id_l", "record_id_r"), ["record_id_l", "record_id_r"], "left_anti"
    )
    total = open_pairs.count()
    if not total:
        return None
    sample = open_pairs.sample(fraction=min(1.0, 1.5 * n / total), seed=seed).limit(n)
    features = list(model.features)
    x = pair_features(sample, records, features).select(*features).toPandas().to_numpy(np.float64)
    return x, model.probability(x)
