"""The kill matrix: a resolve run killed (SIGKILL to its process group) at every
stage boundary and inside the commit step, full and incremental; after each
kill, what readers see; after the chain, a rerun against a run that was
never interrupted. Writes the table the README's reliability section quotes.

    python bench/faults.py --records 400 --report bench/results/faults.md

Each mode is one chain on one output: kill at point 1, then run again and
kill at point 2 (that run first rolls back what point 1 left), ..., then one
uninterrupted run, compared with a reference output that was never killed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import kill_matrix as km  # noqa: E402

SETTINGS = ["--set", "spark.shuffle_partitions=2"]


def _argv(source: str, out: str, mode: str) -> list[str]:
    return ["--mode", mode, "--input", source, "--output", out, *SETTINGS]


def _inputs(records: int, seed: int, folder: Path) -> dict[str, str]:
    from catalog.generator import generate_catalog
    from conf.config import load_config
    from runtime.spark import build_local_session

    spark = build_local_session(load_config(None, []).spark)
    everything = generate_catalog(spark, records, seed=seed).toPandas()
    spark.stop()
    increment = everything.sample(frac=0.15, random_state=4)
    paths = {}
    for name, df in (
        ("all", everything),
        ("base", everything.drop(increment.index)),
        ("increment", increment),
    ):
        paths[name] = str(folder / f"{name}.parquet")
        df.to_parquet(paths[name], index=False)
    return paths


def chain(mode: str, inputs: dict[str, str], work: Path) -> list[dict]:
    out, reference = str(work / f"{mode}-out"), str(work / f"{mode}-reference")
    source = inputs["all"] if mode == "full" else inputs["increment"]
    assert km.run(_argv(inputs["base"], out, "full")) == 0
    shutil.copytree(out, reference)
    assert km.run(_argv(source, reference, mode)) == 0
    before = km.reader_view(out)
    rows = []
    for point in km.points(mode):
        t0 = time.perf_counter()
        code = km.run(_argv(source, out, mode), point)
        partial = km.unfinished_versions(out)
        rows.append(
            {
                "mode": mode,
                "point": point,
                "killed": code == -9,
                "readers_saw_previous_run": km.reader_view(out) == before,
                "partial_versions_left": sum(len(v) for v in partial.values()),
                "seconds": round(time.perf_counter() - t0, 1),
            }
        )
        print(rows[-1], flush=True)
    assert km.run(_argv(source, out, mode)) == 0
    rows.append(
        {
            "mode": mode,
            "point": "rerun, uninterrupted",
            "killed": False,
            "readers_saw_previous_run": None,
            "partial_versions_left": sum(len(v) for v in km.unfinished_versions(out).values()),
            "same_clusters_as_never_killed": km.membership(out) == km.membership(reference),
            "same_works_as_never_killed": km.works(out) == km.works(reference),
            "staged_folders_left": len(km.staged_by_unfinished_runs(out)),
            "mlflow_runs_left_running": len(km.running_mlflow_runs(out)),
        }
    )
    print(rows[-1], flush=True)
    return rows


def report(rows: list[dict], command: str) -> str:
    kills = [r for r in rows if r["point"] != "rerun, uninterrupted"]
    reruns = [r for r in rows if r["point"] == "rerun, uninterrupted"]
    lines = [
        "# Kill matrix",
        "",
        f"`{command}`",
        "",
        "| mode | killed at | killed | readers saw the previous run whole | partial versions left (undone by the next run) |",
        "|---|---|---|---|---|",
    ]
    for r in kills:
        lines.append(
            f"| {r['mode']} | {r['point']} | {r['killed']} | {r['readers_saw_previous_run']} "
            f"| {r['partial_versions_left']} |"
        )
    lines += [
        "",
        "| mode | after the chain: rerun | same clusters as never killed | same works | partial versions | staged folders | MLflow runs left RUNNING |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in reruns:
        lines.append(
            f"| {r['mode']} | ok | {r['same_clusters_as_never_killed']} | "
            f"{r['same_works_as_never_killed']} | {r['partial_versions_left']} | "
            f"{r['staged_folders_left']} | {r['mlflow_runs_left_running']} |"
        )
    inconsistent = sum(1 for r in kills if not (r["killed"] and r["readers_saw_previous_run"]))
    inconsistent += sum(
        1
        for r in reruns
        if not (r["same_clusters_as_never_killed"] and r["same_works_as_never_killed"])
        or r["partial_versions_left"]
    )
    lines += ["", f"Kills: {len(kills)}; inconsistent states seen: {inconsistent}.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--seed", type=int, default=31)
    parser.add_argument("--modes", default="full,incremental")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--report", default=None)
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="tracklink-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    inputs = _inputs(args.records, args.seed, work)
    rows = []
    for mode in args.modes.split(","):
        rows += chain(mode, inputs, work)
    text = report(rows, "python " + " ".join(sys.argv))
    print(text)
    if args.report:
        Path(args.report).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
