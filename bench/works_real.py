"""Works on real catalogues: tracklink's `works` against a dataset's own "same
song" label, beside a title-only baseline, on the same records.

    python bench/works_real.py [--name shs100k] [--dataset PATH | --datasets DIR]
        [--output /tmp/tracklink-works-shs100k] [--results bench/results/works_shs100k]
        [--config FILE] [--set key=value ...] [--top 20]

For the dataset (`DATASETS`; SHS100K's validation split for now, see
../shared/datasets/README.md) it:

1. converts the file to a catalogue CSV in a temporary folder (record_id,
   title, artists, and the truth column passing through to `clusters`);
2. resolves it in this process, as `tracklink resolve` would (full mode, into
   `--output`, emptied first when it holds an earlier run), with `--config`
   and `--set` applied; the truth column is never given to the job;
3. reads the `clusters` and `works` tables back, gives every record its
   primary work (`evaluation.works_quality.works_of_records`; videos have none
   and are left out) and scores, on exactly those records, pairwise and
   B-cubed precision/recall/F1 against the truth of: tracklink's works, the
   title-only baseline (`title_only_groups`), and the recording clusters alone;
4. lists the commonest missed true pairs and wrong predicted pairs of
   tracklink's works, by (title a, title b), to show where works go wrong.

Writes `--results`.md and .json and prints the Markdown. No labels are used
to resolve, so the figures are held-out ones; the rules of `linkage/works.py`
were, however, developed while looking at this split's errors (say so when
quoting them). Not a test: wall time drifts on shared machines.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from provenance import code_version  # noqa: E402  (bench/ is the script's folder)

DEFAULT_DATASETS = ROOT.parent / "shared" / "datasets"


@dataclass(frozen=True)
class RealDataset:
    """A real catalogue with a "same work" label: where it lives under the
    shared datasets folder, and how its file becomes a tracklink catalogue
    (columns record_id, title, artists, the truth column, any others passing
    through)."""

    name: str
    path: str
    truth: str
    to_catalog: Callable[[Path], tuple[pd.DataFrame, str]]
    about: str


def shs100k_catalog(path: Path) -> tuple[pd.DataFrame, str]:
    """SHS100K (`set_id;ver_id;yt_id;title;performer;...`): one record per
    performance, `set_id` (the work) as the truth. The record id is the
    YouTube id when those are unique, else `set_id-ver_id` (the same video is
    listed twice under one work in the validation split). Returns the
    catalogue and how its ids were made."""
    raw = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    if raw["yt_id"].is_unique and (raw["yt_id"] != "").all():
        ids, how = raw["yt_id"], "yt_id"
    else:
        ids = raw["set_id"] + "-" + raw["ver_id"]
        repeated = int(raw["yt_id"].duplicated().sum())
        how = f"set_id-ver_id ({repeated} yt_id repeated)"
    if not ids.is_unique:
        raise SystemExit(f"{path}: no unique record id (yt_id and set_id-ver_id both repeat)")
    catalog = pd.DataFrame(
        {
            "record_id": ids,
            "title": raw["title"],
            "artists": raw["performer"],
            "set_id": raw["set_id"],
            "yt_id": raw["yt_id"],
        }
    )
    return catalog.replace({"": None}), how


DATASETS = {
    "shs100k": RealDataset(
        name="shs100k",
        path="shs100k/shs100k2_val.csv",
        truth="set_id",
        to_catalog=shs100k_catalog,
        about="SHS100K v2 validation split: performances (covers, versions) of songs, "
        "title and performer only",
    ),
}


def fresh_output(path: Path) -> None:
    """Empty `path` for a full run, but only when it is an earlier tracklink output."""
    if path.exists() and any(path.iterdir()):
        if not (path / "runs" / "_delta_log").is_dir():
            raise SystemExit(
                f"{path} is not empty and holds no tracklink run: pick another --output"
            )
        shutil.rmtree(path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def measure(
    spark, cfg, dataset: RealDataset, path: Path, output: Path, top: int, overrides: list[str]
) -> dict:
    """Resolve the dataset into `output`, score its works; everything the report shows."""
    from pyspark.sql import functions as F

    from evaluation.works_quality import (
        missed_pairs,
        score_groups,
        title_only_groups,
        works_of_records,
        wrong_pairs,
    )
    from pipeline import RunInput, resolve
    from storage import DeltaStore

    catalog, ids = dataset.to_catalog(path)
    with tempfile.TemporaryDirectory(prefix=f"tracklink-{dataset.name}-") as tmp:
        csv = Path(tmp) / f"{dataset.name}.csv"
        catalog.to_csv(csv, index=False)
        t0 = time.perf_counter()
        result = resolve(spark, cfg, RunInput(str(csv), "catalog"), str(output))
        wall = time.perf_counter() - t0

    truth = dataset.truth
    store = DeltaStore(spark, str(output), cfg.output.delta_engine)
    clusters = store.read("clusters")
    works = store.read("works")
    records = title_only_groups(works_of_records(clusters, works), "title").cache()
    methods = {
        "tracklink works": "work_id",
        "title only (baseline)": "title_group",
        "recording clusters alone": "cluster_id",
    }
    t1 = time.perf_counter()
    scores = {name: score_groups(records, col, truth).as_dict() for name, col in methods.items()}
    groups = {
        name: records.where(F.col(col).isNotNull()).select(col).distinct().count()
        for name, col in methods.items()
    }
    primary = F.col("primary") if "primary" in works.columns else F.lit(True)
    counts = works.agg(
        F.count("*").alias("rows"),
        F.sum(F.when(primary, 0).otherwise(1)).alias("extra_rows"),
        F.countDistinct("work_id").alias("works"),
    ).collect()[0]
    errors = {
        kind: [
            {"title_a": r.label_a, "title_b": r.label_b, "pairs": int(r.pairs)}
            for r in pairs(records, "work_id", truth, "title").limit(top).collect()
        ]
        for kind, pairs in (("missed", missed_pairs), ("wrong", wrong_pairs))
    }
    scored = records.count()
    true_groups = records.select(truth).distinct().count()
    records.unpersist()
    return {
        "dataset": dataset.name,
        "about": dataset.about,
        "path": str(path),
        "sha256": _sha256(path),
        "record_ids": ids,
        "truth": truth,
        "code": code_version(),
        "overrides": list(overrides),
        "records_in": result.rows_in,
        "quarantined": result.quarantined,
        "resolved": result.resolved,
        "recording_clusters": result.clusters,
        "records_without_work": result.resolved - scored,
        "records_scored": scored,
        "true_works_scored": true_groups,
        "works_rows": int(counts["rows"]),
        "works_medley_extra_rows": int(counts["extra_rows"] or 0),
        "works": int(counts["works"]),
        "groups": groups,
        "scores": scores,
        "wall_s": wall,
        "stages_s": result.seconds,
        "scoring_s": time.perf_counter() - t1,
        "errors": errors,
    }


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def report(m: dict) -> str:
    lines = [
        f"# Works on {m['dataset']}",
        "",
        f"{m['about']}. `{m['path']}` (sha256 `{m['sha256'][:12]}...`), "
        f"truth `{m['truth']}`, record ids {m['record_ids']}. Code `{m['code']}`"
        + (f", `--set {' '.join(m['overrides'])}`" if m["overrides"] else "")
        + ".",
        "",
        f"{m['records_in']:,} records in, {m['quarantined']:,} quarantined, "
        f"{m['resolved']:,} resolved into {m['recording_clusters']:,} recording clusters; "
        f"{m['records_without_work']:,} without a work (videos) left out; "
        f"**{m['records_scored']:,} records scored**, {m['true_works_scored']:,} true works among them. "
        f"`works`: {m['works']:,} works, {m['works_rows']:,} rows "
        f"({m['works_medley_extra_rows']:,} non-primary medley rows). "
        f"Resolve wall time {m['wall_s']:.1f} s ("
        + ", ".join(f"{k} {v:.1f}" for k, v in m["stages_s"].items())
        + f"); scoring {m['scoring_s']:.1f} s.",
        "",
        "| grouping | groups | pairwise P | R | F1 | B-cubed P | R | F1 | true pairs | predicted | both |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in m["scores"].items():
        lines.append(
            f"| {name} | {m['groups'][name]:,} | {s['pairwise_precision']:.4f} | "
            f"{s['pairwise_recall']:.4f} | {s['pairwise_f1']:.4f} | {s['bcubed_precision']:.4f} | "
            f"{s['bcubed_recall']:.4f} | {s['bcubed_f1']:.4f} | {s['true_pairs']:,} | "
            f"{s['predicted_pairs']:,} | {s['true_positive_pairs']:,} |"
        )
    headings = {
        "missed": "Missed true pairs (one work in truth, two in tracklink's works)",
        "wrong": "Wrong predicted pairs (one work in tracklink's works, two in truth)",
    }
    for kind, rows in m["errors"].items():
        lines += ["", f"## {headings[kind]}, commonest title pairs", ""]
        lines += ["| title a | title b | pairs |", "|---|---|---:|"]
        lines += [f"| {_md(r['title_a'])} | {_md(r['title_b'])} | {r['pairs']:,} |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--name", default="shs100k", choices=sorted(DATASETS))
    ap.add_argument("--datasets", default=str(DEFAULT_DATASETS), help="the shared datasets folder")
    ap.add_argument("--dataset", default=None, help="the dataset file (default: under --datasets)")
    ap.add_argument("--output", default=None, help="the run's output folder (default under /tmp)")
    ap.add_argument("--results", default=None, help="report path without extension")
    ap.add_argument("--config", default=None)
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--top", type=int, default=20, help="title pairs listed per kind of error")
    args = ap.parse_args(argv)

    from conf.config import load_config
    from conf.errors import TracklinkError
    from runtime.spark import get_spark

    dataset = DATASETS[args.name]
    path = Path(args.dataset) if args.dataset else Path(args.datasets) / dataset.path
    if not path.is_file():
        print(f"no {dataset.name} data at {path}", file=sys.stderr)
        return 2
    output = Path(args.output or f"/tmp/tracklink-works-{dataset.name}")
    results = Path(args.results or ROOT / "bench" / "results" / f"works_{dataset.name}")
    try:
        cfg = load_config(args.config, args.overrides)
    except TracklinkError as exc:
        print(f"works_real: {exc}", file=sys.stderr)
        return 2
    fresh_output(output)
    spark = get_spark(cfg.spark)
    m = measure(spark, cfg, dataset, path, output, args.top, args.overrides)
    text = report(m)
    results.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{results}.md").write_text(text)
    Path(f"{results}.json").write_text(json.dumps(m, indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
