"""Which roles a catalogue actually fills: the profile a run starts from.

Blocking, the Splink comparisons, the EM steps and the pair model each read
some normalised columns. A catalogue with no album column, or one whose album
holds a value in a handful of rows, cannot train or block on albums: EM
blocked on an album finds no pairs, and a blocker keyed on it proposes
nothing. So each role is profiled once (share of records with a value,
distinct values), and a role is used only if it clears `roles.min_share` and
`roles.min_distinct`; the rest are left out, each with its reason.

Vector columns (`input.embeddings`) are profiled the same way, and must hold
vectors of one length.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from conf.config import RolesConfig
from conf.errors import InputError

# The normalised column each input role becomes, for the roles that blocking
# and the model compare (kind, source and writers are not compared).
ROLE_COLUMNS = {
    "title": "title_norm",
    "artists": "artist_norm",
    "album": "album_norm",
    "duration_ms": "duration_s",
    "release_year": "year",
    "isrc": "isrc_norm",
    "track_number": "track_no",
}
PROFILED = tuple(ROLE_COLUMNS.values())


@dataclass(frozen=True)
class RoleProfile:
    """Per profiled column: share of records with a value and distinct values
    (approximate); `usable` holds the columns blocking and the model may read,
    `left_out` the others with their reason. `vectors`: each vector column's
    length, for those used."""

    records: int
    share: dict[str, float]
    distinct: dict[str, int]
    usable: frozenset[str]
    left_out: dict[str, str]
    vectors: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        used = ", ".join(
            f"{c} ({self.share[c]:.0%})" for c in (*PROFILED, *self.vectors) if c in self.usable
        )
        out = [f"roles used: {used}"]
        out += [f"role left out: {c}: {why}" for c, why in self.left_out.items()]
        return out

    def as_dict(self) -> dict:
        return {
            "used": sorted(self.usable),
            "left_out": dict(self.left_out),
            "share": {c: round(v, 4) for c, v in self.share.items()},
            "vectors": dict(self.vectors),
        }


def _why_not(share: float, distinct: int, cfg: RolesConfig) -> str | None:
    if share == 0:
        return "no values"
    if share < cfg.min_share:
        return f"values in {share:.2%} of records (roles.min_share {cfg.min_share:.0%})"
    if distinct < cfg.min_distinct:
        return f"{distinct} distinct value(s) (roles.min_distinct {cfg.min_distinct})"
    return None


def profile_roles(
    records: DataFrame, cfg: RolesConfig, vectors: tuple[str, ...] | list[str] = ()
) -> RoleProfile:
    """Profile `records` (normalised) in one aggregation."""
    columns = [c for c in PROFILED if c in records.columns]
    aggs = [F.count("*").alias("_n")]
    for c in columns:
        aggs += [F.count(c).alias(f"{c}__n"), F.approx_count_distinct(c).alias(f"{c}__d")]
    for v in vectors:
        size = F.size(F.col(f"`{v}`"))
        aggs += [
            F.count(F.col(f"`{v}`")).alias(f"{v}__n"),
            F.min(F.when(size > 0, size)).alias(f"{v}__min"),
            F.max(size).alias(f"{v}__max"),
            F.approx_count_distinct(F.xxhash64(F.col(f"`{v}`"))).alias(f"{v}__d"),
        ]
    row = records.agg(*aggs).collect()[0]
    n = int(row["_n"])
    share, distinct, left_out, usable = {}, {}, {}, set()
    lengths = {}
    for c in (*columns, *vectors):
        share[c] = row[f"{c}__n"] / n if n else 0.0
        distinct[c] = int(row[f"{c}__d"] or 0)
        if c in vectors and share[c] > 0:
            lo, hi = row[f"{c}__min"], row[f"{c}__max"]
            if lo != hi:
                raise InputError(
                    f"input.embeddings: {c} holds vectors of different lengths ({lo} to {hi})"
                )
            lengths[c] = int(hi)
        why = _why_not(share[c], distinct[c], cfg)
        if why is None:
            usable.add(c)
        else:
            left_out[c] = why
    for c in PROFILED:
        if c not in columns:
            share[c], distinct[c], left_out[c] = 0.0, 0, "no values"
    return RoleProfile(
        n,
        share,
        distinct,
        frozenset(usable),
        left_out,
        {v: lengths[v] for v in vectors if v in usable},
    )
