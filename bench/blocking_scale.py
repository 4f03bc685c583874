#!/usr/bin/env python
"""Benchmark: blocking alone on generated catalogues of growing size.

    python bench/blocking_scale.py [--sizes 100000 1000000] [--seed 2025]
                                   [--work out/bench_blocking] [--out bench/results]
                                   [--set key=value ...]

For each size it generates the catalogue once (kept under --work, not timed),
then in a fresh process per size: reads and normalises it (timed apart),
builds the candidate pairs with the configured blockers, and measures pair
completeness against `true_entity_id`. It prints and writes
`blocking_scale.md`: records, candidate pairs, pairs per record, pair
completeness, blocking seconds, candidate pairs per second, and the ratio of
each size's blocking time to the smallest size's. Not a test: times drift on
shared machines, so compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(path: str, overrides: list[str]) -> dict:
    """One size, in this process: normalise, block, score the blocking."""
    sys.path.insert(0, str(ROOT))
    from pyspark.sql import functions as F

    from blocking import candidate_pairs
    from catalog import normalise, read_input, split_valid
    from conf.config import load_config
    from evaluation.blocking_quality import blocking_quality
    from runtime.spark import get_spark

    cfg = load_config(None, overrides)
    spark = get_spark(cfg.spark)
    t0 = time.perf_counter()
    valid, _ = split_valid(read_input(spark, path), cfg.validation)
    records = normalise(valid, cfg.normalise).cache()
    n = records.count()
    normalise_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pairs, skew = candidate_pairs(records, cfg.blocking)
    pairs = pairs.cache()
    n_pairs = pairs.count()
    blocking_s = time.perf_counter() - t0
    truth = records.select("record_id", F.col("true_entity_id").alias("truth_id"))
    union = blocking_quality(truth, pairs)[0]
    return {
        "records": n,
        "normalise_s": round(normalise_s, 1),
        "blocking_s": round(blocking_s, 1),
        "pairs": n_pairs,
        "pairs_per_record": round(2 * n_pairs / n, 2),
        "pair_completeness": round(union.pair_completeness, 4),
        "skew_dropped_keys": skew.dropped_keys,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--work", default=str(ROOT / "out" / "bench_blocking"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one catalogue
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.overrides)))
        return 0

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.sizes:
        path = work / f"gen{size}_s{args.seed}.parquet"
        if not path.exists():
            subprocess.run(
                [sys.executable, "-m", "jobs.generate_catalog", "--records", str(size),
                 "--seed", str(args.seed), "--output", str(path)],
                cwd=ROOT, check=True,
            )  # fmt: skip
        cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(path)]
        for o in args.overrides:
            cmd += ["--set", o]
        out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["pairs_per_s"] = round(row["pairs"] / max(row["blocking_s"], 1e-9))
        rows.append(row)
        print(json.dumps(row), flush=True)

    base = rows[0]
    lines = [
        f"`python bench/blocking_scale.py --sizes {' '.join(map(str, args.sizes))} "
        f"--seed {args.seed}` {' '.join('--set ' + o for o in args.overrides)}",
        "",
        "| records | normalise s | blocking s | candidate pairs | pairs/record | pair completeness "
        "| pairs/s | blocking time / smallest |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['records']:,} | {r['normalise_s']} | {r['blocking_s']} | {r['pairs']:,} "
            f"| {r['pairs_per_record']} | {r['pair_completeness']} | {r['pairs_per_s']:,} "
            f"| {r['blocking_s'] / base['blocking_s']:.1f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "blocking_scale.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
