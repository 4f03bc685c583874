"""Train the learned pair model on the candidate pairs of generated catalogues.

    tracklink train-pair-model --seeds 1006 --records 100000 --output DIR --version vN \
        [--epochs N] [--drop-artist 0.05] [--wrong-length 0.03] [--misfile 0.03] \
        [--flatten 0.0] [--features NAME,...] [--config ...] [--set key=value ...]

For each seed: generate a catalogue, roughen it (`roughen`: some artists
removed, some lengths wrong, some fields misfiled, some rows flattened into
the title), resolve it with `jobs.resolve` (pair model off), and label its
scored candidate pairs with the generator's truth (same `true_entity_id`: a
video is its own entity). The network learns from the features named by
`--features` (any registered in `linkage.pair_features`; the packaged
model's by default); a Platt calibration is fitted on the pairs of a
held-out 20% of recordings. Only generated catalogues with the seeds given
here are used, never a benchmark's labels; the evaluation seeds
(`catalog.generator.RESERVED_SEEDS`) are refused. Writes DIR/pair-VERSION.pt
(weights, scaling, calibration, provenance) and DIR/pair-VERSION.json, and
logs both to MLflow under DIR/mlruns. Install a model by copying the .pt
into linkage/weights/ (or point `linkage.pair_model.weights_path` at it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from catalog.generator import RESERVED_SEEDS, generate_catalog
from conf.config import load_config
from conf.errors import InputError
from jobs.cli import add_config_arguments, run_cli
from linkage import DEFAULT_FEATURES, FEATURES, fit_pair_model, pair_features
from pipeline import RunInput, resolve
from runtime.progress import get_logger
from runtime.spark import get_spark
from runtime.tracking import RunTracker
from storage.delta import read_delta

TRUTH = "true_entity_id"

# What a flattened row's title may end with (`roughen(flatten=...)`): a
# store's genre list, lower-cased by normalisation like any title word.
GENRE_LISTS = (
    "Pop",
    "Rock",
    "Pop Music Pop Rock",
    "Country Music Contemporary Country",
    "Hip Hop/Rap Music Rap",
    "Dance Electronic",
    "R&B/Soul Music Contemporary R&B",
    "Alternative Music Indie Rock",
    "Singer/Songwriter",
    "Jazz Vocal",
    "Latin Music",
    "Soundtrack",
)


def roughen(
    catalogue: DataFrame,
    seed: int,
    drop_artist: float,
    wrong_length: float,
    misfile: float = 0.0,
    flatten: float = 0.0,
) -> DataFrame:
    """Dirt real feeds have and the generator's defaults do not: a record with
    no artist credit, a length that is simply wrong (a hidden track, a bad
    edit), and (`misfile`) text in the wrong field, a third each: title and
    credit swapped; the credit packed before the title with no separator;
    the track title filed as the credit and the release title as the track
    title. Without it the network never sees a true pair lacking an artist,
    nor one whose lengths disagree or whose fields cross, and reads all of
    them as "different".

    `flatten`: a share of records whose export appended other columns to
    the title: the credit and the release title each with even odds (and
    then left empty), and a genre list with odds of three in four, at least
    one of them. Splink then sees a long title and no credit."""
    artist_gone = F.rand(seed) < drop_artist
    length_wrong = F.rand(seed + 1) < wrong_length
    random_ms = (F.lit(60_000) + F.rand(seed + 2) * 540_000).cast("long").cast("string")
    # One draw per row, materialised: a rand() repeated in several CASE
    # branches is drawn only where evaluated and would drift apart.
    roll = F.col("_misfile_roll")
    has_credit = F.col("artists").isNotNull() & (F.trim("artists") != "")
    swapped = has_credit & (roll < misfile / 3)
    packed = has_credit & (roll >= misfile / 3) & (roll < 2 * misfile / 3)
    shifted = F.col("album").isNotNull() & (roll >= 2 * misfile / 3) & (roll < misfile)
    none = F.lit(None).cast("string")
    title = (
        F.when(swapped, F.col("artists"))
        .when(packed, F.concat_ws(" ", "artists", "title"))
        .when(shifted, F.col("album"))
        .otherwise(F.col("title"))
    )
    artists = (
        F.when(swapped | shifted, F.col("title")).when(packed, none).otherwise(F.col("artists"))
    )
    album = F.when(shifted, none).otherwise(F.col("album"))
    return (
        _flatten(
            catalogue.withColumn("_misfile_roll", F.rand(seed + 3))
            .withColumns({"title": title, "artists": artists, "album": album})
            .drop("_misfile_roll"),
            seed,
            flatten,
        )
        .withColumn("artists", F.when(artist_gone, none).otherwise(F.col("artists")))
        .withColumn("duration_ms", F.when(length_wrong, random_ms).otherwise(F.col("duration_ms")))
    )


def _flatten(catalogue: DataFrame, seed: int, share: float) -> DataFrame:
    if share <= 0:
        return catalogue
    rolls = {
        f"_{name}_roll": F.rand(seed + 4 + i) for i, name in enumerate(("flat", "move", "genre"))
    }
    flat = F.col("_flat_roll") < share
    move = F.col("_move_roll")
    genre_roll = F.col("_genre_roll")
    # Two independent even coins for credit and release from one draw.
    move_artist = flat & (move < 0.5) & F.col("artists").isNotNull()
    move_album = flat & (((move * 4).cast("int") % 2) == 0) & F.col("album").isNotNull()
    with_genre = flat & ((genre_roll < 0.75) | ~(move_artist | move_album))
    genres = F.array(*[F.lit(g) for g in GENRE_LISTS])
    # The genre pick reuses the roll's spread above 0.75: uniform enough.
    pick = (genre_roll * 1000).cast("int") % len(GENRE_LISTS) + 1
    none = F.lit(None).cast("string")
    title = F.concat_ws(
        " ",
        F.col("title"),
        F.when(move_artist, F.col("artists")),
        F.when(move_album, F.col("album")),
        F.when(with_genre, F.element_at(genres, pick)),
    )
    return (
        catalogue.withColumns(rolls)
        .withColumns(
            {
                "title": F.when(flat, title).otherwise(F.col("title")),
                "artists": F.when(move_artist, none).otherwise(F.col("artists")),
                "album": F.when(move_album, none).otherwise(F.col("album")),
            }
        )
        .drop(*rolls)
    )


def labelled_pairs(
    records: DataFrame, pairs: DataFrame, features: tuple[str, ...] = DEFAULT_FEATURES
) -> DataFrame:
    """`features` of every scored pair, `label` 1 when both records are one recording."""
    truth = records.select("record_id", F.col(TRUTH).alias("t"))
    return (
        pair_features(pairs.select("record_id_l", "record_id_r", "match_weight"), records, features)
        .join(truth.toDF("record_id_l", "t_l"), "record_id_l")
        .join(truth.toDF("record_id_r", "t_r"), "record_id_r")
        .select(
            F.col("t_l").alias("group"),
            (F.col("t_l") == F.col("t_r")).cast("int").alias("label"),
            *features,
        )
    )


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

    frames = []
    for seed in seeds:
        source = os.path.join(args.output, f"catalogue-{seed}.parquet")
        resolved = os.path.join(args.output, f"resolved-{seed}")
        log.info("catalogue seed %d: %s records", seed, f"{args.records:,}")
        catalogue = roughen(
            generate_catalog(spark, args.records, seed),
            seed,
            args.drop_artist,
            args.wrong_length,
            args.misfile,
            args.flatten,
        )
        catalogue.write.mode("overwrite").parquet(source)
        resolve(spark, cfg, RunInput(source, "catalog", TRUTH), resolved)
        records = read_delta(spark, os.path.join(resolved, "records"))
        pairs = read_delta(spark, os.path.join(resolved, "pairs"))
        frame = labelled_pairs(records, pairs, features).toPandas()
        frame["group"] = f"{seed}/" + frame["group"].astype(str)
        frames.append(frame)
        log.info("  %s labelled pairs (%d match)", f"{len(frame):,}", int(frame["label"].sum()))
    data = pd.concat(frames, ignore_index=True)

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
    model, metrics = fit_pair_model(
        data[list(features)].to_numpy(np.float64),
        data["label"].to_numpy(np.float64),
        pd.util.hash_array(data["group"].to_numpy()),
        epochs=args.epochs,
        seed=args.torch_seed,
        features=features,
        provenance=provenance,
    )
    log.info("fitted in %.1f s: %s", time.perf_counter() - t0, metrics)

    weights = os.path.join(args.output, f"pair-{args.version}.pt")
    meta = os.path.join(args.output, f"pair-{args.version}.json")
    with RunTracker(cfg.tracking, args.output, run_name="train_pair_model") as tracker:
        model.provenance["mlflow_run_id"] = tracker.run_id
        with open(weights, "wb") as fh:
            fh.write(model.to_bytes())
        with open(meta, "w") as fh:
            json.dump({**model.provenance, "calibration": list(model.calibration)}, fh, indent=2)
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
