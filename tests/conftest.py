"""One small local SparkSession for the whole suite (2 cores, UI off)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conf.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent
# ../shared/datasets beside the project, or wherever TRACKLINK_DATASETS points.
SHARED_DATASETS = Path(os.environ.get("TRACKLINK_DATASETS", ROOT.parent / "shared" / "datasets"))
MUSICBRAINZ = SHARED_DATASETS / "musicbrainz_20k" / "musicbrainz-20-A01.csv.dapo"


# One session runs every test, so the 4 GB driver also holds every test's
# broadcasts. Spark sizes memory pages from the heap (64 MB here), and a
# string-keyed broadcast join takes a whole page on the driver however small
# its table: a few dozen live broadcasts ran CI's driver out of memory.
# 3 GB ran out again (2026-12-04, test_resolve_e2e, Java heap space) once two
# more exact keys added two more key tables to every blocking plan.
SUITE_SPARK_CONF = {
    "spark.buffer.pageSize": "2m",
    # Unreferenced broadcasts and shuffles are released after a driver GC.
    "spark.cleaner.periodicGC.interval": "1min",
}


def pytest_collection_modifyitems(items):
    """Every test is `unit` (no Spark), `spark` (the shared session) or `e2e`
    (whole jobs, marked in its module); a `spark` test that runs a whole stage
    is also marked `stage` where it is written. `make test-fast` runs the
    `unit` and `spark` tests that are neither `e2e` nor `stage`."""
    for item in items:
        if item.get_closest_marker("e2e") is None:
            item.add_marker(pytest.mark.spark if "spark" in item.fixturenames else pytest.mark.unit)


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from runtime.spark import build_local_session

    cfg = load_config(
        None,
        [
            "spark.shuffle_partitions=2",
            "spark.driver_memory=4g",
            f"spark.checkpoint_dir={tmp_path_factory.mktemp('spark')}",
        ],
    )
    session = build_local_session(cfg.spark.model_copy(update={"conf": SUITE_SPARK_CONF}))
    yield session
    session.stop()


@pytest.fixture(autouse=True, scope="module")
def _release_cached_data():
    # One session serves the whole suite; what a module's jobs cached would
    # otherwise pile up in the 4 GB driver until a broadcast no longer fits.
    yield
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.catalog.clearCache()


@pytest.fixture
def cfg() -> Config:
    return load_config(None, ["spark.shuffle_partitions=2"])


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path, monkeypatch):
    # Jobs may write mlruns/ or spark-warehouse/ relative to the working directory.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
