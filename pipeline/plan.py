"""What a run builds from the roles a catalogue fills: the plan that blocking
and scoring follow, and the report of it that the summary, the `runs` table
(`model_inputs`) and MLflow keep."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from blocking.registry import blocker_names, left_out_blockers
from catalog import describe_mapping
from catalog.profile import profile_roles
from linkage.model import model_columns, model_vectors
from pipeline.context import RunContext


@dataclass
class Plan:
    """What a run builds from the roles the catalogue fills: the columns
    blocking and the model read (`usable`), its vector columns with their
    lengths, and the blockers; `report` gathers it all for the `runs` table,
    MLflow and the summary (the model's side is added when it is trained)."""

    usable: frozenset[str]
    vectors: dict[str, int]
    blockers: list[str]
    report: dict
    # The share of records filling each column (empty: not profiled).
    shares: dict[str, float] = field(default_factory=dict)


def profile(ctx: RunContext, records: DataFrame) -> Plan:
    """Profile the roles the normalised records fill and plan blocking on them."""
    cfg = ctx.cfg
    with ctx.timer.stage("profile"):
        roles = profile_roles(records, cfg.roles, cfg.input.embeddings)
        for line in roles.lines():
            ctx.note(line)
    return _plan(ctx, roles.usable, roles.vectors, {"roles": roles.as_dict()}, roles.share)


def plan_from_model(ctx: RunContext, model: dict, records: DataFrame) -> Plan:
    """An increment's plan: the columns the stored model compares, so that it
    blocks and scores as the full run did."""
    vectors = model_vectors(model)
    lengths = {}
    if vectors:
        row = records.agg(*[F.max(F.size(F.col(f"`{v}`"))).alias(v) for v in vectors]).collect()[0]
        lengths = {v: int(row[v]) for v in vectors if row[v] and row[v] > 0}
    usable = frozenset(model_columns(model))
    ctx.note("roles used (the stored model's): %s", ", ".join(sorted(usable)))
    return _plan(ctx, usable, lengths, {"roles": {"used": sorted(usable), "from": "stored model"}})


def _plan(
    ctx: RunContext,
    usable: frozenset[str],
    vectors: dict[str, int],
    report: dict,
    shares: dict[str, float] | None = None,
) -> Plan:
    cfg = ctx.cfg.blocking
    blockers = blocker_names(cfg, usable, vectors)
    left_out = left_out_blockers(cfg, usable)
    report = {
        "mapping": describe_mapping(ctx.cfg.input),
        **report,
        "blockers": blockers,
        "blockers_left_out": left_out,
    }
    ctx.tracker.params(
        {
            "input.mapping": report["mapping"],
            "roles.used": ",".join(sorted(usable)),
            "blockers.used": ",".join(blockers),
        }
    )
    return Plan(usable, vectors, blockers, report, dict(shares or {}))
