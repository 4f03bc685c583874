"""Train the learned pair model on the candidate pairs of generated catalogues.

    tracklink train-pair-model --seeds 1006 --records 100000 --output DIR --version vN \
        [--epochs N] [--drop-artist 0.05] [--wrong-length 0.03] [--misfile 0.03] \
        [--flatten 0.0] [--features NAME,...] [--config ...] [--set key=value ...]

For each seed: generate a catalogue, roughen it (`catalog.roughen`: some
artists removed, some lengths wrong, some fields misfiled, some rows flattened
into the title), resolve it with `pipeline.resolve` (pair model off), and
label its scored candidate pairs with the generator's truth (same
`true_entity_id`: a video is its own entity), all in `pipeline.training`.
The network learns from the features named by `--features` (any registered
in `linkage.pair_features`; the packaged model's by default); a Platt
calibration is fitted on the pairs of a held-out 20% of recordings. Only
generated catalogues with the seeds given here are used, never a benchmark's
labels; the evaluation seeds (`catalog.generator.RESERVED_SEEDS`) are
refused. Writes DIR/pair-VERSION.pt (weights, scaling, calibration,
provenance) and DIR/pair-VERSION.json, and logs both to MLflow under
DIR/mlruns. Install a model by copying the .pt into linkage/weights/ (or
point `linkage.pair_model.weights_path` at it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from catalog.generator import RESERVED_SEEDS
from conf.config import load_config
from conf.errors import InputError
from jobs.cli import add_config_arguments, run_cli
from linkage import DEFAULT_FEATURES, FEATURES
from linkage.training import fit_labelled_pairs, write_pair_model
from pipeline.training import training_pairs
from runtime.progress import get_logger
from runtime.spark import get_spark
from runtime.tracking import RunTracker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tracklink train-pair-model",
        description=__doc__,
        epilog="registered features (--features):\n"
        + "\n".join(f"  {f.name:<22} {f.description}" for f in FEATURES.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seeds", required=True, help="comma-separated generator seeds")
    parser.add_argument("--records", type=int, default=100_000, help="records per catalogue")
    parser.add_argument("--output", required=True)
    parser.add_argument("--version", required=True, help="name of the new model, e.g. v6")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument(
        "--drop-artist", type=float, default=0.05, help="share of records whose artist is removed"
    )
    parser.add_argument(
        "--wrong-length", type=float, default=0.03, help="share of records given a random length"
    )
    parser.add_argument(
        "--misfile",
        type=float,
        default=0.03,
        help="share of records whose title, credit and release are in the wrong fields",
    )
    parser.add_argument(
        "--flatten",
        type=float,
        default=0.0,
        help="share of records whose credit, release title or a genre list is appended to the title",
    )
    parser.add_argument("--torch-seed", type=int, default=0)
    parser.add_argument(
        "--features",
        default=",".join(DEFAULT_FEATURES),
        help="comma-separated registered features, in the order of the model's inputs "
        "(listed below; default: the packaged model's)",
    )
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    used = RESERVED_SEEDS & set(seeds)
    if used:
        raise InputError(f"--seeds {sorted(used)} are evaluation seeds; train on others")
    features = tuple(f.strip() for f in args.features.split(",") if f.strip())
    unknown = sorted(set(features) - set(FEATURES))
    if len(set(features)) < len(features):
        raise InputError("--features: a feature is named twice")
    if unknown or not features:
        raise InputError(f"--features: unknown {', '.join(unknown) or '(none given)'}")
    if args.records < 1000:
        raise InputError("--records must be at least 1000")
    # The pairs are labelled as Splink scores them: the pair model must be off.
    cfg = load_config(args.config, [*args.overrides, "linkage.pair_model.enabled=false"])
    spark = get_spark(cfg.spark)
    log = get_logger()
    os.makedirs(args.output, exist_ok=True)

    data = training_pairs(
        spark,
        cfg,
        seeds,
        args.records,
        args.output,
        features,
        drop_artist=args.drop_artist,
        wrong_length=args.wrong_length,
        misfile=args.misfile,
        flatten=args.flatten,
    )

    provenance = {
        "trained_on": f"generated seeds {','.join(map(str, seeds))} x {args.records:,} records",
        "seeds": seeds,
        "records": args.records,
        "epochs": args.epochs,
        "drop_artist": args.drop_artist,
        "wrong_length": args.wrong_length,
        "misfile": args.misfile,
        "flatten": args.flatten,
        "torch_seed": args.torch_seed,
        "pairs": len(data),
        "matches": int(data["label"].sum()),
        "config_hash": cfg.fingerprint(),
    }
    t0 = time.perf_counter()
    model, metrics = fit_labelled_pairs(
        data, features, epochs=args.epochs, seed=args.torch_seed, provenance=provenance
    )
    log.info("fitted in %.1f s: %s", time.perf_counter() - t0, metrics)

    with RunTracker(cfg.tracking, args.output, run_name="train_pair_model") as tracker:
        model.provenance["mlflow_run_id"] = tracker.run_id
        weights, meta = write_pair_model(model, args.output, args.version)
        tracker.params(
            {
                k: v
                for k, v in provenance.items()
                if k
                in (
                    "records",
                    "epochs",
                    "drop_artist",
                    "wrong_length",
                    "misfile",
                    "flatten",
                )
            }
            | {"seeds": args.seeds}
        )
        tracker.metrics(metrics)
        tracker.artifact_file(weights, "pair_model")
        tracker.artifact_file(meta, "pair_model")
    print(
        f"wrote {weights} ({len(data):,} pairs; holdout log loss {metrics['holdout_log_loss']:.4f})"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
