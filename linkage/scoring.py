"""Train the Splink model without labels and score exactly the blocked pairs.

u comes from random sampling, the prior from deterministic rules, m from EM.
Prediction scores the candidate pairs that `blocking` proposed (registered
with Splink's blocked-pairs hook), so blocking stays tracklink's business.

With `linkage.pair_model.enabled`, the learned pair model (linkage/pair_model.py)
then rescores every pair from Splink's weight and the pair's similarities.

Scored pairs schema: `record_id_l`, `record_id_r`, `match_weight` (double,
Splink's), `match_probability` (double: the pair model's, else Splink's),
`blocked_by` (array<string>), and with the pair model `splink_probability`
(double).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from conf.config import LinkageConfig, PairModelConfig
from linkage.model import MODEL_COLUMNS, model_input, settings
from linkage.pair_features import SIDE_COLUMNS
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
    from splink import Linker

    log = get_logger()
    # Splink breaks lineage by writing Parquet under the session's checkpoint dir.
    db_api = spark_api(spark)
    everything = model_input(records)
    inputs = training_sample(everything, cfg.train_max_records, cfg.seed)
    present = present_columns(inputs)
    absent = sorted(set(MODEL_COLUMNS) - present - {"record_id", "artist_names"})
    if absent:
        log.info("  no values at all in %s: left out of the model", ", ".join(absent))
    if cfg.train_engine == "duckdb":
        model = train_on_duckdb(inputs, settings(cfg, present), cfg, present)
        return ScoredPairs(
            score_with_model(spark, records, candidates, model, cfg.pair_model), model
        )
    registered = db_api.register(inputs)
    linker = Linker(registered, settings(cfg, present), log_level=logging.WARNING)
    train(linker, cfg, present)
    model = linker.misc.save_model_to_json()
    if inputs is everything:
        pairs = _predict_blocked(db_api, linker, candidates)
        return ScoredPairs(with_pair_model(pairs, records, cfg.pair_model), model)
    # Learned on a sample: scored by a linker over every record, so that term
    # frequencies come from the whole catalogue.
    return ScoredPairs(score_with_model(spark, records, candidates, model, cfg.pair_model), model)


def spark_api(spark: SparkSession):  # -> splink.SparkAPI
    """Splink's Spark backend, writing its intermediate tables as Parquet
    under the session's checkpoint dir, and leaving the predictions in the
    partitions the scoring join made.

    Splink round-robins its predictions into half of
    `spark.sql.shuffle.partitions` before writing them: a shuffle of every
    scored pair with both records' retained columns, and a sort of them
    first (Spark sorts before a round-robin repartition to stay
    deterministic). The scoring join's partitions are already even (pairs
    hashed on a record id), so the shuffle buys nothing here."""
    from splink import SparkAPI

    class _SparkAPI(SparkAPI):
        def _repartition_if_needed(self, spark_df, templated_name):
            if templated_name == "__splink__df_predict":
                return spark_df
            return super()._repartition_if_needed(spark_df, templated_name)

    return _SparkAPI(spark_session=spark, break_lineage_method="parquet")


def train(linker, cfg: LinkageConfig, present: set[str]) -> None:
    """Prior from deterministic rules, u by random sampling, m by EM: no labels."""
    from splink import block_on

    log = get_logger()
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


def train_on_duckdb(inputs: DataFrame, model_settings, cfg: LinkageConfig, present: set[str]):
    """The model learned in DuckDB on the driver from `inputs` (the training
    sample, collected as Arrow); returns its JSON for scoring on Spark."""
    from splink import DuckDBAPI, Linker

    t0 = time.perf_counter()
    table = inputs.toArrow()
    get_logger().info(
        "  training on DuckDB (linkage.train_engine): %s records collected in %.1f s",
        f"{table.num_rows:,}",
        time.perf_counter() - t0,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(table), model_settings, log_level=logging.WARNING)
    train(linker, cfg, present)
    return in_dialect(linker.misc.save_model_to_json(), model_settings, "spark")


def in_dialect(model: dict[str, Any], model_settings, dialect: str) -> dict[str, Any]:
    """A trained model's JSON with its SQL in another dialect: the conditions
    written afresh from the same settings (DuckDB's `"col_l"` is a string in
    Spark SQL, its jaro_winkler_similarity is Splink's jaro_winkler jar
    function there), the learned probabilities kept."""
    fresh = model_settings.create_settings_dict(dialect)
    out = json.loads(json.dumps(model))
    for trained, written in zip(out["comparisons"], fresh["comparisons"], strict=True):
        if trained["output_column_name"] != written["output_column_name"]:
            raise ValueError(
                f"model and settings disagree: {trained['output_column_name']} "
                f"vs {written['output_column_name']}"
            )
        levels = zip(trained["comparison_levels"], written["comparison_levels"], strict=True)
        for level, fresh_level in levels:
            level["sql_condition"] = fresh_level["sql_condition"]
    out["sql_dialect"] = dialect
    return out


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


def with_pair_model(pairs: DataFrame, records: DataFrame, cfg: PairModelConfig | None) -> DataFrame:
    """Splink's scored pairs, rescored by the pair model if it is enabled."""
    if cfg is None or not cfg.enabled:
        return pairs
    from linkage.pair_model import load_pair_model, rescore

    model = load_pair_model(cfg.version, cfg.weights_path)
    get_logger().info(
        "  pair model %s (trained on %s) rescores the pairs",
        cfg.weights_path or cfg.version,
        model.provenance.get("trained_on", "?"),
    )
    return rescore(pairs, records, model)


def score_with_model(
    spark: SparkSession,
    records: DataFrame,
    candidates: DataFrame,
    model_json: dict[str, Any],
    pair_model: PairModelConfig | None = None,
) -> DataFrame:
    """Score `candidates` with a model trained earlier (an incremental run uses
    the full run's model, so old and new pairs are on one scale). `records` must
    hold every record the candidates mention; term frequencies come from all of them."""
    from splink import Linker

    db_api = spark_api(spark)
    registered = db_api.register(model_input(records))
    rescored = pair_model is not None and pair_model.enabled
    # The pair model reads both records' values: Splink has them at hand
    # when it compares the pair, so it keeps them rather than the pairs being
    # joined to the records twice more.
    retained = {**model_json, "retain_matching_columns": rescored}
    linker = Linker(registered, retained, log_level=logging.WARNING)
    pairs = _predict_blocked(db_api, linker, candidates, SIDE_COLUMNS if rescored else ())
    return with_pair_model(pairs, records, pair_model)


def _predict_blocked(
    db_api, linker, candidates: DataFrame, carry: tuple[str, ...] = ()
) -> DataFrame:
    """Splink scores exactly the pairs blocking proposed, through its blocked-pairs hook.

    A pair's `blocked_by` rides through Splink as its `match_key` (a string
    Splink keeps in its predictions): joining the scored pairs back to the
    candidates to recover it would shuffle both (docs/linkage.md, "Where it
    learns, where it scores"). `carry`:
    the retained matching columns to keep, those the predictions have."""
    blocked = candidates.select(
        F.concat_ws(",", "blocked_by").alias("match_key"),
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
        F.split(F.col("match_key"), ",").alias("blocked_by"),
        *[c for c in carry if c in predictions.columns],
    )
