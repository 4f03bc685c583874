"""Incremental resolve: add new or changed records to an output a full run made.

    python -m jobs.resolve --mode incremental --input NEW_RECORDS --output DIR

`--input` holds only new or changed records; a `record_id` that was resolved
before is an update and replaces its old version. Nothing is recomputed for
old records: their normalised values (`records`), their blocking keys
(`block_keys`) and the Splink model (`model`) come from the tables earlier runs
stored. Steps:

1. new records are validated and normalised, and keyed with the same blockers;
2. their keys are joined to the stored keys (`blocking.incremental`), with the
   skew guard counting old and new members together;
3. the pairs are scored with the stored model (one scale for old and new pairs);
4. the clusters they touch (and those of updated records) are re-clustered from
   their stored links plus the new ones, and get stable ids against their old ids;
5. only the rows whose cluster changed are MERGEd into `clusters`; `records` is
   upserted; keys and pairs of updated records are replaced; quarantine,
   cluster_events and runs are appended to.

Re-running the same increment is idempotent: its records are then updates of
themselves, re-clustered from the same links, and keep their ids.
"""

from __future__ import annotations

import json
import os
import time

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from blocking import block_keys, describe_caps, describe_minhash, plausible_pairs
from blocking.incremental import incremental_pairs
from catalog.normalise import normalise, parse_issue_counts
from catalog.readers import read_input
from catalog.validate import split_valid
from conf.config import Config
from evaluation.metrics import format_scores
from evaluation.output import evaluate_output
from jobs.resolve import (
    CLUSTERS_PROPERTIES,
    ResolveResult,
    _clusters_table,
    _count_by,
    _runs_row,
)
from linkage import assign_stable_ids, cluster_pairs, score_with_model
from runtime.cache import JobCache
from runtime.errors import ConfigError, InputError
from runtime.lock import OutputLock
from runtime.progress import StageTimer
from runtime.tracking import RunTracker
from storage.delta import DeltaStore

NEEDS = ("clusters", "pairs", "records", "block_keys", "model")
# Checkpoints on local disk: the driver's heap stays free for broadcasts, and an
# increment's intermediate results are small enough for the disk to be quick.
ON_DISK = StorageLevel.DISK_ONLY


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


def _latest_model(store: DeltaStore) -> dict:
    row = store.read("model").orderBy(F.desc("created_at")).limit(1).collect()
    return json.loads(row[0]["splink_model"])


def resolve_incremental(
    spark: SparkSession,
    cfg: Config,
    input_path: str,
    input_format: str,
    output: str,
    truth_column: str | None = None,
) -> ResolveResult:
    # Intermediate results are local checkpoints, not caches: a cache keeps the
    # lineage, and with Splink's large plans reused across the many joins below the
    # plan strings outgrew the driver's memory; a checkpoint cuts the lineage.
    timer = StageTimer(spark, cfg.progress.heartbeat_s)
    store = DeltaStore(spark, output, cfg.output.delta_engine)
    if cfg.blocking.embedding.enabled:
        # Its vectors are not stored yet: new records would miss the pairs it
        # proposes against old ones, and the result would drift from a full run.
        raise ConfigError(
            "blocking.embedding.enabled: not supported by --mode incremental yet; "
            "run incremental with blocking.embedding.enabled=false or resolve in full"
        )
    missing = [t for t in NEEDS if store.version(t) is None]
    if missing:
        raise InputError(
            f"--mode incremental needs the tables of a full run in {output} "
            f"(missing: {', '.join(missing)}); run --mode full first"
        )
    started = time.time()
    name = f"incremental {os.path.basename(input_path.rstrip('/'))}"
    with (
        OutputLock(output, name),
        RunTracker(cfg.tracking, output, run_name=name) as tracker,
        JobCache() as cache,
    ):
        run_id = tracker.run_id
        tracker.params(cfg.to_dict())
        tracker.tags(
            {
                "job": "resolve",
                "mode": "incremental",
                "input": input_path,
                "input_format": input_format,
                "config_hash": cfg.fingerprint(),
                "delta_engine": store.engine_name,
            }
        )

        with timer.stage("read"):
            raw = read_input(spark, input_path, input_format)
            if truth_column and truth_column not in raw.columns:
                raise InputError(f"--truth {truth_column}: no such column in the input")
            raw = cache(raw)
            rows_in = raw.count()
            if rows_in == 0:
                raise InputError(f"input is empty: {input_path}")
            timer.note("%s new or changed rows from %s", f"{rows_in:,}", input_path)

        with timer.stage("validate"):
            valid, quarantine = split_valid(raw, cfg.validation)
            quarantine = cache(quarantine)
            reasons = _count_by(quarantine, "reason")
            quarantined = sum(reasons.values())
            timer.note("%s rows quarantined %s", f"{quarantined:,}", reasons or "")

        with timer.stage("normalise"):
            stored_records = store.read("records")
            new_records = align_to(
                normalise(valid, cfg.normalise), stored_records.schema, "records"
            ).localCheckpoint(storageLevel=ON_DISK)
            resolved_in = new_records.count()
            issues = parse_issue_counts(new_records)
            new_ids = new_records.select("record_id")
            updated = [
                r.record_id
                for r in stored_records.select("record_id").join(new_ids, "record_id").collect()
            ]
            timer.note(
                "%s records: %s new, %s updates of resolved records",
                f"{resolved_in:,}",
                f"{resolved_in - len(updated):,}",
                f"{len(updated):,}",
            )
            cache.release(raw)
            updated_df = spark.createDataFrame([(u,) for u in updated], "record_id string")
            all_records = stored_records.join(
                F.broadcast(updated_df), "record_id", "left_anti"
            ).unionByName(new_records)

        with timer.stage("blocking"):
            timer.note(describe_minhash(cfg.blocking))
            new_keys = (
                block_keys(new_records, cfg.blocking)
                .distinct()
                .localCheckpoint(storageLevel=ON_DISK)
            )
            old_keys = store.read("block_keys").join(
                F.broadcast(updated_df), "record_id", "left_anti"
            )
            candidates, skew = incremental_pairs(
                new_keys, old_keys, cfg.blocking.max_block_size, cfg.blocking.block_size_caps
            )
            candidates = plausible_pairs(candidates, all_records, cfg.blocking)
            candidates = candidates.localCheckpoint(storageLevel=ON_DISK)
            n_candidates = candidates.count()
            by_blocker = _count_by(candidates.select(F.explode("blocked_by").alias("b")), "b")
            if skew.dropped_keys:
                timer.note(
                    "skew guard dropped %d keys larger than %s (largest %d): %s",
                    skew.dropped_keys,
                    describe_caps(cfg.blocking),
                    skew.largest_block,
                    ", ".join(skew.examples),
                )
            timer.note(
                "%s candidate pairs with a new record, by blocker %s",
                f"{n_candidates:,}",
                by_blocker,
            )

        with timer.stage("scoring"):
            model = _latest_model(store)
            pairs = (
                score_with_model(spark, all_records, candidates, model, cfg.linkage.pair_model)
                .withColumn("linked", F.col("match_probability") >= cfg.clustering.threshold)
                .localCheckpoint(storageLevel=ON_DISK)
            )
            linked = pairs.filter("linked").count()
            timer.note(
                "%s of %s pairs at or above %.3f with the stored model",
                f"{linked:,}",
                f"{n_candidates:,}",
                cfg.clustering.threshold,
            )

        with timer.stage("clustering"):
            previous = store.read("clusters").select("record_id", "cluster_id", "cluster_size")
            new_links = pairs.filter("linked").select(
                "record_id_l", "record_id_r", "match_probability"
            )
            touching = (
                new_links.select(F.col("record_id_l").alias("record_id"))
                .unionByName(new_links.select(F.col("record_id_r").alias("record_id")))
                .unionByName(updated_df)
                .distinct()
            )
            touched = previous.join(touching, "record_id").select("cluster_id").distinct()
            affected_old = previous.join(touched, "cluster_id").select("record_id", "cluster_id")
            affected_old = affected_old.localCheckpoint(storageLevel=ON_DISK)
            affected = affected_old.select("record_id").unionByName(new_ids).distinct()
            # A stored link always lies inside one old cluster, so the links of the
            # affected clusters are those with an affected left end; links of
            # updated records are stale and replaced by their new pairs.
            stale = F.broadcast(updated_df)
            old_links = (
                store.read("pairs")
                .filter("linked")
                .join(affected_old.select(F.col("record_id").alias("record_id_l")), "record_id_l")
                .join(
                    stale.withColumnRenamed("record_id", "record_id_l"), "record_id_l", "left_anti"
                )
                .join(
                    stale.withColumnRenamed("record_id", "record_id_r"), "record_id_r", "left_anti"
                )
                .select("record_id_l", "record_id_r", "match_probability")
            )
            result = cluster_pairs(
                affected,
                old_links.unionByName(new_links),
                cfg.clustering.threshold,
                cfg.clustering.max_iterations,
            )
            components = result.clusters.select("record_id", F.col("cluster_id").alias("component"))
            generation = store.version("clusters") + 1
            stable = assign_stable_ids(components, affected_old, generation)
            assignments = stable.clusters.localCheckpoint(storageLevel=ON_DISK)
            events = stable.events.localCheckpoint(storageLevel=ON_DISK)
            event_counts = _count_by(events, "event")
            n_affected = assignments.count()
            n_new_assigned = assignments.join(new_ids, "record_id", "left_semi").count()
            timer.note(
                "%s records in %s touched clusters re-clustered; cluster ids: %s",
                f"{n_affected:,}",
                f"{touched.count():,}",
                event_counts or "all unchanged",
            )

        if n_new_assigned + quarantined != rows_in:
            raise RuntimeError(
                f"row accounting broken: {rows_in} in != {n_new_assigned} clustered + "
                f"{quarantined} quarantined"
            )

        with timer.stage("write"):
            meta = {
                "run_id": run_id,
                "mode": "incremental",
                "config_hash": cfg.fingerprint(),
                "input": input_path,
                "rows_in": rows_in,
                "quarantined": quarantined,
                "updated_records": len(updated),
                "linked_pairs": linked,
            }
            with_run = F.lit(run_id).alias("run_id")
            clusters_schema = store.read("clusters").schema
            rows = align_to(
                _clusters_table(
                    all_records.join(affected, "record_id", "left_semi"), assignments, run_id
                ),
                clusters_schema,
                "clusters",
            )
            # Only rows whose cluster changed (or whose record did) are merged: the
            # others stay as they are, and the change data feed shows just the change.
            prev = previous.select(
                "record_id",
                F.col("cluster_id").alias("_prev_id"),
                F.col("cluster_size").alias("_prev_size"),
            )
            changed = (
                rows.join(prev, "record_id", "left")
                .join(new_ids.withColumn("_is_input", F.lit(True)), "record_id", "left")
                .filter(
                    F.col("_prev_id").isNull()
                    | (F.col("_prev_id") != F.col("cluster_id"))
                    | (F.col("_prev_size") != F.col("cluster_size"))
                    | F.col("_is_input").isNotNull()
                )
                .select(*clusters_schema.fieldNames())
                .localCheckpoint(storageLevel=ON_DISK)
            )
            n_changed = changed.count()
            staged = [
                (store.stage(new_keys, "block_keys"), "append"),
                (store.stage(pairs.select("*", with_run), "pairs"), "append"),
                (store.stage(quarantine.select("*", with_run), "quarantine"), "append"),
                (store.stage(events.select("*", with_run), "cluster_events"), "append"),
            ]
            timer.note("files written; merging %s changed cluster rows", f"{n_changed:,}")
            commits = {}
            if updated:
                store.delete_in("block_keys", ["record_id"], updated, meta)
                store.delete_in("pairs", ["record_id_l", "record_id_r"], updated, meta)
            for st, mode in staged:
                props = CLUSTERS_PROPERTIES if st.table == "clusters" else None
                commits[st.table] = store.commit(st, mode, meta, props)
            commits["records"] = store.upsert(new_records, "records", ["record_id"], meta)
            commits["clusters"] = store.upsert(changed, "clusters", ["record_id"], meta)
            for c in commits.values():
                timer.note("%s -> version %d", c.path, c.version)

        totals = (
            store.read("clusters")
            .groupBy("cluster_id")
            .agg(F.count("*").alias("n"))
            .agg(
                F.count("*").alias("clusters"),
                F.sum(F.when(F.col("n") > 1, 1).otherwise(0)).alias("multi"),
            )
            .collect()[0]
        )
        scores = None
        if truth_column:
            with timer.stage("evaluate"):
                scores = evaluate_output(store, truth_column)
                timer.note(format_scores(scores))
                tracker.metrics({f"eval_{k}": v for k, v in scores.as_dict().items()})

        res = ResolveResult(
            run_id=run_id,
            output=output,
            rows_in=rows_in,
            quarantined=quarantined,
            resolved=n_new_assigned,
            quarantine_reasons=reasons,
            parse_issues=issues,
            candidate_pairs=n_candidates,
            pairs_by_blocker=by_blocker,
            linked_pairs=linked,
            clusters=int(totals["clusters"]),
            multi_record_clusters=int(totals["multi"] or 0),
            seconds=dict(timer.seconds),
            commits=commits,
            scores=scores,
            tracking_uri=tracker.tracking_uri,
            mode="incremental",
            updated_records=len(updated),
            changed_cluster_rows=n_changed,
        )
        commits["runs"] = store.write(
            _runs_row(spark, res, cfg, input_path, input_format, started),
            "runs",
            mode="append",
            metadata=meta,
        )
        tracker.metrics(
            {
                **res.counts(),
                "updated_records": len(updated),
                "changed_cluster_rows": n_changed,
                **{f"seconds_{k}": v for k, v in res.seconds.items()},
                **{f"quarantined_{k}": v for k, v in reasons.items()},
                **{f"pairs_{k}": v for k, v in by_blocker.items()},
            }
        )
    return res
