"""Kill a resolve run at a named point and check what readers see afterwards.

Shared by tests/test_faults.py (a few points per mode) and bench/faults.py
(every point, the README's reliability table). A run is a separate
`python -m jobs.resolve` process in its own process group, killed with
SIGKILL by `runtime.faults` on reaching the point, JVM and workers included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
from deltalake import DeltaTable

from pipeline.recovery import RUN_TABLES
from runtime.faults import KILL_AT
from storage.versions import commit_metadata, select

ROOT = Path(__file__).resolve().parents[1]
TABLES = (*RUN_TABLES, "runs")

# Every point a run passes, in order (`runtime.faults`).
FULL_STAGES = (
    "read",
    "validate",
    "normalise",
    "profile",
    "blocking",
    "scoring",
    "clustering",
    "semantics",
    "write",
)
INCREMENTAL_STAGES = (
    "read",
    "validate",
    "normalise",
    "blocking",
    "scoring",
    "clustering",
    "semantics",
    "merge",
    "write",
)
# A full run commits its tables in this order.
FULL_TABLES = RUN_TABLES
INCREMENTAL_TABLES = (
    "block_keys",
    "pairs",
    "quarantine",
    "cluster_events",
    "records",
    "clusters",
    "works",
    "video_links",
    "relationships",
)


def points(mode: str) -> list[str]:
    stages = FULL_STAGES if mode == "full" else INCREMENTAL_STAGES
    tables = FULL_TABLES if mode == "full" else INCREMENTAL_TABLES
    return [
        *(f"before {s}" for s in stages),
        "staged",
        *(f"committed {t}" for t in tables),
        "before runs",
    ]


def _env(point: str | None) -> dict[str, str]:
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    env.pop("PYSPARK_GATEWAY_PORT", None)
    env.pop(KILL_AT, None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if point:
        env[KILL_AT] = point
    return env


def run(argv: list[str], point: str | None = None, timeout: float = 1800) -> int:
    """Run `tracklink resolve argv` in its own process group; its return code
    (-9 when the fault point killed it)."""
    proc = subprocess.run(
        [sys.executable, "-m", "jobs.resolve", *argv],
        cwd=ROOT,
        env=_env(point),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
        start_new_session=True,
    )
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"resolve failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return proc.returncode


def _canonical(df: pd.DataFrame) -> list[tuple]:
    return sorted(tuple(str(v) for v in row) for row in df.itertuples(index=False))


def reader_view(out: str) -> dict[str, list[tuple] | None]:
    """Every table as a reader following the documented rule sees it (each at
    the version the last finished run recorded), as sorted rows."""
    view: dict[str, list[tuple] | None] = {}
    for table in TABLES:
        if not DeltaTable.is_deltatable(os.path.join(out, table)):
            view[table] = None
            continue
        try:
            view[table] = _canonical(select(out, table, None))
        except Exception as exc:  # noqa: BLE001 - "no finished run yet" is a state too
            view[table] = [("error", type(exc).__name__)]
    return view


def unfinished_versions(out: str) -> dict[str, list[int]]:
    """Per table, the versions at its head written by runs with no `runs` row:
    empty once the next run's recovery has rolled them back."""
    runs_path = os.path.join(out, "runs")
    finished = set()
    if DeltaTable.is_deltatable(runs_path):
        finished = set(DeltaTable(runs_path).to_pandas(columns=["run_id"]).run_id)
    ahead: dict[str, list[int]] = {}
    for table in RUN_TABLES:
        path = os.path.join(out, table)
        if not DeltaTable.is_deltatable(path):
            continue
        for commit in DeltaTable(path).history():
            run_id = commit_metadata(commit).get("run_id")
            if run_id is None or run_id in finished:
                break
            ahead.setdefault(table, []).append(commit["version"])
    return ahead


def staged_by_unfinished_runs(out: str) -> list[str]:
    runs_path = os.path.join(out, "runs")
    finished = set()
    if DeltaTable.is_deltatable(runs_path):
        finished = set(DeltaTable(runs_path).to_pandas(columns=["run_id"]).run_id)
    left = []
    for table in RUN_TABLES:
        data = Path(out) / table / "data"
        if data.is_dir():
            left += [
                str(d)
                for d in data.iterdir()
                if "--" in d.name and d.name.split("--")[0] not in finished
            ]
    return left


def running_mlflow_runs(out: str) -> list[str]:
    import mlflow

    db = Path(out).resolve() / "mlruns" / "mlflow.db"
    if not db.is_file():
        return []
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    runs = mlflow.search_runs(search_all_experiments=True)
    return list(runs.loc[runs.status == "RUNNING", "run_id"]) if len(runs) else []


def membership(out: str) -> dict[str, str]:
    """record_id -> cluster_id as readers see the output."""
    df = select(out, "clusters", None)
    return dict(zip(df.record_id, df.cluster_id, strict=True))


def works(out: str) -> list[tuple]:
    df = select(out, "works", None)
    return _canonical(df.drop(columns=["run_id"]))
