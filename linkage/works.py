"""Group recording clusters into works (a song with its versions and covers).

Input: cluster profiles (`cluster_profiles`) of resolved records with
`cluster_id`, `kind_norm`, `version`, `title_norm`, `artist_norm`, `duration_s`
and optionally `title`, `artist_names`, `writer_names` and `year` (the
`clusters` rows joined to their normalised columns).
Output `works`: one row per audio recording cluster, and one more for each
further song of a medley:

| column     | type    | meaning                                                              |
|------------|---------|----------------------------------------------------------------------|
| work_id    | string  | `w` + 16 hex of sha1 of the work's smallest member cluster_id         |
| cluster_id | string  | member recording cluster                                             |
| relation   | string  | original, live, remix, acoustic, edit, cover, medley, unknown        |
| confidence | double  | how sure the membership is (0.7 for a cover tied by its title alone) |
| primary    | boolean | the cluster's one work; false for the later songs of a medley        |

Clusters are tied by their title's keys (`linkage.work_titles`): performances
of one key by the same artist (within a typo) or sharing a songwriter, and,
when the title is rare in the catalogue and nothing known disagrees (length,
writers), performances by anyone: covers carry no writer credit in many
catalogues. Works are the connected components of those ties. How the rules
were chosen and what they cost: docs/semantics.md, "Works". The work id derives
from the smallest member cluster_id, so it survives as long as that cluster
keeps its (stable) id.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from catalog.text import similar
from conf.config import SemanticsConfig
from linkage.clustering import connected_components
from linkage.work_titles import key_of, work_title

# A remaster is the same recording, so it counts as the original version.
_ORIGINAL = ("original", "remaster")
_KINDS = ("live", "remix", "acoustic", "edit")

WORKS_SCHEMA = (
    "work_id string, cluster_id string, relation string, confidence double, primary boolean"
)
# Confidence of a membership: alone in its work; by the work's original
# artist; a cover sharing a writer with the work; a cover tied by its title
# alone; a medley's later songs.
_ALONE, _SAME_ARTIST, _BY_WRITER, _BY_TITLE = 1.0, 0.95, 0.8, 0.7
_MEDLEY_PART = 0.7


# What `cluster_profiles` reads of a record besides its cluster_id (the last
# four when present).
PROFILE_COLUMNS = (
    "kind_norm",
    "title_norm",
    "artist_norm",
    "duration_s",
    "version",
    "title",
    "artist_names",
    "writer_names",
    "year",
)


def cluster_profiles(records: DataFrame) -> DataFrame:
    """One row per cluster and kind (`kind_norm`): its size, most common title
    (parsed, and as written when the records carry `title`), artist, lead
    artist (the first name of the credit) and version, median duration, and
    when the records have them its writers (the commonest non-empty credit)
    and earliest year. Works and video links both start from these rows;
    compute them once and reuse them (cache or checkpoint) when both are
    wanted."""
    lead = F.col("artist_norm")
    if "artist_names" in records.columns:
        lead = F.coalesce(F.get(F.col("artist_names"), 0), lead)
    optional = []
    if "title" in records.columns:
        optional.append(F.mode("title", deterministic=True).alias("title_raw"))
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


# --- titles ----------------------------------------------------------------------

_TITLE_FIELDS = (
    "key string, words array<string>, variants array<string>, "
    "medley array<string>, contained array<string>, latin string"
)


def _audio_profiles(profiles: DataFrame) -> DataFrame:
    """The audio profiles with every column works read, null where the
    catalogue has no such field."""

    def optional(name: str, type_: str) -> F.Column:
        col = F.col(name) if name in profiles.columns else F.lit(None)
        return col.cast(type_).alias(name)

    return profiles.where(F.col("kind_norm") == "audio").select(
        "cluster_id",
        "title_norm",
        optional("title_raw", "string"),
        "lead_artist",
        F.coalesce("version", F.lit("original")).alias("version"),
        "members",
        F.col("duration_s").cast("double").alias("duration_s"),
        optional("writers", "array<string>"),
        optional("first_year", "int"),
    )


def _with_titles(profiles: DataFrame, cfg: SemanticsConfig) -> DataFrame:
    """`profiles` with each title's keys (`linkage.work_titles.WorkTitle`)."""
    limits = (
        cfg.title_variant_min_chars,
        cfg.title_contained_min_words,
        cfg.title_variant_min_chars,
    )

    def titles(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            found = [
                work_title(raw if isinstance(raw, str) else None, norm, *limits)
                for raw, norm in zip(batch["title_raw"], batch["title_norm"], strict=True)
            ]
            batch["key"] = [key_of(t.words) for t in found]
            batch["words"] = [t.words for t in found]
            batch["variants"] = [t.variants for t in found]
            batch["medley"] = [t.medley for t in found]
            batch["contained"] = [t.contained for t in found]
            batch["latin"] = [t.latin for t in found]
            yield batch

    schema = ", ".join(f"{f.name} {f.dataType.simpleString()}" for f in profiles.schema)
    return profiles.mapInPandas(titles, f"{schema}, {_TITLE_FIELDS}")


def title_chance(titled: DataFrame) -> DataFrame:
    """`key`, `chance`: how many unrelated songs are expected to carry each
    distinct title by chance, from a model of the catalogue's own titles:
    (titles of its length) x the product over its words of their share of all
    title words. "Yesterday" or "I Ain't Living Long Like This" come out far
    below 1, "Home" or "Blue Heart" in a catalogue full of such titles near
    or above it. Counts are over distinct titles, so a song's many versions
    do not make its own title look common."""
    distinct = titled.where(F.size("words") > 0).select("key", "words").dropDuplicates(["key"])
    words = distinct.select("key", F.explode("words").alias("word"))
    word_counts = words.groupBy("word").agg(F.count(F.lit(1)).alias("n"))
    total = word_counts.agg(F.sum("n").alias("total"))
    shares = word_counts.crossJoin(total).select(
        "word", F.log((F.col("n") + 0.5) / F.col("total")).alias("log_share")
    )
    lengths = distinct.groupBy(F.size("words").alias("length")).agg(
        F.log(F.count(F.lit(1))).alias("log_titles")
    )
    return (
        words.join(shares, "word")
        .groupBy("key")
        .agg(F.sum("log_share").alias("log_p"))
        .join(distinct.select("key", F.size("words").alias("length")), "key")
        .join(F.broadcast(lengths), "length")
        .select("key", F.exp(F.col("log_p") + F.col("log_titles")).alias("chance"))
    )


# --- ties ------------------------------------------------------------------------


class TieMember(NamedTuple):
    """One cluster in the group of clusters that share a title key."""

    cluster_id: str
    # Its own title is the key (or a spelling of it); False for a medley or a
    # longer title that contains the key: those tie to owners only.
    owner: bool
    lead_artist: str | None
    writers: Sequence[str] | None
    duration_s: float | None
    # The key may tie it to other performers by the title alone.
    specific: bool


_TIE_COLUMNS = list(TieMember._fields)
_EDGE_SCHEMA = "record_id_l string, record_id_r string"


def _tie_rows(titled: DataFrame, cfg: SemanticsConfig) -> DataFrame:
    """(`tie_key`, TieMember columns): every key a cluster is known by."""
    attrs = ["cluster_id", "lead_artist", "writers", "duration_s"]
    single = titled.where(F.size("medley") == 0)

    def rows(frame: DataFrame, key: F.Column, owner: bool, specific: F.Column) -> DataFrame:
        return frame.select(
            key.alias("tie_key"),
            "cluster_id",
            F.lit(owner).alias("owner"),
            "lead_artist",
            "writers",
            "duration_s",
            specific.alias("specific"),
        )

    title_ties = F.lit(cfg.title_ties)
    own = rows(
        single.where(F.col("key") != ""), F.concat(F.lit("t:"), "key"), True, F.col("specific")
    )
    variants = rows(
        single.select(*attrs, F.explode("variants").alias("variant")),
        F.concat(F.lit("t:"), "variant"),
        True,
        title_ties,
    )
    # A title in Cyrillic or Greek is also its romanisation, as rare as itself.
    romanised = rows(
        single.where(F.col("latin") != ""), F.concat(F.lit("t:"), "latin"), True, F.col("specific")
    )
    # A medley runs as long as its songs together: its length says nothing.
    medleys = rows(
        titled.where(F.size("medley") > 0).withColumn("duration_s", F.lit(None).cast("double")),
        F.concat(F.lit("t:"), F.get("medley", 0)),
        False,
        title_ties,
    )
    # A longer title ties to the longest shorter title it contains that
    # other clusters carry as their own rare title.
    owned = single.where("specific").select(F.col("key").alias("sub")).distinct()
    contains = (
        single.select("cluster_id", F.posexplode("contained").alias("rank", "sub"))
        .join(owned, "sub")
        .groupBy("cluster_id")
        .agg(F.min_by("sub", "rank").alias("sub"))
        .join(single.select(*attrs), "cluster_id")
    )
    contained = rows(contains, F.concat(F.lit("t:"), "sub"), False, title_ties)
    # Rare titles also tie within one typo: each key meets every key that is
    # one character longer or shorter, or differs in one, through the keys
    # with one character left out. Not the first character ("Candy Man" /
    # "Handy Man") nor a closing "s" ("Reflection" / "Reflections"): there
    # one letter makes another word.
    typo = single.where(F.col("specific") & (F.length("key") >= cfg.title_typo_min_chars))
    near = typo.select(
        *attrs,
        F.explode(
            F.array_union(
                F.array("key"),
                F.expr(
                    "transform(filter(sequence(1, length(key) - 1), "
                    "i -> i < length(key) - 1 or right(key, 1) != 's'), "
                    "i -> concat(substring(key, 1, i), substring(key, i + 2)))"
                ),
            )
        ).alias("near"),
    )
    typos = rows(near, F.concat(F.lit("n:"), "near"), True, F.lit(True))
    return (
        own.unionByName(variants)
        .unionByName(romanised)
        .unionByName(medleys)
        .unionByName(contained)
        .unionByName(typos)
    )


def _title_edges(ties: DataFrame, prolific: frozenset[str], tolerance: float) -> DataFrame:
    """Edges (`record_id_l`, `record_id_r`: cluster ids) that tie clusters of one key."""

    def judge(_: str, rows: list[tuple]) -> list[tuple]:
        return ties_of_key([TieMember(*r) for r in rows], prolific, tolerance)

    return _per_key(ties, "tie_key", _TIE_COLUMNS, judge, _EDGE_SCHEMA)


def _per_key(df: DataFrame, key: str, columns: list[str], judge, schema: str) -> DataFrame:
    """`judge(value, rows)` over the rows of `df` sharing each value of `key`
    (tuples of `columns`, sorted), on the executors, many keys per task: the
    groups are small and many, so a task or a shuffle partition each would
    cost more than judging them. `schema`: what `judge`'s tuples hold."""
    buckets = int(df.sparkSession.conf.get("spark.sql.shuffle.partitions") or "4")
    names = [field.split()[0] for field in schema.split(",")]

    def of_bucket(bucket: pd.DataFrame) -> pd.DataFrame:
        rows = sorted(
            zip(*(bucket[c].tolist() for c in [key, *columns]), strict=True),
            key=lambda r: (r[0], r[1]),
        )
        out = []
        for value, group in itertools.groupby(rows, key=lambda r: r[0]):
            out += judge(value, [r[1:] for r in group])
        return pd.DataFrame(out, columns=names)

    return (
        df.select(F.pmod(F.xxhash64(key), F.lit(buckets)).alias("_bucket"), key, *columns)
        .groupBy("_bucket")
        .applyInPandas(of_bucket, schema)
    )


def ties_of_key(
    members: list[TieMember], prolific: frozenset[str] = frozenset(), tolerance: float = 0.2
) -> list[tuple[str, str]]:
    """Edges between the clusters that share one title key:

    * the same lead artist (within a typo), or a shared writer not in
      `prolific` (or two shared writers), tie any two of them;
    * two `specific` members tie by the title alone unless their lengths
      differ by more than `tolerance` of the longer, or both carry writer
      credits with no name in common; and not at all when the key's members
      carry two or more unrelated writer credits: the title is then known to
      name different songs.

    Members that are not owners (a medley, a longer title) tie to owners only."""
    if len(members) < 2:  # a key only one cluster carries, as many do: nothing to tie
        return []
    members = sorted(members, key=lambda m: (not m.owner, m.cluster_id))
    leads = [m.lead_artist if isinstance(m.lead_artist, str) else "" for m in members]
    spelling = _artist_groups(leads)
    writers = [_names(m.writers) for m in members]
    ties = _Components(len(members))
    first_of: dict[tuple, int] = {}
    for i in range(len(members)):
        for key in _ties(spelling[leads[i]], writers[i], prolific):
            if key in first_of:
                ties.union(i, first_of[key])
            else:
                first_of[key] = i
    if _writer_groups(writers) < 2:
        owners: list[int] = []  # the first owner of each title-only group so far
        for i, m in enumerate(members):
            if not _truthy(m.specific):
                continue
            match = next(
                (o for o in owners if _agree(m, members[o], writers[i], writers[o], tolerance)),
                None,
            )
            if match is not None:
                ties.union(i, match)
            elif m.owner:
                owners.append(i)
    return [
        (members[root].cluster_id, m.cluster_id)
        for i, m in enumerate(members)
        if (root := ties.find(i)) != i
    ]


def _truthy(value: object) -> bool:
    return bool(value) and not (isinstance(value, float) and math.isnan(value))


def _agree(a: TieMember, b: TieMember, wa: list[str], wb: list[str], tolerance: float) -> bool:
    """Nothing known about two performances of one title says they are two songs."""
    if wa and wb and not set(wa) & set(wb):
        return False
    da, db = a.duration_s, b.duration_s
    if da is None or db is None or math.isnan(da) or math.isnan(db):
        return True
    return abs(da - db) <= tolerance * max(da, db)


def _writer_groups(writers: list[list[str]]) -> int:
    """How many unrelated writer credits the members carry: credits sharing
    any name are one. A prolific writer in common does not tie two clusters,
    but it does not show they are different songs either."""
    credited = [w for w in writers if w]
    groups = _Components(len(credited))
    first: dict[str, int] = {}
    for i, names in enumerate(credited):
        for name in names:
            if name in first:
                groups.union(i, first[name])
            else:
                first[name] = i
    return len({groups.find(i) for i in range(len(credited))})


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


# --- works -----------------------------------------------------------------------


def group_works(profiles: DataFrame, cfg: SemanticsConfig | None = None) -> DataFrame:
    """The `works` table (schema in the module docstring) over the audio
    clusters among `profiles` (from `cluster_profiles`)."""
    cfg = cfg or SemanticsConfig()
    audio = _audio_profiles(profiles)
    prolific = frozenset(_prolific_writers(audio, cfg.writer_max_titles))
    titled = _with_titles(audio, cfg).localCheckpoint()
    specific = (
        F.lit(cfg.title_ties)
        & (F.col("key") != "")
        & (F.coalesce("chance", F.lit(math.inf)) <= cfg.title_tie_max_chance)
    )
    titled = (
        titled.join(title_chance(titled), "key", "left")
        .withColumn("specific", specific)
        .localCheckpoint()
    )
    edges = _title_edges(_tie_rows(titled, cfg), prolific, cfg.title_tie_duration_tolerance)
    members = titled.join(
        _components(titled, edges, cfg.driver_components_max_edges), "cluster_id", "left"
    ).withColumn(
        "work_id",
        F.concat(F.lit("w"), F.substring(F.sha1(F.coalesce("component", "cluster_id")), 1, 16)),
    )
    return _membership_rows(members, prolific).unionByName(_medley_rows(members))


def _components(titled: DataFrame, edges: DataFrame, driver_max_edges: int) -> DataFrame:
    """`cluster_id`, `component` (the smallest cluster_id of its work) for the
    clusters with a tie; a cluster without one is a work of its own."""
    edges = edges.localCheckpoint()
    # One job either way: at most one edge beyond the limit comes back.
    pairs = [(r.record_id_l, r.record_id_r) for r in edges.limit(driver_max_edges + 1).collect()]
    if len(pairs) > driver_max_edges:
        return connected_components(
            titled.select(F.col("cluster_id").alias("record_id")), edges
        ).clusters.select(
            F.col("record_id").alias("cluster_id"), F.col("cluster_id").alias("component")
        )
    ids = sorted({c for pair in pairs for c in pair})
    position = {c: i for i, c in enumerate(ids)}
    found = _Components(len(ids))
    for a, b in pairs:
        found.union(position[a], position[b])
    # The union keeps the smaller position as the root and ids are sorted, so
    # a work is named by its smallest cluster_id, as label propagation names it.
    rows = [(c, ids[found.find(i)]) for i, c in enumerate(ids)]
    return titled.sparkSession.createDataFrame(rows, "cluster_id string, component string")


class WorkMember(NamedTuple):
    """What a work's relations need of one member cluster."""

    cluster_id: str
    lead_artist: str | None
    version: str
    members: int
    writers: Sequence[str] | None
    first_year: float | None
    medley: bool


def _membership_rows(members: DataFrame, prolific: frozenset[str]) -> DataFrame:
    """Each cluster's row in its own work, a work's members judged together."""

    def judge(work_id: str, rows: list[tuple]) -> list[tuple]:
        return rows_of_work(work_id, [WorkMember(*r) for r in rows], prolific)

    members = members.withColumn("medley", F.size("medley") > 0)
    return _per_key(members, "work_id", list(WorkMember._fields), judge, WORKS_SCHEMA)


def _medley_rows(members: DataFrame) -> DataFrame:
    """A medley's row in the work of each of its later songs: the work whose
    members most often carry that song's title as their own."""
    by_key = (
        members.where((F.size("medley") == 0) & (F.col("key") != ""))
        .groupBy("key", "work_id")
        .agg(F.count(F.lit(1)).alias("n"))
        .groupBy("key")
        .agg(F.max_by("work_id", F.struct("n", F.col("work_id"))).alias("part_work"))
    )
    return (
        members.where(F.size("medley") > 1)
        .select("cluster_id", "work_id", F.posexplode("medley").alias("part", "key"))
        .where("part > 0")
        .join(by_key, "key")
        .where(F.col("part_work") != F.col("work_id"))
        .select(
            F.col("part_work").alias("work_id"),
            "cluster_id",
            F.lit("medley").alias("relation"),
            F.lit(_MEDLEY_PART).alias("confidence"),
            F.lit(False).alias("primary"),
        )
        .dropDuplicates(["work_id", "cluster_id"])
    )


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


def _names(names: Sequence[str] | None) -> list[str]:
    if names is None or (isinstance(names, float) and math.isnan(names)):
        return []
    return list(names)


def _year(member: WorkMember) -> float:
    y = member.first_year
    return 9999.0 if y is None or math.isnan(y) else float(y)


def _original_artist(work: list[WorkMember], artist: list[str], writers: set[str]) -> str:
    """The work's original artist among its members' (spelling-grouped) artists:
    one who wrote it, else the most clusters, records, the earliest year."""
    stats: dict[str, tuple] = {}
    for m, a in zip(work, artist, strict=True):
        clusters, records, year, first = stats.get(a, (0, 0, 9999.0, m.cluster_id))
        stats[a] = (
            clusters + 1,
            records + m.members,
            min(year, _year(m)),
            min(first, m.cluster_id),
        )

    def rank(a: str):
        clusters, records, year, first = stats[a]
        return (not (a and a in writers), -clusters, -records, year, first)

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


def rows_of_work(
    work_id: str, work: list[WorkMember], prolific: frozenset[str] = frozenset()
) -> list[tuple[str, str, str, float, bool]]:
    """The `works` rows of one work's members: relation to the song and confidence."""
    work = sorted(work, key=lambda m: m.cluster_id)
    leads = [m.lead_artist if isinstance(m.lead_artist, str) else "" for m in work]
    spelling = _artist_groups(leads)
    artist = [spelling[a] for a in leads]
    writers = [_names(m.writers) for m in work]
    written_by = {w for names in writers for w in names}
    original = _original_artist(work, artist, written_by)
    credited = _credit_counts(writers)
    rows = []
    for m, a, names in zip(work, artist, writers, strict=True):
        relation = "medley" if m.medley else _relation(m.version)
        # An unknown artist is no evidence of another performer.
        by_original = a in (original, "")
        if relation == "original" and not by_original:
            relation = "cover"
        if len(work) == 1:
            confidence = _ALONE
        elif by_original:
            confidence = _SAME_ARTIST
        elif any(credited[w] > 1 for w in set(names) - prolific):
            confidence = _BY_WRITER
        else:
            confidence = _BY_TITLE
        rows.append((work_id, m.cluster_id, relation, confidence, True))
    return rows


def _credit_counts(writers: list[list[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for names in writers:
        for w in set(names):
            counts[w] = counts.get(w, 0) + 1
    return counts


def build_relationships(records: DataFrame, works: DataFrame, video_links: DataFrame) -> DataFrame:
    """Typed edges between stable ids: `src`, `dst`, `edge`, `kind`, `confidence`.

    `same_recording` record -> cluster (1.0), `version_of` cluster -> work (kind =
    relation), `medley_of` medley cluster -> the work of each of its later
    songs, `video_of` video cluster -> recording cluster.
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
        F.when(F.col("primary"), "version_of").otherwise("medley_of").alias("edge"),
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
