"""An incremental run: add new or changed records to an output a full run made.

The input holds only new or changed records; a `record_id` resolved before is
an update and replaces its old version. Old records are not recomputed: their
normalised values (`records`), blocking keys (`block_keys`) and the Splink
model (`model`) come from the tables earlier runs stored.

1. new records are validated, normalised and keyed with the same blockers;
2. their keys are joined to the stored keys, with the skew guard counting old
   and new members together (`blocking.incremental_pairs`);
3. the pairs are scored with the stored model (one scale for old and new pairs);
4. the clusters they touch (and those of updated records) are re-clustered from
   their stored links plus the new ones, and keep stable ids against their old ids;
5. only rows whose cluster changed are merged into `clusters`; `records` is
   upserted; keys and pairs of updated records are replaced; quarantine and
   cluster_events are appended to; the semantic tables are rebuilt over
   every resolved record, as a full run builds them.

Re-running the same increment is idempotent: its records are then updates of
themselves, re-clustered from the same links, and keep their ids.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from blocking import block_keys, block_size_caps, incremental_pairs, plausible_pairs
from catalog.schema import CATALOG_COLUMNS, passthrough_columns
from conf.config import Config
from conf.errors import ConfigError, InputError
from pipeline import stages
from pipeline.context import RunContext
from pipeline.plan import plan_from_model
from pipeline.result import ResolveResult
from pipeline.tables import STATE_TABLES, align_to, clusters_rows, latest_model, with_run_id
from pipeline.write import RunOutcome, TableWrite, finish, finish_unchanged, semantic_writes
from storage.delta import DeltaStore


def check_incremental(cfg: Config, store: DeltaStore) -> None:
    """Refuse, before the run starts, what an increment cannot do."""
    if cfg.blocking.embedding.enabled:
        # Its vectors are not stored: new records would miss the pairs it
        # proposes against old ones, and the result would drift from a full run.
        raise ConfigError(
            "blocking.embedding.enabled: not supported by --mode incremental yet; "
            "run incremental with blocking.embedding.enabled=false or resolve in full"
        )
    missing = [t for t in (*STATE_TABLES, "runs") if store.version(t) is None]
    if missing:
        raise InputError(
            f"--mode incremental needs the tables of a full run in {store.root} "
            f"(missing: {', '.join(missing)}); run --mode full first"
        )


def resolve_incremental(ctx: RunContext) -> ResolveResult:
    cfg, store, spark = ctx.cfg, ctx.store, ctx.spark
    validated = stages.read_and_validate(ctx)
    stored_records = store.read("records")
    normalised = stages.normalise_records(ctx, validated, like=stored_records.schema)
    new_records, unchanged = _without_unchanged(ctx, normalised.records, stored_records)
    quarantine = _not_yet_quarantined(ctx, validated.quarantine, store.read("quarantine"))
    if new_records.isEmpty() and quarantine.isEmpty():
        return finish_unchanged(ctx, validated, normalised, unchanged)
    new_ids = new_records.select("record_id")
    updated = [
        r.record_id for r in stored_records.select("record_id").join(new_ids, "record_id").collect()
    ]
    ctx.note(
        "%s new records, %s updates of resolved records, %s already resolved as given",
        f"{normalised.count - unchanged - len(updated):,}",
        f"{len(updated):,}",
        f"{unchanged:,}",
    )
    stale = F.broadcast(spark.createDataFrame([(u,) for u in updated], "record_id string"))
    all_records = stored_records.join(stale, "record_id", "left_anti").unionByName(new_records)

    model = latest_model(store.read("model"))
    plan = plan_from_model(ctx, model, new_records)
    with ctx.timer.stage("blocking"):
        stages.describe_blocking(ctx, plan)
        new_keys = ctx.keep(
            block_keys(new_records, cfg.blocking, plan.usable, plan.vectors).distinct()
        )
        old_keys = store.read("block_keys").join(stale, "record_id", "left_anti")
        pairs, skew = incremental_pairs(
            new_keys,
            old_keys,
            cfg.blocking.max_block_size,
            block_size_caps(cfg.blocking),
            keep=ctx.keep,
        )
        pairs = ctx.keep(plausible_pairs(pairs, all_records, cfg.blocking, plan.vectors))
        candidates = stages.report_candidates(ctx, pairs, skew, normalised.count - unchanged)

    scored = stages.score(ctx, all_records, candidates, plan, model)

    with ctx.timer.stage("clustering"):
        stored_clusters = store.read("clusters")
        previous = stored_clusters.select("record_id", "cluster_id", "cluster_size")
        affected_old = _affected_clusters(ctx, previous, scored.pairs, stale)
        affected = affected_old.select("record_id").unionByName(new_ids).distinct()
        links = _stored_links(store, affected_old, stale).unionByName(_links(scored.pairs))
        generation = store.finished_version("clusters") + 1
        clustered = stages.stable_clusters(ctx, affected, links, affected_old, generation)
        assignments = clustered.assignments
        resolved = assignments.join(new_ids, "record_id", "left_semi").count()
        # Every record's cluster after this run: the untouched ones as they were.
        merged = (
            previous.select("record_id", "cluster_id")
            .join(affected, "record_id", "left_anti")
            .unionByName(assignments.select("record_id", "cluster_id"))
        )
        clusters = stages.cluster_counts(merged)
        ctx.note(
            "%s records in touched clusters re-clustered; %s clusters in all (%s with 2+ records)",
            f"{assignments.count():,}",
            f"{clusters[0]:,}",
            f"{clusters[1]:,}",
        )
    resolved += unchanged
    stages.check_accounting(validated.rows_in, resolved, validated.quarantined)

    semantics = stages.semantics(ctx, all_records, merged)

    run_id = ctx.run_id
    with ctx.timer.stage("merge"):
        rows = align_to(
            clusters_rows(
                all_records.join(affected, "record_id", "left_semi"), assignments, run_id
            ),
            stored_clusters.schema,
            "clusters",
        )
        changed = ctx.keep(_changed_rows(rows, previous, new_ids))
        n_changed = changed.count()
        ctx.note("%s cluster rows changed: merged, the rest left untouched", f"{n_changed:,}")
    writes = [
        TableWrite("block_keys", new_keys, "append", replace=(["record_id"], updated)),
        TableWrite(
            "pairs",
            with_run_id(scored.pairs, run_id),
            "append",
            replace=(["record_id_l", "record_id_r"], updated),
        ),
        TableWrite("quarantine", with_run_id(quarantine, run_id), "append"),
        TableWrite("cluster_events", with_run_id(clustered.events, run_id), "append"),
        TableWrite("records", new_records, "upsert", keys=["record_id"]),
        TableWrite("clusters", changed, "upsert", keys=["record_id"]),
        *semantic_writes(ctx, semantics),
    ]
    outcome = RunOutcome(
        validated,
        normalised,
        candidates,
        scored,
        semantics,
        resolved=resolved,
        clusters=clusters,
        updated_records=len(updated),
        changed_cluster_rows=n_changed,
        model_inputs=plan.report,
    )
    return finish(ctx, outcome, writes)


def _as_given(df: DataFrame, columns: list[str]) -> DataFrame:
    """`record_id` and the row as the input gave it, as one JSON text."""
    return df.select(
        "record_id",
        F.to_json(
            F.struct(*[F.col(f"`{c}`") for c in columns]), {"ignoreNullFields": "false"}
        ).alias("_given"),
    )


def _without_unchanged(
    ctx: RunContext, records: DataFrame, stored: DataFrame
) -> tuple[DataFrame, int]:
    """(the records that are new or changed, how many input records were
    already resolved exactly as given). An input row equal to its stored record
    in every input column is not an update: re-running an increment is then a
    no-op rather than a rewrite that changes only `run_id`."""
    given = [
        c
        for c in records.columns
        if c in CATALOG_COLUMNS
        or c in passthrough_columns(records.columns)
        or c in ctx.cfg.input.embeddings
    ]
    same = (
        _as_given(records, given)
        .join(
            _as_given(stored.join(records.select("record_id"), "record_id", "left_semi"), given),
            ["record_id", "_given"],
        )
        .select("record_id")
    )
    changed = ctx.keep(records.join(same, "record_id", "left_anti"))
    return changed, records.count() - changed.count()


def _not_yet_quarantined(ctx: RunContext, quarantine: DataFrame, stored: DataFrame) -> DataFrame:
    """The quarantined rows the `quarantine` table does not hold yet (same
    reason, same raw row): an increment given twice adds its rows once."""
    held = stored.select("reason", "raw")
    return ctx.keep(
        quarantine.join(
            held,
            (quarantine.reason == held.reason) & quarantine.raw.eqNullSafe(held.raw),
            "left_anti",
        )
    )


def _links(pairs: DataFrame) -> DataFrame:
    return pairs.filter("linked").select("record_id_l", "record_id_r", "match_probability")


def _affected_clusters(
    ctx: RunContext, previous: DataFrame, pairs: DataFrame, stale: DataFrame
) -> DataFrame:
    """`record_id`, `cluster_id` of every old record whose cluster a new link
    touches or that holds an updated record."""
    new_links = _links(pairs)
    touching = (
        new_links.select(F.col("record_id_l").alias("record_id"))
        .unionByName(new_links.select(F.col("record_id_r").alias("record_id")))
        .unionByName(stale)
        .distinct()
    )
    touched = previous.join(touching, "record_id").select("cluster_id").distinct()
    return ctx.keep(previous.join(touched, "cluster_id").select("record_id", "cluster_id"))


def _stored_links(store: DeltaStore, affected_old: DataFrame, stale: DataFrame) -> DataFrame:
    """The stored links inside the affected clusters, less those of updated records.
    A stored link always lies inside one old cluster, so those are the links
    with an affected left end; an updated record's links are replaced by its new pairs."""
    return (
        store.read("pairs")
        .filter("linked")
        .join(affected_old.select(F.col("record_id").alias("record_id_l")), "record_id_l")
        .join(stale.withColumnRenamed("record_id", "record_id_l"), "record_id_l", "left_anti")
        .join(stale.withColumnRenamed("record_id", "record_id_r"), "record_id_r", "left_anti")
        .select("record_id_l", "record_id_r", "match_probability")
    )


def _changed_rows(rows: DataFrame, previous: DataFrame, new_ids: DataFrame) -> DataFrame:
    """The `clusters` rows to merge: new records, updated ones, and those whose
    cluster id or size changed. The others stay as they are, so the change
    data feed shows just the change."""
    prev = previous.select(
        "record_id",
        F.col("cluster_id").alias("_prev_id"),
        F.col("cluster_size").alias("_prev_size"),
    )
    return (
        rows.join(prev, "record_id", "left")
        .join(new_ids.withColumn("_is_input", F.lit(True)), "record_id", "left")
        .filter(
            F.col("_prev_id").isNull()
            | (F.col("_prev_id") != F.col("cluster_id"))
            | (F.col("_prev_size") != F.col("cluster_size"))
            | F.col("_is_input").isNotNull()
        )
        .select(*rows.columns)
    )
