"""Incremental vs full: does adding records incrementally give what a full run gives?

    python bench/incremental.py --input PATH [--input-format musicbrainz-dapo] \
        [--truth CID] [--fraction 0.1] [--seed 0] [--work /tmp/tl_incr] [--set k=v ...]

Splits the input at random into a base (1 - fraction) and an increment
(fraction), then runs, each as its own `python -m jobs.resolve` process:

1. full on everything               -> work/full
2. full on the base                 -> work/incr
3. incremental with the increment   -> work/incr

and prints, from the Delta tables:

* agreement: pairwise precision/recall/F1 of the incremental clustering taking
  the full run's clustering as the truth;
* works: the same agreement for the records' works (each record in its
  cluster's primary `works` row, joined to `clusters`), and the share of
  video records whose video link points at the same audio records in both runs;
* stable ids: of the base run's clusters that gained no member, the share whose
  every member kept its cluster id (the target is all of them);
* wall time of the incremental run against the full run on everything (ratio);
* with --truth: both results' F1 against the ground truth.

A measurement script, not a test: it prints figures and writes them to
`--report` (Markdown) when given.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from deltalake import DeltaTable

ROOT = Path(__file__).resolve().parent.parent


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def split_input(path: str, fmt: str, fraction: float, seed: int, work: Path) -> tuple[str, str]:
    """Random base/increment split that keeps the input's format."""
    if fmt == "musicbrainz-dapo" or path.endswith((".csv", ".dapo")):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        writer, ext = (lambda d, p: d.to_csv(p, index=False)), ".csv"
    else:
        df = pd.read_parquet(path)
        writer, ext = (lambda d, p: d.to_parquet(p, index=False)), ".parquet"
    rng = np.random.default_rng(seed)
    in_increment = rng.random(len(df)) < fraction
    base, incr = str(work / f"base{ext}"), str(work / f"increment{ext}")
    writer(df[~in_increment], base)
    writer(df[in_increment], incr)
    print(
        f"split {len(df):,} rows: base {int((~in_increment).sum()):,}, increment {int(in_increment.sum()):,}"
    )
    return base, incr


def run(args: list[str]) -> float:
    cmd = [sys.executable, "-m", "jobs.resolve", *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        raise SystemExit(f"failed: {' '.join(cmd)}")
    summary = proc.stdout[proc.stdout.find("tracklink resolve") :]
    print(summary.strip().splitlines()[0], f"- {wall:.1f} s wall")
    return wall


def clusters(out: Path, version: int | None = None) -> pd.DataFrame:
    return DeltaTable(str(out / "clusters"), version=version).to_pandas(
        columns=["record_id", "cluster_id"]
    )


def agreement(pred: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    both = pred.merge(truth, on="record_id", suffixes=("_p", "_t"))
    tp = _pairs(both.groupby(["cluster_id_p", "cluster_id_t"]).size())
    n_pred = _pairs(both.groupby("cluster_id_p").size())
    n_true = _pairs(both.groupby("cluster_id_t").size())
    p = tp / n_pred if n_pred else 1.0
    r = tp / n_true if n_true else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def record_works(out: Path) -> pd.DataFrame:
    """`record_id`, `cluster_id` = the record's primary work, for records in a
    work (videos have none).

    A medley's cluster has one `works` row per song it holds; only the first
    is primary. Joining every row would count the medley's records once per
    song and pair them with each song's records. As in
    `evaluation.works_quality.works_of_records` (the same rule on Spark): a
    null `primary`, or a table written before the column existed, counts as
    primary, and a cluster with two primary rows takes the smallest work_id."""
    table = DeltaTable(str(out / "works"))
    has_primary = "primary" in {f.name for f in table.schema().fields}
    works = table.to_pandas(
        columns=["cluster_id", "work_id", *(["primary"] if has_primary else [])]
    )
    if has_primary:
        works = works[works["primary"].fillna(True).astype(bool)]
    one = works.groupby("cluster_id", as_index=False).work_id.min()
    return (
        clusters(out)
        .merge(one, on="cluster_id")[["record_id", "work_id"]]
        .rename(columns={"work_id": "cluster_id"})
    )


def video_targets(out: Path) -> pd.Series:
    """Each linked video record -> the smallest record id of the audio cluster
    its cluster links to (a run-independent name for that cluster)."""
    members = clusters(out)
    smallest = members.groupby("cluster_id").record_id.min()
    links = DeltaTable(str(out / "video_links")).to_pandas(
        columns=["video_cluster_id", "cluster_id"]
    )
    links["target"] = links.cluster_id.map(smallest)
    videos = members.merge(links, left_on="cluster_id", right_on="video_cluster_id")
    return videos.groupby("record_id").target.min()


def ids_kept(before: pd.DataFrame, after: pd.DataFrame) -> tuple[int, int]:
    """Of the clusters in `before` that gained no member, how many kept their id
    on every member: (kept, eligible)."""
    joined = before.merge(after, on="record_id", suffixes=("_b", "_a"))
    members_after = after.groupby("cluster_id").size()
    size_before = before.groupby("cluster_id").size()
    kept = eligible = 0
    for cid, group in joined.groupby("cluster_id_b"):
        targets = set(group.cluster_id_a)
        gained = len(targets) == 1 and members_after.get(next(iter(targets)), 0) > size_before[cid]
        if gained:
            continue
        eligible += 1
        kept += targets == {cid}
    return kept, eligible


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--input", required=True)
    ap.add_argument("--input-format", default="catalog")
    ap.add_argument("--truth", default=None)
    ap.add_argument("--fraction", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", default="/tmp/tl_incremental")
    ap.add_argument("--report", default=None, help="append the figures to this Markdown file")
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    a = ap.parse_args()

    work = Path(a.work)
    subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    base, incr = split_input(a.input, a.input_format, a.fraction, a.seed, work)
    common = ["--input-format", a.input_format, *sum((["--set", s] for s in a.overrides), [])]
    truth = ["--truth", a.truth] if a.truth else []

    t_full = run(["--input", a.input, "--output", str(work / "full"), *common, *truth])
    t_base = run(["--input", base, "--output", str(work / "incr"), *common])
    t_incr = run(
        ["--mode", "incremental", "--input", incr, "--output", str(work / "incr"), *common, *truth]
    )

    full, before, after = (
        clusters(work / "full"),
        clusters(work / "incr", 0),
        clusters(work / "incr"),
    )
    agree = agreement(after, full)
    works = agreement(record_works(work / "incr"), record_works(work / "full"))
    v_incr, v_full = video_targets(work / "incr"), video_targets(work / "full")
    same_video = (v_incr.reindex(v_full.index) == v_full).mean() if len(v_full) else 1.0
    kept, eligible = ids_kept(before, after)
    lines = [
        f"### incremental vs full: {Path(a.input).name}, increment {a.fraction:.0%} (split seed {a.seed})",
        "",
        f"- agreement with the full run: pairwise P {agree['precision']:.4f} R {agree['recall']:.4f} **F1 {agree['f1']:.4f}**",
        f"- works agreement with the full run: pairwise P {works['precision']:.4f} R {works['recall']:.4f} **F1 {works['f1']:.4f}**; "
        f"video records linked to the same audio records: {same_video:.2%} of {len(v_full):,}",
        f"- base clusters that gained no member and kept their id: {kept:,} of {eligible:,} ({kept / max(eligible, 1):.2%})",
        f"- wall time: full on everything {t_full:.1f} s, full on base {t_base:.1f} s, incremental {t_incr:.1f} s; incremental / full = {t_incr / t_full:.2f}",
    ]
    if a.truth:

        def f1(out: Path, mode: str) -> str:
            runs = DeltaTable(str(out / "runs")).to_pandas()
            scores = json.loads(
                runs[runs["mode"] == mode].sort_values("started_at").scores.iloc[-1]
            )
            return f"P {scores['pairwise_precision']:.4f} R {scores['pairwise_recall']:.4f} F1 {scores['pairwise_f1']:.4f}"

        lines.append(
            f"- against {a.truth}: full run {f1(work / 'full', 'full')}; incremental {f1(work / 'incr', 'incremental')}"
        )
    lines.append(f"- command: `python bench/incremental.py {' '.join(sys.argv[1:])}`")
    text = "\n".join(lines)
    print(text)
    if a.report:
        with open(a.report, "a") as fh:
            fh.write(text + "\n\n")


if __name__ == "__main__":
    main()
