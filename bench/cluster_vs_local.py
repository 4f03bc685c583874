#!/usr/bin/env python
"""Benchmark: the same generated catalogue resolved on a two-worker Spark
standalone cluster and in local mode; are the clusters the same?

    python bench/cluster_vs_local.py [--records 20000] [--seed 42]
                                     [--work out/bench_cluster] [--out bench/results]
                                     [--env-cache DIR] [--set key=value ...]

Both runs are spark-submit of dist/entry/resolve.py with shuffle partitions 2.
The cluster (scripts/cluster.sh: a master and two 1-core 1 GB workers on
127.0.0.1) gets the code as --py-files and the dependencies as a venv-pack'd
--archives (scripts/pack_env.sh), executors running ./environment/bin/python;
the local run is `local[2]` in .venv. Writes `cluster.md`: records, seconds of
each step (packing, cluster start, each resolve), clusters, and whether the
record -> cluster partitions are equal (they are compared as partitions of
record ids, and the cluster ids compared too). The cluster is stopped whatever
happens. Not a test: times drift on a shared machine.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _env() -> dict[str, str]:
    import pyspark

    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", SPARK_HOME=os.path.dirname(pyspark.__file__))
    for key in ("PYSPARK_GATEWAY_PORT", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON"):
        env.pop(key, None)
    # `python -m jobs.generate_catalog` runs from the work folder
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _run(cmd: list[str], log: Path, **kw) -> float:
    """Run `cmd` (output to `log`), fail loudly, return its seconds."""
    t0 = time.perf_counter()
    with log.open("w") as fh:
        res = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=_env(), **kw)
    if res.returncode != 0:
        tail = log.read_text()[-3000:]
        raise SystemExit(f"{' '.join(cmd[:3])} ... failed ({res.returncode}); {log}:\n{tail}")
    return time.perf_counter() - t0


def _submit(master: str, dist: Path, extra: list[str], args: list[str]) -> list[str]:
    from runtime.spark import splink_jar

    return [
        os.path.join(os.path.dirname(PYTHON), "spark-submit"),
        "--master",
        master,
        "--conf",
        "spark.sql.shuffle.partitions=2",
        "--conf",
        "spark.default.parallelism=2",
        "--conf",
        "spark.ui.enabled=false",
        "--jars",
        splink_jar(),
        "--py-files",
        str(dist / "tracklink-pyfiles.zip"),
        *extra,
        str(dist / "entry" / "resolve.py"),
        *args,
    ]


def _partition(path: Path):
    from deltalake import DeltaTable

    clusters = DeltaTable(str(path / "clusters")).to_pandas(columns=["record_id", "cluster_id"])
    groups = {frozenset(g.record_id) for _, g in clusters.groupby("cluster_id")}
    return clusters, groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", default="out/bench_cluster")
    parser.add_argument("--out", default="bench/results")
    parser.add_argument("--env-cache", default="", help="CACHE_DIR for scripts/pack_env.sh")
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    work = Path(args.work).resolve()
    shutil.rmtree(work, ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    logs = work / "logs"
    dist = work / "dist"
    seconds: dict[str, float] = {}
    seconds["package"] = _run(
        ["bash", "scripts/package.sh", str(dist)], logs / "package.log", cwd=ROOT
    )
    (wheel,) = dist.glob("tracklink-*.whl")
    env_tar = work / "env.tar.gz"
    pack_env = {"CACHE_DIR": args.env_cache} if args.env_cache else {}
    t0 = time.perf_counter()
    with (logs / "pack_env.log").open("w") as fh:
        subprocess.run(
            ["bash", "scripts/pack_env.sh", str(env_tar), str(wheel)],
            cwd=ROOT,
            env={**_env(), **pack_env, "PYTHON": PYTHON},
            stdout=fh,
            stderr=subprocess.STDOUT,
            check=True,
        )
    seconds["pack_env"] = time.perf_counter() - t0
    catalog = work / "catalog.parquet"
    seconds["generate"] = _run(
        [
            PYTHON,
            "-m",
            "jobs.generate_catalog",
            "--records",
            str(args.records),
            "--seed",
            str(args.seed),
            "--output",
            str(catalog),
            "--set",
            "spark.shuffle_partitions=2",
        ],
        logs / "generate.log",
        cwd=work,
    )
    overrides = [x for o in args.overrides for x in ("--set", o)]
    resolve_args = ["--input", str(catalog), "--truth", "true_entity_id", *overrides]

    state = work / "cluster"
    cluster_sh = str(ROOT / "scripts" / "cluster.sh")
    try:
        t0 = time.perf_counter()
        master = subprocess.run(
            ["bash", cluster_sh, "start", str(state)],
            env={**_env(), "PYTHON": PYTHON},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        seconds["cluster_start"] = time.perf_counter() - t0
        cluster_conf = [
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
            "spark.pyspark.python=./environment/bin/python",
            "--conf",
            f"spark.pyspark.driver.python={PYTHON}",
            "--archives",
            f"{env_tar}#environment",
        ]
        seconds["resolve_cluster"] = _run(
            _submit(
                master, dist, cluster_conf, [*resolve_args, "--output", str(work / "cluster-out")]
            ),
            logs / "resolve_cluster.log",
            cwd=work,
        )
    finally:
        subprocess.run(["bash", cluster_sh, "stop", str(state)], env=_env(), check=False)
    seconds["resolve_local"] = _run(
        _submit(
            "local[2]",
            dist,
            ["--driver-memory", "4g", "--conf", f"spark.pyspark.python={PYTHON}"],
            [*resolve_args, "--output", str(work / "local-out")],
        ),
        logs / "resolve_local.log",
        cwd=work,
    )

    on_cluster, cluster_groups = _partition(work / "cluster-out")
    local, local_groups = _partition(work / "local-out")
    same_ids = (
        on_cluster.sort_values("record_id")
        .reset_index(drop=True)
        .equals(local.sort_values("record_id").reset_index(drop=True))
    )
    rows = {
        "records resolved (cluster / local)": f"{len(on_cluster):,} / {len(local):,}",
        "clusters (cluster / local)": f"{len(cluster_groups):,} / {len(local_groups):,}",
        "same record -> cluster partition": str(cluster_groups == local_groups),
        "same cluster ids": str(same_ids),
        "records in clusters that differ": f"{sum(len(g) for g in cluster_groups ^ local_groups):,}",
        "packed environment (MB)": f"{env_tar.stat().st_size / 1e6:,.0f}",
        **{f"{k} s": f"{v:,.1f}" for k, v in seconds.items()},
    }
    command = " ".join(["python", "bench/cluster_vs_local.py", *sys.argv[1:]])
    lines = [
        f"# tracklink on a two-worker standalone cluster vs local mode ({datetime.date.today()})",
        "",
        f"`{command}`",
        "",
        f"A generated catalogue of {args.records:,} records (seed {args.seed}), resolved by "
        "spark-submit twice on the 2-core machine: on a standalone master with two "
        "1-core 1 GB workers (executors in their own JVMs, Python from the venv-pack'd "
        "`--archives`, tracklink from `--py-files`; driver 2 GB in .venv), and in "
        "`local[2]` (driver 4 GB). Shuffle partitions 2 in both.",
        "",
        "| measure | value |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in rows.items()],
        "",
    ]
    out = Path(args.out) / "cluster.md"
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
