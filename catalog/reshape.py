"""A generated catalogue as other users hold theirs: their own column names,
and only some of the roles. Tests and benchmarks resolve each shape through a
column mapping (`input.columns`), the way a user would.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from catalog.generated_vectors import VECTOR_COLUMN
from catalog.schema import ENTITY_TRUTH, SEMANTIC_TRUTH

# Each role under a name a real catalogue might give it.
OWN_NAMES = {
    "record_id": "track_id",
    "title": "song_name",
    "artists": "performer",
    "duration_ms": "length",
    "album": "release_title",
    "isrc": "ISRC_code",
    "release_year": "released",
    "track_number": "position",
    "source": "feed",
    "kind": "media_type",
    "writers": "songwriters",
}

# Shape -> the roles it keeps (and whether it brings the recording vector).
SHAPES: dict[str, tuple[tuple[str, ...], bool]] = {
    "title": (("record_id", "title"), False),
    "title_artist": (("record_id", "title", "artists"), False),
    "title_artist_length": (("record_id", "title", "artists", "duration_ms"), False),
    "everything": (tuple(OWN_NAMES), False),
    "everything_vectors": (tuple(OWN_NAMES), True),
}


def reshape(catalog: DataFrame, shape: str) -> DataFrame:
    """`catalog` (generated, with truth and, for a vector shape, its
    `audio_embedding`) cut to `shape`'s roles under their own names; the
    truth columns pass through."""
    roles, vectors = SHAPES[shape]
    columns = [F.col(role).alias(OWN_NAMES[role]) for role in roles]
    truth = [c for c in (ENTITY_TRUTH, *SEMANTIC_TRUTH) if c in catalog.columns]
    extra = [VECTOR_COLUMN] if vectors else []
    return catalog.select(*columns, *truth, *extra)


def mapping(shape: str) -> list[str]:
    """The `--map` arguments that read `shape` back."""
    roles, vectors = SHAPES[shape]
    out = [f"{role}={OWN_NAMES[role]}" for role in roles]
    return out + ([f"embeddings={VECTOR_COLUMN}"] if vectors else [])
