"""Resolve a music catalogue: read -> validate -> normalise -> block -> score -> cluster -> write.

    python -m jobs.resolve --input PATH --input-format {catalog,musicbrainz-dapo} --output DIR
                           [--mode full|incremental] [--config conf/local.yaml]
                           [--set key=value ...] [--truth COLUMN]
    spark-submit jobs/resolve.py (same arguments)

Writes Delta tables under DIR (one new version of each per run):

* `clusters`: every resolved record once: record_id, source, cluster_id,
  cluster_size, kind, version, title, artists, album, isrc, duration_s, year,
  the input's passthrough columns, run_id.
* `pairs`: every candidate pair blocking proposed, scored: record_id_l,
  record_id_r, match_probability, match_weight, blocked_by, linked, run_id.
* `quarantine`: rows that could not be resolved: record_id, source, reason, raw, run_id.
* `cluster_events`: appended per run: how cluster ids changed (new, grew, shrank,
  merged, split, retired); ids are stable across runs (linkage.stable_ids).
* `runs`: one row appended per run: mode, counts, timings, table versions, metrics.
* `works`: work_id (`w` + sha1 of the smallest member cluster_id), cluster_id
  (audio recording cluster), relation (original, live, remix, acoustic, edit,
  cover, unknown), confidence, run_id (linkage.works).
* `video_links`: video_cluster_id, cluster_id (the audio cluster it carries),
  confidence, same_artist, duration_diff_s, version_match, run_id (linkage.videos).
* `relationships`: typed edges src, dst, edge (same_recording record -> cluster,
  version_of cluster -> work with kind, video_of video cluster -> cluster), kind,
  confidence, run_id.
* `records`, `block_keys`, `model`: the state an incremental run reads instead
  of recomputing old records (normalised records, blocking keys, Splink model).

`--mode incremental` adds new or changed records to an earlier run's output
(jobs/incremental.py). A run holds `<output>/_lock`; it writes every table's
files before committing any, so a run that dies mid-write leaves every table at
its previous version.

Every run is an MLflow run. Input rows = clustered rows + quarantined rows, checked.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field

if __package__ in (None, ""):  # `spark-submit jobs/resolve.py` without --py-files
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from blocking import block_keys, candidate_pairs, describe_caps, describe_minhash
from catalog.normalise import normalise, parse_issue_counts
from catalog.readers import INPUT_FORMATS, read_input
from catalog.schema import CATALOG_COLUMNS, NORMALISED_COLUMNS, ROW_ORDER
from catalog.validate import split_valid
from conf.config import Config, load_config
from evaluation.metrics import Scores, format_scores
from evaluation.output import evaluate_output
from evaluation.semantics import TRUTH_COLUMNS, evaluate_semantics, format_semantics, has_truth
from jobs.cli import add_config_arguments, run_cli
from linkage import (
    PROFILE_COLUMNS,
    assign_stable_ids,
    build_relationships,
    cluster_pairs,
    cluster_profiles,
    describe,
    group_works,
    link_videos,
    load_pair_model,
    train_and_score,
)
from runtime.cache import JobCache
from runtime.errors import InputError
from runtime.lock import OutputLock
from runtime.progress import StageTimer
from runtime.spark import get_spark
from runtime.tracking import RunTracker
from storage.delta import Commit, DeltaStore

TABLES = ("clusters", "pairs", "quarantine", "cluster_events", "runs")
# What an incremental run reads instead of recomputing for old records.
STATE_TABLES = ("records", "block_keys", "model")
# Downstream readers follow `clusters` through its change data feed.
CLUSTERS_PROPERTIES = {"delta.enableChangeDataFeed": "true"}


@dataclass
class ResolveResult:
    run_id: str
    output: str
    rows_in: int
    quarantined: int
    resolved: int
    quarantine_reasons: dict[str, int]
    parse_issues: dict[str, int]
    candidate_pairs: int
    pairs_by_blocker: dict[str, int]
    linked_pairs: int
    clusters: int
    multi_record_clusters: int
    seconds: dict[str, float]
    commits: dict[str, Commit] = field(default_factory=dict)
    scores: Scores | None = None
    tracking_uri: str | None = None
    mode: str = "full"
    updated_records: int = 0
    changed_cluster_rows: int | None = None
    semantics: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "rows_in": self.rows_in,
            "quarantined": self.quarantined,
            "resolved": self.resolved,
            "candidate_pairs": self.candidate_pairs,
            "linked_pairs": self.linked_pairs,
            "clusters": self.clusters,
            "multi_record_clusters": self.multi_record_clusters,
        }


def _clusters_table(records: DataFrame, assignments: DataFrame, run_id: str) -> DataFrame:
    passthrough = [
        c
        for c in records.columns
        if c not in CATALOG_COLUMNS and c not in NORMALISED_COLUMNS and c != ROW_ORDER
    ]
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
        *[F.col(f"`{c}`") for c in passthrough],
        F.lit(run_id).alias("run_id"),
    )


def _count_by(df: DataFrame, column: str) -> dict[str, int]:
    return {r[0]: int(r[1]) for r in df.groupBy(column).count().collect()}


def resolve(
    spark: SparkSession,
    cfg: Config,
    input_path: str,
    input_format: str,
    output: str,
    truth_column: str | None = None,
) -> ResolveResult:
    """Run the whole job; returns what happened (also printed, tracked and written)."""
    timer = StageTimer(spark, cfg.progress.heartbeat_s)
    store = DeltaStore(spark, output, cfg.output.delta_engine)
    started = time.time()
    with (
        OutputLock(output, f"resolve {input_path}"),
        RunTracker(
            cfg.tracking, output, run_name=f"resolve {os.path.basename(input_path.rstrip('/'))}"
        ) as tracker,
        JobCache() as cache,
    ):
        run_id = tracker.run_id
        tracker.params(cfg.to_dict())
        tracker.tags(
            {
                "job": "resolve",
                "input": input_path,
                "input_format": input_format,
                "config_hash": cfg.fingerprint(),
                "delta_engine": store.engine_name,
            }
        )
        tracker.artifact_dict(cfg.to_dict(), "config.json")

        with timer.stage("read"):
            raw = read_input(spark, input_path, input_format)
            if truth_column and truth_column not in raw.columns:
                raise InputError(f"--truth {truth_column}: no such column in the input")
            raw = cache(raw)
            rows_in = raw.count()
            if rows_in == 0:
                raise InputError(f"input is empty: {input_path}")
            timer.note("%s rows from %s (%s)", f"{rows_in:,}", input_path, input_format)

        with timer.stage("validate"):
            valid, quarantine = split_valid(raw, cfg.validation)
            quarantine = cache(quarantine)
            reasons = _count_by(quarantine, "reason")
            quarantined = sum(reasons.values())
            timer.note("%s rows quarantined %s", f"{quarantined:,}", reasons or "")

        with timer.stage("normalise"):
            records = cache(normalise(valid, cfg.normalise))
            resolved_in = records.count()
            issues = parse_issue_counts(records)
            timer.note(
                "%s records; unparseable values set to null: %s",
                f"{resolved_in:,}",
                issues or "none",
            )
            cache.release(raw)

        with timer.stage("blocking"):
            timer.note(describe_minhash(cfg.blocking))
            # Stored for incremental runs; computed again when written.
            keys = block_keys(records, cfg.blocking)
            candidates, skew = candidate_pairs(records, cfg.blocking)
            candidates = cache.own(candidates)
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
                "%s candidate pairs (%.1f per record), by blocker %s",
                f"{n_candidates:,}",
                2 * n_candidates / max(resolved_in, 1),
                by_blocker,
            )

        with timer.stage("scoring"):
            scored = train_and_score(spark, records, candidates, cfg.linkage)
            pairs = cache(
                scored.pairs.withColumn(
                    "linked", F.col("match_probability") >= cfg.clustering.threshold
                )
            )
            linked = pairs.filter("linked").count()
            timer.note(
                "%s of %s pairs at or above %.3f",
                f"{linked:,}",
                f"{n_candidates:,}",
                cfg.clustering.threshold,
            )
            tracker.artifact_dict(scored.model_json, "splink_model.json")
            if cfg.linkage.pair_model.enabled:
                pair_model = cfg.linkage.pair_model
                tracker.artifact_dict(
                    describe(load_pair_model(pair_model.version, pair_model.weights_path)),
                    "pair_model.json",
                )

        with timer.stage("clustering"):
            result = cluster_pairs(
                records, pairs, cfg.clustering.threshold, cfg.clustering.max_iterations
            )
            components = result.clusters.select("record_id", F.col("cluster_id").alias("component"))
            previous_version = store.version("clusters")
            previous = None
            if previous_version is not None:
                previous = store.read("clusters").select("record_id", "cluster_id")
            generation = 0 if previous_version is None else previous_version + 1
            stable = assign_stable_ids(components, previous, generation)
            assignments = cache(stable.clusters)
            events = cache(stable.events)
            event_counts = _count_by(events, "event")
            timer.note("cluster ids: %s", event_counts or "all unchanged")
            sizes = (
                assignments.groupBy("cluster_id")
                .agg(F.count("*").alias("n"))
                .agg(
                    F.count("*").alias("clusters"),
                    F.sum(F.when(F.col("n") > 1, 1).otherwise(0)).alias("multi"),
                )
                .collect()[0]
            )
            n_clustered = assignments.count()
            timer.note(
                "%s clusters (%s with 2+ records) in %d iterations",
                f"{sizes['clusters']:,}",
                f"{sizes['multi'] or 0:,}",
                result.iterations,
            )

        if n_clustered + quarantined != rows_in:
            raise RuntimeError(
                f"row accounting broken: {rows_in} in != {n_clustered} clustered + {quarantined} quarantined"
            )

        # semantics: works over recording clusters, video -> recording links, typed edges.
        with timer.stage("semantics"):
            # Profiles, edges and the evaluation all read it: one join, kept slim.
            wanted = [c for c in (*PROFILE_COLUMNS, *TRUTH_COLUMNS) if c in records.columns]
            resolved_records = cache(
                records.select("record_id", *wanted).join(
                    assignments.select("record_id", "cluster_id"), "record_id"
                )
            )
            profiles = cache(cluster_profiles(resolved_records))
            works = cache(group_works(profiles, cfg.semantics.writer_max_titles))
            video_links = cache(link_videos(profiles, cfg.semantics))
            relationships = build_relationships(resolved_records, works, video_links)
            semantic_counts = {
                "works": works.select("work_id").distinct().count(),
                "version_edges": works.count(),
                "video_links": video_links.count(),
            }
            timer.note("semantics: %s", semantic_counts)
            tracker.metrics(semantic_counts)
            semantic_scores = None
            if has_truth(resolved_records):
                semantic_scores = evaluate_semantics(resolved_records, works, video_links)
                timer.note(format_semantics(semantic_scores))
                tracker.metrics({f"eval_{k}": v for k, v in semantic_scores.items()})

        with timer.stage("write"):
            meta = {
                "run_id": run_id,
                "mode": "full",
                "config_hash": cfg.fingerprint(),
                "input": input_path,
                "rows_in": rows_in,
                "quarantined": quarantined,
                "clusters": int(sizes["clusters"]),
                "linked_pairs": linked,
            }
            with_run = F.lit(run_id).alias("run_id")
            # Every table's files first, then the commits: a run that dies while
            # writing leaves every table at its previous version.
            staged = [
                (
                    store.stage(_clusters_table(records, assignments, run_id), "clusters"),
                    "overwrite",
                ),
                (store.stage(pairs.select("*", with_run), "pairs"), "overwrite"),
                (store.stage(quarantine.select("*", with_run), "quarantine"), "overwrite"),
                (store.stage(events.select("*", with_run), "cluster_events"), "append"),
                (store.stage(records, "records"), "overwrite"),
                (store.stage(keys, "block_keys"), "overwrite"),
                (store.stage(_model_row(spark, run_id, cfg, scored.model_json), "model"), "append"),
                (store.stage(works.select("*", with_run), "works"), "overwrite"),
                (store.stage(video_links.select("*", with_run), "video_links"), "overwrite"),
                (store.stage(relationships.select("*", with_run), "relationships"), "overwrite"),
            ]
            timer.note("files written for %d tables; committing", len(staged))
            commits = {}
            for st, mode in staged:
                props = CLUSTERS_PROPERTIES if st.table == "clusters" else None
                commits[st.table] = store.commit(st, mode, meta, props)
            for c in commits.values():
                timer.note("%s -> version %d", c.path, c.version)

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
            resolved=n_clustered,
            quarantine_reasons=reasons,
            parse_issues=issues,
            candidate_pairs=n_candidates,
            pairs_by_blocker=by_blocker,
            linked_pairs=linked,
            clusters=int(sizes["clusters"]),
            multi_record_clusters=int(sizes["multi"] or 0),
            seconds=dict(timer.seconds),
            commits=commits,
            scores=scores,
            tracking_uri=tracker.tracking_uri,
            semantics={**semantic_counts, **(semantic_scores or {})},
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
                **{f"seconds_{k}": v for k, v in res.seconds.items()},
                **{f"quarantined_{k}": v for k, v in reasons.items()},
                **{f"unparsed_{k}": v for k, v in issues.items()},
                **{f"pairs_{k}": v for k, v in by_blocker.items()},
            }
        )
        tracker.tags({f"delta_version_{k}": str(c.version) for k, c in commits.items()})
    return res


def _model_row(spark, run_id: str, cfg: Config, model_json: dict) -> DataFrame:
    """The trained Splink model, kept with the tables it produced: an incremental
    run scores new records with exactly this model."""
    row = {
        "run_id": run_id,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config_hash": cfg.fingerprint(),
        "splink_model": json.dumps(model_json),
    }
    return spark.createDataFrame(
        [row], "run_id string, created_at string, config_hash string, splink_model string"
    )


def _runs_row(
    spark, res: ResolveResult, cfg: Config, input_path: str, input_format: str, started: float
) -> DataFrame:
    row = {
        "run_id": res.run_id,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "input": input_path,
        "input_format": input_format,
        "mode": res.mode,
        "config_hash": cfg.fingerprint(),
        **res.counts(),
        "seconds": json.dumps({k: round(v, 2) for k, v in res.seconds.items()}),
        "table_versions": json.dumps({k: c.version for k, c in res.commits.items()}),
        "scores": json.dumps(res.scores.as_dict() if res.scores else None),
    }
    schema = (
        "run_id string, started_at string, input string, input_format string, mode string, "
        "config_hash string, "
        "rows_in long, quarantined long, resolved long, candidate_pairs long, linked_pairs long, "
        "clusters long, multi_record_clusters long, seconds string, table_versions string, scores string"
    )
    return spark.createDataFrame([row], schema)


def format_summary(res: ResolveResult) -> str:
    lines = [
        f"tracklink resolve ({res.mode}): run {res.run_id}",
        f"  rows in            {res.rows_in:>12,}",
        f"  quarantined        {res.quarantined:>12,}  {res.quarantine_reasons or ''}",
        f"  resolved           {res.resolved:>12,}",
        f"  check              {res.rows_in:,} in = {res.resolved:,} resolved + {res.quarantined:,} quarantined",
        f"  unparsed -> null   {res.parse_issues or 'none'}",
        f"  candidate pairs    {res.candidate_pairs:>12,}  {res.pairs_by_blocker}",
        f"  linked pairs       {res.linked_pairs:>12,}",
        f"  clusters           {res.clusters:>12,}  ({res.multi_record_clusters:,} with 2+ records)",
    ]
    if res.mode == "incremental":
        lines += [
            f"  updated records    {res.updated_records:>12,}  (record_id seen before: replaced)",
            f"  cluster rows merged{res.changed_cluster_rows:>12,}  (the rest left untouched)",
        ]
    lines += [
        "  time               "
        + ", ".join(f"{k} {v:.1f}s" for k, v in res.seconds.items())
        + f"; total {sum(res.seconds.values()):.1f}s",
    ]
    for name, c in res.commits.items():
        lines.append(f"  table {name:<12} {c.path} (version {c.version})")
    if res.tracking_uri:
        lines.append(f"  mlflow             {res.tracking_uri} (run {res.run_id})")
    if res.scores:
        lines.append(f"  quality            {format_scores(res.scores)}")
    if res.semantics:
        counts = {k: int(v) for k, v in res.semantics.items() if k in ("works", "video_links")}
        lines.append(f"  semantics          {counts}")
        if "works_f1" in res.semantics:
            lines.append(f"  semantics quality  {format_semantics(res.semantics)}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="jobs.resolve",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--input", required=True, help="catalog Parquet/CSV/Delta, or a dapo CSV")
    parser.add_argument("--input-format", default="catalog", choices=INPUT_FORMATS)
    parser.add_argument("--output", required=True, help="folder for the Delta tables")
    parser.add_argument(
        "--mode",
        default="full",
        choices=("full", "incremental"),
        help="full: resolve the input from scratch; incremental: add new or changed "
        "records to the output of an earlier run (see jobs/incremental.py)",
    )
    parser.add_argument(
        "--truth",
        default=None,
        metavar="COLUMN",
        help="ground-truth column of the input: evaluate at the end (never used to resolve)",
    )
    add_config_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.overrides)
    spark = get_spark(cfg.spark)
    if args.mode == "incremental":
        from jobs.incremental import resolve_incremental

        res = resolve_incremental(
            spark, cfg, args.input, args.input_format, args.output, args.truth
        )
    else:
        res = resolve(spark, cfg, args.input, args.input_format, args.output, args.truth)
    print(format_summary(res))
    return 0


if __name__ == "__main__":
    run_cli(main)
