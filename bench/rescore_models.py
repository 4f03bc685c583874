"""Compare pair models on one stored run: re-score its candidate pairs with
each model, cluster them as the job does, and score the clusters.

    python bench/rescore_models.py --output DIR --truth COLUMN --models stored v5 [FILE.pt ...]
        [--config ...] [--set key=value ...]

A model is `stored`, a packaged version (`linkage/weights/`: v5) or a .pt
file: one written by `jobs.train_pair_model`, or v1's or v2's from git tag
pair-models-v1-v9 (v3 and v9 read features this code no longer computes).

DIR is a full `jobs.resolve` run's output (run with `--truth COLUMN`, so the
truth passed through). Blocking, normalisation and Splink's model are that
run's; each model re-scores the stored pairs (`linkage.rescore`), the links at
`clustering.threshold` are clustered (`linkage.cluster_pairs`) and the clusters
are scored like the job's (`evaluation.output`: quarantined rows' pairs count as
missed). `stored` clusters the run's own probabilities, which gives back the
run's figures. A full run per model costs the whole job; this costs the
features, the network and one clustering per model (minutes a model at 1M
records; docs/results/pair-models.md). For a model that is not the run's own,
the figures equal a full run's with that model only while the pair model does
not feed back into blocking or Splink, which it does not.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyspark.sql import functions as F  # noqa: E402

from conf.config import load_config  # noqa: E402
from conf.errors import InputError  # noqa: E402
from evaluation.metrics import format_scores, score_clusters  # noqa: E402
from evaluation.output import output_truth  # noqa: E402
from jobs.cli import add_config_arguments, run_cli  # noqa: E402
from linkage import load_pair_model, rescore  # noqa: E402
from linkage.clustering import cluster_pairs  # noqa: E402
from runtime.progress import get_logger  # noqa: E402
from runtime.spark import get_spark  # noqa: E402
from storage.delta import DeltaStore  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/rescore_models.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--output", required=True, help="a full run's output folder")
    parser.add_argument("--truth", required=True, help="the truth column the run passed through")
    parser.add_argument(
        "--models", nargs="+", required=True, help="'stored', packaged versions, or .pt files"
    )
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    for table in ("records", "pairs", "clusters"):
        if not os.path.isdir(os.path.join(args.output, table)):
            raise InputError(f"--output {args.output}: no {table} table (a full run's output?)")
    cfg = load_config(args.config, args.overrides)
    spark = get_spark(cfg.spark)
    log = get_logger()
    store = DeltaStore(spark, args.output, cfg.output.delta_engine)
    records = store.read("records")
    ids = records.select("record_id")
    stored = store.read("pairs").select(
        "record_id_l", "record_id_r", "match_weight", "match_probability"
    )
    truth = output_truth(store, args.truth).cache()
    threshold = cfg.clustering.threshold
    # Every model loaded before any scoring, so a wrong name fails at once.
    models = {
        spec: load_pair_model("file", spec) if spec.endswith(".pt") else load_pair_model(spec)
        for spec in args.models
        if spec != "stored"
    }
    for spec in args.models:
        t0 = time.perf_counter()
        if spec == "stored":
            scored = stored
        else:
            model = models[spec]
            # Splink's probability is not an input of the network; its weight is.
            scored = rescore(stored.drop("match_probability"), records, model)
        scored = scored.select("record_id_l", "record_id_r", "match_probability").localCheckpoint()
        links = scored.filter(F.col("match_probability") >= threshold).count()
        result = cluster_pairs(ids, scored, threshold, cfg.clustering.max_iterations)
        scores = score_clusters(result.clusters.select("record_id", "cluster_id"), truth)
        log.info(
            "%s: %s links at %.3f, %.0f s", spec, f"{links:,}", threshold, time.perf_counter() - t0
        )
        print(f"{spec:>10}  {format_scores(scores)}")
    return 0


if __name__ == "__main__":
    run_cli(main)
