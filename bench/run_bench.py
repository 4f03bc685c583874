#!/usr/bin/env python
"""Benchmark: tracklink against plain Splink on DuckDB, side by side, same records.

    python bench/run_bench.py [--sizes 100000 1000000] [--musicbrainz PATH]
                              [--out bench/results] [--no-baseline] [--seed 42] [--repeat 2]
                              [--baseline-rules loose scaled]

For every dataset (generated catalogues of the given sizes, and MusicBrainz 20K
when present) it runs, one after the other on the same machine:

* tracklink: `python -m jobs.resolve ... --truth COLUMN` (per-stage seconds and
  F1 from the `runs` table it writes), with Spark's event log on, so that its
  run report holds `profile.json`: each stage's time with Spark at work and
  with the driver alone (`runtime.profile`);
* the baseline: `../shared/bench/splink_duckdb_baseline.py`, run as it is,
  once per rule set of --baseline-rules (its `--rules`: `loose`, single-field
  blocking rules fit for ~20K records and quadratic beyond; `scaled`, two-field
  rules for large catalogues), each its own row.

Each tool runs --repeat times one after the other per dataset; the report
quotes the median wall time and per-stage seconds and lists every run's wall
time (a shared machine's noise shows as their spread). It records wall time,
peak memory of the whole process tree (JVM and Python workers included; the
highest of the runs), records per second, candidate pairs and pairwise F1,
then writes `results.md`, `results.json` and `results.png` under --out and
logs them to an MLflow run. Catalogue generation is not timed as part of
either tool. Not a test: figures drift on shared machines, so compare the
ratio within one run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script from any folder: the project's packages are beside bench/.
sys.path.insert(0, str(ROOT))

from runtime.profile import profile_table  # noqa: E402

BASELINE = ROOT.parent / "shared" / "bench" / "splink_duckdb_baseline.py"
MUSICBRAINZ = (
    ROOT.parent / "shared" / "datasets" / "musicbrainz_20k" / "musicbrainz-20-A01.csv.dapo"
)


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def _tree_rss_bytes(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
        stack += _children(p)
    return total


class DidNotFinish(RuntimeError):
    pass


def measured_run(
    cmd: list[str],
    cwd: Path,
    env: dict | None = None,
    timeout: float | None = None,
    disk_floor_gb: float | None = None,
) -> dict:
    """Run a command; wall seconds, peak RSS of its process tree, stdout.
    Raises DidNotFinish (with the figures so far) past `timeout`, on failure,
    or when the free space of `cwd`'s disk falls under `disk_floor_gb`: a
    tool that spills without limit would otherwise fill the disk and take
    everything else on the machine down with it."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    disk_full_at: float | None = None
    done = threading.Event()

    def poll() -> None:
        nonlocal peak, disk_full_at
        while not done.is_set():
            peak = max(peak, _tree_rss_bytes(proc.pid))
            if disk_floor_gb is not None and disk_full_at is None:
                if shutil.disk_usage(cwd).free < disk_floor_gb * 2**30:
                    disk_full_at = time.perf_counter() - t0
                    proc.kill()
            time.sleep(0.5)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        done.set()
        raise DidNotFinish(
            f"timeout after {timeout:.0f}s, peak RSS {peak / 2**30:.1f} GB", timeout
        ) from None
    finally:
        done.set()
        watcher.join()
    if disk_full_at is not None:
        raise DidNotFinish(
            f"stopped after {disk_full_at:.0f}s: free disk under {disk_floor_gb:g} GB "
            f"(its scratch files), peak RSS {peak / 2**30:.1f} GB",
            disk_full_at,
        )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise DidNotFinish(
            f"exit {proc.returncode} after {wall:.0f}s, peak RSS {peak / 2**30:.1f} GB: "
            f"{err.strip().splitlines()[-1] if err.strip() else ''}",
            wall,
        )
    return {"wall_s": wall, "peak_rss_gb": peak / 2**30, "stdout": out, "stderr": err}


# What the report keeps of each stage's profile (`runtime.profile.StageProfile`).
PROFILE_KEYS = (
    "stage",
    "wall_s",
    "spark_active_s",
    "driver_only_s",
    "driver_only_share",
    "task_s",
    "shuffle_s",
)


def newest_profile(output: Path) -> list[dict] | None:
    """Per stage, the profile of the output's newest run report
    (`_reports/run-*/profile.json`); None when the run wrote none."""
    found = sorted(output.glob("_reports/run-*/profile.json"), key=lambda p: p.stat().st_mtime)
    if not found:
        return None
    stages = json.loads(found[-1].read_text())["stages"]
    return [{k: s[k] for k in PROFILE_KEYS} for s in stages]


def run_tracklink(name: str, path: str, fmt: str, truth: str, work: Path, py: str) -> dict:
    out = work / f"tracklink_{name}"
    events = work / f"events_{name}"
    # A fresh output: the figures below are read from this run's `runs` row.
    # The event log of a run is as large as its plans (GBs on big inputs):
    # only the last run's is kept.
    subprocess.run(["rm", "-rf", str(out), str(events)], check=True)
    cmd = [
        py,
        "-m",
        "jobs.resolve",
        "--input",
        path,
        "--input-format",
        fmt,
        "--output",
        str(out),
        "--truth",
        truth,
        "--set",
        f"spark.event_log_dir={events}",
    ]
    r = measured_run(cmd, ROOT)
    from deltalake import DeltaTable

    run = DeltaTable(str(out / "runs")).to_pandas().iloc[-1]
    scores = json.loads(run["scores"])
    return {
        "tool": "tracklink",
        "dataset": name,
        "records": int(run["rows_in"]),
        "wall_s": r["wall_s"],
        "peak_rss_gb": r["peak_rss_gb"],
        "stages_s": json.loads(run["seconds"]),
        "candidate_pairs": int(run["candidate_pairs"]),
        "precision": scores["pairwise_precision"],
        "recall": scores["pairwise_recall"],
        "f1": scores["pairwise_f1"],
        "profile": newest_profile(out),
    }


def repeated(times: int, run: Callable[..., dict], *args) -> dict:
    """One tool's row from `times` runs of `run(*args)` one after the other
    (`combine_runs`). A run that does not finish ends the repeats: the next
    would only take as long again to stop."""
    runs = []
    for _ in range(times):
        runs.append(run(*args))
        if runs[-1]["wall_s"] is None:
            break
    return combine_runs(runs)


def combine_runs(runs: list[dict]) -> dict:
    """The row of the median run (by wall time; the lower of an even count),
    so that its F1, pairs and profile are one real run's, with the median
    wall time and per-stage seconds over the finished runs, every run's wall
    time in `walls_s` and the highest peak memory."""
    finished = [r for r in runs if r["wall_s"] is not None]
    if not finished:
        return {**runs[-1], "walls_s": []}
    walls = [r["wall_s"] for r in finished]
    row = dict(finished[walls.index(statistics.median_low(walls))])
    row["wall_s"] = statistics.median(walls)
    row["walls_s"] = walls
    row["peak_rss_gb"] = max(r["peak_rss_gb"] for r in finished)
    row["stages_s"] = {
        k: statistics.median(r["stages_s"][k] for r in finished if k in r["stages_s"])
        for k in finished[0]["stages_s"]
    }
    if len(finished) < len(runs):
        row["note"] = f"{len(runs) - len(finished)} of {len(runs)} runs: {runs[-1]['note']}"
    return row


BASELINE_RULES = ("loose", "scaled")


def baseline_rules(row: dict) -> str:
    """The baseline's rule set of a row; rows from before --baseline-rules ran
    it without `--rules`, that is with its default, loose."""
    return row.get("rules") or "loose"


def tool_label(row: dict) -> str:
    """The row's tool as the report names it: the baseline with its rules."""
    if row["tool"] == "splink-duckdb":
        return f"splink-duckdb --rules {baseline_rules(row)}"
    return row["tool"]


def metric_key(row: dict) -> str:
    """The MLflow metric prefix of a row, one per tool and baseline rule set."""
    if row["tool"] == "splink-duckdb":
        return f"{row['dataset']}.splink-duckdb-{baseline_rules(row)}"
    return f"{row['dataset']}.{row['tool']}"


def baseline_command(
    path: str, fmt: str, truth: str | None, py: str, rules: str = "loose"
) -> list[str]:
    """The baseline's command line for one dataset and rule set."""
    if rules not in BASELINE_RULES:
        raise ValueError(f"baseline rules {rules!r}: not one of {BASELINE_RULES}")
    cmd = [
        py,
        str(BASELINE),
        "--input",
        str(Path(path).resolve()),
        "--format",
        fmt,
        "--threads",
        "2",
        "--no-sweep",
        "--rules",
        rules,
    ]
    if truth:
        cmd += ["--truth-col", truth]
    return cmd


def run_baseline(
    name: str,
    path: str,
    fmt: str,
    truth: str | None,
    py: str,
    timeout: float,
    disk_floor_gb: float | None = None,
    rules: str = "loose",
) -> dict:
    cmd = baseline_command(path, fmt, truth, py, rules)
    # DuckDB spills into `.tmp` under its working directory, and a run stopped
    # at the timeout leaves it there: tens of GB at 1M records (bench/results/scale.md).
    try:
        with tempfile.TemporaryDirectory(prefix="splink-duckdb-") as scratch:
            r = measured_run(cmd, Path(scratch), timeout=timeout, disk_floor_gb=disk_floor_gb)
    except DidNotFinish as exc:
        stopped = exc.args[1] if len(exc.args) > 1 else None
        return {
            "tool": "splink-duckdb",
            "rules": rules,
            "dataset": name,
            "records": None,
            "wall_s": None,
            "peak_rss_gb": None,
            "stages_s": {},
            "candidate_pairs": None,
            "precision": None,
            "recall": None,
            "f1": None,
            "note": f"did not finish: {exc.args[0]}",
            "stopped_s": stopped,
        }
    res = json.loads(r["stdout"].strip().splitlines()[-1])
    at = res.get("at_threshold", {})
    return {
        "tool": "splink-duckdb",
        "rules": rules,
        "dataset": name,
        "records": res["records"],
        "wall_s": r["wall_s"],
        "peak_rss_gb": r["peak_rss_gb"],
        "stages_s": {
            k: v for k, v in res["wall_s"].items() if k not in ("pipeline_total", "process_total")
        },
        "candidate_pairs": res.get("candidate_pairs"),
        "precision": at.get("precision"),
        "recall": at.get("recall"),
        "f1": at.get("f1"),
    }


def write_report(rows: list[dict], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(rows, indent=1))
    lines = [
        "| dataset | tool | records | wall s | records/s | peak RSS GB | candidate pairs | P | R | F1 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        f = lambda v, d=4: "-" if v is None else f"{v:.{d}f}"  # noqa: E731
        if r["wall_s"] is None:
            lines.append(
                f"| {r['dataset']} | {tool_label(r)} | - | {r['note']} | - | - | - | - | - | - |"
            )
            continue
        lines.append(
            f"| {r['dataset']} | {tool_label(r)} | {r['records']:,} | {r['wall_s']:.1f} | "
            f"{r['records'] / r['wall_s']:,.0f} | {r['peak_rss_gb']:.2f} | "
            f"{r['candidate_pairs'] or 0:,} | {f(r['precision'])} | {f(r['recall'])} | {f(r['f1'])} |"
        )
    lines.append("")
    walls = [r for r in rows if len(r.get("walls_s") or []) > 1]
    if walls:
        lines.append(
            "Wall seconds of each run (the table quotes their median): "
            + "; ".join(
                f"{r['dataset']} {tool_label(r)}: " + ", ".join(f"{w:.1f}" for w in r["walls_s"])
                for r in walls
            )
        )
        lines.append("")
    for r in rows:
        if r["wall_s"] is not None and r.get("note"):
            lines += [f"{r['dataset']} {tool_label(r)}: {r['note']}", ""]
    lines.append(
        (
            "Per-stage seconds (tracklink, median of the runs): "
            if walls
            else "Per-stage seconds (tracklink): "
        )
        + "; ".join(
            f"{r['dataset']}: " + ", ".join(f"{k} {v:.1f}" for k, v in r["stages_s"].items())
            for r in rows
            if r["tool"] == "tracklink"
        )
    )
    # One ratio line per baseline rule set per dataset.
    ours = {r["dataset"]: r for r in rows if r["tool"] == "tracklink"}
    for ds in sorted({r["dataset"] for r in rows}):
        a = ours.get(ds)
        if not a or a["wall_s"] is None:
            continue
        for b in (r for r in rows if r["dataset"] == ds and r["tool"] == "splink-duckdb"):
            if b["wall_s"]:
                lines.append(
                    f"\n{ds}: tracklink / {tool_label(b)} wall time = "
                    f"{a['wall_s'] / b['wall_s']:.2f}; F1 {a['f1']:.4f} vs {b['f1'] or 0:.4f}"
                )
            elif b.get("stopped_s"):
                lines.append(
                    f"\n{ds}: {tool_label(b)} was stopped after {b['stopped_s']:.0f}s without "
                    f"a result; tracklink finished in {a['wall_s']:.1f}s with F1 {a['f1']:.4f}"
                )
    lines += profile_section(rows)
    (out / "results.md").write_text("\n".join(lines) + "\n")
    plot(rows, out / "results.png")


def profile_section(rows: list[dict]) -> list[str]:
    """One table per dataset: where tracklink's time went, stage by stage
    (`runtime.profile`), from the median run; nothing for rows without a
    profile (results.json files from before profiles, a run without one)."""
    profiled = [r for r in rows if r["tool"] == "tracklink" and r.get("profile")]
    if not profiled:
        return []
    lines = [
        "",
        "## Profile",
        "",
        "Per stage of tracklink's median run: time with at least one Spark stage "
        "running (Spark-active) and with none (driver-only: plan analysis and "
        "optimisation, Python on the driver, collects); task s is the executors' "
        "summed task run time, shuffle s their fetch wait and shuffle write time.",
    ]
    for r in profiled:
        lines += ["", f"### {r['dataset']}", ""]
        lines += profile_table(r["profile"], PROFILE_KEYS).splitlines()
    return lines


def plot(rows: list[dict], path: Path) -> None:
    """Time and F1 against catalogue size for the generated catalogues (one
    line per tool), MusicBrainz as single points beside them, and a run
    stopped without a result as a hollow marker at the time it was stopped."""

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    sizes = {r["dataset"]: r["records"] for r in rows if r["records"]}
    # One series per tool and baseline rule set.
    series = [("tracklink", "o", "C0", lambda r: r["tool"] == "tracklink")]
    for rules, marker, color in (("loose", "s", "C1"), ("scaled", "^", "C2")):
        series.append(
            (
                f"splink-duckdb --rules {rules}",
                marker,
                color,
                lambda r, rules=rules: r["tool"] == "splink-duckdb" and baseline_rules(r) == rules,
            )
        )
    for tool, marker, color, picks in series:
        mine = [r for r in rows if picks(r)]
        done = sorted(
            (r["records"], r["wall_s"], r["f1"] or 0)
            for r in mine
            if r["wall_s"] and r["dataset"].startswith("generated_")
        )
        if done:
            xs = [p[0] for p in done]
            ax1.plot(
                xs, [p[1] for p in done], marker=marker, color=color, label=f"{tool}, generated"
            )
            ax2.plot(
                xs, [p[2] for p in done], marker=marker, color=color, label=f"{tool}, generated"
            )
        for r in mine:
            if r["dataset"].startswith("musicbrainz") and r["wall_s"]:
                for ax, y in ((ax1, r["wall_s"]), (ax2, r["f1"] or 0)):
                    ax.scatter([r["records"]], [y], marker="*", s=120, color=color)
                    ax.annotate(
                        "MusicBrainz",
                        (r["records"], y),
                        fontsize=7,
                        xytext=(4, 4),
                        textcoords="offset points",
                    )
        stopped = [
            (sizes.get(r["dataset"]) or int(r["dataset"].rsplit("_", 1)[-1]), r["stopped_s"])
            for r in mine
            if r["wall_s"] is None and r.get("stopped_s")
        ]
        if stopped:
            ax1.scatter(
                [p[0] for p in stopped],
                [p[1] for p in stopped],
                marker=marker,
                facecolors="none",
                edgecolors=color,
                s=70,
                label=f"{tool}: stopped, no result",
            )
    ax1.set(xscale="log", yscale="log", xlabel="records", ylabel="wall seconds", title="time")
    ax2.set(xscale="log", xlabel="records", ylabel="pairwise F1", title="quality")
    ax1.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument(
        "--musicbrainz", default=str(MUSICBRAINZ), help="its dapo file; '' to leave it out"
    )
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    ap.add_argument("--work", default=str(ROOT / "out" / "bench"))
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="runs of each tool per dataset, one after the other; the report quotes medians",
    )
    ap.add_argument(
        "--baseline-rules",
        nargs="+",
        choices=BASELINE_RULES,
        default=["loose"],
        help="the baseline's --rules, each run (--repeat times) as its own row per dataset: "
        "loose (single-field rules, fit for ~20K records, quadratic beyond), "
        "scaled (two-field rules for large catalogues)",
    )
    ap.add_argument(
        "--baseline-timeout",
        type=float,
        default=1800,
        help="seconds before the baseline is stopped and reported as not finished",
    )
    ap.add_argument(
        "--baseline-disk-floor",
        type=float,
        default=10.0,
        help="GB of free disk under which the baseline is stopped (DuckDB spills to disk)",
    )
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="redraw results.md and results.png from --out's results.json; run nothing",
    )
    return ap


def main(argv: list[str] | None = None) -> None:
    ap = parser()
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.report_only:
        rows = json.loads((Path(args.out) / "results.json").read_text())
        for r in rows:  # results.json files written before `stopped_s` existed
            if (
                r["wall_s"] is None
                and "stopped_s" not in r
                and "timeout after" in r.get("note", "")
            ):
                r["stopped_s"] = float(r["note"].split("timeout after ")[1].split("s")[0])
            if r["tool"] == "splink-duckdb":  # written before --baseline-rules: loose
                r["rules"] = baseline_rules(r)
        write_report(rows, Path(args.out))
        print((Path(args.out) / "results.md").read_text())
        return
    # A clone outside the project folder has no ../shared: say so rather than
    # print a table that quietly lacks the baseline or MusicBrainz.
    missing = []
    if args.musicbrainz and not Path(args.musicbrainz).exists():
        missing.append(f"MusicBrainz 20K at {args.musicbrainz} (--musicbrainz '' leaves it out)")
    if not args.no_baseline and not BASELINE.exists():
        missing.append(f"the baseline at {BASELINE} (--no-baseline leaves it out)")
    if missing:
        ap.error("not found: " + "; ".join(missing))
    py = sys.executable
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []

    datasets = []
    if args.musicbrainz:
        datasets.append(
            ("musicbrainz_20k", args.musicbrainz, "musicbrainz-dapo", "CID", "dapo", None)
        )
    for n in args.sizes:
        csv = work / f"catalog_{n}.csv"
        if not csv.exists():
            print(f"generating {n:,} records ...", file=sys.stderr)
            subprocess.run(
                [
                    py,
                    "-m",
                    "jobs.generate_catalog",
                    "--records",
                    str(n),
                    "--seed",
                    str(args.seed),
                    "--output",
                    str(work / f"catalog_{n}_csv"),
                    "--format",
                    "csv",
                ],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            # One CSV file: the baseline reads a single file with pandas.
            parts = sorted((work / f"catalog_{n}_csv").glob("part-*.csv"))
            with csv.open("w") as fh:
                for i, part in enumerate(parts):
                    text = part.read_text()
                    fh.write(text if i == 0 else text.split("\n", 1)[1])
            # The baseline needs unique record ids (pandas reindexing fails on the
            # generator's repeated-id bad rows); tracklink would quarantine the
            # repeats. Both tools get the same file: repeats dropped, first kept.
            import pandas as pd

            frame = pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
            frame.drop_duplicates("record_id", keep="first").to_csv(csv, index=False)
        datasets.append(
            (f"generated_{n}", str(csv), "catalog", "true_entity_id", "catalog", "true_entity_id")
        )

    for name, path, fmt, truth, base_fmt, base_truth in datasets:
        print(f"{name}: tracklink x {args.repeat} ...", file=sys.stderr)
        rows.append(repeated(args.repeat, run_tracklink, name, path, fmt, truth, work, py))
        print(f"  {_walls(rows[-1])} F1 {rows[-1]['f1']:.4f}", file=sys.stderr)
        for rules in [] if args.no_baseline else list(dict.fromkeys(args.baseline_rules)):
            print(
                f"{name}: splink-duckdb baseline --rules {rules} x {args.repeat} ...",
                file=sys.stderr,
            )
            rows.append(
                repeated(
                    args.repeat,
                    run_baseline,
                    name,
                    path,
                    base_fmt,
                    base_truth,
                    py,
                    args.baseline_timeout,
                    args.baseline_disk_floor,
                    rules,
                )
            )
            print(
                f"  {rows[-1].get('note') or _walls(rows[-1])} F1 {rows[-1]['f1']}", file=sys.stderr
            )
        write_report(rows, Path(args.out))

    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{work / 'mlflow.db'}")
    mlflow.set_experiment("tracklink-bench")
    with mlflow.start_run(run_name="bench"):
        for r in rows:
            key = metric_key(r)
            mlflow.log_metrics(
                {f"{key}.{m}": r[m] for m in ("wall_s", "f1", "peak_rss_gb") if r[m] is not None}
            )
            if r.get("profile"):
                mlflow.log_metric(
                    f"{key}.driver_only_s", sum(p["driver_only_s"] for p in r["profile"])
                )
        for name in ("results.md", "results.json", "results.png"):
            mlflow.log_artifact(str(Path(args.out) / name))
    print((Path(args.out) / "results.md").read_text())


def _walls(row: dict) -> str:
    """`12.3s (12.1, 12.5)`: the median and each run's wall seconds."""
    each = ", ".join(f"{w:.1f}" for w in row.get("walls_s") or [])
    return f"{row['wall_s']:.1f}s ({each})"


if __name__ == "__main__":
    main()
