"""Read an input into the catalog schema: every catalog column present, as text.

An input is a local path, a URI Spark reads through its own file systems
(`dbfs:/`, `s3://`, `abfss://`, `gs://`, a Unity Catalog volume `/Volumes/...`)
or a table name (`tracks`, `schema.tracks`, `catalog.schema.tracks`) read
through the session's catalog (`classify_input`).

Values stay raw here (parsing is normalisation's job); only the column names
are mapped (`input.columns`: role -> the catalogue's column). A missing path
or table, an unreadable file, a mapped column that is not there or missing
required columns raise `InputError`.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlparse

import pandas as pd
from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, NumericType

from catalog.schema import (
    CATALOG_COLUMNS,
    INPUT_LINE,
    REQUIRED_COLUMNS,
    RESERVED_COLUMNS,
    ROW_ORDER,
)
from catalog.shifted_rows import Layout, repair_shifted
from catalog.validate import null_value
from conf.config import InputConfig
from conf.errors import ConfigError, InputError
from runtime.progress import get_logger
from runtime.spark import hadoop_fs
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


# What an input names: a metastore / Unity Catalog table, a path on this
# machine (a `file:` URI included), or a location Spark reaches through its
# own file systems and credentials (dbfs:/, s3://, abfss://, gs://, hdfs://,
# and /Volumes/..., which looks local but is a Unity Catalog volume that the
# cluster's file system serves; on Databricks it is also FUSE-mounted).
InputKind = Literal["table", "local", "uri"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
_WHERE = {
    "dbfs": "DBFS",
    "s3": "S3",
    "s3a": "S3",
    "s3n": "S3",
    "abfs": "Azure Data Lake",
    "abfss": "Azure Data Lake",
    "wasb": "Azure Blob storage",
    "wasbs": "Azure Blob storage",
    "gs": "Google Cloud Storage",
    "hdfs": "HDFS",
}
# One to three dot-separated identifiers (`t`, `schema.t`, `catalog.schema.t`),
# each plain or backquoted (`my-catalog`.music.tracks).
_PART = r"(?:[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)"
_TABLE_NAME = re.compile(rf"^{_PART}(?:\.{_PART}){{0,2}}$")


@dataclass(frozen=True)
class InputSource:
    """How an input is reached: `location` is what Spark (or, for a local
    path, Python) reads; `where` names the storage for messages."""

    kind: InputKind
    location: str
    where: str


def classify_input(source: str, exists: Callable[[str], bool] = os.path.exists) -> InputSource:
    """An input's kind, from its text alone (and, for a bare name, whether a
    local file of that name exists: `tracks.parquet` on disk is a file, not a
    table). Pure: no session, no network."""
    if source.startswith("file:"):
        return InputSource("local", urlparse(source).path or source.removeprefix("file:"), "local")
    scheme = _SCHEME.match(source)
    if scheme:
        name = scheme.group(1).lower()
        rest = source[scheme.end() :].lstrip("/")
        if name == "dbfs" and rest.startswith("Volumes/"):
            return InputSource("uri", source, "Unity Catalog volume")
        return InputSource("uri", source, _WHERE.get(name, name))
    if source.startswith("/Volumes/"):
        return InputSource("uri", source, "Unity Catalog volume")
    if _TABLE_NAME.match(source) and not exists(source):
        return InputSource("table", source, "table")
    return InputSource("local", source, "local")


def is_table_name(source: str) -> bool:
    """True for `main.music.tracks`, not for a path such as `tracks.parquet`
    that exists on disk."""
    return classify_input(source).kind == "table"


def _java_message(exc: Exception) -> str:
    """The Java exception's own line out of a Py4J error ("...: No FileSystem for scheme "s3"")."""
    lines = [line.strip().lstrip(": ") for line in str(exc).splitlines() if line.strip()]
    java = next((line for line in lines if "Exception" in line), None)
    return java or (lines[0] if lines else type(exc).__name__)


def _hadoop_fs(spark: SparkSession, uri: str):
    """`runtime.spark.hadoop_fs`, with a failure to reach the URI as an InputError."""
    try:
        return hadoop_fs(spark, uri)
    except Exception as exc:  # noqa: BLE001 - Py4J: an unknown scheme, no credentials
        raise InputError(f"cannot reach {uri}: {_java_message(exc)}") from None


def _uri_names(spark: SparkSession, uri: str) -> list[str] | None:
    """The names at a URI (itself if a file, its children if a folder; a glob
    expanded), [] where nothing is there, None where the driver cannot ask."""
    found = _hadoop_fs(spark, uri)
    if found is None:
        return None
    fs, path = found
    try:
        matches = fs.globStatus(path)
        if matches is None or len(matches) == 0:
            return []
        names = []
        for status in matches:
            if status.isDirectory():
                names += [c.getPath().getName() for c in fs.listStatus(status.getPath())]
            else:
                names.append(status.getPath().getName())
        return names
    except Exception as exc:  # noqa: BLE001 - Py4J: access denied, a bad bucket
        raise InputError(f"cannot reach {uri}: {_java_message(exc)}") from None


def _check_exists(spark: SparkSession, src: InputSource, source: str) -> list[str] | None:
    """An InputError naming the input when nothing is there; the names found
    (see `_uri_names`) for a URI."""
    if src.kind == "local":
        if not os.path.exists(src.location):
            raise InputError(f"input not found: {source}")
        return None
    names = _uri_names(spark, src.location)
    if names == []:
        raise InputError(f"input not found: {source} ({src.where})")
    return names


def _has_delta_log(spark: SparkSession, uri: str) -> bool:
    """Whether a URI (dbfs:/, s3://, abfss://, ...) holds a Delta table, asked
    through the session's own file systems and credentials: read as plain
    Parquet, a Delta table would bring back files its log has removed."""
    try:
        found = _hadoop_fs(spark, f"{uri.rstrip('/')}/_delta_log")
    except InputError:
        return False
    if found is None:
        # No JVM to ask: the session's Delta reader (always there on Databricks) decides.
        try:
            spark.read.format("delta").load(uri).schema  # noqa: B018 - resolves the log only
            return True
        except Exception:  # noqa: BLE001 - not Delta, or no Delta reader
            return False
    fs, log = found
    try:
        return bool(fs.exists(log))
    except Exception:  # noqa: BLE001 - no access: not a table we can see
        return False


# Encodings Spark decodes itself; any other ASCII-based one Python decodes on the executors.
_SPARK_CHARSETS = {"utf-8": "UTF-8", "iso-8859-1": "ISO-8859-1"}


def _encoding(cfg: InputConfig) -> str:
    """`input.encoding` as Python names it ("latin-1" -> "iso8859-1"), refused
    when unknown or not ASCII-based (lines are split on the newline byte)."""
    try:
        name = codecs.lookup(cfg.encoding).name
    except LookupError:
        raise ConfigError(
            f"bad config: input.encoding: unknown encoding {cfg.encoding!r}"
        ) from None
    if '\n,;|\t"'.encode(name) != b'\n,;|\t"':
        raise ConfigError(
            f"bad config: input.encoding: {cfg.encoding!r} is not supported "
            "(lines are split on the newline byte: use an ASCII-based encoding, or convert to UTF-8)"
        )
    return name


def _decoded(raw: Column, encoding: str) -> tuple[Column, Column]:
    """(the line as text, whether its bytes decode in `encoding`)."""
    spark_name = _SPARK_CHARSETS.get(encoding.replace("iso8859", "iso-8859"))
    if spark_name == "UTF-8":
        # The text source keeps a line's bytes as they are: check them, never replace.
        return raw, F.expr(f"is_valid_utf8(`{_TEXT}`)")
    data = raw.cast("binary")
    if spark_name is not None:
        text = F.decode(data, spark_name)
    else:

        @F.pandas_udf("string")
        def decode(values: pd.Series) -> pd.Series:
            return values.map(lambda b: None if b is None else bytes(b).decode(encoding, "replace"))

        text = decode(data)
    return text, ~text.contains("\ufffd")


def _header_names(line: str, delimiter: str, path: str) -> list[str]:
    """The header line's column names; an empty, repeated or case-clashing name is an InputError."""
    names = next(csv.reader([line.lstrip("\ufeff")], delimiter=delimiter, quotechar='"'), [])
    names = [n.strip() or f"_c{i}" for i, n in enumerate(names)]
    if INPUT_LINE in names:
        raise InputError(f"input columns clash with tracklink's own: {INPUT_LINE}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"{path}: column named twice in the header: {', '.join(twice)}")
    by_case: dict[str, list[str]] = {}
    for n in names:
        by_case.setdefault(n.lower(), []).append(n)
    clashes = [", ".join(group) for group in by_case.values() if len(group) > 1]
    if clashes:
        raise InputError(
            f"{path}: columns differ only by case: {'; '.join(clashes)} "
            "(Spark matches column names case-insensitively; rename one)"
        )
    return names


def _sniff_delimiter(header: str) -> str:
    """The header line's delimiter: the one of , ; tab | it holds most of."""
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


_TEXT = "value"


def _read_csv(spark: SparkSession, path: str, cfg: InputConfig) -> DataFrame:
    """A CSV read one physical line per record, on the executors.

    Spark's text source splits the files by line (big files across many
    tasks); each line is decoded in `input.encoding` and parsed with the
    header's columns (`from_csv`). A line that is not one record (a quote
    opened and never closed, more or fewer fields than the header) keeps its
    line number and text in `INPUT_LINE` and goes to quarantine as
    `malformed_row`: it cannot swallow the lines after it. Quoted fields may
    hold the delimiter and doubled quotes (""), not line breaks. Blank lines
    are not records (logged). So the rows returned are exactly the file's
    non-blank lines after its header: the row count is the file's.

    One aggregation job over the lines, before the read itself, gives each
    file's header, the line count of each split (for line numbers) and the
    lines that do not decode (an InputError naming `input.encoding`).
    """
    encoding = _encoding(cfg)
    lines = spark.read.text(path).select(
        F.col(_TEXT),
        F.col("_metadata.file_path").alias("_file"),
        F.col("_metadata.file_block_start").alias("_block"),
        F.monotonically_increasing_id().alias("_id"),
    )
    text, decodes = _decoded(F.col(_TEXT), encoding)
    lines = lines.withColumn(_TEXT, text).withColumn("_decodes", decodes)
    blank = F.col(_TEXT).rlike(r"^\s*$")
    blocks = (
        lines.groupBy("_file", "_block")
        .agg(
            F.count("*").alias("n"),
            F.min("_id").alias("first_id"),
            F.min_by(_TEXT, "_id").alias("first_line"),
            F.sum(blank.cast("long")).alias("blank"),
            F.sum((~F.col("_decodes")).cast("long")).alias("bad"),
            F.min(F.when(~F.col("_decodes"), F.col("_id"))).alias("first_bad"),
        )
        .collect()
    )
    if not blocks:
        raise InputError(f"input file is empty: {path}")
    # The line each split starts at, in its file: the splits before it, counted.
    starts, line_at, offset = [], {}, {}
    for b in sorted(blocks, key=lambda b: (b["_file"], b["_block"])):
        first = offset.get(b["_file"], 0) + 1
        offset[b["_file"]] = first - 1 + b["n"]
        starts.append((b["_file"], b["_block"], b["first_id"], first))
        line_at[(b["_file"], b["_block"])] = first
    where = sorted(
        (b["_file"], line_at[(b["_file"], b["_block"])] + b["first_bad"] - b["first_id"])
        for b in blocks
        if b["bad"]
    )
    if where:
        bad = sum(b["bad"] for b in blocks)
        file, line = where[0]
        at = f"line {line}" if len(offset) == 1 else f"{os.path.basename(file)} line {line}"
        name = "UTF-8" if encoding == "utf-8" else cfg.encoding
        hint = "set input.encoding, e.g. latin-1" if encoding == "utf-8" else "check input.encoding"
        raise InputError(
            f"input is not valid {name} ({bad} rows with undecodable bytes, first at {at}); {hint}"
        )
    headers = {b["_file"]: b["first_line"] for b in blocks if b["_block"] == 0}
    if len(set(headers.values())) > 1:
        names = ", ".join(sorted(os.path.basename(f) for f in headers))
        raise InputError(f"{path}: the CSV files have different header lines ({names})")
    header = next(iter(headers.values()))
    if not header.strip():
        raise InputError(f"{path}: the first line (the header) is empty")
    delimiter = cfg.delimiter or _sniff_delimiter(header)
    names = _header_names(header, delimiter, path)
    blank_lines = sum(b["blank"] for b in blocks) - sum(
        1 for b in blocks if b["_block"] == 0 and not b["first_line"].strip()
    )
    if blank_lines:
        get_logger().info("%s: %d blank lines skipped (not records)", path, blank_lines)

    # Every column as text: type inference would turn "007" into 7 and "'05" into null.
    corrupt = "_corrupt_record"
    schema = ", ".join(f"`{n.replace('`', '``')}` string" for n in [*names, corrupt])
    options = {
        "sep": delimiter,
        "quote": '"',
        "escape": '"',
        "mode": "PERMISSIVE",
        "columnNameOfCorruptRecord": corrupt,
    }
    first_lines = spark.createDataFrame(
        starts, "_file string, _block long, first_id long, first int"
    )
    numbered = lines.join(F.broadcast(first_lines), ["_file", "_block"]).withColumn(
        "_line", (F.col("first") + F.col("_id") - F.col("first_id")).cast("long")
    )
    rows = numbered.filter((F.col("_line") > 1) & ~blank)
    quotes = F.length(_TEXT) - F.length(F.regexp_replace(_TEXT, '"', ""))
    parsed = rows.withColumn("_row", F.from_csv(F.col(_TEXT), schema, options))
    problem = F.when(quotes % 2 == 1, F.lit("a quote opened and never closed")).when(
        F.col(f"_row.{corrupt}").isNotNull(),
        F.lit(f"fields do not match the header's {len(names)} columns"),
    )
    line = F.struct(
        F.element_at(F.split("_file", "/"), -1).alias("file"),
        F.col("_line").alias("line"),
        problem.alias("problem"),
        F.when(problem.isNotNull(), F.col(_TEXT)).alias("text"),
    )
    return parsed.select(
        *[F.col("_row").getField(n).alias(n) for n in names], line.alias(INPUT_LINE)
    )


_CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".dapo")


def _looks_like_csv(path: str, names: list[str] | None = None) -> bool:
    """A CSV file, or a folder of only CSV files (`names`: a URI's, listed by
    Spark's file system; a local folder is listed here)."""
    if path.lower().endswith(_CSV_SUFFIXES):
        return True
    if names is None and os.path.isdir(path):
        names = os.listdir(path)
    names = [n for n in names or [] if not n.startswith((".", "_"))]
    return bool(names) and all(n.lower().endswith((".csv", ".csv.gz")) for n in names)


def _read_source(spark: SparkSession, source: str, cfg: InputConfig) -> DataFrame:
    """A table by name through the catalog (`spark.table`); a path or URI
    through the reader for its format: Delta where a `_delta_log` is, CSV by
    name or `input.delimiter`, else Parquet."""
    src = classify_input(source)
    if src.kind == "table":
        if not _table_exists(spark, source):
            raise InputError(f"input not found: no file and no table named {source}")
        return _not_reserved(spark.table(source))
    names = _check_exists(spark, src, source)
    location = src.location
    if src.kind == "local" and is_delta_table(location):
        return _not_reserved(read_delta(spark, location))
    if src.kind == "uri" and _has_delta_log(spark, location):
        return _not_reserved(read_delta(spark, location))
    if cfg.delimiter is not None or _looks_like_csv(location, names):
        return _read_csv(spark, location, cfg)
    return _not_reserved(_read_parquet(spark, location))


def _table_exists(spark: SparkSession, name: str) -> bool:
    """Whether the session's catalog has the table; a catalog or schema that
    does not exist (`nosuch.music.tracks`) means no."""
    try:
        return bool(spark.catalog.tableExists(name))
    except AnalysisException:
        return False


def _not_reserved(df: DataFrame) -> DataFrame:
    if INPUT_LINE in df.columns:
        raise InputError(f"input columns clash with tracklink's own: {INPUT_LINE}")
    return df


# What Spark and Parquet say of a file cut short or not Parquet at all.
_UNREADABLE_PARQUET = re.compile(
    r"not a Parquet file|CANNOT_READ_FILE_FOOTER|FAILED_READ_FILE|magic number|"
    r"EOFException|Could not read footer|corrupt",
    re.IGNORECASE,
)
_FILE_IN_MESSAGE = re.compile(r"(?:file:|s3a?:|abfss?:|gs:|dbfs:)?/[^\s,;'\"`\]\)]+")


def _read_parquet(spark: SparkSession, source: str) -> DataFrame:
    """A Parquet input whose every file's footer has been read: a file cut short
    or not Parquet is an InputError naming it, not a Java stack trace at the
    first action. Counting reads the footers only, on the executors."""
    try:
        df = spark.read.parquet(source)
        df.count()
    except Exception as exc:  # noqa: BLE001 - Py4J, Spark and analysis errors alike
        message = str(exc)
        if not _UNREADABLE_PARQUET.search(message):
            raise
        files = [m.rstrip(".:") for m in _FILE_IN_MESSAGE.findall(message)]
        file = next((f for f in files if "parquet" in f.lower()), files[0] if files else source)
        raise InputError(f"{file}: not a readable Parquet file (truncated or corrupt?)") from None
    return df


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
    # Materialised once: the counts below and the run's own read it again,
    # and each read of a CSV parses every line anew.
    raw = raw.localCheckpoint()
    order = tuple(c for c in raw.columns[raw.columns.index(anchor) :] if c != INPUT_LINE)
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
    # INPUT_LINE is the reader's own (`_read_csv`), never an input column.
    clashes = sorted(set(df.columns) & (RESERVED_COLUMNS - {INPUT_LINE}))
    if clashes:
        raise InputError(f"input columns clash with tracklink's own: {', '.join(clashes)}")
    catalog = [
        (F.col(f"`{c}`").cast("string") if c in df.columns else F.lit(None).cast("string")).alias(c)
        for c in CATALOG_COLUMNS
    ]
    # " r1 " and "r1" are one id: whitespace (a no-break space, a BOM) around it is not.
    catalog[0] = F.regexp_replace(catalog[0], r"^[\s\p{Z}\x{FEFF}]+|[\s\p{Z}\x{FEFF}]+$", "").alias(
        "record_id"
    )
    for name in vectors:
        kind = df.schema[name].dataType
        if not (isinstance(kind, ArrayType) and isinstance(kind.elementType, NumericType)):
            raise InputError(
                f"input.embeddings: column {name!r} is {kind.simpleString()}, not an array of numbers"
            )
    passthrough = [
        F.col(f"`{c}`").cast("array<float>").alias(c) if c in vectors else F.col(f"`{c}`")
        for c in df.columns
        if c not in CATALOG_COLUMNS and c != INPUT_LINE
    ]
    if INPUT_LINE in df.columns:
        passthrough.append(F.col(INPUT_LINE))
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
        if "PATH_NOT_FOUND" in first:
            # Where the driver could not look first (no JVM to ask): Spark's own word.
            raise InputError(f"input not found: {source}") from None
        raise InputError(f"cannot read {source}: {first}") from None
    return conform(df, cfg.embeddings)
