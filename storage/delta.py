"""Named Delta tables of one output, behind one small interface.

Two engines, chosen once per store:

* `spark`: the session has Delta (a cluster, Databricks): delta-spark. Tables
  live under the output folder, or are managed tables `<schema>.<table>`
  (`output.table_schema`). A run's DataFrames are first written as Parquet
  into `<output>/_staged/<table>/<run id>--<random>`; the commits copy them
  into the tables and remove the folders.
* `delta-rs`: it does not (delta-spark's jars come from Maven Central, which a
  machine may not reach). Executors still write the data: Spark writes Parquet
  files into a fresh folder inside the table, and the driver commits exactly
  those files with delta-rs, reading only their footers. A run that dies before
  the commit leaves unreferenced files and the table at its previous version.

Either way the result is a standard Delta table that any Delta reader opens,
and every commit carries the run's metadata as JSON in `userMetadata`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema
from pyspark.sql.types import StructField, StructType

from conf.config import OutputConfig
from conf.errors import ConfigError, EnvironmentProblem, InputError
from runtime.spark import hadoop_fs, session_has_delta
from storage.versions import RUNS_TABLE, commit_metadata, committed_versions

WriteMode = Literal["append", "overwrite"]
# Staged folders are named `<run id>--<random>`; older outputs used a timestamp.
STAGE_SEP = "--"
Engine = Literal["auto", "spark", "delta-rs"]
# Where the spark engine stages a run's files, under the output folder.
STAGING_DIR = "_staged"
# `table`, `schema.table` or `catalog.schema.table`: plain identifiers only.
_TABLE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*){1,2}")
# The session setting delta-spark reads a commit's `userMetadata` from: MERGE,
# DELETE and RESTORE take no option for it (a write takes both; the option wins).
USER_METADATA_CONF = "spark.databricks.delta.commitInfo.userMetadata"
# Prefix of the session settings that give new Delta tables their `delta.*` properties.
TABLE_DEFAULTS_CONF = "spark.databricks.delta.properties.defaults."


@dataclass(frozen=True)
class StagedFiles:
    """An engine's files for one future commit: the `folder` the session
    reads them from, their Spark `schema`, and `within`, the table path whose
    filesystem holds them. delta-rs also keeps the add `actions` and the
    `arrow_schema` its commit writes (empty on delta-spark, which copies)."""

    folder: str
    schema: StructType
    within: str | None = None
    actions: tuple[Any, ...] = ()
    arrow_schema: pa.Schema | None = None


@dataclass(frozen=True)
class Staged:
    """Files written for a table, not yet part of it."""

    table: str
    files: StagedFiles


@dataclass(frozen=True)
class Commit:
    table: str
    path: str
    version: int


def is_delta_table(path: str) -> bool:
    from deltalake import DeltaTable

    try:
        return DeltaTable.is_deltatable(path)
    except Exception:  # noqa: BLE001 - an unreadable location is simply not a table
        return False


def is_table_name(location: str) -> bool:
    """Whether `location` names a catalog table (`schema.table`,
    `catalog.schema.table`) rather than a path; a path has a `/`."""
    return "/" not in location and _TABLE_NAME.fullmatch(location) is not None


def writer_options(mode: WriteMode, metadata: dict[str, Any]) -> dict[str, str]:
    """The DataFrameWriter options of a delta-spark write: the run's metadata
    in the commit, and an overwrite may change the table's columns."""
    options = {"userMetadata": json.dumps(metadata)}
    if mode == "overwrite":
        options["overwriteSchema"] = "true"
    return options


def commit_conf(metadata: dict[str, Any], properties: dict[str, str]) -> dict[str, str]:
    """Session settings for one delta-spark commit: its `userMetadata`, and
    the `delta.*` properties a table it creates gets."""
    conf = {USER_METADATA_CONF: json.dumps(metadata)}
    for key, value in properties.items():
        if not key.startswith("delta."):
            raise ValueError(f"not a Delta table property: {key}")
        conf[TABLE_DEFAULTS_CONF + key.removeprefix("delta.")] = value
    return conf


def _filesystem(path: str) -> tuple[pafs.FileSystem, str]:
    return pafs.FileSystem.from_uri(os.path.abspath(path) if "://" not in path else path)


def _nullable(schema: StructType) -> StructType:
    # A NOT NULL column in the table schema would turn later writes into
    # constraint checks; tracklink validates its own columns instead.
    return StructType([StructField(f.name, f.dataType, True, f.metadata) for f in schema.fields])


class _Engine(Protocol):
    """What a store asks of an engine; `path` is a table's location (a path,
    or a table name for the spark engine)."""

    def write(
        self,
        df: DataFrame,
        path: str,
        mode: WriteMode,
        metadata: dict[str, Any],
        properties: dict[str, str],
    ) -> int: ...

    def read(self, path: str, version: int | None) -> DataFrame: ...

    def version(self, path: str) -> int | None: ...

    def upsert(
        self, df: DataFrame, path: str, keys: list[str], metadata: dict[str, Any]
    ) -> int: ...

    def delete_in(
        self, path: str, columns: list[str], values: list[str], metadata: dict[str, Any]
    ) -> int: ...

    def stage(self, df: DataFrame, path: str, tag: str) -> StagedFiles: ...

    def staged_frame(self, staged: StagedFiles) -> DataFrame: ...

    def discard(self, staged: StagedFiles) -> None: ...

    def commit(
        self,
        staged: StagedFiles,
        path: str,
        mode: WriteMode,
        metadata: dict[str, Any],
        properties: dict[str, str],
    ) -> int: ...

    def commits(self, path: str) -> list[tuple[int, dict]]: ...

    def restore(self, path: str, version: int, metadata: dict[str, Any]) -> int: ...

    def files(self, path: str) -> list[str]: ...

    def drop(self, path: str) -> None: ...

    def staged_folders(self, path: str) -> list[tuple[str, str]]: ...

    def remove_folder(self, folder: str, within: str) -> None: ...


class SparkDeltaEngine:
    """delta-spark on a session that has the jars (or Databricks' native Delta).

    A table is addressed by path, or by name (`catalog.schema.table`, see
    `is_table_name`) for managed tables. Like the delta-rs engine it keeps a
    run's commits together: `stage` runs the DataFrame's whole lineage and
    writes the result as Parquet into `<staging root>/<table>/<run id>--<rand>`
    (the name recovery looks for); `commit` only copies those files into the
    table, in a Delta write that carries the run id in `userMetadata`, and then
    removes the folder. Staging sits outside the table's own folder: Delta owns
    that folder (VACUUM deletes files it does not know, Unity Catalog refuses
    paths that overlap a table's)."""

    def __init__(self, spark: SparkSession, staging_root: str | None = None) -> None:
        self.spark = spark
        self.staging_root = staging_root

    # -- where things are -------------------------------------------------

    def staging_dir(self, location: str) -> str:
        if self.staging_root is None:
            raise RuntimeError("this engine was made without a staging folder (use DeltaStore)")
        leaf = location.rsplit(".", 1)[-1] if is_table_name(location) else location
        return f"{self.staging_root.rstrip('/')}/{os.path.basename(leaf.rstrip('/'))}"

    def _fs(self, path: str):
        # Hadoop's filesystem, the one Spark wrote with.
        return hadoop_fs(self.spark, path)

    def _table(self, location: str):
        from delta.tables import DeltaTable

        if is_table_name(location):
            return DeltaTable.forName(self.spark, location)
        return DeltaTable.forPath(self.spark, location)

    @contextmanager
    def _session_conf(self, settings: dict[str, str]) -> Iterator[None]:
        """`settings` on the session for one commit, the previous values back after it."""
        before = {k: self.spark.conf.get(k, None) for k in settings}
        for key, value in settings.items():
            self.spark.conf.set(key, value)
        try:
            yield
        finally:
            for key, value in before.items():
                if value is None:
                    self.spark.conf.unset(key)
                else:
                    self.spark.conf.set(key, value)

    # -- the protocol -----------------------------------------------------

    def write(self, df, path, mode, metadata, properties):
        writer = df.write.format("delta").mode(mode).options(**writer_options(mode, metadata))
        # The table properties by the route Delta documents for a new table;
        # on an existing one the session defaults change nothing.
        with self._session_conf(commit_conf(metadata, properties)):
            if is_table_name(path):
                writer.saveAsTable(path)
            else:
                writer.save(path)
        return self.version(path)  # type: ignore[return-value]

    def stage(self, df, path, tag):
        """Run `df` and write it as Parquet for a later `commit`; the folder's
        name starts with `tag` (the run id), so recovery finds it if the run dies."""
        folder = f"{self.staging_dir(path)}/{tag}{STAGE_SEP}{uuid.uuid4().hex[:12]}"
        df.write.mode("errorifexists").parquet(folder)
        return StagedFiles(folder, df.schema)

    def staged_frame(self, staged) -> DataFrame:
        return self.spark.read.schema(staged.schema).parquet(staged.folder)

    def discard(self, staged):
        self.remove_folder(staged.folder)

    def commit(self, staged, path, mode, metadata, properties):
        version = self.write(self.staged_frame(staged), path, mode, metadata, properties)
        self.remove_folder(staged.folder)  # copied into the table: no longer needed
        return version

    def read(self, path, version):
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return reader.table(path) if is_table_name(path) else reader.load(path)

    def version(self, path):
        from delta.tables import DeltaTable

        if is_table_name(path):
            if not self.spark.catalog.tableExists(path):
                return None
        elif not DeltaTable.isDeltaTable(self.spark, path):
            return None
        return self._table(path).history(1).collect()[0]["version"]

    def upsert(self, df, path, keys, metadata):
        on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
        # delta-spark takes a MERGE's, DELETE's or RESTORE's commit metadata
        # from the session, not from an option.
        with self._session_conf(commit_conf(metadata, {})):
            (
                self._table(path)
                .alias("t")
                .merge(df.alias("s"), on)
                .whenMatchedUpdateAll()
                .whenNotMatchedInsertAll()
                .execute()
            )
        return self.version(path)

    def commits(self, path):
        rows = self._table(path).history().select("version", "userMetadata")
        return [
            (r["version"], commit_metadata({"userMetadata": r["userMetadata"]}))
            for r in rows.collect()
        ]

    def restore(self, path, version, metadata):
        with self._session_conf(commit_conf(metadata, {})):
            self._table(path).restoreToVersion(version)
        return self.version(path)

    def delete_in(self, path, columns, values, metadata):
        if not values:
            return self.version(path)
        ids = self.spark.createDataFrame([(v,) for v in sorted(set(values))], "v string")
        on = " OR ".join(f"t.`{c}` = s.v" for c in columns)
        with self._session_conf(commit_conf(metadata, {})):
            self._table(path).alias("t").merge(ids.alias("s"), on).whenMatchedDelete().execute()
        return self.version(path)

    def files(self, path):
        return self.read(path, None).inputFiles()

    def drop(self, path):
        if is_table_name(path):
            self.spark.sql(f"DROP TABLE IF EXISTS {path}")
        else:
            self.remove_folder(path)

    def staged_folders(self, path):
        fs, folder = self._fs(self.staging_dir(path))
        if not fs.exists(folder):
            return []
        return [
            (status.getPath().getName().split(STAGE_SEP)[0], status.getPath().toString())
            for status in fs.listStatus(folder)
            if status.isDirectory() and STAGE_SEP in status.getPath().getName()
        ]

    def remove_folder(self, folder, within=None):
        fs, jpath = self._fs(folder)
        fs.delete(jpath, True)


class RustDeltaEngine:
    """Spark writes Parquet, delta-rs commits it: Delta without the Delta jars."""

    DATA_DIR = "data"

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    @staticmethod
    def _stats(meta: pq.FileMetaData) -> str:
        """Delta file statistics: row and null counts, min/max of numeric columns.
        String bounds are left out: a truncated max would be a wrong bound."""
        nulls: dict[str, int] = {}
        mins: dict[str, Any] = {}
        maxs: dict[str, Any] = {}
        schema = meta.schema.to_arrow_schema()
        for fld in schema:
            col_idx = [j for j in range(meta.num_columns) if meta.schema.column(j).path == fld.name]
            if not col_idx:
                continue  # nested column: no top-level statistics
            j = col_idx[0]
            n_null, lo, hi, ok = 0, None, None, True
            for rg in range(meta.num_row_groups):
                st = meta.row_group(rg).column(j).statistics
                if st is None or not st.has_null_count:
                    ok = False
                    break
                n_null += st.null_count
                if st.has_min_max and st.physical_type in ("INT32", "INT64", "DOUBLE", "FLOAT"):
                    lo = st.min if lo is None else min(lo, st.min)
                    hi = st.max if hi is None else max(hi, st.max)
            if not ok:
                continue
            nulls[fld.name] = n_null
            if lo is not None and str(fld.type) in ("int32", "int64", "double", "float"):
                mins[fld.name], maxs[fld.name] = lo, hi
        return json.dumps(
            {"numRecords": meta.num_rows, "minValues": mins, "maxValues": maxs, "nullCount": nulls}
        )

    def _written_files(self, path: str, folder: str) -> list[Any]:
        from deltalake.transaction import AddAction

        fs, root = _filesystem(path)
        infos = fs.get_file_info(pafs.FileSelector(f"{root}/{folder}", recursive=True))
        actions = []
        for info in infos:
            name = os.path.basename(info.path)
            if info.type != pafs.FileType.File:
                continue
            if not name.endswith(".parquet"):
                fs.delete_file(info.path)  # _SUCCESS and .crc files: not part of the table
                continue
            with fs.open_input_file(info.path) as fh:
                meta = pq.read_metadata(fh)
            actions.append(
                AddAction(
                    path=os.path.relpath(info.path, root),
                    size=info.size,
                    partition_values={},
                    modification_time=int(time.time() * 1000),
                    data_change=True,
                    stats=self._stats(meta),
                )
            )
        return actions

    def stage(self, df, path, tag):
        """Write the Parquet files of a future version; nothing is visible until
        commit. The folder's name starts with `tag` (the run id), so that the
        files of a run that never committed can be found and removed."""
        folder = f"{self.DATA_DIR}/{tag}{STAGE_SEP}{uuid.uuid4().hex[:12]}"
        df.write.mode("errorifexists").parquet(os.path.join(path, folder))
        return StagedFiles(
            os.path.join(path, folder),
            df.schema,
            within=path,
            actions=tuple(self._written_files(path, folder)),
            arrow_schema=to_arrow_schema(_nullable(df.schema)),
        )

    def staged_frame(self, staged):
        return self.spark.read.schema(staged.schema).parquet(staged.folder)

    def discard(self, staged):
        self.remove_folder(staged.folder, staged.within)

    def commit(self, staged, path, mode, metadata, properties):
        from deltalake import DeltaTable, Schema
        from deltalake.transaction import create_table_with_add_actions

        actions, arrow_schema = list(staged.actions), staged.arrow_schema
        commit = self._commit_properties(metadata)
        if is_delta_table(path):
            table = DeltaTable(path)
            table.create_write_transaction(actions, mode, arrow_schema, commit_properties=commit)
        else:
            create_table_with_add_actions(
                path,
                Schema.from_arrow(arrow_schema),
                actions,
                mode="error",
                configuration=properties or None,
                commit_properties=commit,
            )
        return DeltaTable(path).version()

    def write(self, df, path, mode, metadata, properties):
        staged = self.stage(df, path, metadata.get("run_id", "write"))
        return self.commit(staged, path, mode, metadata, properties)

    def read(self, path, version):
        from deltalake import DeltaTable

        table = DeltaTable(path, version=version)
        # delta-rs hands out an arro3 schema; pyarrow takes it over the C data interface.
        schema = from_arrow_schema(pa.schema(table.schema().to_arrow()), prefer_timestamp_ntz=False)
        files = table.file_uris()
        if not files:
            return self.spark.createDataFrame([], schema)
        # An explicit schema: a plain read silently drops columns added later.
        return self.spark.read.schema(schema).parquet(*files)

    def version(self, path):
        from deltalake import DeltaTable

        return DeltaTable(path).version() if is_delta_table(path) else None

    @staticmethod
    def _commit_properties(metadata):
        from deltalake import CommitProperties

        return CommitProperties(
            custom_metadata={"userMetadata": json.dumps(metadata), "tracklink": metadata}
        )

    def upsert(self, df, path, keys, metadata):
        from deltalake import DeltaTable

        # The source is the changed rows only (an increment), so it is brought to
        # the driver; delta-rs rewrites the files that hold matched rows and, with
        # the change data feed on, records exactly the inserted and updated rows.
        source = df.toArrow()
        if source.num_rows == 0:
            return DeltaTable(path).version()
        table = DeltaTable(path)
        source = source.cast(pa.schema(table.schema().to_arrow()), safe=False)
        on = " AND ".join(f"t.{k} = s.{k}" for k in keys)
        (
            table.merge(
                source,
                predicate=on,
                source_alias="s",
                target_alias="t",
                commit_properties=self._commit_properties(metadata),
            )
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
        return DeltaTable(path).version()

    def commits(self, path):
        from deltalake import DeltaTable

        return [(c["version"], commit_metadata(c)) for c in DeltaTable(path).history()]

    def restore(self, path, version, metadata):
        from deltalake import DeltaTable

        DeltaTable(path).restore(version, commit_properties=self._commit_properties(metadata))
        return DeltaTable(path).version()

    def files(self, path):
        from deltalake import DeltaTable

        return DeltaTable(path).file_uris()

    def drop(self, path):
        fs, root = _filesystem(path)
        fs.delete_dir(root)

    def remove_folder(self, folder, within):
        # `staged_folders` gives paths inside the filesystem of `within` (no scheme).
        fs, _ = _filesystem(within)
        fs.delete_dir(folder)

    def staged_folders(self, path):
        fs, root = _filesystem(path)
        selector = pafs.FileSelector(f"{root}/{self.DATA_DIR}", allow_not_found=True)
        return [
            (info.base_name.split(STAGE_SEP)[0], info.path)
            for info in fs.get_file_info(selector)
            if info.type == pafs.FileType.Directory and STAGE_SEP in info.base_name
        ]

    def delete_in(self, path, columns, values, metadata):
        from deltalake import DeltaTable

        table = DeltaTable(path)
        if not values:
            return table.version()
        quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(set(values)))
        predicate = " OR ".join(f"{c} IN ({quoted})" for c in columns)
        table.delete(predicate, commit_properties=self._commit_properties(metadata))
        return DeltaTable(path).version()


def require_delta(spark: SparkSession, why: str) -> None:
    """Stop with one line, not a Py4J trace, when this session cannot run delta-spark."""
    if importlib.util.find_spec("delta") is None:
        raise EnvironmentProblem(
            f"{why}, but the delta-spark Python package is not installed (pip install delta-spark)"
        )
    if not session_has_delta(spark):
        raise EnvironmentProblem(
            f"{why}, but this Spark session has no Delta Lake: start it with delta-spark's "
            "jars (spark.jars.packages=io.delta:delta-spark_2.13:<version>) and "
            "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension, or leave "
            "output.delta_engine at auto (delta-rs)"
        )


def make_engine(
    spark: SparkSession,
    engine: Engine = "auto",
    staging_root: str | None = None,
    managed: bool = False,
) -> _Engine:
    """The engine for this session. `managed`: tables are catalog names
    (`output.table_schema`), which only delta-spark writes."""
    if managed:
        if engine == "delta-rs":
            raise ConfigError(
                "bad config: output.table_schema: managed tables are written by delta-spark, "
                "not output.delta_engine: delta-rs"
            )
        require_delta(spark, "output.table_schema writes managed Delta tables")
        return SparkDeltaEngine(spark, staging_root)
    if engine == "spark":
        require_delta(spark, "output.delta_engine is spark")
        return SparkDeltaEngine(spark, staging_root)
    if engine == "auto" and session_has_delta(spark) and importlib.util.find_spec("delta"):
        return SparkDeltaEngine(spark, staging_root)
    return RustDeltaEngine(spark)


class DeltaStore:
    """The Delta tables of one output: write, read (any version), version.

    Tables live in folders under `root`, or, with `table_schema`
    (delta-spark only), are managed tables `<table_schema>.<table>`; `root`
    then holds only the run's side files (lock, MLflow store, reports, staged
    files).

    A run commits each table in turn and then appends its row to `runs`; that
    last commit is the run's commit point. Readers (`view="committed"`, the
    default) therefore read each table at the version the `runs` table
    records, so they see every table of a finished run or none of a run that
    is still committing or died. A run itself (`view="latest"`) reads and
    writes the latest versions, after `pipeline.recovery` rolled back the
    commits of any run that died."""

    def __init__(
        self,
        spark: SparkSession,
        root: str,
        engine: Engine = "auto",
        view: Literal["committed", "latest"] = "committed",
        table_schema: str | None = None,
    ) -> None:
        self.spark = spark
        self.root = root
        self.view = view
        self.table_schema = table_schema
        self._engine = make_engine(
            spark, engine, os.path.join(root, STAGING_DIR), managed=table_schema is not None
        )
        self._committed: dict[str, int] | None = None

    @classmethod
    def for_output(
        cls,
        spark: SparkSession,
        root: str,
        output: OutputConfig,
        view: Literal["committed", "latest"] = "committed",
    ) -> DeltaStore:
        """The store a job's `output` config section describes, rooted at `root` (--output)."""
        return cls(spark, root, output.delta_engine, view, output.table_schema)

    @property
    def engine_name(self) -> str:
        return "spark" if isinstance(self._engine, SparkDeltaEngine) else "delta-rs"

    def path(self, table: str) -> str:
        """Where `table` is: a folder under `root`, or `<table_schema>.<table>`."""
        if self.table_schema is not None:
            return f"{self.table_schema}.{table}"
        return os.path.join(self.root, table)

    def write(
        self,
        df: DataFrame,
        table: str,
        mode: WriteMode = "overwrite",
        metadata: dict[str, Any] | None = None,
        properties: dict[str, str] | None = None,
    ) -> Commit:
        """Write `df` as one new version of `table`; `properties` apply when it is created."""
        path = self.path(table)
        version = self._engine.write(df, path, mode, metadata or {}, properties or {})
        return Commit(table, path, version)

    def stage(self, df: DataFrame, table: str, run_id: str) -> Staged:
        """Write `df`'s files for a later `commit`: the slow part of a write, done
        for every table of a run before any of them commits."""
        return Staged(table, self._engine.stage(df, self.path(table), run_id))

    def staged_frame(self, staged: Staged) -> DataFrame:
        """The rows `stage` wrote, read back from its files: for a run that
        needs a table it is about to commit, without computing it twice."""
        return self._engine.staged_frame(staged.files)

    def discard(self, staged: Staged) -> None:
        """Remove files staged for a commit that will not happen."""
        self._engine.discard(staged.files)

    def commit(
        self,
        staged: Staged,
        mode: WriteMode = "overwrite",
        metadata: dict[str, Any] | None = None,
        properties: dict[str, str] | None = None,
    ) -> Commit:
        path = self.path(staged.table)
        version = self._engine.commit(staged.files, path, mode, metadata or {}, properties or {})
        return Commit(staged.table, path, version)

    def upsert(
        self, df: DataFrame, table: str, keys: list[str], metadata: dict[str, Any] | None = None
    ) -> Commit:
        """MERGE `df` into `table` on `keys`: matched rows are updated, the others
        inserted; rows of `table` that `df` does not mention are left as they are."""
        path = self.path(table)
        return Commit(table, path, self._engine.upsert(df, path, keys, metadata or {}))

    def delete_in(
        self,
        table: str,
        columns: list[str],
        values: list[str],
        metadata: dict[str, Any] | None = None,
    ) -> Commit:
        """Delete the rows whose value in any of `columns` is one of `values`."""
        path = self.path(table)
        return Commit(table, path, self._engine.delete_in(path, columns, values, metadata or {}))

    def read(self, table: str, version: int | None = None) -> DataFrame:
        """`table` at `version`; by default at its committed version (see the class)."""
        path = self.path(table)
        if version is None:
            version = self.version(table)
            if version is None:
                raise InputError(f"no Delta table at {path} (or no run finished writing it)")
        elif self._engine.version(path) is None:
            raise InputError(f"no Delta table at {path}")
        return self._engine.read(path, version)

    def version(self, table: str) -> int | None:
        """The version a reader sees: the committed one, or the latest with `view="latest"`."""
        latest = self._engine.version(self.path(table))
        if latest is None or self.view == "latest" or table == RUNS_TABLE:
            return latest
        committed = self.committed_versions()
        if table in committed:
            return committed[table]
        if not committed and self._written_by_a_run(table):
            return None  # the first run into this output has not finished
        return latest

    def _written_by_a_run(self, table: str) -> bool:
        return "run_id" in self.commits(table)[0][1]

    def finished_version(self, table: str) -> int | None:
        """The version of `table` the last finished run recorded (the latest
        for a table no run recorded)."""
        latest = self._engine.version(self.path(table))
        return None if latest is None else self.committed_versions().get(table, latest)

    def latest_version(self, table: str) -> int | None:
        return self._engine.version(self.path(table))

    def committed_versions(self) -> dict[str, int]:
        """Each table's version as the last finished run left it (the `runs`
        table records them): what readers see while a run commits, or after
        one died half-way."""
        if self._committed is None:
            if self._engine.version(self.path(RUNS_TABLE)) is None:
                self._committed = {}
            else:
                runs = self._engine.read(self.path(RUNS_TABLE), None)
                self._committed = committed_versions(
                    r["table_versions"] for r in runs.select("table_versions").collect()
                )
        return self._committed

    def committed_run_ids(self) -> set[str]:
        if self._engine.version(self.path(RUNS_TABLE)) is None:
            return set()
        runs = self._engine.read(self.path(RUNS_TABLE), None)
        return {r["run_id"] for r in runs.select("run_id").collect()}

    def commits(self, table: str) -> list[tuple[int, dict]]:
        """(version, tracklink's commit metadata) of every version, newest first."""
        rows = self._engine.commits(self.path(table))
        return sorted(rows, key=lambda r: r[0], reverse=True)

    def restore(self, table: str, version: int, metadata: dict[str, Any]) -> Commit:
        """A new version of `table` equal to `version` (Delta RESTORE)."""
        path = self.path(table)
        return Commit(table, path, self._engine.restore(path, version, metadata))

    def drop(self, table: str) -> None:
        """Remove `table` whole: for a table no finished run ever committed."""
        self._engine.drop(self.path(table))

    def files(self, table: str) -> list[str]:
        """The data files `table`'s latest version reads."""
        return self._engine.files(self.path(table))

    def staged_folders(self, table: str) -> list[tuple[str, str]]:
        """(run id, folder) of every folder of files staged for `table`."""
        return self._engine.staged_folders(self.path(table))

    def remove_folder(self, folder: str) -> None:
        self._engine.remove_folder(folder, self.root)

    def run_that_wrote(self, table: str, version: int | None = None) -> str | None:
        """The run id in the commit metadata of `table`'s `version` (default latest)."""
        target = self.version(table) if version is None else version
        for v, meta in self.commits(table):
            if v == target:
                return meta.get("run_id")
        return None


def read_delta(spark: SparkSession, path: str, version: int | None = None) -> DataFrame:
    """Read a Delta table at `path` with whichever engine this session supports."""
    engine = make_engine(spark)
    if engine.version(path) is None:
        raise InputError(f"no Delta table at {path}")
    return engine.read(path, version)
