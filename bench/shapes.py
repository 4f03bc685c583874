"""Any catalogue, measured: one generated catalogue cut to the shapes users
hold (`catalog.reshape`: their own column names, some roles missing, a
recording vector), each resolved through `--map` on the command line as a
user would, side by side in one run.

    python bench/shapes.py [--records 100000] [--seed 2025] [--work DIR]
        [--shapes title,title_artist,...] [--report bench/results/any-catalogue.md]
        [--set key=value ...]

Prints, per shape, pairwise P/R/F1 against the generator's truth, wall time,
the roles and blockers used and whether the pair model rescored. For the
vector shape it also measures the vector blocker against what a vector alone
can prove: of the true pairs (one recording) whose two vectors have cosine
at or above `blocking.vectors.similarity_floor`, the share that the vector
blocker proposed. Seed 2025 is one of the generator's reserved evaluation
seeds: no model was trained on it (some earlier normalisation rules were
read off its errors, README "Quality"); the choices of issue 32 were made on
a 2k development catalogue, seed 1234 (docs/results/any-catalogue.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from deltalake import DeltaTable  # noqa: E402

from catalog.reshape import SHAPES, mapping  # noqa: E402
from conf.config import load_config  # noqa: E402


def prepare(work: Path, records: int, seed: int, shapes: list[str]) -> dict[str, Path]:
    """The generated catalogue (with its recording vector) and one Parquet per shape."""
    from catalog.generated_vectors import with_recording_vectors
    from catalog.generator import generate_catalog
    from catalog.reshape import reshape
    from runtime.spark import get_spark

    paths = {s: work / f"shape_{s}.parquet" for s in shapes}
    if all(p.exists() for p in paths.values()):
        return paths
    spark = get_spark(load_config().spark)
    base = work / f"generated_{records}_{seed}.parquet"
    if not base.exists():
        with_recording_vectors(generate_catalog(spark, records, seed), 32, seed).write.parquet(
            str(base)
        )
    catalog = spark.read.parquet(str(base))
    for shape, path in paths.items():
        if not path.exists():
            reshape(catalog, shape).write.parquet(str(path))
    spark.stop()
    return paths


def run_shape(shape: str, source: Path, work: Path, overrides: list[str]) -> dict:
    out = work / f"out_{shape}"
    if out.exists():
        subprocess.run(["rm", "-rf", str(out)], check=True)
    cmd = [sys.executable, "-m", "jobs", "resolve", "--input", str(source), "--output", str(out)]
    cmd += ["--truth", "true_entity_id", "--set", "tracking.enabled=false"]
    cmd += [a for m in mapping(shape) for a in ("--map", m)]
    cmd += [a for o in overrides for a in ("--set", o)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        return {"shape": shape, "error": done.stderr.strip().splitlines()[-1:], "wall_s": wall}
    run = DeltaTable(str(out / "runs")).to_pandas().iloc[-1]
    return {
        "shape": shape,
        "wall_s": wall,
        "scores": json.loads(run.scores),
        "inputs": json.loads(run.model_inputs),
        "out": out,
    }


def vector_recall(source: Path, out: Path, floor: float) -> dict:
    """Of the true pairs whose vectors reach `floor`, the share the vector blocker proposed."""
    cat = pd.read_parquet(source, columns=["track_id", "true_entity_id", "audio_embedding"])
    cat = cat[cat.audio_embedding.notna()]
    provable = []
    for _, group in cat.groupby("true_entity_id"):
        if len(group) < 2:
            continue
        ids = group.track_id.to_numpy()
        v = np.stack(group.audio_embedding.to_numpy())
        v = v / np.linalg.norm(v, axis=1, keepdims=True)
        sims = v @ v.T
        for i in range(len(ids)):
            for j in range(i + 1, len(ids)):
                if sims[i, j] >= floor:
                    provable.append(tuple(sorted((ids[i], ids[j]))))
    pairs = DeltaTable(str(out / "pairs")).to_pandas(
        columns=["record_id_l", "record_id_r", "blocked_by"]
    )
    by_vector = pairs[pairs.blocked_by.map(lambda b: "vector:audio_embedding" in list(b))]
    found = set(zip(by_vector.record_id_l, by_vector.record_id_r, strict=True))
    hit = sum(p in found for p in provable)
    return {"provable": len(provable), "found": hit, "recall": hit / max(len(provable), 1)}


def report(results: list[dict], args, recall: dict | None, command: str) -> str:
    lines = [
        f"Generated {args.records:,} records, seed {args.seed} (a reserved evaluation seed), "
        "each shape resolved through `--map`, side by side in one run.",
        "",
        "| shape | roles used | blockers | pair model | P | R | F1 | wall s |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['shape']} | error: {r['error']} | | | | | | {r['wall_s']:.0f} |")
            continue
        s, i = r["scores"], r["inputs"]
        lines.append(
            f"| {r['shape']} | {', '.join(i['roles']['used'])} | {len(i['blockers'])} | "
            f"{i.get('pair_model')} | {s['pairwise_precision']:.4f} | {s['pairwise_recall']:.4f} | "
            f"**{s['pairwise_f1']:.4f}** | {r['wall_s']:.0f} |"
        )
    if recall:
        lines += [
            "",
            f"Vector blocker: {recall['found']:,} of the {recall['provable']:,} true pairs whose "
            f"vectors reach the floor proposed ({recall['recall']:.4f}).",
        ]
    lines += ["", f"Command: `{command}`", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--work", default="/tmp/tracklink-shapes")
    p.add_argument("--shapes", default=",".join(SHAPES))
    p.add_argument("--report", default=None)
    p.add_argument("--set", dest="overrides", action="append", default=[])
    args = p.parse_args(argv)
    shapes = args.shapes.split(",")
    work = Path(args.work) / f"{args.records}_{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    paths = prepare(work, args.records, args.seed, shapes)
    results = []
    for shape in shapes:
        r = run_shape(shape, paths[shape], work, args.overrides)
        results.append(r)
        print(shape, r.get("scores", r.get("error")), f"{r['wall_s']:.0f}s", flush=True)
    recall = None
    vec = next((r for r in results if r["shape"] == "everything_vectors" and "out" in r), None)
    if vec:
        floor = load_config(None, args.overrides).blocking.vectors.similarity_floor
        recall = vector_recall(paths["everything_vectors"], vec["out"], floor)
    command = "python bench/shapes.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(results, args, recall, command)
    print(text)
    if args.report:
        with open(args.report, "a") as fh:
            fh.write(f"\n## {time.strftime('%Y-%m-%d %H:%M')} ({os.cpu_count()} cores)\n\n{text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
