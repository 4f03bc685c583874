"""Golden labels from outside: a file of judged pairs, or a column that
names each record's true cluster.

* Pairs: CSV or Parquet with `id_l`, `id_r` (or `record_id_l`, `record_id_r`)
  and `label`: match / non_match / unsure, or 1 / 0, true / false, yes / no.
* A cluster column (in a file with `record_id`, or in the output's `records`
  table): every pair of records in one cluster is a match; every candidate
  pair of the last run across two clusters is a non-match.

Pairs naming a record the output does not hold are not imported, and the
import says how many and which.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from conf.errors import InputError
from labelling.shown import with_values
from labelling.table import COLUMNS, LABEL_VALUES, now

_SPELLINGS = {
    "match": "match",
    "1": "match",
    "1.0": "match",
    "true": "match",
    "yes": "match",
    "y": "match",
    "non_match": "non_match",
    "non-match": "non_match",
    "nonmatch": "non_match",
    "0": "non_match",
    "0.0": "non_match",
    "false": "non_match",
    "no": "non_match",
    "n": "non_match",
    "unsure": "unsure",
}
PAIR_ID_COLUMNS = (("id_l", "id_r"), ("record_id_l", "record_id_r"))
# A golden cluster larger than this gives more pairs than a person judged.
MAX_GOLDEN_CLUSTER = 200


@dataclass(frozen=True)
class Imported:
    rows: DataFrame  # label rows, `labelling.table.COLUMNS`
    pairs: int
    matches: int
    unknown_records: int
    examples: list[str]


def read_table_file(spark: SparkSession, path: str) -> DataFrame:
    if path.endswith(".parquet") or not path.lower().endswith((".csv", ".tsv", ".txt")):
        try:
            return spark.read.parquet(path)
        except Exception as exc:  # noqa: BLE001 - reported as the user's input
            raise InputError(
                f"--import {path}: not a Parquet file or folder ({exc.__class__.__name__})"
            ) from None
    sep = "\t" if path.lower().endswith(".tsv") else ","
    return spark.read.option("header", True).option("sep", sep).csv(path)


def pairs_from_file(df: DataFrame, path: str) -> DataFrame:
    """`record_id_l`, `record_id_r`, `label` from a file of judged pairs."""
    ids = next((p for p in PAIR_ID_COLUMNS if set(p) <= set(df.columns)), None)
    if ids is None or "label" not in df.columns:
        raise InputError(
            f"--import {path}: a pairs file needs columns id_l, id_r, label "
            f"(has: {', '.join(df.columns)}); for a cluster column add --cluster-column"
        )
    spelt = F.lower(F.trim(F.col("label").cast("string")))
    mapping = F.create_map(*[F.lit(x) for kv in _SPELLINGS.items() for x in kv])
    out = df.select(
        F.col(ids[0]).cast("string").alias("a"),
        F.col(ids[1]).cast("string").alias("b"),
        spelt.alias("raw"),
        mapping[spelt].alias("label"),
    )
    bad = out.where(F.col("label").isNull()).select("raw").distinct().limit(5).collect()
    if bad:
        raise InputError(
            f"--import {path}: labels must be one of {', '.join(LABEL_VALUES)} (or 1/0, "
            f"true/false, yes/no); found {', '.join(repr(r.raw) for r in bad)}"
        )
    same = out.where("a = b").count()
    if same:
        raise InputError(f"--import {path}: {same} pairs name one record twice")
    pairs = out.select(
        F.least("a", "b").alias("record_id_l"), F.greatest("a", "b").alias("record_id_r"), "label"
    )
    conflicts = (
        pairs.groupBy("record_id_l", "record_id_r")
        .agg(F.countDistinct("label").alias("n"))
        .where("n > 1")
    )
    n_conflicts = conflicts.count()
    if n_conflicts:
        first = conflicts.first()
        raise InputError(
            f"--import {path}: {n_conflicts} pairs are labelled twice with different labels "
            f"(e.g. {first.record_id_l}, {first.record_id_r}); keep one judgement per pair"
        )
    return pairs.dropDuplicates(["record_id_l", "record_id_r"])


def pairs_from_clusters(
    clusters: DataFrame, candidates: DataFrame | None, column: str
) -> DataFrame:
    """Matches within each golden cluster, non-matches among `candidates`
    that cross two (`clusters`: `record_id` and `column`)."""
    if column not in clusters.columns:
        raise InputError(
            f"--cluster-column {column}: no such column (has: {', '.join(clusters.columns)})"
        )
    golden = clusters.select(
        F.col("record_id").cast("string"), F.col(f"`{column}`").cast("string").alias("g")
    ).where(F.col("g").isNotNull())
    sizes = golden.groupBy("g").count()
    too_big = sizes.where(F.col("count") > MAX_GOLDEN_CLUSTER).count()
    if too_big:
        raise InputError(
            f"--cluster-column {column}: {too_big} clusters have more than {MAX_GOLDEN_CLUSTER} "
            "records; a golden column names true clusters, not groups of them"
        )
    left, right = golden.toDF("record_id_l", "g"), golden.toDF("record_id_r", "g")
    matches = (
        left.join(right, "g")
        .where("record_id_l < record_id_r")
        .select("record_id_l", "record_id_r", F.lit("match").alias("label"))
    )
    if candidates is None:
        return matches
    crossing = (
        candidates.select("record_id_l", "record_id_r")
        .join(left.withColumnRenamed("g", "g_l"), "record_id_l")
        .join(right.withColumnRenamed("g", "g_r"), "record_id_r")
        .where("g_l <> g_r")
        .select("record_id_l", "record_id_r", F.lit("non_match").alias("label"))
    )
    return matches.unionByName(crossing)


def as_label_rows(
    pairs: DataFrame, records: DataFrame, labeller: str, origin_name: str, run_id: str | None
) -> Imported:
    """Judged pairs -> rows for the labels table, with both records' values;
    pairs naming a record `records` lacks are counted and left out."""
    shown = with_values(pairs, records).cache()
    unknown = shown.where(F.col("values_l").isNull() | F.col("values_r").isNull())
    n_unknown = unknown.count()
    examples = [f"{r.record_id_l}~{r.record_id_r}" for r in unknown.limit(3).collect()]
    known = shown.where(F.col("values_l").isNotNull() & F.col("values_r").isNotNull())
    stamp = now()
    rows = known.select(
        "record_id_l",
        "record_id_r",
        "label",
        F.lit(labeller).alias("labeller"),
        F.lit(stamp).alias("labelled_at"),
        F.lit("imported").alias("origin"),
        F.lit(origin_name).alias("picked_by"),
        F.lit(run_id).cast("string").alias("run_id"),
        "values_l",
        "values_r",
    ).select(*COLUMNS)
    counts = (
        rows.groupBy()
        .agg(
            F.count("*").alias("n"),
            F.sum(F.when(F.col("label") == "match", 1).otherwise(0)).alias("m"),
        )
        .first()
    )
    return Imported(rows, int(counts.n or 0), int(counts.m or 0), n_unknown, examples)
