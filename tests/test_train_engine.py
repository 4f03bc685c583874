"""The Splink model learned in DuckDB on the driver, then scoring on Spark."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from blocking import candidate_pairs
from catalog.generator import generate_catalog
from catalog.normalise import normalise
from catalog.readers import conform
from linkage.model import model_input, settings
from linkage.scoring import present_columns, score_with_model, train_on_duckdb

RECORDS = 1500


@pytest.fixture(scope="module")
def resolved_input(spark):
    from conf.config import load_config

    cfg = load_config(None, ["spark.shuffle_partitions=2", "linkage.pair_model.enabled=false"])
    raw = conform(generate_catalog(spark, RECORDS, seed=31)).where(F.col("title").isNotNull())
    records = normalise(raw.dropDuplicates(["record_id"]), cfg.normalise).cache()
    return cfg, records


@pytest.mark.stage
def test_duckdb_learns_every_level_and_spark_scores_with_it(spark, resolved_input):
    cfg, records = resolved_input
    inputs = model_input(records)
    present = present_columns(inputs)
    model = train_on_duckdb(inputs, settings(cfg.linkage, present), cfg.linkage, present)

    assert 0 < model["probability_two_random_records_match"] < 0.01
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            # u from sampling and m from EM (or fixed) for every level.
            assert 0 < level["u_probability"] <= 1, (comparison["output_column_name"], level)
            assert 0 < level["m_probability"] <= 1, (comparison["output_column_name"], level)

    candidates, _ = candidate_pairs(records, cfg.blocking)
    scored = score_with_model(spark, records, candidates, model, cfg.linkage.pair_model)
    truth = records.select("record_id", "true_entity_id")
    judged = (
        scored.join(truth.toDF("record_id_l", "e_l"), "record_id_l")
        .join(truth.toDF("record_id_r", "e_r"), "record_id_r")
        .select((F.col("e_l") == F.col("e_r")).alias("same"), "match_probability")
        .toPandas()
    )
    linked = judged.match_probability >= 0.9
    precision = (linked & judged.same).sum() / linked.sum()
    recall = (linked & judged.same).sum() / judged.same.sum()
    # Splink alone, no pair model, a tiny catalogue: well above chance either way.
    assert precision > 0.9 and recall > 0.8, (precision, recall)
