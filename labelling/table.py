"""The `labels` table: one row per judgement, appended, never rewritten.

Columns: `record_id_l`, `record_id_r` (ordered: l < r), `label` (`match`,
`non_match`, `unsure`), `labeller`, `labelled_at` (UTC, ISO 8601), `origin`
(`active`: shown by `tracklink label`; `imported`: from a golden file),
`picked_by` (why the pair was shown: `near_threshold`, `disagreement`,
`weak_edge`, `random`; the import's name for imported pairs), `run_id` (the
run whose pairs it was shown from), `values_l` / `values_r` (both records'
values as shown, JSON).

A pair judged twice keeps both rows; the latest is its label (`current_labels`).
Going back in a session and answering again is a new row, so the history of
every judgement stays in the table's versions and rows.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from storage.delta import Commit, DeltaStore

LABELS = "labels"
LABEL_VALUES = ("match", "non_match", "unsure")
ORIGINS = ("active", "imported")
LABELS_SCHEMA = (
    "record_id_l string, record_id_r string, label string, labeller string, "
    "labelled_at string, origin string, picked_by string, run_id string, "
    "values_l string, values_r string"
)
COLUMNS = [c.split()[0] for c in LABELS_SCHEMA.split(", ")]


def ordered(a: str, b: str) -> tuple[str, str]:
    """A pair's ids in the order every table keeps them (l < r)."""
    return (a, b) if a < b else (b, a)


def now() -> str:
    """UTC to the microsecond: the latest judgement of a pair is the one with
    the greatest `labelled_at`, even within one session's second."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def append_labels(store: DeltaStore, rows: DataFrame, what: str) -> Commit:
    """Append judgements (`COLUMNS`) as one new version of the table; `what`
    goes into the commit's metadata."""
    ok = F.col("label").isin(*LABEL_VALUES) & (F.col("record_id_l") < F.col("record_id_r"))
    # A null id or label makes `ok` null, not false: it is refused too.
    bad = rows.where(~F.coalesce(ok, F.lit(False)))
    if bad.limit(1).count():
        raise ValueError(
            f"labels must be one of {', '.join(LABEL_VALUES)} over ordered pairs (l < r)"
        )
    return store.write(rows.select(*COLUMNS), LABELS, "append", metadata={"operation": what})


def label_rows(spark: SparkSession, rows: list[dict]) -> DataFrame:
    """Judgements made on the driver (a labelling session) as a DataFrame."""
    return spark.createDataFrame([{c: r.get(c) for c in COLUMNS} for r in rows], LABELS_SCHEMA)


def current_labels(store: DeltaStore, version: int | None = None) -> DataFrame | None:
    """Each labelled pair's latest judgement (None: no labels yet)."""
    if store.version(LABELS) is None:
        return None
    rows = store.read(LABELS, version)
    latest = Window.partitionBy("record_id_l", "record_id_r").orderBy(F.desc("labelled_at"))
    return rows.withColumn("_rank", F.row_number().over(latest)).where("_rank = 1").drop("_rank")


def empty_labels(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([], LABELS_SCHEMA)
