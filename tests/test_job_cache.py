"""What a job caches is released when it ends, also when it fails."""

from __future__ import annotations

import pytest

from runtime.cache import JobCache


def _cached(df) -> bool:
    level = df.storageLevel  # asked of the JVM's cache manager
    return level.useMemory or level.useDisk


def test_a_job_that_fails_half_way_releases_what_it_cached(spark):
    with pytest.raises(RuntimeError, match="stage failed"), JobCache() as cache:
        kept = cache(spark.range(10).selectExpr("id * 2 AS x"))
        assert kept.count() == 10 and _cached(kept)
        raise RuntimeError("stage failed")
    assert not _cached(kept)


def test_release_drops_one_frame_and_the_end_drops_the_rest(spark):
    with JobCache() as cache:
        first = cache(spark.range(5).selectExpr("id AS a"))
        second = cache(spark.range(7).selectExpr("id * 3 AS b"))
        first.count(), second.count()
        cache.release(first)
        assert not _cached(first) and _cached(second)
    assert not _cached(second)


def test_an_owned_frame_is_released_at_the_end(spark):
    made = spark.range(4).selectExpr("id + 1 AS c").persist()
    made.count()
    with JobCache() as cache:
        assert cache.own(made) is made
    assert not _cached(made)
