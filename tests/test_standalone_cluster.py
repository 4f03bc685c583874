"""tracklink on a real multi-process Spark cluster, shipped as YARN and
Kubernetes users ship Python: a standalone master and two workers on this
machine (scripts/cluster.sh), the job submitted in client mode with its code
in --py-files and a venv-pack'd environment in --archives (scripts/pack_env.sh).
The executors run in their own JVMs with the packed interpreter; the driver
runs in .venv.

The packed environment (the wheel's dependencies: 1.9 GB installed, 595 MB
packed) takes minutes to build, so it is cached in TRACKLINK_PACKED_ENV_CACHE
(default ~/.cache/tracklink/packed-env) under a key of the dependency list, the
constraints file, the interpreter and scripts/pack_env.sh; set it to an empty
string to build one in the test's temporary folder instead."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyspark
import pytest
from deltalake import DeltaTable

from catalog.generator import generate_catalog
from jobs import resolve as resolve_job
from runtime.spark import splink_jar
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

RECORDS = 300
SEED = 11
PACKED_ENV_CACHE = os.environ.get(
    "TRACKLINK_PACKED_ENV_CACHE",
    str(
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tracklink" / "packed-env"
    ),
)


def _env() -> dict[str, str]:
    # spark-submit finds SPARK_HOME through `python3` unless told: say which.
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", SPARK_HOME=os.path.dirname(pyspark.__file__))
    # The executors' interpreter is set by spark.pyspark.python alone.
    for key in ("PYSPARK_GATEWAY_PORT", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON"):
        env.pop(key, None)
    return env


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cluster-dist") / "dist"
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "package.sh"), str(out)],
        check=True,
        cwd=ROOT,
        env=dict(_env(), PYTHON=sys.executable),
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def packed_env(dist, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("packed") / "env.tar.gz"
    (wheel,) = dist.glob("tracklink-*.whl")
    env = dict(_env(), PYTHON=sys.executable)
    if PACKED_ENV_CACHE:
        env["CACHE_DIR"] = PACKED_ENV_CACHE
    res = subprocess.run(
        ["bash", str(ROOT / "scripts" / "pack_env.sh"), str(out), str(wheel)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(master URL, state folder) of a running two-worker cluster; stopped at
    teardown whatever the tests did."""
    state = tmp_path_factory.mktemp("cluster")
    script = str(ROOT / "scripts" / "cluster.sh")
    env = dict(_env(), PYTHON=sys.executable)
    try:
        res = subprocess.run(
            ["bash", script, "start", str(state)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert res.returncode == 0, res.stderr[-3000:]
        yield res.stdout.strip(), state
    finally:
        subprocess.run(["bash", script, "stop", str(state)], env=env, timeout=120)


def _python_workers(state: Path) -> dict[int, dict]:
    """The Python processes running in an executor's folder under `state`:
    their command, folder, PYTHONPATH and whether torch's library is loaded
    from the packed environment."""
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cwd = os.readlink(proc / "cwd")
            if not cwd.startswith(f"{state}/worker-"):
                continue
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
            if not cmd[0].endswith(b"python"):
                continue
            env = dict(
                x.split("=", 1) for x in (proc / "environ").read_text().split("\0") if "=" in x
            )
            maps = (proc / "maps").read_text()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        found[int(proc.name)] = {
            "cmd": cmd[0].decode(),
            "cwd": cwd,
            "pythonpath": env.get("PYTHONPATH", ""),
            "packed_torch": f"{cwd}/environment/lib/python3.11/site-packages/torch/lib/" in maps,
        }
    return found


def _submit(cluster, dist: Path, packed_env: Path, script: Path, args: list[str], cwd: Path):
    """spark-submit to the cluster; returns (exit code, stdout, stderr, the
    executors' Python processes seen while it ran)."""
    master, state = cluster
    spark_submit = os.path.join(os.path.dirname(sys.executable), "spark-submit")
    cmd = [
        spark_submit,
        "--master",
        master,
        "--deploy-mode",
        "client",
        "--driver-memory",
        "2g",
        "--executor-memory",
        "1g",
        "--executor-cores",
        "1",
        "--total-executor-cores",
        "2",
        "--conf",
        "spark.sql.shuffle.partitions=2",
        "--conf",
        "spark.default.parallelism=2",
        "--conf",
        "spark.ui.enabled=false",
        # Start only once both executors are up, so that both run tasks.
        "--conf",
        "spark.scheduler.minRegisteredResourcesRatio=1.0",
        "--conf",
        "spark.pyspark.python=./environment/bin/python",
        "--conf",
        f"spark.pyspark.driver.python={sys.executable}",
        "--archives",
        f"{packed_env}#environment",
        "--jars",
        splink_jar(),
        "--py-files",
        str(dist / "tracklink-pyfiles.zip"),
        str(script),
        *args,
    ]
    seen: dict[int, dict] = {}
    with (cwd / "submit.out").open("w+") as out, (cwd / "submit.err").open("w+") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, env=_env(), stdout=out, stderr=err, text=True)
        deadline = time.monotonic() + 1200
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                break
            for pid, info in _python_workers(state).items():
                seen.setdefault(pid, info)["packed_torch"] |= info["packed_torch"]
            time.sleep(0.5)
        out.seek(0)
        err.seek(0)
        return proc.wait(), out.read(), err.read(), list(seen.values())


@pytest.fixture(scope="module")
def tiny_catalog(spark, tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("cluster-input") / "catalog.parquet")
    generate_catalog(spark, RECORDS, seed=SEED).write.parquet(path)
    return path


def _partition(clusters: pd.DataFrame) -> set[frozenset[str]]:
    return {frozenset(g.record_id) for _, g in clusters.groupby("cluster_id")}


def test_resolve_on_the_cluster_gives_the_local_clusters(
    dist, packed_env, tiny_catalog, cluster, tmp_path
):
    # (the cluster is requested last: it starts once the slow fixtures are ready)
    state = cluster[1]
    out = tmp_path / "cluster-out"
    code, stdout, stderr, workers = _submit(
        cluster,
        dist,
        packed_env,
        dist / "entry" / "resolve.py",
        ["--input", tiny_catalog, "--output", str(out), "--truth", "true_entity_id"],
        tmp_path,
    )
    assert code == 0, stderr[-3000:]
    assert "rows in" in stdout
    clusters = DeltaTable(str(out / "clusters")).to_pandas()
    quarantine = DeltaTable(str(out / "quarantine")).to_pandas()
    assert len(clusters) + len(quarantine) == RECORDS

    # The executors' Python ran in both workers' executor folders, as
    # ./environment/bin/python, with pyspark from SPARK_HOME (the archive holds
    # none) and torch's libraries from the unpacked archive.
    assert {Path(w["cwd"]).relative_to(state).parts[0] for w in workers} == {
        "worker-1",
        "worker-2",
    }, workers
    assert {w["cmd"] for w in workers} == {"./environment/bin/python"}
    assert all("pyspark/python/lib/pyspark.zip" in w["pythonpath"] for w in workers)
    # (on a small input the encoder's few partitions may all land on one executor)
    assert any(w["packed_torch"] for w in workers), workers
    for executor in {w["cwd"] for w in workers}:
        site = Path(executor) / "environment" / "lib" / "python3.11" / "site-packages"
        assert (site / "torch").is_dir() and not (site / "pyspark").exists()

    local_out = tmp_path / "local-out"
    argv = ["--input", tiny_catalog, "--output", str(local_out), "--truth", "true_entity_id"]
    assert resolve_job.main([*argv, "--set", "spark.shuffle_partitions=2"]) == 0
    local = DeltaTable(str(local_out / "clusters")).to_pandas()
    assert _partition(clusters) == _partition(local)
    assert set(quarantine.record_id.dropna()) == set(
        DeltaTable(str(local_out / "quarantine")).to_pandas().record_id.dropna()
    )
