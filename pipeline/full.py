"""A full run: resolve the whole input from scratch, keeping cluster ids stable
against the output's previous run (if any)."""

from __future__ import annotations

from blocking import block_keys, candidate_pairs
from pipeline import stages
from pipeline.context import RunContext
from pipeline.plan import profile
from pipeline.result import ResolveResult
from pipeline.tables import clusters_rows, model_row, with_run_id
from pipeline.write import RunOutcome, TableWrite, finish, semantic_writes


def resolve_full(ctx: RunContext) -> ResolveResult:
    cfg, store = ctx.cfg, ctx.store
    validated = stages.read_and_validate(ctx)
    normalised = stages.normalise_records(ctx, validated)
    records = normalised.records
    plan = profile(ctx, records)

    with ctx.timer.stage("blocking"):
        stages.describe_blocking(ctx, plan)
        # The keys incremental runs read: their files are written here, once,
        # and committed with the run's other tables; the exact keys are read
        # back from them, not computed again.
        staged_keys = store.stage(
            block_keys(records, cfg.blocking, plan.usable, plan.vectors), "block_keys", ctx.run_id
        )
        keys = store.staged_frame(staged_keys)
        pairs, skew = candidate_pairs(
            records, cfg.blocking, keys=keys, usable=plan.usable, vectors=plan.vectors
        )
        candidates = stages.report_candidates(ctx, ctx.cache.own(pairs), skew, normalised.count)

    scored = stages.score(ctx, records, candidates, plan)

    with ctx.timer.stage("clustering"):
        previous_version = store.finished_version("clusters")
        previous = None
        if previous_version is not None:
            previous = store.read("clusters").select("record_id", "cluster_id")
        # From the last finished run's version, not the latest: a rollback's
        # versions must not change the ids this run gives new clusters.
        generation = 0 if previous_version is None else previous_version + 1
        clustered = stages.stable_clusters(ctx, records, scored.pairs, previous, generation)
        assignments = clustered.assignments
        resolved = assignments.count()
        clusters = stages.cluster_counts(assignments)
        ctx.note(
            "%s clusters (%s with 2+ records) in %d iterations",
            f"{clusters[0]:,}",
            f"{clusters[1]:,}",
            clustered.iterations,
        )
    stages.check_accounting(validated.rows_in, resolved, validated.quarantined)

    semantics = stages.semantics(ctx, records, assignments)

    run_id = ctx.run_id
    writes = [
        TableWrite("clusters", clusters_rows(records, assignments, run_id), "overwrite"),
        TableWrite("pairs", with_run_id(scored.pairs, run_id), "overwrite"),
        TableWrite("quarantine", with_run_id(validated.quarantine, run_id), "overwrite"),
        TableWrite("cluster_events", with_run_id(clustered.events, run_id), "append"),
        TableWrite("records", records, "overwrite"),
        TableWrite("block_keys", keys, "overwrite", staged=staged_keys),
        TableWrite("model", model_row(ctx.spark, run_id, cfg, scored.model_json), "append"),
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
        model_inputs=plan.report,
    )
    return finish(ctx, outcome, writes)
