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
# Labels a labelling session picked for being hard (`labelling.selection`).
ACTIVE_PICKS = ("near_threshold", "disagreement", "weak_edge")
# Fewer matches than this among the labels that sample the catalogue cannot
# place a threshold.
MIN_SAMPLED_MATCHES = 20


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
    (or within 1 / matches of it, about two matches' worth), the one nearest `prefer`."""
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
    # The anchors' weight chosen (None: the running model, unchanged, fitted
    # the labels best out of fold; or no anchors).
    anchor_weight: float | None
    out_of_fold_log_loss: dict[str, float]


def _fit(x, y, groups, features, cfg: TrainingConfig, init, provenance, anchors, weight):
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
        anchors=None if anchors is None or weight is None else (*anchors, weight),
    )
    return model


def _losses(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _clearly_lower(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether per-pair losses `a` are lower than `b` by more than twice the
    standard error of their paired difference (noise among a few hundred
    labels is larger than most differences between the candidates)."""
    d = a - b
    return bool(d.mean() + 2 * d.std(ddof=1) / np.sqrt(len(d)) < 0) if len(d) > 1 else False


def fit_on_labels(
    train: pd.DataFrame,
    features: tuple[str, ...],
    cfg: TrainingConfig,
    init: PairModel | None,
    provenance: dict[str, Any],
    anchors: tuple[np.ndarray, np.ndarray] | None = None,
    prefer: float = 0.9,
) -> LabelFit:
    """Fit on `train` (`y`, `picked_by`, `features`). Out of fold, for each
    anchor weight (`training.anchor_weights`; `anchors`: unlabelled pairs'
    features and the running model's probabilities) and for `init` left
    as it is: the one whose probabilities fit the held-out fold's labels
    best (log loss) is kept, if its per-pair losses are clearly below those
    of `init` as it is (`_clearly_lower`); otherwise `init` stays as it is. The threshold is chosen on that one's
    out-of-fold probabilities of the sampled labels (near `prefer`, the
    running threshold, unless they say otherwise); then it is fitted on all
    of `train`."""
    import torch

    threads = torch.get_num_threads()
    # One thread: this network is small, and on a shared machine one
    # thread per core spent far longer waiting than computing.
    torch.set_num_threads(1)
    try:
        return _fit_on_labels(train, features, cfg, init, provenance, anchors, prefer)
    finally:
        torch.set_num_threads(threads)


def _fit_on_labels(train, features, cfg, init, provenance, anchors, prefer) -> LabelFit:
    x = train[list(features)].to_numpy(np.float64)
    y = train["y"].to_numpy(np.float64)
    groups = np.arange(len(train))
    fold = np.arange(len(train)) % FOLDS
    np.random.default_rng(cfg.seed).shuffle(fold)
    weights: list[float | None] = list(cfg.anchor_weights) if anchors is not None else [None]
    oofs: dict[str, np.ndarray] = {}
    for weight in weights:
        oof = np.zeros(len(train))
        for k in range(FOLDS):
            inside = fold != k
            if len(np.unique(y[inside])) < 2:
                oof[~inside] = y[inside].mean()
                continue
            m = _fit(x[inside], y[inside], groups[inside], features, cfg, init, {}, anchors, weight)
            oof[~inside] = m.probability(x[~inside])
        oofs[str(weight)] = oof
    per_pair = {name: _losses(y, p) for name, p in oofs.items()}
    chosen = min(per_pair, key=lambda name: per_pair[name].mean())
    if init is not None:
        # The model it starts from stays unless a fitted one is clearly better.
        oofs["running"] = init.probability(x)
        per_pair["running"] = _losses(y, oofs["running"])
        if not _clearly_lower(per_pair[chosen], per_pair["running"]):
            chosen = "running"
    losses = {name: float(v.mean()) for name, v in per_pair.items()}
    oof = oofs[chosen]
    # Pairs picked for being hard are not a sample of the catalogue: a
    # threshold best for them links too much (or too little) elsewhere. It
    # is chosen on the labels that sample the catalogue (random picks and
    # imported sets), when they hold enough matches, else the running one stays.
    sampled = ~train["picked_by"].isin(ACTIVE_PICKS).to_numpy()
    ys, ps = y[sampled].astype(int), oof[sampled]
    if ys.sum() >= MIN_SAMPLED_MATCHES and (1 - ys).sum() >= 1:
        threshold = best_threshold(ys, ps, cfg.threshold_tolerance, prefer)
    else:
        threshold = prefer
    yhat = oof >= threshold
    tp = float((yhat & (y == 1)).sum())
    oof_f1 = 2 * tp / (yhat.sum() + (y == 1).sum()) if tp else 0.0
    meta = {**provenance, "threshold": threshold, "out_of_fold_choice": chosen}
    if chosen == "running":
        model = PairModel.from_bytes(init.to_bytes())
        model.provenance.update(meta)
        weight = None
    else:
        weight = None if chosen == "None" else float(chosen)
        model = _fit(x, y, groups, features, cfg, init, meta, anchors, weight)
    return LabelFit(model, threshold, len(train), float(oof_f1), weight, losses)


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
