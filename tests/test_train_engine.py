"""The Splink model learned in DuckDB on the driver, then scoring on Spark."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from blocking import candidate_pairs
from catalog.generator import generate_catalog
from catalog.normalise import normalise
from catalog.profile import profile_roles
from catalog.readers import conform
from conf.config import RolesConfig
from linkage.model import model_input, settings
from linkage.scoring import ALWAYS, score_with_model, train_on_duckdb

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
    present = set(profile_roles(records, RolesConfig()).usable) | ALWAYS
    model, training = train_on_duckdb(inputs, settings(cfg.linkage, present), cfg.linkage, present)
    assert training.em_steps == ["title_norm+floor(duration_s / 4)", "artist_norm+album_norm"]

    assert 0 < model["probability_two_random_records_match"] < 0.01
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            # u from sampling and m from EM (or fixed) for every level.
            assert 0 < level["u_probability"] <= 1, (comparison["output_column_name"], level)
            assert 0 < level["m_probability"] <= 1, (comparison["output_column_name"], level)

    candidates, _ = candidate_pairs(records, cfg.blocking)
    scored, pair_model = score_with_model(spark, records, candidates, model, cfg.linkage.pair_model)
    assert pair_model.startswith("off")
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


def test_em_plan_uses_the_roles_present_and_falls_back_for_what_no_step_frees():
    from conf.config import LinkageConfig
    from linkage.scoring import em_plan

    cfg = LinkageConfig()
    everything = {"title_norm", "artist_norm", "album_norm", "duration_s", "year", "version_class"}
    steps, skipped = em_plan(cfg, everything, everything)
    assert steps == cfg.em_blocking and not skipped
    # No album: the artist+album step cannot run; the title is then left
    # free by no step, so the fallback blocked on the artist learns it.
    no_album = everything - {"album_norm"}
    steps, skipped = em_plan(cfg, no_album, no_album)
    assert steps == [["title_norm", "floor(duration_s / 4)"], ["artist_norm"]]
    assert skipped == {"artist_norm+album_norm": "no album_norm"}
    # Title and artist only: both fallbacks.
    two = {"title_norm", "artist_norm", "version_class"}
    assert em_plan(cfg, two, two)[0] == [["title_norm"], ["artist_norm"]]


@pytest.mark.stage
def test_an_em_step_that_finds_no_pairs_is_skipped_not_fatal(spark, resolved_input):
    """The crash a real catalogue hit: an album in a handful of records, so
    EM blocked on it found no pairs. Forced here by keeping the album role."""
    cfg, records = resolved_input
    sparse = records.withColumn(
        "album_norm", F.when(F.col("record_id") == F.lit("nope"), F.lit("x"))
    ).withColumn("album_norm", F.when(F.rand(1) < 0.002, F.col("title_norm")))
    present = {"title_norm", "artist_norm", "album_norm", "version_class"} | ALWAYS
    model, training = train_on_duckdb(
        model_input(sparse), settings(cfg.linkage, present), cfg.linkage, present
    )
    assert "artist_norm+album_norm" in training.em_skipped
    assert model["comparisons"]
