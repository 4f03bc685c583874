"""DataFrames a job caches, released when the job ends, however it ends.

A notebook or a scheduler's long-lived session runs many jobs: a run that
failed half-way must not leave its cached tables holding executor memory for
the next one.
"""

from __future__ import annotations

from types import TracebackType

from pyspark.sql import DataFrame


class JobCache:
    """`with JobCache() as cache: df = cache(df)` caches `df` until the block ends."""

    def __init__(self) -> None:
        self._frames: list[DataFrame] = []

    def __call__(self, df: DataFrame) -> DataFrame:
        cached = df.cache()
        self._frames.append(cached)
        return cached

    def own(self, df: DataFrame) -> DataFrame:
        """Release `df`, cached already by whoever made it, when the block ends."""
        self._frames.append(df)
        return df

    def release(self, df: DataFrame) -> None:
        """Unpersist `df` now (it is no longer needed by the rest of the job)."""
        df.unpersist()
        self._frames = [f for f in self._frames if f is not df]

    def __enter__(self) -> JobCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for df in self._frames:
            df.unpersist()
        self._frames.clear()
