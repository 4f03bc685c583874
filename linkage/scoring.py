"""Train the Splink model without labels and score exactly the blocked pairs.

u comes from random sampling, the prior from deterministic rules, m from EM.
Prediction scores the candidate pairs that `blocking` proposed (registered
with Splink's blocked-pairs hook), so blocking stays tracklink's business.

Scored pairs schema: `record_id_l`, `record_id_r`, `match_weight` (double),
`match_probability` (double), `blocked_by` (array<string>).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from conf.config import LinkageConfig
from linkage.model import MODEL_COLUMNS, model_input, settings
from runtime.progress import get_logger


@dataclass
class ScoredPairs:
    pairs: DataFrame
    model_json: dict[str, Any]


def present_columns(inputs: DataFrame) -> set[str]:
    """The model columns that hold at least one value."""
    counts = inputs.agg(*[F.count(F.col(c)).alias(c) for c in inputs.columns]).collect()[0]
    return {c for c in inputs.columns if counts[c]}


def train_and_score(
    spark: SparkSession, records: DataFrame, candidates: DataFrame, cfg: LinkageConfig
) -> ScoredPairs:
    """Fit the model on `records` and score `candidates` (record_id_l < record_id_r)."""
    from splink import Linker, SparkAPI, block_on

    log = get_logger()
    # Splink breaks lineage by writing Parquet under the session's checkpoint dir.
    db_api = SparkAPI(spark_session=spark, break_lineage_method="parquet")
    everything = model_input(records)
    inputs = training_sample(everything, cfg.train_max_records, cfg.seed)
    present = present_columns(inputs)
    absent = sorted(set(MODEL_COLUMNS) - present - {"record_id", "artist_names"})
    if absent:
        log.info("  no values at all in %s: left out of the model", ", ".join(absent))
    registered = db_api.register(inputs)
    linker = Linker(registered, settings(cfg, present), log_level=logging.WARNING)

    t0 = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("title_norm", "artist_norm")], recall=cfg.prior_recall
    )
    log.info("  prior estimated in %.1f s", time.perf_counter() - t0)
    t0 = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(max_pairs=cfg.u_max_pairs, seed=cfg.seed)
    log.info(
        "  u estimated from %s sampled pairs in %.1f s",
        f"{cfg.u_max_pairs:,.0f}",
        time.perf_counter() - t0,
    )
    for columns in cfg.em_blocking:
        missing = [c for c in MODEL_COLUMNS if c not in present and any(c in e for e in columns)]
        if missing:
            log.info(
                "  EM blocked on %s skipped: no values in %s", "+".join(columns), ", ".join(missing)
            )
            continue
        t0 = time.perf_counter()
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
        log.info("  m by EM blocked on %s in %.1f s", "+".join(columns), time.perf_counter() - t0)
    model = linker.misc.save_model_to_json()
    if inputs is everything:
        return ScoredPairs(_predict_blocked(db_api, linker, candidates), model)
    # Learned on a sample: scored by a linker over every record, so that term
    # frequencies come from the whole catalogue.
    return ScoredPairs(score_with_model(spark, records, candidates, model), model)


def training_sample(inputs: DataFrame, max_records: int, seed: int) -> DataFrame:
    """At most about `max_records` records to learn the model from. A uniform
    sample keeps the share of matching pairs (the prior), the u- and the
    m-probabilities; training cost then stops growing with the catalogue."""
    n = inputs.count()
    if n <= max_records:
        return inputs
    get_logger().info(
        "  training on a %s-record sample of %s (linkage.train_max_records)",
        f"{max_records:,}",
        f"{n:,}",
    )
    return inputs.sample(fraction=max_records / n, seed=seed).localCheckpoint()


def score_with_model(
    spark: SparkSession, records: DataFrame, candidates: DataFrame, model_json: dict[str, Any]
) -> DataFrame:
    """Score `candidates` with a model trained earlier (an incremental run uses
    the full run's model, so old and new pairs are on one scale). `records` must
    hold every record the candidates mention; term frequencies come from all of them."""
    from splink import Linker, SparkAPI

    db_api = SparkAPI(spark_session=spark, break_lineage_method="parquet")
    registered = db_api.register(model_input(records))
    linker = Linker(registered, model_json, log_level=logging.WARNING)
    return _predict_blocked(db_api, linker, candidates)


def _predict_blocked(db_api, linker, candidates: DataFrame) -> DataFrame:
    """Splink scores exactly the pairs blocking proposed, through its blocked-pairs hook."""
    blocked = candidates.select(
        F.lit("0").alias("match_key"),
        F.col("record_id_l").alias("join_key_l"),
        F.col("record_id_r").alias("join_key_r"),
    )
    linker.table_management.register_blocked_pairs_for_predict(db_api.register(blocked))
    predictions = linker.inference.predict().as_spark_dataframe()
    return predictions.select(
        F.col("record_id_l").cast("string"),
        F.col("record_id_r").cast("string"),
        F.col("match_weight").cast("double"),
        F.col("match_probability").cast("double"),
    ).join(candidates, ["record_id_l", "record_id_r"], "inner")
