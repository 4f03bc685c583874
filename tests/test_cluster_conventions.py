"""Databricks and object-store conventions: which inputs are what, how they
are read, and where MLflow runs go, on Databricks and off it."""

from __future__ import annotations

import os
import tempfile

import pytest

from catalog.readers import _looks_like_csv, _uri_names, classify_input, read_input
from conf.config import TrackingConfig
from conf.errors import InputError
from runtime.tracking import (
    RunTracker,
    experiment_name,
    has_store,
    store_folder,
    tracking_uri,
    uses_local_store,
)

# -- which inputs are what (pure: no session, no network)


@pytest.mark.parametrize(
    ("source", "kind", "where"),
    [
        ("dbfs:/mnt/music/tracks.csv", "uri", "DBFS"),
        ("dbfs:/Volumes/main/music/raw/tracks.csv", "uri", "Unity Catalog volume"),
        ("/Volumes/main/music/raw/tracks", "uri", "Unity Catalog volume"),
        ("s3://bucket/music/tracks.parquet", "uri", "S3"),
        ("s3a://bucket/music/tracks", "uri", "S3"),
        ("abfss://raw@acct.dfs.core.windows.net/music/tracks", "uri", "Azure Data Lake"),
        ("gs://bucket/tracks", "uri", "Google Cloud Storage"),
        ("main.music.tracks", "table", "table"),
        ("music.tracks", "table", "table"),
        ("tracks", "table", "table"),
        ("`my-catalog`.music.`raw tracks`", "table", "table"),
        ("/data/tracks.csv", "local", "local"),
        ("data/tracks", "local", "local"),
        ("a.b.c.d", "local", "local"),
    ],
)
def test_each_input_form_is_recognised(source, kind, where):
    found = classify_input(source, exists=lambda _: False)
    assert (found.kind, found.where) == (kind, where)
    assert found.location == source


def test_a_file_uri_is_a_local_path_and_a_name_on_disk_is_a_file_not_a_table(tmp_path):
    assert classify_input(f"file://{tmp_path}/x.csv").location == f"{tmp_path}/x.csv"
    assert classify_input(f"file://{tmp_path}/x.csv").kind == "local"
    (tmp_path / "tracks.parquet").write_text("")
    os.chdir(tmp_path)
    assert classify_input("tracks.parquet").kind == "local"
    assert classify_input("other.parquet").kind == "table"


# -- reading them through Spark


def test_file_uris_read_as_csv_and_parquet(spark, tmp_path):
    (tmp_path / "in.csv").write_text("record_id,title\n1,Song\n2,Other\n")
    out = read_input(spark, f"file://{tmp_path}/in.csv")
    assert sorted(r.title for r in out.collect()) == ["Other", "Song"]
    spark.createDataFrame([("1", "Song")], "record_id string, title string").write.parquet(
        str(tmp_path / "p")
    )
    assert read_input(spark, f"file://{tmp_path}/p").collect()[0].title == "Song"
    with pytest.raises(InputError, match=rf"^input not found: file://{tmp_path}/nothing$"):
        read_input(spark, f"file://{tmp_path}/nothing")


def test_a_uri_is_listed_through_sparks_file_system(spark, tmp_path):
    # The route dbfs:/, s3:// and abfss:// inputs take on a cluster, here with file:.
    folder = tmp_path / "csvs"
    folder.mkdir()
    for i in range(2):
        (folder / f"part-{i}.csv").write_text("record_id,title\n1,A\n")
    (folder / "_SUCCESS").write_text("")
    names = _uri_names(spark, folder.as_uri())
    assert sorted(names) == ["_SUCCESS", "part-0.csv", "part-1.csv"]
    assert _looks_like_csv(folder.as_uri(), names)
    assert _uri_names(spark, (tmp_path / "nothing").as_uri()) == []
    assert sorted(_uri_names(spark, f"{folder.as_uri()}/*.csv")) == ["part-0.csv", "part-1.csv"]


def test_a_missing_volume_path_is_one_line_naming_it(spark):
    if os.path.exists("/Volumes"):
        pytest.skip("this machine has a /Volumes folder")
    with pytest.raises(
        InputError,
        match=r"^input not found: /Volumes/main/music/raw/tracks \(Unity Catalog volume\)$",
    ):
        read_input(spark, "/Volumes/main/music/raw/tracks")


def test_an_object_store_this_session_cannot_reach_is_one_line_naming_it(spark):
    # No S3 file system in a local session: the reason, not a Java stack trace.
    with pytest.raises(InputError) as err:
        read_input(spark, "s3://bucket/music/tracks.csv")
    message = str(err.value)
    assert message.startswith("cannot reach s3://bucket/music/tracks.csv: ")
    assert 'No FileSystem for scheme "s3"' in message and "\n" not in message


def test_tables_are_read_by_one_two_and_three_part_names(spark):
    spark.createDataFrame(
        [("1", "Song", "Artist"), ("2", "Other", None)],
        "record_id string, title string, artists string",
    ).write.mode("overwrite").saveAsTable("tracklink_conv_tracks")
    try:
        for name in (
            "tracklink_conv_tracks",
            "default.tracklink_conv_tracks",
            "spark_catalog.default.tracklink_conv_tracks",
            "`spark_catalog`.`default`.`tracklink_conv_tracks`",
        ):
            rows = {r.record_id: r for r in read_input(spark, name).collect()}
            assert rows["1"].artists == "Artist" and set(rows) == {"1", "2"}, name
        for missing in ("spark_catalog.default.nosuch", "nosuch_catalog.music.tracks"):
            with pytest.raises(
                InputError, match=rf"^input not found: no file and no table named {missing}$"
            ):
                read_input(spark, missing)
    finally:
        spark.sql("DROP TABLE IF EXISTS spark_catalog.default.tracklink_conv_tracks")


# -- where MLflow runs go


@pytest.fixture
def off_databricks(monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)


@pytest.fixture
def on_databricks(monkeypatch):
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")


def test_on_databricks_runs_go_to_the_workspace_under_shared(on_databricks, tmp_path):
    cfg = TrackingConfig()
    uri = tracking_uri(cfg, "s3://bucket/out")
    assert uri == "databricks" and not uses_local_store(cfg)
    assert has_store(cfg, "s3://bucket/out")
    assert experiment_name(cfg, uri) == "/Shared/tracklink"
    assert experiment_name(TrackingConfig(experiment="music-qa"), uri) == "/Shared/music-qa"
    user_path = "/Users/ana@example.com/tracklink"
    assert experiment_name(TrackingConfig(experiment=user_path), uri) == user_path
    home = TrackingConfig(experiment="~/tracklink")
    assert experiment_name(home, uri, user="ana@example.com") == user_path
    # a configured store wins, and names experiments as it likes
    local = TrackingConfig(tracking_uri=f"sqlite:///{tmp_path}/m.db")
    assert tracking_uri(local, "dbfs:/out") == local.tracking_uri
    assert experiment_name(local, local.tracking_uri) == "tracklink"


def test_the_users_folder_comes_from_the_sessions_user(spark, off_databricks):
    user = spark.sql("SELECT current_user() AS u").first()["u"]
    assert user
    cfg = TrackingConfig(tracking_uri="databricks", experiment="~/runs")
    assert experiment_name(cfg, "databricks") == f"/Users/{user}/runs"
    assert experiment_name(cfg, "databricks://my-profile") == f"/Users/{user}/runs"


def _one_run(cfg: TrackingConfig, output: str) -> RunTracker:
    with RunTracker(cfg, output, run_name="conventions") as tracker:
        tracker.tags({"output": output})
    return tracker


def test_a_local_run_keeps_a_sqlite_store_beside_its_tables(off_databricks, tmp_path):
    import mlflow

    out = tmp_path / "out"
    tracker = _one_run(TrackingConfig(), str(out))
    assert tracker.tracking_uri == f"sqlite:///{out / 'mlruns' / 'mlflow.db'}"
    assert tracker.experiment == "tracklink"
    mlflow.set_tracking_uri(tracker.tracking_uri)
    (run,) = mlflow.search_runs(experiment_names=["tracklink"]).to_dict("records")
    assert run["run_id"] == tracker.run_id and run["status"] == "FINISHED"
    # a file: URI output is the same folder, not a folder named `file:`
    assert store_folder(f"file://{out}") == out / "mlruns"


@pytest.mark.parametrize("output", ["s3://bucket/music/out", "dbfs:/mnt/music/out"])
def test_an_object_store_output_off_databricks_keeps_its_store_in_the_side_folder(
    off_databricks, tmp_path, monkeypatch, output
):
    import mlflow

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    cfg = TrackingConfig()
    assert not has_store(cfg, output)
    tracker = _one_run(cfg, output)
    db = store_folder(output) / "mlflow.db"
    assert db.is_file() and str(db).startswith(str(tmp_path / "tmp" / "tracklink"))
    assert tracker.tracking_uri == f"sqlite:///{db}"
    assert has_store(cfg, output)
    # nothing written where the job ran: no `s3:` or `dbfs:` folder
    assert os.listdir(work) == []
    mlflow.set_tracking_uri(tracker.tracking_uri)
    (run,) = mlflow.search_runs(experiment_names=["tracklink"]).to_dict("records")
    assert run["tags.output"] == output
