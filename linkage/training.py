"""The pair model's training data: a resolved catalogue's scored pairs,
labelled from its truth column, and the model fitted and written from them.
`pipeline.training` produces the resolved catalogues."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from catalog.schema import ENTITY_TRUTH
from linkage.pair_features import DEFAULT_FEATURES, pair_features
from linkage.pair_model import PairModel, fit_pair_model

# The generator's truth: a recording, or a video, which is its own entity.
TRUTH = ENTITY_TRUTH


def labelled_pairs(
    records: DataFrame, pairs: DataFrame, features: tuple[str, ...] = DEFAULT_FEATURES
) -> DataFrame:
    """`features` of every scored pair, `label` 1 when both records are one recording."""
    truth = records.select("record_id", F.col(TRUTH).alias("t"))
    return (
        pair_features(pairs.select("record_id_l", "record_id_r", "match_weight"), records, features)
        .join(truth.toDF("record_id_l", "t_l"), "record_id_l")
        .join(truth.toDF("record_id_r", "t_r"), "record_id_r")
        .select(
            F.col("t_l").alias("group"),
            (F.col("t_l") == F.col("t_r")).cast("int").alias("label"),
            *features,
        )
    )


def fit_labelled_pairs(
    data: pd.DataFrame,
    features: tuple[str, ...],
    *,
    epochs: int,
    seed: int,
    provenance: dict[str, Any],
) -> tuple[PairModel, dict[str, float]]:
    """Fit the pair model on `labelled_pairs` rows collected to pandas (from
    one or more catalogues); the pairs of one `group` stay on one side of the
    calibration holdout."""
    return fit_pair_model(
        data[list(features)].to_numpy(np.float64),
        data["label"].to_numpy(np.float64),
        pd.util.hash_array(data["group"].to_numpy()),
        epochs=epochs,
        seed=seed,
        features=features,
        provenance=provenance,
    )


def write_pair_model(model: PairModel, output: str, version: str) -> tuple[str, str]:
    """Write OUTPUT/pair-VERSION.pt (the model) and OUTPUT/pair-VERSION.json
    (its provenance and calibration); returns both paths."""
    weights = os.path.join(output, f"pair-{version}.pt")
    meta = os.path.join(output, f"pair-{version}.json")
    with open(weights, "wb") as fh:
        fh.write(model.to_bytes())
    with open(meta, "w") as fh:
        json.dump({**model.provenance, "calibration": list(model.calibration)}, fh, indent=2)
    return weights, meta
