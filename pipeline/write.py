"""Writing a run's tables, and the run's record of itself (`runs`, MLflow)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from pyspark.sql import DataFrame

from pipeline import stages
from pipeline.context import RunContext
from pipeline.result import ResolveResult
from pipeline.tables import TABLE_PROPERTIES, runs_row, with_run_id
from storage.delta import Commit


@dataclass
class TableWrite:
    """One table's part of a run's write. `replace`: before an append, delete
    the rows whose value in any of these columns is one of these ids."""

    table: str
    df: DataFrame
    mode: Literal["overwrite", "append", "upsert"]
    keys: list[str] = field(default_factory=list)
    replace: tuple[list[str], list[str]] | None = None


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
    }


def write_tables(ctx: RunContext, writes: list[TableWrite], meta: dict) -> dict[str, Commit]:
    """Every table's files first, then the commits: a run that dies while
    writing files leaves every table at its previous version."""
    store = ctx.store
    commits: dict[str, Commit] = {}
    with ctx.timer.stage("write"):
        staged = {w.table: store.stage(w.df, w.table) for w in writes if w.mode != "upsert"}
        ctx.note("files written for %d tables; committing", len(staged))
        for w in writes:
            if w.replace is not None and w.replace[1]:
                store.delete_in(w.table, w.replace[0], w.replace[1], meta)
            if w.mode == "upsert":
                commits[w.table] = store.upsert(w.df, w.table, w.keys, meta)
            else:
                props = TABLE_PROPERTIES.get(w.table)
                commits[w.table] = store.commit(staged[w.table], w.mode, meta, props)
        for c in commits.values():
            ctx.note("%s -> version %d", c.path, c.version)
    return commits


def finish(ctx: RunContext, outcome: RunOutcome, writes: list[TableWrite]) -> ResolveResult:
    """Write the tables, evaluate (with a truth column), then record the run: a
    `runs` row, MLflow metrics and tags. Returns the run's summary."""
    meta = run_metadata(ctx, outcome)
    commits = write_tables(ctx, writes, meta)
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
    commits["runs"] = ctx.store.write(runs, "runs", "append", meta)
    res.report = stages.report(ctx)
    ctx.tracker.metrics(res.metrics())
    ctx.tracker.tags({f"delta_version_{k}": str(c.version) for k, c in commits.items()})
    return res
