"""A recording embedding for a generated catalogue, so that vector roles
(`input.embeddings`) are tested and measured.

It stands in for what an audio model gives: two records of one recording are
close, two versions of one song (a live take, a remix) less so, and two
different songs not at all. Each record's vector is its work's direction,
its recording's direction and its own noise, summed and scaled to unit
length; every direction is drawn from a generator seeded by a hash of the id,
so the vector of a record is the same on every machine and run. The weights
put a record's cosine with another record of its recording near 0.96, with
another recording of its work near 0.55, and with anything else near 0.
Some records have no vector (`missing`), as catalogues never have one for
everything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql.types import ArrayType, FloatType, StructField, StructType

from catalog.schema import SEMANTIC_TRUTH

VECTOR_COLUMN = "audio_embedding"
WORK_WEIGHT, RECORDING_WEIGHT, NOISE_WEIGHT = 0.75, 0.65, 0.2


def _direction(kind: str, key: str, dim: int, seed: int) -> np.ndarray:
    digest = hashlib.blake2b(f"{seed}:{kind}:{key}".encode(), digest_size=8).digest()
    v = np.random.default_rng(int.from_bytes(digest, "little")).standard_normal(dim)
    return v / np.linalg.norm(v)


def record_vector(record_id: str, recording: str, work: str, dim: int, seed: int) -> np.ndarray:
    """One record's unit vector (see the module's docstring)."""
    v = (
        WORK_WEIGHT * _direction("work", work, dim, seed)
        + RECORDING_WEIGHT * _direction("recording", recording, dim, seed)
        + NOISE_WEIGHT * _direction("record", record_id, dim, seed)
    )
    return (v / np.linalg.norm(v)).astype(np.float32)


def with_recording_vectors(
    catalog: DataFrame, dim: int = 32, seed: int = 42, missing: float = 0.1
) -> DataFrame:
    """`catalog` (generated, with its truth columns) plus `audio_embedding`
    (array<float>, null for about `missing` of the records)."""
    recording, work = SEMANTIC_TRUTH[0], SEMANTIC_TRUTH[1]
    schema = StructType(
        [*catalog.schema.fields, StructField(VECTOR_COLUMN, ArrayType(FloatType()))]
    )

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            vectors = []
            for rid, rec, wrk in zip(
                batch["record_id"], batch[recording], batch[work], strict=True
            ):
                key = str(rid)
                draw = int.from_bytes(
                    hashlib.blake2b(f"{seed}:has:{key}".encode(), digest_size=4).digest(), "little"
                )
                if rec is None or draw / 2**32 < missing:
                    vectors.append(None)
                else:
                    vectors.append(record_vector(key, str(rec), str(wrk), dim, seed).tolist())
            yield batch.assign(**{VECTOR_COLUMN: vectors})

    return catalog.mapInPandas(run, schema)
