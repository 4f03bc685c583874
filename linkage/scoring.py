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

import functools
import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from conf.config import LinkageConfig, PairModelConfig
from linkage.model import MODEL_COLUMNS, model_columns, model_input, model_vectors, settings
from linkage.pair_features import SIDE_COLUMNS
from runtime.progress import get_logger


@dataclass
class Training:
    """How a model was learned: the prior's rule, the EM steps that ran and
    those skipped (with why), written to the run's log, MLflow and `runs`."""

    prior_rule: str | None = None
    em_steps: list[str] = field(default_factory=list)
    em_skipped: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "prior_rule": self.prior_rule,
            "em_steps": self.em_steps,
            "em_skipped": self.em_skipped,
        }


@dataclass
class ScoredPairs:
    pairs: DataFrame
    model_json: dict[str, Any]
    training: Training | None = None
    # The pair model's version when it rescored the pairs, else why not.
    pair_model: str = "off"


# Columns every model input carries whatever the catalogue fills.
ALWAYS = frozenset({"record_id", "artist_names", "version_class"})


def train_and_score(
    spark: SparkSession,
    records: DataFrame,
    candidates: DataFrame,
    cfg: LinkageConfig,
    usable: Iterable[str] | None = None,
    vectors: Iterable[str] = (),
    shares: Mapping[str, float] | None = None,
) -> ScoredPairs:
    """Fit the model on `records` and score `candidates` (record_id_l <
    record_id_r). `usable`: the columns the catalogue fills (`catalog.profile`;
    None: all), which decide the comparisons, the prior's rule and the EM
    steps; `vectors`: vector columns to compare too; `shares`: the share of
    records that fill each column (see `train`)."""
    vectors = list(vectors)
    present = set(MODEL_COLUMNS if usable is None else usable) & set(MODEL_COLUMNS) | ALWAYS
    present |= set(vectors)
    model_settings = settings(cfg, present - ALWAYS | {"version_class"}, vectors)
    # Splink breaks lineage by writing Parquet under the session's checkpoint dir.
    db_api = spark_api(spark)
    everything = model_input(records, vectors)
    sample = training_sample(everything, cfg.train_max_records, cfg.seed)
    inputs = sample.rows
    if cfg.train_engine == "duckdb":
        model, training = train_on_duckdb(inputs, model_settings, cfg, present, vectors, shares)
        return _scored(spark, records, candidates, model, cfg.pair_model, present, training)
    from splink import Linker

    registered = db_api.register(inputs)
    linker = Linker(registered, model_settings, log_level=logging.WARNING)
    training = train(linker, cfg, present, shares, sample.records)
    model = linker.misc.save_model_to_json()
    if inputs is everything:
        pairs = _predict_blocked(db_api, linker, candidates)
        rescored, used = with_pair_model(pairs, records, cfg.pair_model, present)
        return ScoredPairs(rescored, model, training, used)
    # Learned on a sample: scored by a linker over every record, so that term
    # frequencies come from the whole catalogue.
    return _scored(spark, records, candidates, model, cfg.pair_model, present, training)


def _scored(spark, records, candidates, model, pair_model, present, training) -> ScoredPairs:
    pairs, used = score_with_model(spark, records, candidates, model, pair_model, present)
    return ScoredPairs(pairs, model, training, used)


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


def _reads(rule: list[str], columns: Iterable[str]) -> set[str]:
    """The columns a blocking rule's expressions read."""
    return {c for c in columns if any(c in e for e in rule)}


def _rule_name(rule: list[str]) -> str:
    return "+".join(rule)


def em_plan(
    cfg: LinkageConfig, present: set[str], compared: Iterable[str]
) -> tuple[list[list[str]], dict[str, str]]:
    """The EM steps to run, and those of `linkage.em_blocking` left out with
    why. A step runs if the columns it blocks on are present; fallback steps
    (`linkage.em_fallback`) are added for the comparisons no step leaves free."""
    compared = set(compared)
    learned = {c for c in compared if c not in cfg.fixed_m}
    steps, skipped = [], {}
    for rule in cfg.em_blocking:
        missing = sorted(_reads(rule, MODEL_COLUMNS) - present)
        if missing:
            skipped[_rule_name(rule)] = "no " + ", ".join(missing)
        else:
            steps.append(rule)
    untrained = learned - {c for r in steps for c in compared - _reads(r, compared)}
    for rule in cfg.em_fallback:
        frees = (compared - _reads(rule, compared)) & untrained
        if frees and _reads(rule, MODEL_COLUMNS) <= present and rule not in steps:
            steps.append(rule)
            untrained -= frees
    return steps, skipped


def prior_recall(cfg: LinkageConfig, rule: list[str], shares: Mapping[str, float] | None) -> float:
    """The share of true matches the prior's rule finds: `linkage.prior_recall`
    where its columns are always filled, less where they are not, since the
    rule can only find a pair whose two records both fill them."""
    recall = cfg.prior_recall
    for column in _reads(rule, MODEL_COLUMNS):
        recall *= (shares or {}).get(column, 1.0) ** 2
    return max(recall, 1e-6)


U_MIN_PAIRS = 1e6  # Splink's own default


def u_sample_pairs(cfg: LinkageConfig, records: int | None) -> float:
    """Pairs to sample for u: `u_max_pairs`, held to `u_pairs_per_record`
    per training record (never under Splink's default) when their number is known."""
    if records is None:
        return cfg.u_max_pairs
    return min(cfg.u_max_pairs, max(U_MIN_PAIRS, cfg.u_pairs_per_record * records))


def train(
    linker,
    cfg: LinkageConfig,
    present: set[str],
    shares: Mapping[str, float] | None = None,
    records: int | None = None,
) -> Training:
    """Prior from deterministic rules, u by random sampling, m by EM: no labels.
    A step that cannot learn (too few pairs) is skipped with a warning: the
    model keeps Splink's starting values for what it would have learned.
    `shares`: the share of records filling each column (None: all fill all);
    `records`: how many the linker trains on (see `u_sample_pairs`)."""
    from splink import block_on

    log = get_logger()
    training = Training()
    t0 = time.perf_counter()
    for rule in cfg.prior_blocking:
        if not _reads(rule, MODEL_COLUMNS) <= present:
            continue
        try:
            linker.training.estimate_probability_two_random_records_match(
                [block_on(*rule)], recall=prior_recall(cfg, rule, shares)
            )
        except Exception as exc:  # noqa: BLE001 - Splink raises several kinds here
            log.warning("  prior from %s failed (%s)", _rule_name(rule), _first_line(exc))
            continue
        training.prior_rule = _rule_name(rule)
        log.info(
            "  prior estimated from %s in %.1f s", training.prior_rule, time.perf_counter() - t0
        )
        break
    else:
        log.warning("  no prior rule could run: Splink's default prior is used")
    t0 = time.perf_counter()
    u_pairs = u_sample_pairs(cfg, records)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=cfg.seed)
    log.info(
        "  u estimated from %s sampled pairs in %.1f s",
        f"{u_pairs:,.0f}",
        time.perf_counter() - t0,
    )
    compared = present - {"record_id", "artist_names"}
    steps, training.em_skipped = em_plan(cfg, present, compared)
    for rule, why in training.em_skipped.items():
        log.info("  EM blocked on %s skipped: %s", rule, why)
    for rule in steps:
        name = _rule_name(rule)
        t0 = time.perf_counter()
        # A session takes the comparisons it blocks on out of the linker's
        # model and puts them back only when it ends well.
        before = linker._settings_obj.core_model_settings.copy()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(*rule))
        except Exception as exc:  # noqa: BLE001 - EMTrainingException and SQL errors alike
            linker._settings_obj.core_model_settings = before
            training.em_skipped[name] = _first_line(exc)
            log.warning("  EM blocked on %s skipped: %s", name, training.em_skipped[name])
            continue
        training.em_steps.append(name)
        log.info("  m by EM blocked on %s in %.1f s", name, time.perf_counter() - t0)
    if not training.em_steps:
        log.warning(
            "  no EM step could run: m-probabilities are Splink's defaults "
            "(and linkage.fixed_m where set)"
        )
    return training


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def train_on_duckdb(
    inputs: DataFrame,
    model_settings,
    cfg: LinkageConfig,
    present: set[str],
    vectors: Iterable[str] = (),
    shares: Mapping[str, float] | None = None,
) -> tuple[dict[str, Any], Training]:
    """The model learned in DuckDB on the driver from `inputs` (the training
    sample, collected as Arrow); returns its JSON for scoring on Spark, and
    how it was learned."""
    from splink import DuckDBAPI, Linker

    t0 = time.perf_counter()
    table = fixed_size_vectors(inputs.toArrow(), vectors)
    get_logger().info(
        "  training on DuckDB (linkage.train_engine): %s records collected in %.1f s",
        f"{table.num_rows:,}",
        time.perf_counter() - t0,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(table), model_settings, log_level=logging.WARNING)
    training = train(linker, cfg, present, shares, table.num_rows)
    return in_dialect(linker.misc.save_model_to_json(), model_settings, "spark"), training


def fixed_size_vectors(table: pa.Table, vectors: Iterable[str]) -> pa.Table:
    """`table` with its vector columns as fixed-size lists: DuckDB's cosine
    similarity takes arrays of one length, not lists (the profile has checked
    that a column's vectors share one length)."""
    for name in vectors:
        column = table.column(name)
        dim = pa.compute.max(pa.compute.list_value_length(column)).as_py()
        if dim is None:
            continue
        typed = column.cast(pa.list_(pa.float32(), dim))
        table = table.set_column(table.schema.get_field_index(name), name, typed)
    return table


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


class TrainingSample:
    """The records a model learns from (`rows`), and how many (`records`:
    counted once, and only when asked, unless given)."""

    def __init__(self, rows: DataFrame, records: int | None = None) -> None:
        self.rows = rows
        if records is not None:
            self.records = records

    @functools.cached_property
    def records(self) -> int:
        return self.rows.count()


def training_sample(inputs: DataFrame, max_records: int, seed: int) -> TrainingSample:
    """At most about `max_records` records to learn the model from. A uniform
    sample keeps the share of matching pairs (the prior), the u- and the
    m-probabilities; training cost then stops growing with the catalogue.
    Small inputs come back whole (the same DataFrame, its size known)."""
    n = inputs.count()
    if n <= max_records:
        return TrainingSample(inputs, n)
    get_logger().info(
        "  training on a %s-record sample of %s (linkage.train_max_records)",
        f"{max_records:,}",
        f"{n:,}",
    )
    return TrainingSample(inputs.sample(fraction=max_records / n, seed=seed).localCheckpoint())


# What a pair model needs unless its provenance says otherwise: the packaged
# model reads a flag for every missing length, album and ISRC, and was
# trained with them, so it judges a catalogue without them too (it raised
# pairwise F1 over Splink alone on every generated shape, title-only
# included: docs/results/any-catalogue.md).
PAIR_MODEL_REQUIRES = ("title_norm",)


@dataclass(frozen=True)
class PairModelUse:
    """The pair model that rescores a catalogue's pairs (None: Splink's
    probability is the pair's), and its name or why it does not."""

    model: Any
    label: str


def choose_pair_model(cfg: PairModelConfig | None, present: Iterable[str] | None) -> PairModelUse:
    """The pair model rescores only where the columns it was trained to read
    (`requires` in its provenance) are filled: over a catalogue with no
    lengths at all, its inputs would be unlike anything it learned from."""
    if cfg is None or not cfg.enabled:
        return PairModelUse(None, "off (linkage.pair_model.enabled)")
    from linkage.pair_model import load_pair_model

    model = load_pair_model(cfg.version, cfg.weights_path)
    # A registered model names its version (`linkage.registry.fetch_weights`).
    name = model.provenance.get("registered_as") or cfg.weights_path or cfg.version
    required = model.provenance.get("requires", PAIR_MODEL_REQUIRES)
    missing = [c for c in required if present is not None and c not in set(present)]
    if missing:
        why = f"off: {name} needs {', '.join(missing)}, which the catalogue does not fill"
        return PairModelUse(None, why)
    return PairModelUse(model, name)


def _rescored(pairs: DataFrame, records: DataFrame, use: PairModelUse) -> DataFrame:
    if use.model is None:
        get_logger().info("  pair model %s: Splink's probability is used", use.label)
        return pairs
    from linkage.pair_model import rescore

    get_logger().info(
        "  pair model %s (trained on %s) rescores the pairs",
        use.label,
        use.model.provenance.get("trained_on", "?"),
    )
    return rescore(pairs, records, use.model)


def with_pair_model(
    pairs: DataFrame,
    records: DataFrame,
    cfg: PairModelConfig | None,
    present: Iterable[str] | None = None,
) -> tuple[DataFrame, str]:
    """Splink's scored pairs, rescored by the pair model if it is enabled and
    the catalogue fills what it reads (`choose_pair_model`, whose answer
    comes back with the pairs)."""
    use = choose_pair_model(cfg, present)
    return _rescored(pairs, records, use), use.label


def score_with_model(
    spark: SparkSession,
    records: DataFrame,
    candidates: DataFrame,
    model_json: dict[str, Any],
    pair_model: PairModelConfig | None = None,
    present: Iterable[str] | None = None,
) -> tuple[DataFrame, str]:
    """Score `candidates` with a model trained earlier (an incremental run uses
    the full run's model, so old and new pairs are on one scale). `records` must
    hold every record the candidates mention; term frequencies come from all of them.
    `present`: the columns the catalogue fills (None: those the model compares).
    Returns the pairs and what the pair model did (`choose_pair_model`)."""
    from splink import Linker

    if present is None:
        present = set(model_columns(model_json)) | ALWAYS
    db_api = spark_api(spark)
    registered = db_api.register(model_input(records, model_vectors(model_json)))
    use = choose_pair_model(pair_model, present)
    rescored = use.model is not None
    # The pair model reads both records' values: Splink has them at hand
    # when it compares the pair, so it keeps them rather than the pairs being
    # joined to the records twice more.
    retained = {**model_json, "retain_matching_columns": rescored}
    linker = Linker(registered, retained, log_level=logging.WARNING)
    pairs = _predict_blocked(db_api, linker, candidates, SIDE_COLUMNS if rescored else ())
    return _rescored(pairs, records, use), use.label


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
