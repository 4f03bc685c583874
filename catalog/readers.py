"""Read an input into the catalog schema: every catalog column present, as text.

Values stay raw here (parsing is normalisation's job); only the column names
are mapped (`input.columns`: role -> the catalogue's column). A missing path
or table, an unreadable file, a mapped column that is not there or missing
required columns raise `InputError`.
"""

from __future__ import annotations

import gzip
import os
import re

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, NumericType

from catalog.schema import (
    CATALOG_COLUMNS,
    REQUIRED_COLUMNS,
    RESERVED_COLUMNS,
    ROW_ORDER,
)
from catalog.shifted_rows import Layout, repair_shifted
from catalog.validate import null_value
from conf.config import InputConfig
from conf.errors import ConfigError, InputError
from runtime.progress import get_logger
from storage.delta import is_delta_table, read_delta

# The roles whose columns tell a shifted row (`input.shifted_from`).
SHIFT_ROLES = ("track_number", "duration_ms", "release_year")


def check_input_config(cfg: InputConfig) -> None:
    """A mapping that names an unknown role: refused before a session starts."""
    for role in cfg.columns:
        if role not in CATALOG_COLUMNS:
            raise ConfigError(
                f"bad config: input.columns.{role}: unknown role "
                f"(roles: {', '.join(CATALOG_COLUMNS)}; vectors go in input.embeddings)"
            )
    mapped = [c for c in cfg.columns.values()]
    twice = sorted({c for c in mapped if mapped.count(c) > 1})
    if twice:
        raise ConfigError(f"bad config: input.columns: {', '.join(twice)} mapped to two roles")


def _is_local(path: str) -> bool:
    return "://" not in path and not path.startswith("dbfs:") or path.startswith("file://")


# A metastore table: `name`, `schema.name` or `catalog.schema.name`, no path separators.
_TABLE_NAME = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_`][\w`]*){0,2}$")


def is_table_name(source: str) -> bool:
    """True for `main.music.tracks`, not for a path such as `tracks.parquet`
    that exists on disk."""
    return bool(_TABLE_NAME.match(source)) and not os.path.exists(source)


def _check_exists(path: str) -> None:
    local = path.removeprefix("file://")
    if _is_local(path) and not os.path.exists(local):
        raise InputError(f"input not found: {path}")


def _has_delta_log(spark: SparkSession, uri: str) -> bool:
    """Whether a URI (dbfs:/, s3://, abfss://, ...) holds a Delta table, asked
    through the session's own file systems and credentials: read as plain
    Parquet, a Delta table would bring back files its log has removed."""
    jvm = spark.sparkContext._jvm
    try:
        log = jvm.org.apache.hadoop.fs.Path(f"{uri.rstrip('/')}/_delta_log")
        fs = log.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        return bool(fs.exists(log))
    except Exception:  # noqa: BLE001 - an unknown scheme or no access: not a table we can see
        return False


def _sniff_delimiter(path: str) -> str:
    """The header line's delimiter: the one of , ; tab | it holds most of."""
    first = path
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if not n.startswith((".", "_")))
        first = os.path.join(path, names[0])
    opener = gzip.open if first.endswith(".gz") else open
    with opener(first, "rt", encoding="utf-8", errors="replace") as fh:
        header = fh.readline()
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv(spark: SparkSession, path: str, delimiter: str | None = None) -> DataFrame:
    if delimiter is None:
        delimiter = _sniff_delimiter(path) if _is_local(path) else ","
    # Every column as text: type inference would turn "007" into 7 and "'05" into null.
    return (
        spark.read.option("header", True)
        .option("inferSchema", False)
        .option("multiLine", True)
        .option("escape", '"')
        .option("sep", delimiter)
        .option("mode", "PERMISSIVE")
        .csv(path)
    )


def _looks_like_csv(path: str) -> bool:
    if path.lower().endswith((".csv", ".csv.gz", ".tsv", ".dapo")):
        return True
    if os.path.isdir(path):
        names = [n for n in os.listdir(path) if not n.startswith((".", "_"))]
        return bool(names) and all(n.lower().endswith((".csv", ".csv.gz")) for n in names)
    return False


def _read_source(spark: SparkSession, source: str, cfg: InputConfig) -> DataFrame:
    if is_table_name(source):
        if not spark.catalog.tableExists(source):
            raise InputError(f"input not found: no file and no table named {source}")
        return spark.table(source)
    _check_exists(source)
    if is_delta_table(source) or (not _is_local(source) and _has_delta_log(spark, source)):
        return read_delta(spark, source)
    if cfg.delimiter is not None or _looks_like_csv(source):
        return _read_csv(spark, source, cfg.delimiter)
    return spark.read.parquet(source)


def _put_back_shifted(raw: DataFrame, path: str, cfg: InputConfig) -> DataFrame:
    """The rows that slid one column right put back (`catalog.shifted_rows`).
    Counted and logged: a repair should never be silent."""
    anchor = cfg.shifted_from
    columns = {role: cfg.columns.get(role, role) for role in SHIFT_ROLES}
    needed = [anchor, *columns.values()]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise InputError(
            f"input.shifted_from: the repair reads {', '.join(needed)}; "
            f"no column {', '.join(missing)}"
        )
    order = tuple(raw.columns[raw.columns.index(anchor) :])
    fixed = repair_shifted(
        raw,
        Layout(
            order,
            track_number=columns["track_number"],
            duration=columns["duration_ms"],
            year=columns["release_year"],
        ),
    )
    empty = null_value(F.col(f"`{anchor}`"))
    moved = raw.filter(empty).count() - fixed.filter(empty).count()
    if moved:
        get_logger().info(
            "%s: %d rows had lost their %s and slid one column right; put back", path, moved, anchor
        )
    return fixed


def map_columns(df: DataFrame, cfg: InputConfig) -> DataFrame:
    """The catalogue's columns renamed to the roles they fill (`input.columns`).
    A role mapped to a missing column is an `InputError` naming both."""
    missing = [(r, c) for r, c in cfg.columns.items() if c not in df.columns]
    if missing:
        role, column = missing[0]
        raise InputError(
            f"input.columns.{role}: the input has no column {column!r} "
            f"(has: {', '.join(df.columns[:15])})"
        )
    missing_vectors = [c for c in cfg.embeddings if c not in df.columns]
    if missing_vectors:
        raise InputError(f"input.embeddings: the input has no column {missing_vectors[0]!r}")
    renames = {c: r for r, c in cfg.columns.items() if c != r}
    # A column named like a role that another column fills keeps its values,
    # under a name that says where it came from.
    shadowed = {r: f"{r}_input" for r in renames.values() if r in df.columns}
    for name, new in {**shadowed, **renames}.items():
        df = df.withColumnRenamed(name, new)
    if shadowed:
        get_logger().info(
            "input columns named like a mapped role, kept as: %s",
            ", ".join(f"{a} -> {b}" for a, b in shadowed.items()),
        )
    return df


def describe_mapping(cfg: InputConfig) -> str:
    """Which column fills each role, as a log line and `jobs.show` say it."""
    parts = [f"{role} <- {column}" for role, column in cfg.columns.items() if column != role]
    parts.append("other roles by their own names" if parts else "every role by its own name")
    parts += [f"embeddings <- {c}" for c in cfg.embeddings]
    return ", ".join(parts)


def conform(df: DataFrame, vectors: list[str] | tuple[str, ...] = ()) -> DataFrame:
    """Catalog columns first, as strings (missing optional ones as null), then
    the passthrough columns (`vectors` as array<float>), then the input order column."""
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(
            f"input has no {', '.join(missing)} column (has: {', '.join(df.columns[:12])})"
        )
    clashes = sorted(set(df.columns) & RESERVED_COLUMNS)
    if clashes:
        raise InputError(f"input columns clash with tracklink's own: {', '.join(clashes)}")
    catalog = [
        (F.col(f"`{c}`").cast("string") if c in df.columns else F.lit(None).cast("string")).alias(c)
        for c in CATALOG_COLUMNS
    ]
    for name in vectors:
        kind = df.schema[name].dataType
        if not (isinstance(kind, ArrayType) and isinstance(kind.elementType, NumericType)):
            raise InputError(
                f"input.embeddings: column {name!r} is {kind.simpleString()}, not an array of numbers"
            )
    passthrough = [
        F.col(f"`{c}`").cast("array<float>").alias(c) if c in vectors else F.col(f"`{c}`")
        for c in df.columns
        if c not in CATALOG_COLUMNS
    ]
    return df.select(*catalog, *passthrough).withColumn(ROW_ORDER, F.monotonically_increasing_id())


def read_input(spark: SparkSession, source: str, cfg: InputConfig | None = None) -> DataFrame:
    """The input at `source` (a path, a URI or a metastore table name) in the
    catalog schema (see `catalog.schema`), its columns mapped by `cfg`."""
    cfg = cfg or InputConfig()
    check_input_config(cfg)
    try:
        df = _read_source(spark, source, cfg)
        if cfg.shifted_from is not None:
            df = _put_back_shifted(df, source, cfg)
        df = map_columns(df, cfg)
    except AnalysisException as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError(f"cannot read {source}: {first}") from None
    return conform(df, cfg.embeddings)
