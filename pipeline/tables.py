"""The output tables a run writes under its output folder, and how their rows are built.

* `clusters`: every resolved record once: record_id, source, cluster_id,
  cluster_size, kind, version, title, artists, album, isrc, duration_s, year,
  the input's passthrough columns, run_id. Change data feed on.
* `pairs`: every candidate pair, scored: record_id_l, record_id_r,
  match_probability, match_weight, splink_probability, blocked_by, linked, run_id.
* `quarantine`: rows that could not be resolved: record_id, source, reason, raw, run_id.
* `cluster_events`: appended per run: how cluster ids changed (new, grew,
  shrank, merged, split, retired).
* `runs`: one row appended per run: mode, counts, timings, table versions, scores,
  and `model_inputs` (JSON: the column mapping, the roles used and left out,
  the blockers, comparisons, training steps and whether the pair model rescored).
* `works`, `video_links`, `relationships`: the semantic layer (`linkage.works`,
  `linkage.videos`), rewritten by every run.
* `records`, `block_keys`, `model`: what an incremental run reads instead of
  recomputing old records. `model` keeps the trained Splink model as data
  (`linkage.stored_model`), never its SQL.
"""

from __future__ import annotations

import json
import time

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from catalog.schema import passthrough_columns
from conf.config import Config
from conf.errors import InputError
from linkage.stored_model import load_model, stored_model

# What an incremental run reads; a full run must have written each of them.
STATE_TABLES = ("clusters", "pairs", "records", "block_keys", "model")
# Downstream readers follow `clusters` through its change data feed.
TABLE_PROPERTIES = {"clusters": {"delta.enableChangeDataFeed": "true"}}

RUNS_SCHEMA = (
    "run_id string, started_at string, input string, input_format string, mode string, "
    "config_hash string, "
    "rows_in long, quarantined long, resolved long, candidate_pairs long, linked_pairs long, "
    "clusters long, multi_record_clusters long, seconds string, table_versions string, scores string, "
    "model_inputs string"
)
MODEL_SCHEMA = "run_id string, created_at string, config_hash string, splink_model string"


def with_run_id(df: DataFrame, run_id: str) -> DataFrame:
    return df.select("*", F.lit(run_id).alias("run_id"))


def clusters_rows(records: DataFrame, assignments: DataFrame, run_id: str) -> DataFrame:
    """Normalised records + their cluster (`record_id`, `cluster_id`, `cluster_size`)
    -> `clusters` rows: the raw values users read, a few normalised ones, and
    the input's passthrough columns."""
    return records.join(assignments, "record_id").select(
        "record_id",
        "source",
        "cluster_id",
        "cluster_size",
        F.col("kind_norm").alias("kind"),
        "version",
        "title",
        "artists",
        "album",
        F.col("isrc_norm").alias("isrc"),
        "duration_s",
        "year",
        *[F.col(f"`{c}`") for c in passthrough_columns(records.columns)],
        F.lit(run_id).alias("run_id"),
    )


def model_row(spark: SparkSession, run_id: str, cfg: Config, model_json: dict) -> DataFrame:
    """The trained Splink model, kept with the tables it produced: an incremental
    run scores new records with exactly this model. Kept as data, not as
    Splink's JSON: `splink_model` holds `linkage.stored_model`'s form (which
    comparisons, their parameters, each level's label and probabilities, the
    prior), from which a later run builds the SQL with its own code."""
    stored = stored_model(model_json)
    # Refused now rather than by the next incremental run.
    load_model(stored)
    row = {
        "run_id": run_id,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config_hash": cfg.fingerprint(),
        "splink_model": json.dumps(stored),
    }
    return spark.createDataFrame([row], MODEL_SCHEMA)


def latest_model(runs_model: DataFrame) -> dict:
    """The newest model in a `model` table, as Splink settings whose SQL this
    code builds (`linkage.stored_model.load_model`): no SQL read from the
    table is run. A model stored before that form (Splink's JSON) gives only
    its labels and numbers; stored data this code does not build is refused."""
    row = runs_model.orderBy(F.desc("created_at")).limit(1).collect()
    if not row:
        raise InputError("the model table is empty; run a full tracklink resolve first")
    try:
        data = json.loads(row[0]["splink_model"])
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"the stored model is not JSON ({exc}); run a full tracklink resolve"
        ) from exc
    return load_model(data)


def runs_row(spark: SparkSession, row: dict) -> DataFrame:
    return spark.createDataFrame([row], RUNS_SCHEMA)


def align_to(df: DataFrame, schema: StructType, what: str) -> DataFrame:
    """`df` with exactly `schema`'s columns: absent ones as nulls. A column the
    table lacks is refused rather than dropped (its values would be lost)."""
    extra = sorted(set(df.columns) - set(schema.fieldNames()))
    if extra:
        raise InputError(
            f"the increment has columns the resolved {what} table lacks: {', '.join(extra)} "
            "(run a full resolve to add columns)"
        )
    return df.select(
        *[
            (F.col(f"`{f.name}`") if f.name in df.columns else F.lit(None))
            .cast(f.dataType)
            .alias(f.name)
            for f in schema.fields
        ]
    )
