"""Train tracklink's fast encoder contrastively on generated catalogues.

    python -m jobs.train_encoder --seeds 1001,1002 --records 20000 --validation-seed 1003 \
        --output DIR [--version v1] [--epochs N] [--config ...] [--set key=value ...]

Positive pairs are two records of the same recording (`true_recording_id`);
every other pair in a batch is a negative (InfoNCE with in-batch negatives),
except records of the same song (`true_work_id`: a live take, a remix), whose
normalised title and artist are the same text and cannot be told apart by an
encoder, so they are left out of the loss instead of being pushed apart.
Batches are filled artist by artist, so most negatives are other songs of the
same artist: the pairs blocking must not propose.

Only generated catalogues are used, with the seeds given here; never a
benchmark's labels. The same seeds give the same weights (seeded torch and
numpy, one thread, deterministic algorithms). Writes DIR/fast-VERSION.pt and
DIR/fast-VERSION.json (provenance), and logs both to MLflow under DIR/mlruns.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pandas as pd

from catalog.generator import RESERVED_SEEDS, generate_catalog
from conf.config import load_config
from conf.errors import InputError
from embeddings.training import (
    catalogue_texts,
    positive_pairs,
    seed_torch,
    train_epochs,
    validation_metrics,
)
from jobs.cli import add_config_arguments, run_cli
from runtime.spark import get_spark
from runtime.tracking import RunTracker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tracklink train-encoder",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--seeds", required=True, help="generator seeds to train on, e.g. 1001,1002"
    )
    parser.add_argument("--records", type=int, default=20000, help="records per catalogue")
    parser.add_argument("--validation-seed", type=int, required=True)
    parser.add_argument("--validation-records", type=int, default=5000)
    parser.add_argument("--output", required=True)
    parser.add_argument("--version", default="v1")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--temperature", type=float, default=0.05)
    parser.add_argument("--torch-seed", type=int, default=0)
    add_config_arguments(parser)
    args = parser.parse_args(argv)

    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    used = RESERVED_SEEDS & {*seeds, args.validation_seed}
    if used:
        raise InputError(f"seeds {sorted(used)} are reserved for evaluation; train on others")
    if args.validation_seed in seeds:
        raise InputError("--validation-seed must differ from the training seeds")

    import torch

    from embeddings.fast import FastEncoder, FastEncoderModule, FastEncoderSpec, save_weights

    cfg = load_config(args.config, args.overrides)
    floor = cfg.blocking.embedding.similarity_floor
    spark = get_spark(cfg.spark)
    started = time.time()
    frames = [
        catalogue_texts(generate_catalog(spark, args.records, s).toPandas(), cfg.normalise)
        for s in seeds
    ]
    val = catalogue_texts(
        generate_catalog(spark, args.validation_records, args.validation_seed).toPandas(),
        cfg.normalise,
    )
    pairs = pd.concat([positive_pairs(f) for f in frames], ignore_index=True)
    print(f"{len(pairs):,} positive pairs from seeds {seeds} ({args.records:,} records each)")

    seed_torch(args.torch_seed)
    spec = FastEncoderSpec()
    module = FastEncoderModule(spec)

    params = {
        "seeds": args.seeds,
        "records": args.records,
        "validation_seed": args.validation_seed,
        "validation_records": args.validation_records,
        "version": args.version,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "temperature": args.temperature,
        "torch_seed": args.torch_seed,
        "positive_pairs": len(pairs),
        **{f"spec.{k}": v for k, v in spec.as_dict().items()},
    }
    os.makedirs(args.output, exist_ok=True)
    with RunTracker(cfg.tracking, args.output, run_name="train_encoder") as tracker:
        tracker.params(params)
        epochs = train_epochs(
            module, pairs, args.epochs, args.batch_size, args.lr, args.temperature, args.torch_seed
        )
        for epoch, train_loss in epochs:
            encoder = FastEncoder(module, args.version)
            metrics = {
                "train_loss": train_loss,
                **validation_metrics(encoder, val, floor, args.validation_seed),
            }
            if tracker.tracking_uri is not None:
                import mlflow

                # per-epoch curve; RunTracker.metrics logs single values
                mlflow.log_metrics(metrics, step=epoch)
            print(
                f"epoch {epoch + 1}/{args.epochs} "
                + " ".join(f"{k}={v:.4f}" for k, v in metrics.items())
            )

        weights = os.path.join(args.output, f"fast-{args.version}.pt")
        provenance = {
            "trained_on": "generated catalogues only (jobs.generate_catalog); no benchmark labels",
            **params,
            "final_metrics": metrics,
            "torch": str(torch.__version__),
        }
        # Wall time stays out of the weights file, so equal seeds give equal bytes.
        save_weights(module, weights, args.version, provenance)
        with open(weights, "rb") as fh:
            provenance["sha256"] = hashlib.sha256(fh.read()).hexdigest()
        provenance["seconds"] = round(time.time() - started, 1)
        provenance["mlflow_run_id"] = tracker.run_id
        meta = os.path.join(args.output, f"fast-{args.version}.json")
        with open(meta, "w") as fh:
            json.dump(provenance, fh, indent=2, sort_keys=True)
        tracker.artifact_file(weights, "encoder")
        tracker.artifact_file(meta, "encoder")
        tracker.metrics({"weights_bytes": os.path.getsize(weights)})
    print(f"wrote {weights} ({os.path.getsize(weights) / 1e6:.1f} MB) and {meta}")
    return 0


if __name__ == "__main__":
    run_cli(main)
