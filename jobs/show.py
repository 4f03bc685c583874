"""Read tracklink's output tables at any version, without Spark.

    python -m jobs.show --output DIR [--table clusters] [--as-of-version N]
                        [--record-id ID | --cluster-id ID] [--limit 20] [--export PATH]
    python -m jobs.show --output DIR --history [--table clusters]

`--history` lists the table's versions with the run that wrote each (run id,
mode, counts from the commit metadata). `--as-of-version N` reads the table as
that version left it; `--record-id` shows a record's cluster with all its
members; `--export` writes the selection to .csv or .parquet.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pandas as pd

from conf.errors import InputError
from jobs.cli import run_cli


def _table(output: str, table: str, version: int | None):
    from deltalake import DeltaTable

    path = os.path.join(output, table)
    if not DeltaTable.is_deltatable(path):
        raise InputError(f"no Delta table at {path}")
    latest = DeltaTable(path).version()
    if version is not None and not 0 <= version <= latest:
        raise InputError(f"{table} has versions 0 to {latest}; there is no version {version}")
    return DeltaTable(path, version=version)


def history(output: str, table: str) -> pd.DataFrame:
    rows = []
    for commit in _table(output, table, None).history():
        meta = commit.get("tracklink")
        if not isinstance(meta, dict):
            meta = json.loads(commit.get("userMetadata") or "{}")
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="tracklink show",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--output", required=True)
    p.add_argument("--table", default="clusters")
    p.add_argument("--as-of-version", type=int, default=None, metavar="N")
    p.add_argument("--history", action="store_true")
    p.add_argument("--record-id", default=None)
    p.add_argument("--cluster-id", default=None)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--export", default=None, metavar="PATH")
    a = p.parse_args(argv)
    if a.history:
        df = history(a.output, a.table)
    else:
        df = select(a.output, a.table, a.as_of_version, a.record_id, a.cluster_id)
    if a.export:
        (df.to_csv if a.export.endswith(".csv") else df.to_parquet)(a.export, index=False)
        print(f"{len(df):,} rows -> {a.export}")
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 12):
            print(df.head(a.limit).to_string(index=False))
        if len(df) > a.limit:
            print(f"... {len(df):,} rows (first {a.limit} shown)")
    return 0


if __name__ == "__main__":
    run_cli(main)
