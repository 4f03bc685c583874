"""MinHash LSH band keys over character shingles of "title artist".

Two records whose shingle sets have Jaccard similarity s share at least one of
b bands of r rows with probability 1 - (1 - s^r)^b; `lsh_threshold` gives the
s where that S-curve is steepest. Signatures are computed with datasketch in
vectorised batches on the executors; band keys are hashed with blake2b so they
are the same on every machine and every run (Python's `hash()` is salted).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, StringType, StructField, StructType

from conf.config import MinHashConfig

BLOCKER = "minhash"


def lsh_threshold(bands: int, rows: int) -> float:
    """The Jaccard similarity at which a pair is proposed with about even odds."""
    return (1.0 / bands) ** (1.0 / rows)


def shingles(text: str | None, size: int) -> set[bytes]:
    """Character n-grams of the text with a space on each side, so short words count."""
    if not text:
        return set()
    padded = f" {text} "
    if len(padded) <= size:
        return {padded.encode()}
    return {padded[i : i + size].encode() for i in range(len(padded) - size + 1)}


class BandHasher:
    """MinHash signatures and their band keys; built once per executor batch stream."""

    def __init__(self, cfg: MinHashConfig) -> None:
        from datasketch import MinHash

        self.cfg = cfg
        self.num_perm = cfg.bands * cfg.rows
        # Copying a template reuses its permutations: 4x cheaper than a new MinHash.
        self._template = MinHash(num_perm=self.num_perm, seed=cfg.seed)

    def band_keys(self, text: str | None) -> list[str]:
        grams = shingles(text, self.cfg.shingle_size)
        if not grams:
            return []
        mh = self._template.copy()
        mh.update_batch(grams)
        values = np.asarray(mh.hashvalues)
        keys = []
        for band in range(self.cfg.bands):
            chunk = values[band * self.cfg.rows : (band + 1) * self.cfg.rows].tobytes()
            digest = hashlib.blake2b(chunk, digest_size=8).hexdigest()
            keys.append(f"{band}:{digest}")
        return keys


def shingled_text() -> Column:
    """The text that is shingled: normalised title and main artist, without
    spaces, so that a feed that drops spaces ("NoBombardeen") still overlaps."""
    text = F.concat_ws("", F.col("title_norm"), F.coalesce(F.col("artist_norm"), F.lit("")))
    return F.regexp_replace(text, r"\s+", "")


def minhash_band_keys(records: DataFrame, cfg: MinHashConfig) -> DataFrame:
    """One row per (record, band key): `record_id`, `kind_norm`, `blocker`, `key`."""
    text = records.select("record_id", "kind_norm", shingled_text().alias("_text"))
    schema = StructType(
        [
            StructField("record_id", StringType()),
            StructField("kind_norm", StringType()),
            StructField("keys", ArrayType(StringType())),
        ]
    )

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        hasher = BandHasher(cfg)
        for batch in batches:
            keys = [hasher.band_keys(t) for t in batch["_text"].tolist()]
            yield pd.DataFrame(
                {"record_id": batch["record_id"], "kind_norm": batch["kind_norm"], "keys": keys}
            )

    return text.mapInPandas(run, schema).select(
        "record_id", "kind_norm", F.lit(BLOCKER).alias("blocker"), F.explode("keys").alias("key")
    )
