"""The delta-spark engine, as far as a session without Delta's jars can run it
(this machine cannot fetch them): staging and reading back, the commit
metadata and settings it hands Delta, table names against paths, and the
one-line errors when Delta is asked for and missing. What needs the jars
(the Delta writes, history, RESTORE, MERGE, time travel) is not run here."""

import json
import os

import pytest

from conf.config import load_config
from conf.errors import ConfigError, EnvironmentProblem
from pipeline.recovery import remove_unfinished_files
from storage import delta
from storage.delta import (
    STAGE_SEP,
    TABLE_DEFAULTS_CONF,
    USER_METADATA_CONF,
    DeltaStore,
    SparkDeltaEngine,
    commit_conf,
    is_table_name,
    writer_options,
)
from storage.versions import commit_metadata

SCHEMA = "record_id string, cluster_id string, score double, tags array<string>"
ROWS = [("1", "a", 0.5, ["x"]), ("2", "a", None, None), ("3", "b", 0.9, [])]


def _engine(spark, tmp_path):
    return SparkDeltaEngine(spark, str(tmp_path / "out" / "_staged"))


def test_stage_writes_the_result_once_and_commit_reads_it_back_without_the_source(spark, tmp_path):
    source = str(tmp_path / "source")
    spark.createDataFrame(ROWS, SCHEMA).write.parquet(source)
    df = spark.read.parquet(source).filter("record_id != '9'")
    engine = _engine(spark, tmp_path)
    staged = engine.stage(df, str(tmp_path / "out" / "clusters"), "run-1")
    folder = staged.folder
    assert os.path.dirname(folder) == str(tmp_path / "out" / "_staged" / "clusters")
    assert os.path.basename(folder).startswith(f"run-1{STAGE_SEP}")
    # The commit phase reads only the staged files: the lineage ran at stage time.
    for name in os.listdir(source):
        os.remove(os.path.join(source, name))
    back = engine.staged_frame(staged)
    assert back.schema.simpleString() == df.schema.simpleString()
    assert sorted(tuple(r) for r in back.collect()) == sorted(
        (r[0], r[1], r[2], r[3]) for r in ROWS
    )


def test_an_empty_dataframe_stages_and_reads_back_empty_with_its_columns(spark, tmp_path):
    engine = _engine(spark, tmp_path)
    staged = engine.stage(spark.createDataFrame([], SCHEMA), "main.music.quarantine", "r1")
    back = engine.staged_frame(staged)
    assert back.count() == 0
    assert back.columns == ["record_id", "cluster_id", "score", "tags"]


def test_a_table_name_and_a_path_stage_into_the_same_folder_per_table(spark, tmp_path):
    engine = _engine(spark, tmp_path)
    by_name = engine.staging_dir("main.music.clusters")
    by_path = engine.staging_dir(str(tmp_path / "out" / "clusters"))
    assert by_name == by_path == str(tmp_path / "out" / "_staged" / "clusters")
    with pytest.raises(RuntimeError, match="staging folder"):
        SparkDeltaEngine(spark).staging_dir("main.music.clusters")


def test_staged_folders_are_listed_by_run_and_removed(spark, tmp_path):
    engine = _engine(spark, tmp_path)
    df = spark.createDataFrame(ROWS, SCHEMA)
    assert engine.staged_folders("main.music.pairs") == []  # no folder yet
    first = engine.stage(df, "main.music.pairs", "r1").folder
    second = engine.stage(df, "main.music.pairs", "r2")
    listed = engine.staged_folders("main.music.pairs")
    assert sorted(run for run, _ in listed) == ["r1", "r2"]
    gone = next(folder for run, folder in listed if run == "r1")
    engine.remove_folder(gone)
    assert not os.path.exists(first)
    assert [run for run, _ in engine.staged_folders("main.music.pairs")] == ["r2"]
    engine.discard(second)
    assert engine.staged_folders("main.music.pairs") == []


def test_recovery_removes_what_dead_runs_staged_for_managed_tables(spark, tmp_path, monkeypatch):
    # Only tracklink's own probe for the jars is replaced: nothing below
    # touches Delta (the tables do not exist, so there is nothing to read).
    monkeypatch.setattr(delta, "session_has_delta", lambda _spark: True)
    store = DeltaStore(spark, str(tmp_path / "out"), "spark", table_schema="default")
    assert store.path("clusters") == "default.clusters"
    df = spark.createDataFrame(ROWS, SCHEMA)
    for run in ("dead", "finished", "current"):
        store.stage(df, "clusters", run)
    store.stage(df, "works", "dead")
    notes = []
    note = lambda message, *args: notes.append(message % args)  # noqa: E731
    assert remove_unfinished_files(store, "current", {"finished"}, note) == 2
    assert sorted(r for r, _ in store.staged_folders("clusters")) == ["current", "finished"]
    assert store.staged_folders("works") == []
    assert notes == ["removed 2 folder(s) of files staged by runs that never finished"]


def test_commit_metadata_reads_back_as_recovery_reads_delta_rs_commits():
    meta = {"run_id": "abc123", "mode": "full", "rows_in": 7}
    options = writer_options("overwrite", meta)
    conf = commit_conf(meta, {})
    # delta-spark's history gives userMetadata back as the text it was given.
    assert commit_metadata({"userMetadata": options["userMetadata"]}) == meta
    assert commit_metadata({"userMetadata": conf[USER_METADATA_CONF]}) == meta
    assert options["overwriteSchema"] == "true"
    assert "overwriteSchema" not in writer_options("append", meta)


def test_table_properties_become_the_session_defaults_delta_gives_new_tables():
    conf = commit_conf({}, {"delta.enableChangeDataFeed": "true"})
    assert conf[TABLE_DEFAULTS_CONF + "enableChangeDataFeed"] == "true"
    assert TABLE_DEFAULTS_CONF == "spark.databricks.delta.properties.defaults."
    with pytest.raises(ValueError, match="not a Delta table property"):
        commit_conf({}, {"enableChangeDataFeed": "true"})


def test_commit_settings_are_put_back_after_the_commit_even_when_it_fails(spark, tmp_path):
    engine = _engine(spark, tmp_path)
    kept = TABLE_DEFAULTS_CONF + "appendOnly"
    spark.conf.set(kept, "false")
    try:
        with pytest.raises(RuntimeError, match="commit failed"):
            with engine._session_conf({USER_METADATA_CONF: json.dumps({"run_id": "r"}), kept: "1"}):
                assert json.loads(spark.conf.get(USER_METADATA_CONF)) == {"run_id": "r"}
                raise RuntimeError("commit failed")
        # A later commit (a MERGE of another run) must not inherit this run's id.
        assert spark.conf.get(USER_METADATA_CONF, None) is None
        assert spark.conf.get(kept) == "false"
    finally:
        spark.conf.unset(kept)


@pytest.mark.parametrize(
    "location, name",
    [
        ("main.music.clusters", True),
        ("music.clusters", True),
        ("clusters", False),
        ("/tmp/out/clusters", False),
        ("out.v2/clusters", False),
        ("s3://bucket/out/clusters", False),
        ("dbfs:/out/clusters", False),
        ("/Volumes/main/music/files/clusters", False),
        ("main.music.clusters-2", False),
    ],
)
def test_a_location_is_a_table_name_only_without_a_slash(location, name):
    assert is_table_name(location) is name


def test_forcing_delta_spark_on_a_session_without_delta_is_one_clear_error(spark, tmp_path):
    with pytest.raises(EnvironmentProblem, match="output.delta_engine is spark") as err:
        DeltaStore(spark, str(tmp_path), "spark")
    assert "no Delta Lake" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(EnvironmentProblem, match="output.table_schema writes managed"):
        DeltaStore(spark, str(tmp_path), "auto", table_schema="main.music")
    assert DeltaStore(spark, str(tmp_path), "auto").engine_name == "delta-rs"


def test_managed_tables_with_delta_rs_are_a_config_error(spark, tmp_path):
    with pytest.raises(ConfigError, match="output.table_schema: managed tables"):
        load_config(None, ["output.table_schema=main.music", "output.delta_engine=delta-rs"])
    with pytest.raises(ConfigError, match="output.table_schema: 'main.music.x' is not"):
        load_config(None, ["output.table_schema=main.music.x"])
    with pytest.raises(ConfigError, match="output.table_schema"):
        DeltaStore(spark, str(tmp_path), "delta-rs", table_schema="main.music")
    cfg = load_config(None, ["output.table_schema=main.music"])
    assert (cfg.output.table_schema, cfg.output.delta_engine) == ("main.music", "auto")


def test_the_run_behind_a_version_comes_from_the_engines_history(spark, tmp_path):
    store = DeltaStore(spark, str(tmp_path), "delta-rs", view="latest")
    df = spark.createDataFrame(ROWS, SCHEMA)
    store.write(df, "clusters", metadata={"run_id": "r1"})
    store.write(df, "clusters", metadata={"run_id": "r2"})
    assert store.run_that_wrote("clusters") == "r2"
    assert store.run_that_wrote("clusters", 0) == "r1"
    assert store.files("clusters") and all(
        f.startswith(str(tmp_path / "clusters")) for f in store.files("clusters")
    )


def test_a_commit_that_fails_keeps_its_staged_files_for_recovery(spark, tmp_path):
    # Without the jars the Delta write itself fails: what is left is what a
    # run killed inside that write leaves.
    engine = _engine(spark, tmp_path)
    staged = engine.stage(spark.createDataFrame(ROWS, SCHEMA), "default.clusters", "r1")
    with pytest.raises(Exception, match="DATA_SOURCE_NOT_FOUND"):
        engine.commit(staged, "default.clusters", "overwrite", {"run_id": "r1"}, {})
    assert [run for run, _ in engine.staged_folders("default.clusters")] == ["r1"]
    assert spark.conf.get(USER_METADATA_CONF, None) is None


def test_a_managed_table_that_does_not_exist_has_no_version_and_drop_removes_one(spark, tmp_path):
    engine = _engine(spark, tmp_path)
    assert engine.version("default.tracklink_missing") is None
    spark.createDataFrame(ROWS, SCHEMA).write.format("parquet").saveAsTable(
        "default.tracklink_dropped"
    )
    assert spark.catalog.tableExists("default.tracklink_dropped")
    engine.drop("default.tracklink_dropped")
    assert not spark.catalog.tableExists("default.tracklink_dropped")


def test_on_delta_rs_recovery_keeps_a_folder_the_table_reads(spark, tmp_path):
    store = DeltaStore(spark, str(tmp_path), "delta-rs", view="latest")
    df = spark.createDataFrame(ROWS, SCHEMA)
    store.write(df, "clusters", metadata={"run_id": "r1"})
    # r2 committed clusters and died before its runs row: not rolled back
    # here, so the table still reads r2's folder, which must stay.
    store.write(df, "clusters", metadata={"run_id": "r2"})
    store.stage(df, "clusters", "dead")
    notes = []
    note = lambda message, *args: notes.append(message % args)  # noqa: E731
    assert remove_unfinished_files(store, "current", {"r1"}, note) == 1
    assert sorted(r for r, _ in store.staged_folders("clusters")) == ["r1", "r2"]
    assert store.read("clusters").count() == len(ROWS)
