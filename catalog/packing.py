"""Which sources pack the release into the title ("Title - Album").

A title with a dash and a credited artist is ambiguous row by row: "Fish Tail
Blues - The King & Mister Jelly Lord" from a feed that leaves the album empty
and writes it after the title, or "River Deep - Mountain High", a title. The
feed's habit decides: a source whose rows with an artist and no album mostly
have a dashed title packs releases; in any other source a dashed title stays
whole. One aggregation over the raw rows, before normalisation.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from catalog.validate import null_value
from conf.config import NormaliseConfig
from runtime.progress import get_logger

DASH = " - "


def album_packing_sources(df: DataFrame, cfg: NormaliseConfig) -> frozenset[str | None]:
    """The `source` values (None: rows without one) whose titles carry the album."""
    empty = {c: null_value(F.col(c)) for c in ("title", "artists", "album")}
    candidates = df.where(~empty["title"] & ~empty["artists"] & empty["album"])
    rows = (
        candidates.groupBy("source")
        .agg(
            F.count("*").alias("rows"),
            F.sum(F.col("title").contains(DASH).cast("int")).alias("dashed"),
        )
        .where(F.col("dashed") >= cfg.album_packing_min_rows)
        .collect()
    )
    packing = {r["source"]: r["dashed"] / r["rows"] for r in rows}
    packing = {s: share for s, share in packing.items() if share >= cfg.album_packing_share}
    if packing:
        get_logger().info(
            '  "Title - Album" undone for sources that pack releases into titles: %s',
            ", ".join(
                f"{s} ({share:.0%} of rows without an album)" for s, share in packing.items()
            ),
        )
    return frozenset(packing)
