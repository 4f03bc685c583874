"""The pair model's training set: generated catalogues, roughened
(`catalog.roughen`), resolved, their scored pairs labelled from the
generator's truth (`linkage.training`)."""

from __future__ import annotations

import os

import pandas as pd
from pyspark.sql import SparkSession

from catalog.generator import generate_catalog
from catalog.roughen import roughen
from conf.config import Config
from linkage.pair_features import DEFAULT_FEATURES
from linkage.training import TRUTH, labelled_pairs
from pipeline.context import RunInput
from pipeline.run import resolve
from runtime.progress import get_logger
from storage.delta import read_delta


def training_pairs(
    spark: SparkSession,
    cfg: Config,
    seeds: list[int],
    records: int,
    output: str,
    features: tuple[str, ...] = DEFAULT_FEATURES,
    *,
    drop_artist: float,
    wrong_length: float,
    misfile: float = 0.0,
    flatten: float = 0.0,
) -> pd.DataFrame:
    """For each seed: generate `records` records, roughen them, resolve them
    under OUTPUT (catalogue-SEED.parquet, resolved-SEED/) and label their
    scored pairs. `cfg` should have the pair model off: the pairs are
    labelled as Splink scores them. Each `group` is prefixed with its seed,
    so no two catalogues' entities share one."""
    log = get_logger()
    frames = []
    for seed in seeds:
        source = os.path.join(output, f"catalogue-{seed}.parquet")
        resolved = os.path.join(output, f"resolved-{seed}")
        log.info("catalogue seed %d: %s records", seed, f"{records:,}")
        catalogue = roughen(
            generate_catalog(spark, records, seed),
            seed,
            drop_artist,
            wrong_length,
            misfile,
            flatten,
        )
        catalogue.write.mode("overwrite").parquet(source)
        resolve(spark, cfg, RunInput(source, "catalog", TRUTH), resolved)
        frame = labelled_pairs(
            read_delta(spark, os.path.join(resolved, "records")),
            read_delta(spark, os.path.join(resolved, "pairs")),
            features,
        ).toPandas()
        frame["group"] = f"{seed}/" + frame["group"].astype(str)
        frames.append(frame)
        log.info("  %s labelled pairs (%d match)", f"{len(frame):,}", int(frame["label"].sum()))
    return pd.concat(frames, ignore_index=True)
