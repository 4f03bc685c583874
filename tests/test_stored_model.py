"""The `model` table keeps the trained Splink model as data: loading builds
its SQL with tracklink's own comparisons, and SQL put into the stored data is
refused or ignored, never run (issue 35, item 12)."""

from __future__ import annotations

import copy
import json
import re

import pytest
from pyspark.sql import functions as F

from conf.config import LinkageConfig, load_config
from conf.errors import InputError
from linkage.model import settings
from linkage.stored_model import MODEL_FORMAT, load_model, stored_model

VECTOR = "audio_vec"
# Spark SQL that fails the query that evaluates it: if it runs, scoring fails.
INJECTED = "raise_error('stored SQL was executed')"


def _trained_like(cfg: LinkageConfig | None = None) -> dict:
    """A Splink model JSON as training saves it (Spark dialect, every
    comparison, a vector one too), with made-up learned probabilities."""
    cfg = cfg or LinkageConfig()
    model = settings(cfg, None, [VECTOR]).create_settings_dict("spark")
    model["sql_dialect"] = "spark"
    model["probability_two_random_records_match"] = 0.00042
    for c, comparison in enumerate(model["comparisons"]):
        levels = [lvl for lvl in comparison["comparison_levels"] if not lvl.get("is_null_level")]
        for i, level in enumerate(levels):
            if not level.get("fix_m_probability"):
                level["m_probability"] = round(0.9 / (i + 1) / len(levels), 6)
            level["u_probability"] = round(0.01 * (c + 1) * (i + 1), 6)
    return model


def _strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def _levels(model: dict) -> list[tuple]:
    return [
        (
            c["output_column_name"],
            lvl["label_for_charts"],
            lvl.get("m_probability"),
            lvl.get("u_probability"),
        )
        for c in model["comparisons"]
        for lvl in c["comparison_levels"]
    ]


def test_the_stored_form_holds_no_sql():
    stored = stored_model(_trained_like())
    text = json.dumps(stored)
    assert stored["model_format"] == MODEL_FORMAT
    assert "sql" not in text.lower()
    assert "select" not in text.lower()
    for s in _strings(stored):
        # Splink's column expressions: `title_norm_l`, "duration_s_r", functions, ELSE.
        assert not re.search(r"\w_[lr]\b|[`\"(]|\bELSE\b", s), s
    kinds = {c["column"]: c["kind"] for c in stored["comparisons"]}
    assert kinds["title_norm"] == "column" and kinds[VECTOR] == "cosine"
    assert set(stored["comparisons"][0]) == {"kind", "column", "parameters", "levels"}


def test_a_stored_model_loads_as_the_settings_it_was_trained_with():
    trained = _trained_like()
    loaded = load_model(json.loads(json.dumps(stored_model(trained))))
    assert loaded["comparisons"] == trained["comparisons"]
    assert loaded["probability_two_random_records_match"] == 0.00042
    assert loaded["blocking_rules_to_generate_predictions"] == []
    assert loaded["sql_dialect"] == "spark"


def test_the_parameters_that_build_a_comparison_are_kept():
    cfg = LinkageConfig(tf_minimum_u=0.0002, vector_levels=[0.97, 0.93, 0.91])
    trained = _trained_like(cfg)
    stored = stored_model(trained)
    by_column = {c["column"]: c for c in stored["comparisons"]}
    assert by_column["title_norm"]["parameters"] == {"tf_minimum_u": 0.0002}
    assert by_column[VECTOR]["parameters"] == {"thresholds": [0.97, 0.93, 0.91]}
    assert load_model(stored)["comparisons"] == trained["comparisons"]


def test_an_old_output_gives_its_numbers_and_its_sql_is_ignored():
    old = _trained_like()  # outputs written before the stored form held Splink's JSON
    tampered = copy.deepcopy(old)
    for comparison in tampered["comparisons"]:
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = INJECTED
    tampered["blocking_rules_to_generate_predictions"] = [{"blocking_rule": INJECTED}]
    tampered["additional_columns_to_retain"] = [INJECTED]
    loaded = load_model(tampered)
    assert INJECTED not in json.dumps(loaded)
    assert loaded["comparisons"] == old["comparisons"]
    assert _levels(loaded) == _levels(old)


def test_sql_keys_added_to_the_stored_form_are_ignored():
    trained = _trained_like()
    stored = stored_model(trained)
    stored["blocking_rules_to_generate_predictions"] = [INJECTED]
    stored["additional_columns_to_retain"] = [INJECTED]
    for comparison in stored["comparisons"]:
        comparison["sql_condition"] = INJECTED
        for level in comparison["levels"]:
            level["sql_condition"] = INJECTED
            level["tf_adjustment_column"] = INJECTED
    loaded = load_model(json.loads(json.dumps(stored)))
    assert INJECTED not in json.dumps(loaded)
    assert loaded["comparisons"] == trained["comparisons"]


def _tamper(stored: dict, column: str, change) -> dict:
    stored = copy.deepcopy(stored)
    change(next(c for c in stored["comparisons"] if c["column"] == column))
    return stored


def _level(i, key, value):
    def change(comparison):
        comparison["levels"][i][key] = value

    return change


def _set(key, value):
    def change(comparison):
        comparison[key] = value

    return change


TAMPERED = {
    "a label": ("title_norm", _level(1, "label", "title_norm; DROP TABLE records")),
    "a level's vector value": ("title_norm", _level(2, "comparison_vector_value", 7)),
    "a column name": ("title_norm", _set("column", "title_norm; DROP TABLE records")),
    "a column Splink would quote": ("title_norm", _set("column", "title_norm` = `title_norm")),
    "a vector name": (VECTOR, _set("column", "v` = `v) OR (1=1")),
    "a vector name with a dot": (VECTOR, _set("column", "records.title_norm")),
    "a vector on a tracklink column": (VECTOR, _set("column", "title_norm")),
    "an unknown kind": ("title_norm", _set("kind", "sql")),
    "a level added": ("year", lambda c: c["levels"].insert(1, dict(c["levels"][1]))),
    "a level dropped": ("year", lambda c: c["levels"].pop(2)),
    "a sql_condition parameter": ("album_norm", _set("parameters", {"sql_condition": "1=1"})),
    "a threshold as text": (VECTOR, _set("parameters", {"thresholds": ["0.9) OR (1=1"]})),
    "an m as text": ("isrc_norm", _level(1, "m_probability", "0.9; SELECT 1")),
    "an m out of range": ("isrc_norm", _level(1, "m_probability", 4.0)),
    "a floor as text": ("title_norm", _set("parameters", {"tf_minimum_u": "0.001 OR 1=1"})),
}


@pytest.mark.parametrize("what", sorted(TAMPERED))
def test_stored_data_this_code_does_not_build_is_refused(what):
    column, change = TAMPERED[what]
    stored = _tamper(stored_model(_trained_like()), column, change)
    with pytest.raises(InputError) as refused:
        load_model(json.loads(json.dumps(stored)))
    assert "\n" not in str(refused.value)


def test_a_prior_that_is_not_a_probability_is_refused():
    stored = stored_model(_trained_like())
    for prior in ("0.1; DROP TABLE x", 0, 1.5, None, True):
        with pytest.raises(InputError, match="probability_two_random_records_match"):
            load_model({**stored, "probability_two_random_records_match": prior})


def test_an_unknown_format_or_an_old_model_of_other_levels_is_refused():
    stored = stored_model(_trained_like())
    with pytest.raises(InputError, match="full tracklink resolve"):
        load_model({**stored, "model_format": "tracklink-model/99"})
    with pytest.raises(InputError, match="full tracklink resolve"):
        load_model({"settings": INJECTED})
    # An output whose comparisons an older tracklink built differently.
    old = _trained_like()
    old["comparisons"][0]["comparison_levels"][2]["label_for_charts"] = (
        "Jaro-Winkler distance of title_norm >= 0.9"
    )
    with pytest.raises(InputError, match="title_norm"):
        load_model(old)


# --- with Spark: scoring with the loaded model ---------------------------------


@pytest.fixture(scope="module")
def trained(spark):
    from catalog.generator import generate_catalog
    from catalog.normalise import normalise
    from catalog.profile import profile_roles
    from catalog.readers import conform
    from conf.config import RolesConfig
    from linkage.model import model_input
    from linkage.scoring import ALWAYS, train_on_duckdb

    cfg = load_config(None, ["spark.shuffle_partitions=2", "linkage.pair_model.enabled=false"])
    raw = conform(generate_catalog(spark, 400, seed=35)).where(F.col("title").isNotNull())
    records = normalise(raw.dropDuplicates(["record_id"]), cfg.normalise).cache()
    present = set(profile_roles(records, RolesConfig()).usable) | ALWAYS
    model, _ = train_on_duckdb(
        model_input(records), settings(cfg.linkage, present), cfg.linkage, present
    )
    # Pairs sharing a length bucket: matches and non-matches (blocking itself
    # is not under test, and is slow to plan).
    side = records.select("record_id", F.floor(F.col("duration_s") / 10).alias("bucket"))
    candidates = (
        side.toDF("record_id_l", "bucket")
        .join(side.toDF("record_id_r", "bucket"), "bucket")
        .where(F.col("record_id_l") < F.col("record_id_r"))
        .select("record_id_l", "record_id_r", F.array(F.lit("test")).alias("blocked_by"))
        .orderBy("record_id_l", "record_id_r")
        .limit(300)
    )
    return cfg, records, candidates.cache(), model


def _weights(spark, trained, model) -> dict:
    from linkage.scoring import score_with_model

    _, records, candidates, _ = trained
    scored, _ = score_with_model(spark, records, candidates, model, None)
    return {(r.record_id_l, r.record_id_r): r.match_weight for r in scored.collect()}


@pytest.mark.stage
def test_the_model_table_scores_pairs_as_the_trained_model_did(spark, trained):
    from pipeline.tables import latest_model, model_row

    cfg, _, _, model = trained
    row = model_row(spark, "run-1", cfg, model)
    assert "sql_condition" not in row.first()["splink_model"]
    loaded = latest_model(row)
    stored, want = _levels(loaded), _levels(model)
    assert [g[:2] for g in stored] == [w[:2] for w in want]
    for g, w in zip(stored, want, strict=True):
        # probabilities are stored to 12 significant digits
        assert (g[2] is None) == (w[2] is None) and (g[3] is None) == (w[3] is None)
        assert [v for v in g[2:] if v is not None] == pytest.approx(
            [v for v in w[2:] if v is not None], rel=1e-11
        )
    expected = _weights(spark, trained, model)
    assert len(expected) > 50
    got = _weights(spark, trained, loaded)
    assert got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(expected[k], abs=1e-9) for k in expected)


@pytest.mark.stage
def test_sql_injected_into_an_old_model_row_is_never_run(spark, trained):
    from pipeline.tables import MODEL_SCHEMA, latest_model

    cfg, _, _, model = trained
    tampered = copy.deepcopy(model)
    for comparison in tampered["comparisons"]:
        # The level before ELSE: never the null level, nor a term-frequency one.
        comparison["comparison_levels"][-2]["sql_condition"] = INJECTED
    # Handed to Splink as the table held it, the injected SQL would run.
    with pytest.raises(Exception, match="stored SQL was executed"):
        _weights(spark, trained, tampered)
    row = spark.createDataFrame(
        [("run-0", "2026-01-01T00:00:00Z", "x", json.dumps(tampered))], MODEL_SCHEMA
    )
    loaded = latest_model(row)
    assert INJECTED not in json.dumps(loaded)
    assert _weights(spark, trained, loaded) == pytest.approx(_weights(spark, trained, model))
