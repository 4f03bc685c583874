"""Read an output folder's Delta tables at any version, and the history of
their versions, with delta-rs: no Spark session (`tracklink show`)."""

from __future__ import annotations

import json
import os

import pandas as pd

from conf.errors import InputError

# Every run's last commit appends its row here: the run's commit point.
RUNS_TABLE = "runs"


def committed_versions(table_versions) -> dict[str, int]:
    """Each table's newest version that a finished run recorded (`runs`'s
    `table_versions`, JSON per run). Versions only grow, so the newest recorded
    one is the last finished run's, whatever order the rows come in."""
    out: dict[str, int] = {}
    for text in table_versions:
        for table, version in json.loads(text or "{}").items():
            if version is not None:
                out[table] = max(out.get(table, -1), int(version))
    return out


def _committed_version(output: str, table: str) -> int | None:
    from deltalake import DeltaTable

    if table == RUNS_TABLE:
        return None
    runs = os.path.join(output, RUNS_TABLE)
    if not DeltaTable.is_deltatable(runs):
        if "run_id" in commit_metadata(DeltaTable(os.path.join(output, table)).history(1)[0]):
            raise InputError(f"no run has finished writing to {output} yet")
        return None
    rows = DeltaTable(runs).to_pandas(columns=["table_versions"])["table_versions"]
    return committed_versions(rows).get(table)


def _table(output: str, table: str, version: int | None):
    from deltalake import DeltaTable

    path = os.path.join(output, table)
    if not DeltaTable.is_deltatable(path):
        raise InputError(f"no Delta table at {path}")
    latest = DeltaTable(path).version()
    if version is not None and not 0 <= version <= latest:
        raise InputError(f"{table} has versions 0 to {latest}; there is no version {version}")
    if version is None:
        # What the last finished run left: not a run's half-made commits.
        version = _committed_version(output, table)
    return DeltaTable(path, version=version)


def commit_metadata(commit: dict) -> dict:
    """tracklink's metadata of one Delta commit (`DeltaTable.history()` row):
    delta-rs keeps it as a dict, delta-spark only as JSON text."""
    meta = commit.get("tracklink")
    if not isinstance(meta, dict):
        meta = json.loads(commit.get("userMetadata") or "{}")
    return meta if isinstance(meta, dict) else {}


def history(output: str, table: str) -> pd.DataFrame:
    """One row per version of `table`: when, what operation, and the run that
    wrote it (run id, mode, rows in) from the commit metadata."""
    from deltalake import DeltaTable

    _table(output, table, None)  # a clear error for a missing table
    rows = []
    for commit in DeltaTable(os.path.join(output, table)).history():
        meta = commit_metadata(commit)
        rows.append(
            {
                "version": commit.get("version"),
                "timestamp": pd.to_datetime(commit.get("timestamp"), unit="ms"),
                "operation": commit.get("operation"),
                "run_id": meta.get("run_id"),
                "mode": meta.get("mode"),
                "rows_in": meta.get("rows_in"),
            }
        )
    return pd.DataFrame(rows)


def select(
    output: str,
    table: str,
    version: int | None,
    record_id: str | None = None,
    cluster_id: str | None = None,
) -> pd.DataFrame:
    """`table` as `version` left it (None: the last finished run's); with `record_id`, the
    whole cluster holding that record; with `cluster_id`, that cluster."""
    df = _table(output, table, version).to_pandas()
    if record_id is not None:
        if "cluster_id" not in df.columns:
            df = df[df.record_id == record_id]
        else:
            cluster_id = df.loc[df.record_id == record_id, "cluster_id"].head(1)
            if cluster_id.empty:
                raise InputError(f"record {record_id} is not in {table} at that version")
            cluster_id = cluster_id.iloc[0]
    if cluster_id is not None:
        df = df[df.cluster_id == cluster_id]
    return df
