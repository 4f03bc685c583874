"""The stages both kinds of run share, each a function over DataFrames that
times itself, logs what it did and returns what the next stage needs."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from blocking import SkewReport, describe_blockers, describe_caps, describe_minhash
from catalog import normalise, parse_issue_counts, read_input, split_valid
from conf.errors import InputError
from evaluation.metrics import Scores, format_scores
from evaluation.output import evaluate_output
from evaluation.run_report import write_run_report
from evaluation.semantics import TRUTH_COLUMNS, evaluate_semantics, format_semantics, has_truth
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
    score_with_model,
    train_and_score,
)
from linkage.model import model_columns
from pipeline.context import RunContext
from pipeline.plan import Plan
from pipeline.tables import align_to
from runtime.paths import side_folder
from runtime.profile import write_profile


def count_by(df: DataFrame, column: str) -> dict[str, int]:
    return {r[0]: int(r[1]) for r in df.groupBy(column).count().collect()}


@dataclass
class Validated:
    raw: DataFrame
    valid: DataFrame
    quarantine: DataFrame
    rows_in: int
    reasons: dict[str, int]

    @property
    def quarantined(self) -> int:
        return sum(self.reasons.values())


def read_and_validate(ctx: RunContext) -> Validated:
    """Read the input and split it into rows to resolve and quarantined rows."""
    source = ctx.source
    with ctx.timer.stage("read"):
        raw = read_input(ctx.spark, source.path, ctx.cfg.input)
        if source.truth_column and source.truth_column not in raw.columns:
            raise InputError(f"--truth {source.truth_column}: no such column in the input")
        raw = ctx.cache(raw)
        rows_in = raw.count()
        if rows_in == 0:
            raise InputError(f"input is empty: {source.path}")
        ctx.note("%s rows from %s (%s)", f"{rows_in:,}", source.path, source.format)

    with ctx.timer.stage("validate"):
        valid, quarantine = split_valid(raw, ctx.cfg.validation)
        quarantine = ctx.cache(quarantine)
        reasons = count_by(quarantine, "reason")
        ctx.note("%s rows quarantined %s", f"{sum(reasons.values()):,}", reasons or "")
    return Validated(raw, valid, quarantine, rows_in, reasons)


@dataclass
class Normalised:
    records: DataFrame
    count: int
    issues: dict[str, int]


def normalise_records(
    ctx: RunContext, validated: Validated, like: StructType | None = None
) -> Normalised:
    """Valid rows -> normalised records, kept. `like`: a schema to align them to
    (the stored `records` table an increment adds to)."""
    with ctx.timer.stage("normalise"):
        records = normalise(validated.valid, ctx.cfg.normalise)
        if like is not None:
            records = align_to(records, like, "records")
        records = ctx.keep(records)
        count = records.count()
        issues = parse_issue_counts(records)
        ctx.note("%s records; unparseable values set to null: %s", f"{count:,}", issues or "none")
        ctx.cache.release(validated.raw)
    return Normalised(records, count, issues)


@dataclass
class Candidates:
    pairs: DataFrame
    count: int
    by_blocker: dict[str, int]


def describe_blocking(ctx: RunContext, plan: Plan) -> None:
    ctx.note("blockers: %s", describe_blockers(ctx.cfg.blocking, plan.usable, plan.vectors))
    for name, why in plan.report["blockers_left_out"].items():
        ctx.note("blocker left out: %s (%s)", name, why)
    ctx.note(describe_minhash(ctx.cfg.blocking))


def report_candidates(
    ctx: RunContext, pairs: DataFrame, skew: SkewReport, records: int
) -> Candidates:
    """Count what blocking proposed, and say what the skew guard dropped."""
    n = pairs.count()
    by_blocker = count_by(pairs.select(F.explode("blocked_by").alias("b")), "b")
    if skew.dropped_keys:
        ctx.note(
            "skew guard dropped %d keys larger than %s (largest %d): %s",
            skew.dropped_keys,
            describe_caps(ctx.cfg.blocking),
            skew.largest_block,
            ", ".join(skew.examples),
        )
    ctx.note(
        "%s candidate pairs (%.1f per input record), by blocker %s",
        f"{n:,}",
        2 * n / max(records, 1),
        by_blocker,
    )
    return Candidates(pairs, n, by_blocker)


@dataclass
class Scored:
    pairs: DataFrame
    linked: int
    model_json: dict
    pair_model: str


def score(
    ctx: RunContext,
    records: DataFrame,
    candidates: Candidates,
    plan: Plan,
    model: dict | None = None,
) -> Scored:
    """Score the candidate pairs and mark those at or above the threshold as
    `linked`. `model`: a stored Splink model to score with; None trains one on
    `records` first, on the columns `plan` says the catalogue fills."""
    cfg = ctx.cfg
    with ctx.timer.stage("scoring"):
        if model is None:
            scored = train_and_score(
                ctx.spark,
                records,
                candidates.pairs,
                cfg.linkage,
                plan.usable,
                plan.vectors,
                plan.shares,
            )
            pairs, model, pair_model = scored.pairs, scored.model_json, scored.pair_model
            if scored.training is not None:
                plan.report["training"] = scored.training.as_dict()
        else:
            pairs, pair_model = score_with_model(
                ctx.spark, records, candidates.pairs, model, cfg.linkage.pair_model
            )
        plan.report["comparisons"] = model_columns(model)
        plan.report["pair_model"] = pair_model
        plan.report["threshold"] = cfg.clustering.threshold
        ctx.note("model compares %s; pair model: %s", ", ".join(model_columns(model)), pair_model)
        ctx.tracker.params(
            {"model.comparisons": ",".join(model_columns(model)), "model.pair_model": pair_model}
        )
        ctx.tracker.artifact_dict(plan.report, "model_inputs.json")
        pairs = ctx.keep(
            pairs.withColumn("linked", F.col("match_probability") >= cfg.clustering.threshold)
        )
        linked = pairs.filter("linked").count()
        ctx.note(
            "%s of %s pairs at or above %.3f",
            f"{linked:,}",
            f"{candidates.count:,}",
            cfg.clustering.threshold,
        )
        ctx.tracker.artifact_dict(model, "splink_model.json")
        if not pair_model.startswith("off"):
            settings = cfg.linkage.pair_model
            ctx.tracker.artifact_dict(
                describe(load_pair_model(settings.version, settings.weights_path)),
                "pair_model.json",
            )
    return Scored(pairs, linked, model, pair_model)


@dataclass
class Clustered:
    assignments: DataFrame
    events: DataFrame
    event_counts: dict[str, int]
    iterations: int


def stable_clusters(
    ctx: RunContext,
    records: DataFrame,
    links: DataFrame,
    previous: DataFrame | None,
    generation: int,
) -> Clustered:
    """Connected components of `links` over `records` (`record_id`), with ids
    kept stable against `previous` (`record_id`, `cluster_id`; None: none).
    Assignments: `record_id`, `cluster_id`, `cluster_size`."""
    cfg = ctx.cfg.clustering
    result = cluster_pairs(records, links, cfg.threshold, cfg.max_iterations)
    components = result.clusters.select("record_id", F.col("cluster_id").alias("component"))
    stable = assign_stable_ids(components, previous, generation)
    assignments = ctx.keep(stable.clusters)
    events = ctx.keep(stable.events)
    event_counts = count_by(events, "event")
    ctx.note("cluster ids: %s", event_counts or "all unchanged")
    return Clustered(assignments, events, event_counts, result.iterations)


def cluster_counts(assignments: DataFrame) -> tuple[int, int]:
    """(clusters, clusters with two or more records) of `record_id`, `cluster_id` rows."""
    row = (
        assignments.groupBy("cluster_id")
        .agg(F.count("*").alias("n"))
        .agg(
            F.count("*").alias("clusters"),
            F.sum(F.when(F.col("n") > 1, 1).otherwise(0)).alias("multi"),
        )
        .collect()[0]
    )
    return int(row["clusters"]), int(row["multi"] or 0)


def check_accounting(rows_in: int, resolved: int, quarantined: int) -> None:
    """Nothing is dropped silently: every input row is resolved or quarantined."""
    if resolved + quarantined != rows_in:
        raise RuntimeError(
            f"row accounting broken: {rows_in} in != {resolved} clustered + "
            f"{quarantined} quarantined"
        )


@dataclass
class Semantics:
    works: DataFrame
    video_links: DataFrame
    relationships: DataFrame
    counts: dict[str, int]
    scores: dict[str, float] | None


def semantics(ctx: RunContext, records: DataFrame, assignments: DataFrame) -> Semantics:
    """Works over recording clusters, video -> recording links and typed edges,
    over every resolved record (`assignments`: `record_id`, `cluster_id`)."""
    with ctx.timer.stage("semantics"):
        # Profiles, edges and the evaluation all read it: one join, kept slim.
        wanted = [c for c in (*PROFILE_COLUMNS, *TRUTH_COLUMNS) if c in records.columns]
        resolved = ctx.keep(
            records.select("record_id", *wanted).join(
                assignments.select("record_id", "cluster_id"), "record_id"
            )
        )
        profiles = ctx.keep(cluster_profiles(resolved))
        works = ctx.keep(group_works(profiles, ctx.cfg.semantics))
        video_links = ctx.keep(link_videos(profiles, ctx.cfg.semantics))
        relationships = build_relationships(resolved, works, video_links)
        counts = {
            "works": works.select("work_id").distinct().count(),
            "version_edges": works.count(),
            "video_links": video_links.count(),
        }
        ctx.note("semantics: %s", counts)
        ctx.tracker.metrics(counts)
        scores = None
        if has_truth(resolved):
            scores = evaluate_semantics(resolved, works, video_links)
            ctx.note(format_semantics(scores))
            ctx.tracker.metrics({f"eval_{k}": v for k, v in scores.items()})
    return Semantics(works, video_links, relationships, counts, scores)


def evaluate(ctx: RunContext) -> Scores | None:
    """Score the written clusters against the input's truth column, if one was given."""
    truth = ctx.source.truth_column
    if not truth:
        return None
    with ctx.timer.stage("evaluate"):
        scores = evaluate_output(ctx.store, truth)
        ctx.note(format_scores(scores))
        ctx.tracker.metrics({f"eval_{k}": v for k, v in scores.as_dict().items()})
    return scores


def report(ctx: RunContext) -> str:
    """The run report (`evaluation.run_report`) from the tables just written."""
    store = ctx.store
    folder = side_folder(store.root, "_reports", f"run-{ctx.run_id}")
    with ctx.timer.stage("report"):
        written = write_run_report(
            store.read("pairs"), store.read("clusters"), store.read("runs"), ctx.run_id, folder
        )
        ctx.tracker.artifact_file(written.markdown, "report")
        if written.png:
            ctx.tracker.artifact_file(written.png, "report")
    # After the report stage, so that its span is in the profile too.
    profile = write_profile(ctx.spark, ctx.timer.spans, folder)
    if profile:
        ctx.tracker.artifact_file(profile, "report")
        ctx.tracker.artifact_file(profile.removesuffix(".md") + ".json", "report")
    return written.markdown
