"""The learned pair model: a small torch network over Splink's weight and the
pair's similarities (`linkage.pair_features`), calibrated, whose probability
replaces Splink's as the pair's `match_probability`.

Trained by `jobs.train_pair_model` on labelled candidate pairs of a generated
catalogue; saved as one `.pt` file (weights, feature scaling, calibration and
where it came from), packaged under `linkage/weights/` and logged to MLflow.
Scoring runs on the executors (an Arrow UDF), the model loaded once per task.
"""

from __future__ import annotations

import importlib.resources
import io
import os
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType

from conf.errors import ConfigError
from linkage.pair_features import DEFAULT_FEATURES, unknown_features

HIDDEN = (32, 16)
# Where the models no longer packaged (v1, v2, v3, v9), and the code that
# computes their features, stay available: the commit, since a tag stays in
# the repository that made it.
RETIRED_AT = "git commit e21b906 (tag pair-models-v1-v9)"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # Clipped: a logit of several hundred (a fine-tuned model's sure pair)
    # would overflow exp, and its probability is 0 or 1 either way.
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))


def _network(n_inputs: int):
    import torch.nn as nn

    layers: list[nn.Module] = []
    width = n_inputs
    for hidden in HIDDEN:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


@dataclass
class PairModel:
    """Weights plus what it takes to use them: feature order and scaling, and a
    Platt calibration (a * logit + b) fitted on pairs held out of training."""

    state: dict[str, Any]
    mean: np.ndarray
    scale: np.ndarray
    # The registered features (`linkage.pair_features.FEATURES`) it reads,
    # in the order of its inputs.
    features: tuple[str, ...]
    calibration: tuple[float, float] = (1.0, 0.0)
    provenance: dict[str, Any] = field(default_factory=dict)
    # The network, built from `state` on first use: scoring calls `logits`
    # once per Arrow batch, and the weights do not change between batches.
    _net: Any = field(default=None, init=False, repr=False, compare=False)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Uncalibrated logits for a (n, len(features)) float array."""
        import torch

        if self._net is None:
            self._net = _network(len(self.features))
            self._net.load_state_dict(self.state)
            self._net.eval()
        with torch.no_grad():
            z = torch.from_numpy(((x - self.mean) / self.scale).astype(np.float32))
            return self._net(z).squeeze(1).numpy().astype(np.float64)

    def probability(self, x: np.ndarray) -> np.ndarray:
        a, b = self.calibration
        return _sigmoid(a * self.logits(x) + b)

    def to_bytes(self) -> bytes:
        import torch

        buffer = io.BytesIO()
        torch.save(
            {
                "state": self.state,
                "mean": self.mean.tolist(),
                "scale": self.scale.tolist(),
                "calibration": list(self.calibration),
                "features": list(self.features),
                "hidden": list(HIDDEN),
                "provenance": self.provenance,
            },
            buffer,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> PairModel:
        import torch

        saved = torch.load(io.BytesIO(blob), weights_only=True)
        unknown = unknown_features(saved["features"])
        if unknown or tuple(saved["hidden"]) != HIDDEN:
            # A ConfigError: the configuration points at a model this code cannot run.
            raise ConfigError(
                "pair model was trained on features or layers this code does not compute "
                f"({', '.join(unknown) or 'layers'}): retrain it with python -m jobs.train_pair_model, "
                f"or score it with the code at {RETIRED_AT}"
            )
        return cls(
            state=saved["state"],
            mean=np.asarray(saved["mean"], dtype=np.float64),
            scale=np.asarray(saved["scale"], dtype=np.float64),
            calibration=tuple(saved["calibration"]),
            features=tuple(saved["features"]),
            provenance=saved.get("provenance", {}),
        )


def packaged_versions() -> tuple[str, ...]:
    """The versions under `linkage/weights/` (`pair-<version>.pt`), sorted."""
    try:
        names = list(importlib.resources.files("linkage").joinpath("weights").iterdir())
    except (OSError, TypeError):  # a loader that cannot list its data
        return ()
    return tuple(
        sorted(
            n.name.removeprefix("pair-").removesuffix(".pt")
            for n in names
            if n.name.startswith("pair-") and n.name.endswith(".pt")
        )
    )


def load_pair_model(version: str, weights_path: str | None = None) -> PairModel:
    """The packaged model `linkage/weights/pair-<version>.pt`, or a file."""
    if weights_path:
        if not os.path.isfile(weights_path):
            raise ConfigError(f"linkage.pair_model.weights_path: no such file {weights_path}")
        with open(weights_path, "rb") as fh:
            return PairModel.from_bytes(fh.read())
    try:
        blob = pkgutil.get_data("linkage", f"weights/pair-{version}.pt")
    except FileNotFoundError:
        blob = None
    if blob is None:
        raise ConfigError(
            f"linkage.pair_model.version: no packaged pair model {version!r} "
            f"(packaged: {', '.join(packaged_versions()) or 'none'}); for another model's "
            f".pt file set linkage.pair_model.weights_path (earlier models are at "
            f"{RETIRED_AT})"
        )
    return PairModel.from_bytes(blob)


def describe(model: PairModel) -> dict[str, Any]:
    """What a run logs about the pair model it used."""
    return {
        **model.provenance,
        "features": list(model.features),
        "calibration": list(model.calibration),
    }


def fit_pair_model(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    epochs: int = 15,
    batch_size: int = 1024,
    holdout: float = 0.2,
    seed: int = 0,
    features: tuple[str, ...] = DEFAULT_FEATURES,
    provenance: dict[str, Any] | None = None,
    init: PairModel | None = None,
    learning_rate: float = 3e-3,
    anchors: tuple[np.ndarray, np.ndarray, float] | None = None,
) -> tuple[PairModel, dict[str, float]]:
    """Train on labelled pairs: `x` holds one column per name in `features`,
    in that order. `groups` (e.g. a hash of the left record's true entity)
    keeps every pair of one entity on one side of the split, so the
    calibration holdout is not pairs the network has seen. `init`: a model
    over the same features whose weights and scaling training starts from
    (a few hundred labels move a trained model further than they build one).
    `anchors`: (x, soft targets, total weight): unlabelled pairs with the
    probabilities a model gave them, trained on beside the labels with that
    much weight in all (in labels' worth) and never used to calibrate, so a
    few labels move the model where they disagree with it and leave it alone
    elsewhere. With `init`, its calibration is kept and trained through
    rather than fitted again on held-out pairs."""
    import torch

    unknown = unknown_features(features)
    if unknown:
        raise ValueError(f"unknown pair features: {', '.join(unknown)}")
    if x.ndim != 2 or x.shape[1] != len(features):
        raise ValueError(f"x has {x.shape[-1]} columns for {len(features)} features")

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if init is not None:
        # Fine-tuning keeps the model's calibration inside the loss: every
        # label trains, and none is spent on a calibration of a few pairs.
        is_held = np.zeros(len(y), dtype=bool)
    else:
        unique = np.unique(groups)
        held = set(rng.choice(unique, size=max(1, int(len(unique) * holdout)), replace=False))
        is_held = np.fromiter((g in held for g in groups), dtype=bool, count=len(groups))
    train_x, train_y = x[~is_held], y[~is_held]
    weight = np.ones(len(train_x))
    if anchors is not None and len(anchors[0]):
        ax, ay, total = anchors
        train_x = np.concatenate([train_x, ax])
        train_y = np.concatenate([train_y, ay])
        weight = np.concatenate([weight, np.full(len(ax), total / len(ax))])

    net = _network(x.shape[1])
    a, b = init.calibration if init is not None else (1.0, 0.0)
    if init is not None:
        if tuple(init.features) != tuple(features):
            raise ValueError("init: a model over other features cannot be trained further")
        mean, scale = init.mean, init.scale
        net.load_state_dict(init.state)
    else:
        mean = train_x.mean(axis=0)
        scale = train_x.std(axis=0)
        scale[scale < 1e-6] = 1.0
    optimiser = torch.optim.Adam(net.parameters(), lr=learning_rate, weight_decay=1e-5)
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none")
    tx = torch.from_numpy(((train_x - mean) / scale).astype(np.float32))
    ty = torch.from_numpy(train_y.astype(np.float32))
    tw = torch.from_numpy((weight / weight.mean()).astype(np.float32))
    generator = torch.Generator().manual_seed(seed)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(tx), generator=generator)
        for start in range(0, len(tx), batch_size):
            idx = order[start : start + batch_size]
            optimiser.zero_grad()
            logits = a * net(tx[idx]).squeeze(1) + b
            loss = (loss_fn(logits, ty[idx]) * tw[idx]).mean()
            loss.backward()
            optimiser.step()

    model = PairModel(
        state={k: v.detach().clone() for k, v in net.state_dict().items()},
        mean=mean,
        scale=scale,
        features=tuple(features),
        provenance=dict(provenance or {}),
    )
    metrics = {"train_pairs": float((~is_held).sum()), "holdout_pairs": float(is_held.sum())}
    if init is not None:
        model.calibration = init.calibration
        model.provenance.update(metrics)
        return model, metrics
    held_logits = model.logits(x[is_held])
    model.calibration = _platt(held_logits, y[is_held])
    p = model.probability(x[is_held])
    yh = y[is_held]
    metrics["holdout_log_loss"] = float(
        -np.mean(yh * np.log(np.clip(p, 1e-9, 1)) + (1 - yh) * np.log(np.clip(1 - p, 1e-9, 1)))
    )
    model.provenance.update(metrics)
    return model, metrics


def _platt(logits: np.ndarray, y: np.ndarray, steps: int = 500) -> tuple[float, float]:
    """Fit p = sigmoid(a * logit + b) by Newton's method on the log loss."""
    a, b = 1.0, 0.0
    for _ in range(steps):
        p = _sigmoid(a * logits + b)
        g = np.array([np.sum((p - y) * logits), np.sum(p - y)])
        w = p * (1 - p) + 1e-12
        h = np.array(
            [[np.sum(w * logits * logits), np.sum(w * logits)], [np.sum(w * logits), np.sum(w)]]
        )
        h += np.eye(2) * 1e-6
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-9:
            break
    return float(a), float(b)


def rescore(pairs: DataFrame, records: DataFrame, model: PairModel) -> DataFrame:
    """Scored pairs with `match_probability` from the pair model; Splink's own
    is kept as `splink_probability`. `records`: every record the pairs mention
    (unless they carry `linkage.pair_features.SIDE_COLUMNS`)."""
    from linkage.pair_features import SIDE_COLUMNS, pair_features

    blob = model.to_bytes()
    features = list(model.features)
    # Only the features this model reads are computed.
    with_features = pair_features(pairs, records, features).withColumnRenamed(
        "match_probability", "splink_probability"
    )
    keep = [
        "splink_probability" if c == "match_probability" else c
        for c in pairs.columns
        if c not in SIDE_COLUMNS
    ]

    # A scalar UDF: only the features go to Python and back; the pairs' ids
    # and blocker lists stay in the JVM (through mapInArrow they crossed both
    # ways, for millions of pairs).
    @F.arrow_udf(DoubleType())
    def probability(batches: Iterator[pa.Array]) -> Iterator[pa.Array]:
        import torch

        torch.set_num_threads(1)  # one per task: Spark runs a task per core
        local = PairModel.from_bytes(blob)
        for batch in batches:
            x = np.column_stack(
                [batch.field(i).to_numpy(zero_copy_only=False) for i in range(len(features))]
            ).astype(np.float64)
            p = local.probability(x) if len(batch) else np.zeros(0)
            yield pa.array(p, type=pa.float64())

    return with_features.select(*keep, probability(F.struct(*features)).alias("match_probability"))
