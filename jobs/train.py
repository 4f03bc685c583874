"""Train the pair model on a resolved output's labels, measure it on labels
it never saw, and register it in MLflow.

    tracklink train --output DIR [--no-promote] [--set training.holdout=0.3 ...]

Reads the `labels` table (`tracklink label`), the last full run's Splink
model and `records`. A share of the labelled pairs (`training.holdout`,
chosen by a hash of the pair) is held out; on the rest the threshold is
chosen (out-of-fold F1) and the model fitted, from the configured model's
weights (`training.init: configured`: the packaged model unless
`linkage.pair_model` names another) or from scratch. Prints precision,
recall and F1 on the held-out pairs with 95% bootstrap intervals, for the
new model and for the running one (the champion, or the packaged default).

The model is logged as an MLflow model and registered as a new version of
`tracklink-pair-model` with the alias `challenger`. It becomes `champion`,
which later `tracklink resolve` runs of this output score with, only when
its held-out F1 is higher than the running model's (by more than
`training.min_f1_gain`) and its precision is not lower by more than
`training.max_precision_loss`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np

from conf.errors import InputError
from evaluation.golden import score_pairs
from jobs.cli import add_config_arguments, load_job_config, run_cli
from jobs.label import resolved_store
from labelling.table import current_labels
from linkage.from_labels import anchor_pairs, fit_on_labels, in_holdout, labelled_features
from linkage.pair_model import load_pair_model
from linkage.registry import CHAMPION, promote, promotion, register, running_model
from linkage.training import write_pair_model
from pipeline.tables import latest_model
from runtime.progress import get_logger
from runtime.spark import get_spark
from runtime.tracking import RunTracker

# Fewer labels than this on either side of the split say nothing.
MIN_LABELS = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tracklink train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--output", required=True, help="a resolve job's output folder, with labels"
    )
    parser.add_argument("--no-promote", action="store_true", help="register as challenger only")
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    cfg = load_job_config(args)
    tcfg = cfg.training
    log = get_logger()
    spark = get_spark(cfg.spark)
    store = resolved_store(spark, cfg, args.output)
    labels = current_labels(store)
    if labels is None:
        raise InputError(f"{args.output}: no labels yet; run tracklink label first")
    if store.version("model") is None:
        raise InputError(
            f"{args.output}: no Splink model stored; run a full tracklink resolve first"
        )

    running = running_model(cfg, args.output)
    if running.model is None:
        raise InputError("linkage.pair_model.enabled is false: there is no pair model to train")
    settings = cfg.linkage.pair_model
    base = load_pair_model(settings.version, settings.weights_path)
    configured_name = settings.weights_path or settings.version
    features = tuple(base.features)
    # The running model (a champion) may read other features than the one trained.
    needed = tuple(dict.fromkeys([*features, *running.model.features]))
    data = labelled_features(
        spark, labels, store.read("records"), latest_model(store.read("model")), needed
    )
    held = in_holdout(data, tcfg.holdout)
    train, test = data[~held], data[held]
    for part, frame in (("training", train), ("held-out", test)):
        matches = int(frame["y"].sum())
        if min(matches, len(frame) - matches) < MIN_LABELS // 2 or len(frame) < MIN_LABELS:
            raise InputError(
                f"too few labels: the {part} part has {len(frame)} pairs ({matches} match); "
                f"label more (at least {MIN_LABELS} pairs with {MIN_LABELS // 2} of each kind on "
                f"each side of a {tcfg.holdout:.0%} holdout)"
            )
    log.info(
        "%d labelled pairs: %d to train (%d match), %d held out (%d match)",
        len(data),
        len(train),
        int(train["y"].sum()),
        len(test),
        int(test["y"].sum()),
    )
    provenance = {
        "trained_on": f"{len(train)} labelled pairs of {os.path.abspath(args.output)}",
        "labels_version": store.version("labels"),
        "holdout": tcfg.holdout,
        "init": tcfg.init if tcfg.init == "scratch" else f"configured ({configured_name})",
        "epochs": tcfg.epochs,
        "requires": list(base.provenance.get("requires", ["title_norm"])),
    }
    t0 = time.perf_counter()
    anchors = anchor_pairs(
        store.read("pairs"),
        store.read("records"),
        labels,
        base,
        tcfg.anchor_pairs,
        tcfg.seed,
    )
    fitted = fit_on_labels(
        train,
        features,
        tcfg,
        base if tcfg.init == "configured" else None,
        provenance,
        anchors,
        cfg.clustering.threshold,
    )
    y = test["y"].to_numpy()
    x = test[list(features)].to_numpy(np.float64)
    new = score_pairs(y, fitted.model.probability(x) >= fitted.threshold, tcfg.bootstrap, tcfg.seed)
    old = score_pairs(
        y,
        running.model.probability(test[list(running.model.features)].to_numpy(np.float64))
        >= running.threshold,
        tcfg.bootstrap,
        tcfg.seed,
    )
    splink = score_pairs(
        y,
        test["match_probability"].to_numpy() >= cfg.clustering.threshold,
        tcfg.bootstrap,
        tcfg.seed,
    )
    print(f"held-out labels ({len(test)} pairs never trained on; 95% bootstrap intervals):")
    print(f"  new model      @ {fitted.threshold:.3f}  {new.line()}")
    print(f"  running model  @ {running.threshold:.3f}  {old.line()}  ({running.name})")
    print(f"  Splink alone   @ {cfg.clustering.threshold:.3f}  {splink.line()}")
    print(
        f"  threshold {fitted.threshold:.3f}, chosen on the training part (out-of-fold F1 "
        f"{fitted.out_of_fold_f1:.4f}); out-of-fold log loss by anchor weight "
        + ", ".join(f"{k} {v:.4f}" for k, v in fitted.out_of_fold_log_loss.items())
    )
    better, why = promotion(new.as_dict(), old.as_dict(), tcfg, running.name)

    with RunTracker(cfg.tracking, args.output, run_name="train") as tracker:
        fitted.model.provenance["mlflow_run_id"] = tracker.run_id
        folder = os.path.join(args.output, "_models", "trained")
        os.makedirs(folder, exist_ok=True)
        name = f"labels-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}"
        weights, meta = write_pair_model(fitted.model, folder, name)
        tracker.tags({"job": "train"})
        tracker.params(
            {
                "training": tcfg.model_dump(mode="json"),
                "features": ",".join(features),
                "running_model": running.name,
                "labels_version": store.version("labels"),
            }
        )
        tracker.metrics(
            {
                "train_pairs": len(train),
                "holdout_pairs": len(test),
                "threshold": fitted.threshold,
                "out_of_fold_f1": fitted.out_of_fold_f1,
                **{f"holdout_{k}": v for k, v in new.as_dict().items()},
                **{f"running_{k}": v for k, v in old.as_dict().items()},
            }
        )
        tracker.artifact_file(meta, "pair_model")
        if tracker.tracking_uri is None:
            print(f"wrote {weights}; tracking is off, so nothing is registered")
            return 0
        version = register(weights, fitted.model, test[list(features)].head(3).astype("float64"))
        tracker.tags({"registered_version": version})
        verdict = "not promoted"
        if better and not args.no_promote:
            promote(version)
            verdict = f"promoted to {CHAMPION}"
        elif args.no_promote:
            why = "--no-promote"
        tracker.tags({"promotion": f"{verdict}: {why}"})
    log.info("trained and measured in %.1f s", time.perf_counter() - t0)
    print(f"registered tracklink-pair-model version {version} (challenger); {verdict}: {why}")
    return 0


if __name__ == "__main__":
    run_cli(main)
