"""Writing a run's tables, and the run's record of itself (`runs`, MLflow)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from pipeline import stages
from pipeline.context import RunContext
from pipeline.fingerprint import input_fingerprint, same_content
from pipeline.result import ResolveResult
from pipeline.tables import TABLE_PROPERTIES, runs_row, with_run_id
from runtime import faults
from storage.delta import Commit, Staged


@dataclass
class TableWrite:
    """One table's part of a run's write. `replace`: before an append, delete
    the rows whose value in any of these columns is one of these ids.
    `staged`: `df`'s files when a stage wrote them already (`df` reads them)."""

    table: str
    df: DataFrame
    mode: Literal["overwrite", "append", "upsert"]
    keys: list[str] = field(default_factory=list)
    replace: tuple[list[str], list[str]] | None = None
    staged: Staged | None = None


def semantic_writes(ctx: RunContext, semantics: stages.Semantics) -> list[TableWrite]:
    """The semantic tables, rewritten whole by every run."""
    return [
        TableWrite("works", with_run_id(semantics.works, ctx.run_id), "overwrite"),
        TableWrite("video_links", with_run_id(semantics.video_links, ctx.run_id), "overwrite"),
        TableWrite("relationships", with_run_id(semantics.relationships, ctx.run_id), "overwrite"),
    ]


@dataclass
class RunOutcome:
    """What a run's stages produced, for its summary and its `runs` row."""

    validated: stages.Validated
    normalised: stages.Normalised
    candidates: stages.Candidates
    scored: stages.Scored
    semantics: stages.Semantics
    # Input records that were clustered (rows in = resolved + quarantined).
    resolved: int
    # Clusters, and clusters of two or more records, in the output after the run.
    clusters: tuple[int, int]
    updated_records: int = 0
    changed_cluster_rows: int | None = None
    # How the run adapted to the catalogue: roles, blockers, model (`stages.Plan`).
    model_inputs: dict = field(default_factory=dict)


def run_metadata(ctx: RunContext, outcome: RunOutcome) -> dict[str, Any]:
    """What every commit of a run carries, so a table's history names its run."""
    return {
        "run_id": ctx.run_id,
        "mode": ctx.mode,
        "config_hash": ctx.cfg.fingerprint(),
        "input": ctx.source.path,
        "rows_in": outcome.validated.rows_in,
        "quarantined": outcome.validated.quarantined,
        "clusters": outcome.clusters[0],
        "linked_pairs": outcome.scored.linked,
        "updated_records": outcome.updated_records,
        "input_fingerprint": input_fingerprint(ctx.source.path),
    }


def last_finished_run(ctx: RunContext) -> dict:
    """The commit metadata of the last finished run ({} if none)."""
    if ctx.store.latest_version("runs") is None:
        return {}
    return ctx.store.commits("runs")[0][1]


def unchanged_tables(ctx: RunContext, writes: list[TableWrite], meta: dict) -> set[str]:
    """The tables a repeat of the last finished full run would write unchanged
    (`pipeline.fingerprint`); none unless input, config and mode are the same."""
    last = last_finished_run(ctx)
    repeat = (
        ctx.mode == "full"
        and meta.get("input_fingerprint") is not None
        and all(last.get(k) == meta.get(k) for k in ("input_fingerprint", "config_hash", "mode"))
    )
    if not repeat:
        return set()
    same = set()
    for w in writes:
        if ctx.store.latest_version(w.table) is None:
            continue
        stored = ctx.store.read(w.table)
        if w.mode == "append":
            if w.df.isEmpty():
                same.add(w.table)
                continue
            stored = stored.filter(F.col("run_id") == last["run_id"])
        if same_content(w.df, stored):
            same.add(w.table)
    ctx.note(
        "the same input and config as run %s: %d of %d tables unchanged, not rewritten",
        last["run_id"],
        len(same),
        len(writes),
    )
    return same


def write_tables(ctx: RunContext, writes: list[TableWrite], meta: dict) -> dict[str, Commit]:
    """Every table's files first (the slow part), then the commits, each table
    in turn; the run's commit point is its `runs` row, appended after them
    (`finish`). Until then readers see the previous run's versions, and a run
    that dies here is rolled back when the next one starts (`pipeline.recovery`)."""
    store = ctx.store
    commits: dict[str, Commit] = {}
    with ctx.timer.stage("write"):
        staged = {
            w.table: w.staged or store.stage(w.df, w.table, ctx.run_id)
            for w in writes
            if w.mode != "upsert"
        }
        ctx.note("files written for %d tables; committing", len(staged))
        faults.point("staged")
        for w in writes:
            if w.replace is not None and w.replace[1]:
                store.delete_in(w.table, w.replace[0], w.replace[1], meta)
            if w.mode == "upsert":
                commits[w.table] = store.upsert(w.df, w.table, w.keys, meta)
            else:
                props = TABLE_PROPERTIES.get(w.table)
                commits[w.table] = store.commit(staged[w.table], w.mode, meta, props)
            faults.point(f"committed {w.table}")
        for c in commits.values():
            ctx.note("%s -> version %d", c.path, c.version)
    return commits


def finish(ctx: RunContext, outcome: RunOutcome, writes: list[TableWrite]) -> ResolveResult:
    """Write the tables, evaluate (with a truth column), then record the run: a
    `runs` row, MLflow metrics and tags. Returns the run's summary."""
    meta = run_metadata(ctx, outcome)
    same = unchanged_tables(ctx, writes, meta)
    for w in writes:
        if w.table in same and w.staged is not None:
            ctx.store.discard(w.staged)
    commits = write_tables(ctx, [w for w in writes if w.table not in same], meta)
    for table in same:
        commits[table] = Commit(table, ctx.store.path(table), ctx.store.latest_version(table))
    scores = stages.evaluate(ctx)
    validated, semantics = outcome.validated, outcome.semantics
    res = ResolveResult(
        run_id=ctx.run_id,
        output=ctx.store.root,
        rows_in=validated.rows_in,
        quarantined=validated.quarantined,
        resolved=outcome.resolved,
        quarantine_reasons=validated.reasons,
        parse_issues=outcome.normalised.issues,
        candidate_pairs=outcome.candidates.count,
        pairs_by_blocker=outcome.candidates.by_blocker,
        linked_pairs=outcome.scored.linked,
        clusters=outcome.clusters[0],
        multi_record_clusters=outcome.clusters[1],
        seconds=dict(ctx.timer.seconds),
        commits=commits,
        scores=scores,
        tracking_uri=ctx.tracker.tracking_uri,
        mode=ctx.mode,
        updated_records=outcome.updated_records,
        changed_cluster_rows=outcome.changed_cluster_rows,
        semantics={**semantics.counts, **(semantics.scores or {})},
        model_inputs=outcome.model_inputs,
    )
    row = {
        "run_id": res.run_id,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ctx.started)),
        "input": ctx.source.path,
        "input_format": ctx.source.format,
        "mode": res.mode,
        "config_hash": ctx.cfg.fingerprint(),
        **res.counts(),
        "seconds": json.dumps({k: round(v, 2) for k, v in res.seconds.items()}),
        "table_versions": json.dumps({k: c.version for k, c in commits.items()}),
        "scores": json.dumps(scores.as_dict() if scores else None),
        "model_inputs": json.dumps(outcome.model_inputs),
    }
    if len(same) == len(writes):
        ctx.note("every table already holds this result: nothing committed, no runs row")
        res.report = None
        ctx.tracker.metrics(res.metrics())
        ctx.tracker.tags({"outcome": f"same as run {last_finished_run(ctx).get('run_id')}"})
        return res
    runs = runs_row(ctx.spark, row)
    if ctx.store.version("runs") is not None:
        # An output an earlier tracklink wrote: its runs table keeps its columns.
        stored = set(ctx.store.read("runs").columns)
        newer = [c for c in runs.columns if c not in stored]
        if newer:
            ctx.note(
                "the runs table predates its %s column(s): those stay in MLflow only",
                ", ".join(newer),
            )
            runs = runs.drop(*newer)
    faults.point("before runs")
    # The commit point: from here on readers see this run's tables.
    commits["runs"] = ctx.store.write(runs, "runs", "append", meta)
    res.report = stages.report(ctx)
    ctx.tracker.metrics(res.metrics())
    ctx.tracker.tags({f"delta_version_{k}": str(c.version) for k, c in commits.items()})
    return res


def finish_unchanged(
    ctx: RunContext, validated: stages.Validated, normalised: stages.Normalised, unchanged: int
) -> ResolveResult:
    """An increment that brings nothing new: every row is resolved or
    quarantined exactly as given already. No table is written (not even
    `runs`), so the change data feed shows no change; MLflow records the run."""
    stages.check_accounting(validated.rows_in, unchanged, validated.quarantined)
    ctx.note(
        "nothing new: %s rows already resolved and %s already quarantined as given; "
        "no table written",
        f"{unchanged:,}",
        f"{validated.quarantined:,}",
    )
    clusters = stages.cluster_counts(ctx.store.read("clusters").select("record_id", "cluster_id"))
    res = ResolveResult(
        run_id=ctx.run_id,
        output=ctx.store.root,
        rows_in=validated.rows_in,
        quarantined=validated.quarantined,
        resolved=unchanged,
        quarantine_reasons=validated.reasons,
        parse_issues=normalised.issues,
        candidate_pairs=0,
        pairs_by_blocker={},
        linked_pairs=0,
        clusters=clusters[0],
        multi_record_clusters=clusters[1],
        seconds=dict(ctx.timer.seconds),
        tracking_uri=ctx.tracker.tracking_uri,
        mode=ctx.mode,
    )
    ctx.tracker.metrics(res.metrics())
    ctx.tracker.tags({"outcome": "nothing new"})
    return res
