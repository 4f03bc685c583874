"""Embedding blocking: SimHash LSH band keys over text embeddings, then a cosine floor.

Each record's normalised title + artist is embedded (`embeddings/`) on the
executors, in `mapInPandas`, with the encoder loaded once per Python worker.
`bands` x `bits_per_band` random hyperplanes (seeded, so the same on every
machine and run) turn a vector into band keys: a band key is the sign pattern
of its hyperplanes. Two vectors at angle t agree on one hyperplane with
probability p = 1 - t/pi, and share at least one band with probability
1 - (1 - p^r)^b. Records sharing a band key are joined like MinHash keys
(the skew guard applies), and a pair survives only if its cosine similarity is
at least `similarity_floor`: the band keys find neighbours cheaply, the floor
removes the near misses LSH lets through.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, FloatType, StringType, StructField, StructType

from conf.config import EmbeddingBlockingConfig

BLOCKER = "embedding"


def hyperplanes(dim: int, bands: int, bits: int, seed: int) -> np.ndarray:
    """(dim, bands * bits) Gaussian normals; numpy's PCG64 stream for a seed is
    fixed across platforms and versions, so keys are reproducible."""
    return np.random.default_rng(seed).standard_normal((dim, bands * bits)).astype(np.float32)


def simhash_band_keys(vectors: np.ndarray, planes: np.ndarray, bands: int, bits: int) -> list:
    """Band keys per row, "band:pattern"; a zero vector (empty text) gets none."""
    signs = (vectors @ planes) > 0
    weights = 1 << np.arange(bits, dtype=np.int64)
    codes = (signs.reshape(len(vectors), bands, bits) * weights).sum(axis=2)
    empty = ~np.any(vectors, axis=1)
    return [
        [] if empty[i] else [f"{b}:{codes[i, b]:x}" for b in range(bands)]
        for i in range(len(vectors))
    ]


def band_collision_probability(cosine: float, bands: int, bits: int) -> float:
    """Chance that two vectors with this cosine share at least one band."""
    p = 1.0 - math.acos(max(-1.0, min(1.0, cosine))) / math.pi
    return 1.0 - (1.0 - p**bits) ** bands


def simhash_threshold(bands: int, bits: int) -> float:
    """The cosine at which a pair is proposed with about even odds (steepest point)."""
    p = (1.0 / bands) ** (1.0 / bits)
    return math.cos(math.pi * (1.0 - p))


def describe_embedding(cfg: EmbeddingBlockingConfig) -> str:
    if not cfg.enabled:
        return "embedding off"
    at_floor = band_collision_probability(cfg.similarity_floor, cfg.bands, cfg.bits_per_band)
    at_95 = band_collision_probability(0.95, cfg.bands, cfg.bits_per_band)
    return (
        f"embedding ({cfg.encoder}) {cfg.bands} bands x {cfg.bits_per_band} bits: pairs proposed "
        f"from cosine ~{simhash_threshold(cfg.bands, cfg.bits_per_band):.2f} "
        f"(P={at_floor:.2f} at the floor {cfg.similarity_floor:.2f}, P={at_95:.3f} at 0.95), "
        f"kept from cosine {cfg.similarity_floor:.2f}"
    )


def embedded_text_column() -> Column:
    return F.concat_ws(" ", F.col("title_norm"), F.col("artist_norm"))


def embed_records(records: DataFrame, cfg: EmbeddingBlockingConfig) -> DataFrame:
    """`record_id`, `kind_norm`, `vector` (unit length), `keys` (SimHash band keys)."""
    text = records.select("record_id", "kind_norm", embedded_text_column().alias("_text"))
    schema = StructType(
        [
            StructField("record_id", StringType()),
            StructField("kind_norm", StringType()),
            StructField("vector", ArrayType(FloatType())),
            StructField("keys", ArrayType(StringType())),
        ]
    )

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from embeddings import load_encoder

        encoder = load_encoder(cfg.encoder, cfg.version, cfg.weights_path, cfg.batch_size)
        planes = hyperplanes(encoder.dim, cfg.bands, cfg.bits_per_band, cfg.seed)
        for batch in batches:
            texts = batch["_text"].fillna("").tolist()
            vectors = encoder.encode(texts)
            yield pd.DataFrame(
                {
                    "record_id": batch["record_id"],
                    "kind_norm": batch["kind_norm"],
                    "vector": list(vectors),
                    "keys": simhash_band_keys(vectors, planes, cfg.bands, cfg.bits_per_band),
                }
            )

    return text.mapInPandas(run, schema)


def embedding_band_keys(embedded: DataFrame) -> DataFrame:
    """One row per (record, band key), in the shared key schema."""
    return embedded.select(
        "record_id", "kind_norm", F.lit(BLOCKER).alias("blocker"), F.explode("keys").alias("key")
    )


def cosine(left: Column, right: Column) -> Column:
    """Dot product of two unit vectors held as arrays: their cosine similarity."""
    return F.aggregate(
        F.zip_with(left, right, lambda x, y: x * y), F.lit(0.0).cast("double"), lambda a, x: a + x
    )


def above_floor(pairs: DataFrame, embedded: DataFrame, floor: float) -> DataFrame:
    """Pairs whose embeddings have cosine >= floor, with the `cosine` column."""
    vec = embedded.select("record_id", "vector")
    return (
        pairs.join(vec.withColumnRenamed("record_id", "record_id_l"), "record_id_l")
        .withColumnRenamed("vector", "_vl")
        .join(vec.withColumnRenamed("record_id", "record_id_r"), "record_id_r")
        .withColumnRenamed("vector", "_vr")
        .withColumn("cosine", cosine(F.col("_vl"), F.col("_vr")))
        .filter(F.col("cosine") >= floor)
        .drop("_vl", "_vr")
    )
