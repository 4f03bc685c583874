"""Group recording clusters into works (versions of one song).

Input: cluster profiles (`cluster_profiles`) of resolved records with
`cluster_id`, `kind_norm`, `version`, `title_norm`, `artist_norm`, `duration_s`
and optionally `artist_names`, `writer_names` and `year` (the `clusters` rows
joined to their normalised columns).
Output `works`, one row per audio recording cluster:

| column     | type   | meaning                                                           |
|------------|--------|-------------------------------------------------------------------|
| work_id    | string | `w` + 16 hex of sha1 of the smallest member cluster_id            |
| cluster_id | string | member recording cluster                                          |
| relation   | string | original, live, remix, acoustic, edit, cover, unknown             |
| confidence | double | how sure the membership is (0.8 for a cover tied by its writers)  |

A work is a set of audio clusters with one title (`title_norm`, without version
tags) tied together by the lead artist (equal, or within a typo) or by a shared
songwriter. The title alone ties far more different songs than covers
(docs/semantics.md, "Works"), so a cover by another artist joins the song only
through its writer credit; without one it is a work of its own. In a work with
several artists the original artist is the one among the writers, else the one
with the most clusters, then records, then the earliest year; an untagged
cluster by anyone else is a `cover`. The work id derives from the smallest
member cluster_id, so it survives as long as that cluster keeps its (stable) id.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Sequence
from typing import NamedTuple

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from catalog.text import similar

# A remaster is the same recording, so it counts as the original version.
_ORIGINAL = ("original", "remaster")
_KINDS = ("live", "remix", "acoustic", "edit")

WORKS_SCHEMA = "work_id string, cluster_id string, relation string, confidence double"
# Confidence of a membership: alone in its work; tied by title and artist; a
# cover tied by title and a writer only.
_ALONE, _SAME_ARTIST, _BY_WRITER = 1.0, 0.95, 0.8


# What `cluster_profiles` reads of a record besides its cluster_id (the last
# three when present).
PROFILE_COLUMNS = (
    "kind_norm",
    "title_norm",
    "artist_norm",
    "duration_s",
    "version",
    "artist_names",
    "writer_names",
    "year",
)


def cluster_profiles(records: DataFrame) -> DataFrame:
    """One row per cluster and kind (`kind_norm`): its size, most common title,
    artist, lead artist (the first name of the credit) and version, median
    duration, and when the records have them its writers (the commonest
    non-empty credit) and earliest year. Works and video links both start from
    these rows; compute them once and reuse them (cache or checkpoint) when
    both are wanted."""
    lead = F.col("artist_norm")
    if "artist_names" in records.columns:
        lead = F.coalesce(F.get(F.col("artist_names"), 0), lead)
    optional = []
    if "writer_names" in records.columns:
        # The commonest credit, not every name: a cluster that wrongly holds
        # records of two songs would otherwise carry both songs' writers and
        # tie each song's other versions together.
        credited = F.when(F.size("writer_names") > 0, F.col("writer_names"))
        optional.append(F.mode(credited, deterministic=True).alias("writers"))
    if "year" in records.columns:
        optional.append(F.min("year").alias("first_year"))
    # One aggregation for all: a mode per column as its own group-by and
    # window cost four more shuffles of every record.
    return (
        records.where(F.col("title_norm").isNotNull())
        .groupBy("cluster_id", "kind_norm")
        .agg(
            F.count(F.lit(1)).alias("members"),
            F.percentile_approx("duration_s", 0.5).alias("duration_s"),
            F.mode("title_norm", deterministic=True).alias("title_norm"),
            F.mode("artist_norm", deterministic=True).alias("artist_norm"),
            F.mode(lead, deterministic=True).alias("lead_artist"),
            # Untagged counts as the original, so it can outvote a stray tag.
            F.mode(F.coalesce("version", F.lit("original")), deterministic=True).alias("version"),
            *optional,
        )
    )


def group_works(profiles: DataFrame, writer_max_titles: int = 50) -> DataFrame:
    """The `works` table (schema in the module docstring) over the audio clusters
    among `profiles` (from `cluster_profiles`). A title's clusters are judged
    together on the executors, many titles per task: a title's clusters are
    few, even for "intro", and titles are many. A writer credited on more than
    `writer_max_titles` titles ties clusters only with a second shared writer."""
    prof = profiles.where(F.col("kind_norm") == "audio")
    writers = F.col("writers") if "writers" in prof.columns else F.lit(None)
    first_year = F.col("first_year") if "first_year" in prof.columns else F.lit(None)
    spark = profiles.sparkSession
    buckets = int(spark.conf.get("spark.sql.shuffle.partitions") or "4")
    prolific = (
        frozenset(_prolific_writers(prof, writer_max_titles))
        if "writers" in prof.columns
        else frozenset()
    )

    def works_of_bucket(bucket: pd.DataFrame) -> pd.DataFrame:
        return _works_of_bucket(bucket, prolific)

    return (
        prof.select(
            F.pmod(F.xxhash64("title_norm"), F.lit(buckets)).alias("_bucket"),
            "title_norm",
            "cluster_id",
            "lead_artist",
            F.coalesce("version", F.lit("original")).alias("version"),
            "members",
            writers.cast("array<string>").alias("writers"),
            first_year.cast("int").alias("first_year"),
        )
        .groupBy("_bucket")
        .applyInPandas(works_of_bucket, WORKS_SCHEMA)
    )


def _prolific_writers(profiles: DataFrame, max_titles: int) -> list[str]:
    """Writers credited on more than `max_titles` distinct titles. They are few
    by construction (each holds more than `max_titles` titles), so they are
    collected and shipped with the task."""
    return [
        r.writer
        for r in profiles.select("title_norm", F.explode("writers").alias("writer"))
        .groupBy("writer")
        .agg(F.countDistinct("title_norm").alias("titles"))
        .where(F.col("titles") > max_titles)
        .collect()
    ]


def _works_of_bucket(bucket: pd.DataFrame, prolific: frozenset[str]) -> pd.DataFrame:
    columns = ["title_norm", "cluster_id", "lead_artist", "version", "members", "writers"]
    profiles = sorted(
        zip(*(bucket[c].tolist() for c in [*columns, "first_year"]), strict=True),
        key=lambda r: (r[0], r[1]),
    )
    rows = []
    for _, group in itertools.groupby(profiles, key=lambda r: r[0]):
        rows += works_of_title([ClusterProfile(*r[1:]) for r in group], prolific)
    return pd.DataFrame(rows, columns=["work_id", "cluster_id", "relation", "confidence"])


class ClusterProfile(NamedTuple):
    """What works need of one audio cluster with the title being judged."""

    cluster_id: str
    lead_artist: str | None
    version: str
    members: int
    writers: Sequence[str] | None
    first_year: float | None


class _Components:
    """Union-find over positions 0..n-1."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def same_artist(a: str, b: str) -> bool:
    """One artist, allowing a typo in either credit ("" is the unknown artist)."""
    if not a or not b:
        return a == b
    return a == b or (a[0] == b[0] and abs(len(a) - len(b)) <= 2 and similar(a, b))


def _artist_groups(leads: list[str]) -> dict[str, str]:
    """Each lead artist -> the name standing for its spelling group."""
    names = sorted(set(leads))
    groups = _Components(len(names))
    for i, a in enumerate(names):
        for j in range(i):
            if same_artist(a, names[j]):
                groups.union(i, j)
    return {a: names[groups.find(i)] for i, a in enumerate(names)}


def _writers(profile: ClusterProfile) -> list[str]:
    names = profile.writers
    return [] if names is None or (isinstance(names, float) and math.isnan(names)) else list(names)


def _year(profile: ClusterProfile) -> float:
    y = profile.first_year
    return 9999.0 if y is None or math.isnan(y) else float(y)


def _original_artist(work: list[ClusterProfile], artist: list[str], writers: set[str]) -> str:
    """The work's original artist among its members' (spelling-grouped) artists:
    one who wrote it, else the most clusters, records, the earliest year."""
    stats: dict[str, list] = {}
    for p, a in zip(work, artist, strict=True):
        clusters, members, year, first = stats.get(a, (0, 0, 9999.0, p.cluster_id))
        stats[a] = (
            clusters + 1,
            members + p.members,
            min(year, _year(p)),
            min(first, p.cluster_id),
        )

    def rank(a: str):
        clusters, members, year, first = stats[a]
        return (not (a and a in writers), -clusters, -members, year, first)

    return min(stats, key=rank)


def _relation(version: str) -> str:
    if version in _ORIGINAL:
        return "original"
    return version if version in _KINDS else "unknown"


def _ties(artist: str, writers: list[str], prolific: frozenset[str]) -> list[tuple]:
    """What ties a cluster to others of its title: its (spelling-grouped) lead
    artist, each writer not in `prolific`, and each pair of its writers."""
    distinct = sorted(set(writers))
    return [
        ("artist", artist),
        *(("writer", w) for w in distinct if w not in prolific),
        *(("writers", pair) for pair in itertools.combinations(distinct, 2)),
    ]


def works_of_title(
    profiles: list[ClusterProfile], prolific: frozenset[str] = frozenset()
) -> list[tuple[str, str, str, float]]:
    """The `works` rows (work_id, cluster_id, relation, confidence) for one
    title's audio cluster profiles. `prolific`: writers that tie clusters only
    as one of two shared writers."""
    profiles = sorted(profiles, key=lambda p: p.cluster_id)
    leads = [p.lead_artist if isinstance(p.lead_artist, str) else "" for p in profiles]
    spelling = _artist_groups(leads)
    artist = [spelling[a] for a in leads]
    works = _Components(len(profiles))
    first_of: dict[tuple[str, str], int] = {}
    for i, p in enumerate(profiles):
        for key in _ties(artist[i], _writers(p), prolific):
            if key in first_of:
                works.union(i, first_of[key])
            else:
                first_of[key] = i
    members: dict[int, list[int]] = {}
    for i in range(len(profiles)):
        members.setdefault(works.find(i), []).append(i)
    rows = []
    for root, idx in members.items():
        # Positions are in cluster_id order: the root is the smallest.
        work_id = "w" + hashlib.sha1(profiles[root].cluster_id.encode()).hexdigest()[:16]
        work = [profiles[i] for i in idx]
        written_by = {w for p in work for w in _writers(p)}
        original = _original_artist(work, [artist[i] for i in idx], written_by)
        for i in idx:
            p = profiles[i]
            relation = _relation(p.version)
            # An unknown artist is no evidence of another performer.
            by_original = artist[i] in (original, "")
            if relation == "original" and not by_original:
                relation = "cover"
            confidence = _ALONE if len(idx) == 1 else _SAME_ARTIST if by_original else _BY_WRITER
            rows.append((work_id, p.cluster_id, relation, confidence))
    return rows


def build_relationships(records: DataFrame, works: DataFrame, video_links: DataFrame) -> DataFrame:
    """Typed edges between stable ids: `src`, `dst`, `edge`, `kind`, `confidence`.

    `same_recording` record -> cluster (1.0), `version_of` cluster -> work (kind =
    relation), `video_of` video cluster -> recording cluster.
    """
    same = records.select(
        F.col("record_id").cast("string").alias("src"),
        F.col("cluster_id").alias("dst"),
        F.lit("same_recording").alias("edge"),
        F.lit(None).cast("string").alias("kind"),
        F.lit(1.0).alias("confidence"),
    )
    version_of = works.select(
        F.col("cluster_id").alias("src"),
        F.col("work_id").alias("dst"),
        F.lit("version_of").alias("edge"),
        F.col("relation").alias("kind"),
        "confidence",
    )
    video_of = video_links.select(
        F.col("video_cluster_id").alias("src"),
        F.col("cluster_id").alias("dst"),
        F.lit("video_of").alias("edge"),
        F.lit(None).cast("string").alias("kind"),
        "confidence",
    )
    return same.unionByName(version_of).unionByName(video_of)
