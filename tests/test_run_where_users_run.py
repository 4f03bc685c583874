"""The job as users run it: spark-submit with the packaged zip, and the notebook
as plain Python. Both on a small generated catalogue, checked through Delta."""

import os
import subprocess
import sys

import pytest
from deltalake import DeltaTable

from catalog.generator import generate_catalog
from runtime.spark import splink_jar
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

RECORDS = 300


@pytest.fixture(scope="module")
def tiny_catalog(spark, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("tiny") / "catalog.parquet")
    generate_catalog(spark, RECORDS, seed=8).write.parquet(path)
    return path


def _env():
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    env.pop("PYSPARK_GATEWAY_PORT", None)
    return env


def test_spark_submit_with_the_packaged_zip(tiny_catalog, tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "package.sh"), str(dist)],
        check=True,
        cwd=ROOT,
        env=dict(_env(), PYTHON=sys.executable),
        capture_output=True,
    )
    import zipfile

    # the fast encoder's weights travel in the zip (read with pkgutil.get_data)
    assert (
        "embeddings/weights/fast-v1.pt"
        in zipfile.ZipFile(dist / "tracklink-pyfiles.zip").namelist()
    )
    spark_submit = os.path.join(os.path.dirname(sys.executable), "spark-submit")
    out = tmp_path / "out"
    res = subprocess.run(
        [
            spark_submit,
            "--master",
            "local[2]",
            "--conf",
            "spark.sql.shuffle.partitions=2",
            "--conf",
            "spark.ui.enabled=false",
            "--jars",
            splink_jar(),
            "--py-files",
            str(dist / "tracklink-pyfiles.zip"),
            str(dist / "entry" / "resolve.py"),
            "--input",
            tiny_catalog,
            "--output",
            str(out),
        ],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "rows in" in res.stdout
    clusters = DeltaTable(str(out / "clusters")).to_pandas()
    quarantine = DeltaTable(str(out / "quarantine")).to_pandas()
    assert len(clusters) + len(quarantine) == RECORDS


def test_notebook_runs_as_plain_python(tiny_catalog, tmp_path):
    out = tmp_path / "nb"
    env = dict(
        _env(),
        TRACKLINK_INPUT=tiny_catalog,
        TRACKLINK_OUTPUT=str(out),
        TRACKLINK_SET="spark.shuffle_partitions=2\nspark.driver_memory=2g",
        TRACKLINK_TRUTH="true_entity_id",
    )
    res = subprocess.run(
        [sys.executable, str(ROOT / "notebooks" / "resolve_catalog.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "cluster_size" in res.stdout and "quality" in res.stdout
    assert DeltaTable(str(out / "clusters")).version() == 0


def test_notebook_is_in_databricks_source_format():
    text = (ROOT / "notebooks" / "resolve_catalog.py").read_text()
    assert text.startswith("# Databricks notebook source\n")
    assert text.count("# COMMAND ----------") >= 4
