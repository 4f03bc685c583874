"""Blocking on the vectors a catalogue brings (`input.embeddings`): an audio
embedding, a fingerprint vector, a video embedding.

Each vector column is its own blocker (`vector:<column>`). Its keys are
SimHash band keys, as the text embedding blocker makes them
(`blocking.embedding`), over the vectors scaled to unit length; they are
ordinary keys, so the skew guard applies and an incremental run stores and
reads them like any other. A pair that only vector blockers proposed is kept
if the two vectors' cosine reaches `blocking.vectors.similarity_floor`
(`vector_floor`): the bands find neighbours cheaply, the floor drops the
near misses. A record without a vector gets no keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from blocking.embedding import cosine, hyperplanes, simhash_band_keys
from blocking.registry import VECTOR_PREFIX, vector_blocker
from conf.config import VectorBlockingConfig

KEYS_SCHEMA = StructType(
    [
        StructField("record_id", StringType()),
        StructField("kind_norm", StringType()),
        StructField("blocker", StringType()),
        StructField("key", StringType()),
    ]
)


def unit(column: str):
    """The vector scaled to unit length (null for a null or zero vector)."""
    v = F.col(f"`{column}`")
    norm = F.sqrt(F.aggregate(v, F.lit(0.0).cast("double"), lambda a, x: a + x * x))
    return F.when(norm > 0, F.transform(v, lambda x: x / norm))


def vector_band_keys(
    records: DataFrame, vectors: dict[str, int], cfg: VectorBlockingConfig
) -> DataFrame:
    """Band keys of every record's vectors: `record_id`, `kind_norm`,
    `blocker` ("vector:<column>"), `key`. `vectors`: column -> length."""
    frames = []
    bands, bits = cfg.bands, cfg.bits_per_band
    for column, dim in vectors.items():
        name = vector_blocker(column)
        planes = hyperplanes(dim, bands, bits, cfg.seed)

        def run(batches: Iterator[pa.RecordBatch], name=name, planes=planes):
            for batch in batches:
                ids = batch.column("record_id").to_pylist()
                kinds = batch.column("kind_norm").to_pylist()
                raw = batch.column("_v").to_pylist()
                present = [i for i, v in enumerate(raw) if v]
                out_ids, out_kinds, out_keys = [], [], []
                if present:
                    matrix = np.asarray([raw[i] for i in present], dtype=np.float32)
                    for i, keys in zip(
                        present, simhash_band_keys(matrix, planes, bands, bits), strict=True
                    ):
                        out_ids += [ids[i]] * len(keys)
                        out_kinds += [kinds[i]] * len(keys)
                        out_keys += keys
                yield pa.RecordBatch.from_arrays(
                    [
                        pa.array(out_ids, pa.string()),
                        pa.array(out_kinds, pa.string()),
                        pa.array([name] * len(out_ids), pa.string()),
                        pa.array(out_keys, pa.string()),
                    ],
                    schema=pa.schema([(f.name, pa.string()) for f in KEYS_SCHEMA.fields]),
                )

        source = records.select("record_id", "kind_norm", F.col(f"`{column}`").alias("_v")).where(
            F.col("_v").isNotNull() & (F.size("_v") > 0)
        )
        frames.append(source.mapInArrow(run, KEYS_SCHEMA))
    if not frames:
        return records.sparkSession.createDataFrame([], KEYS_SCHEMA)
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


def vector_floor(
    pairs: DataFrame, records: DataFrame, vectors: Sequence[str], floor: float
) -> DataFrame:
    """`pairs` (`record_id_l`, `record_id_r`, `blocked_by`, ...) without those
    that only vector blockers proposed and whose vectors' cosine (on any one
    of the columns that proposed them) is below `floor`."""
    if not vectors:
        return pairs
    only_vectors = F.forall("blocked_by", lambda b: b.startswith(VECTOR_PREFIX))
    keep, check = pairs.where(~only_vectors), pairs.where(only_vectors)
    side = records.select("record_id", *[unit(v).alias(v) for v in vectors])
    joined = check.join(
        side.select(
            F.col("record_id").alias("record_id_l"), *[F.col(v).alias(f"{v}__l") for v in vectors]
        ),
        "record_id_l",
    ).join(
        side.select(
            F.col("record_id").alias("record_id_r"), *[F.col(v).alias(f"{v}__r") for v in vectors]
        ),
        "record_id_r",
    )
    close = None
    for v in vectors:
        proposed = F.array_contains("blocked_by", F.lit(vector_blocker(v)))
        near = proposed & (
            F.coalesce(cosine(F.col(f"{v}__l"), F.col(f"{v}__r")), F.lit(-1.0)) >= floor
        )
        close = near if close is None else close | near
    return keep.unionByName(joined.where(close).select(*pairs.columns))
