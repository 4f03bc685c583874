"""The Delta writer: versions, time travel, readable by another Delta reader,
and a failed write that leaves the table at its previous version."""

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from conf.errors import InputError
from storage.delta import DeltaStore, RustDeltaEngine


def _df(spark, rows):
    return spark.createDataFrame(
        rows, "record_id string, cluster_id string, score double, tags array<string>"
    )


def test_each_write_is_a_new_version_and_old_versions_stay_readable(spark, tmp_path):
    store = DeltaStore(spark, str(tmp_path), "delta-rs", view="latest")
    first = store.write(_df(spark, [("1", "a", 0.5, ["x"])]), "clusters", metadata={"run_id": "r1"})
    second = store.write(
        _df(spark, [("1", "b", 0.7, []), ("2", "b", None, None)]),
        "clusters",
        metadata={"run_id": "r2"},
    )
    assert (first.version, second.version) == (0, 1)
    assert sorted(r.cluster_id for r in store.read("clusters").collect()) == ["b", "b"]
    assert [r.cluster_id for r in store.read("clusters", version=0).collect()] == ["a"]


def test_tables_are_plain_delta_readable_without_spark(spark, tmp_path):
    store = DeltaStore(spark, str(tmp_path), "delta-rs", view="latest")
    store.write(_df(spark, [("1", "a", 0.5, ["x", "y"])]), "pairs", metadata={"run_id": "r1"})
    table = DeltaTable(str(tmp_path / "pairs"))
    data = table.to_pandas()
    assert data["record_id"].tolist() == ["1"] and list(data["tags"][0]) == ["x", "y"]
    commit = table.history(1)[0]
    assert '"run_id": "r1"' in commit["userMetadata"]
    stats = pa.table(table.get_add_actions(flatten=True)).to_pandas()
    assert int(stats["num_records"].sum()) == 1
    assert commit["tracklink"]["run_id"] == "r1"


def test_append_mode_adds_rows(spark, tmp_path):
    store = DeltaStore(spark, str(tmp_path), "delta-rs", view="latest")
    store.write(_df(spark, [("1", "a", 0.1, None)]), "runs", mode="append")
    store.write(_df(spark, [("2", "b", 0.2, None)]), "runs", mode="append")
    assert store.read("runs").count() == 2


def test_a_write_that_fails_before_its_commit_leaves_the_previous_version(
    spark, tmp_path, monkeypatch
):
    store = DeltaStore(spark, str(tmp_path), "delta-rs", view="latest")
    store.write(_df(spark, [("1", "a", 0.5, None)]), "clusters")

    def boom(self, path, folder):
        raise RuntimeError("killed between the Parquet write and the commit")

    monkeypatch.setattr(RustDeltaEngine, "_written_files", boom)
    with pytest.raises(RuntimeError):
        store.write(_df(spark, [("9", "z", 0.1, None)] * 3), "clusters")
    assert store.version("clusters") == 0
    assert [
        r.record_id
        for r in DeltaStore(spark, str(tmp_path), "delta-rs", view="latest")
        .read("clusters")
        .collect()
    ] == ["1"]


def test_staged_rows_read_back_before_the_commit_and_discarded_files_are_gone(spark, tmp_path):
    store = DeltaStore(spark, str(tmp_path), "delta-rs", view="latest")
    store.write(_df(spark, [("1", "a", 0.5, None)]), "block_keys", metadata={"run_id": "r1"})
    staged = store.stage(_df(spark, [("2", "b", 0.1, ["x"])]), "block_keys", "r2")
    # Readable at once, while the table still shows its previous version.
    assert [tuple(r) for r in store.staged_frame(staged).collect()] == [("2", "b", 0.1, ["x"])]
    assert [r.record_id for r in store.read("block_keys").collect()] == ["1"]
    # delta-rs keeps a table's files in folders named for their runs too.
    assert sorted(run for run, _ in store.staged_folders("block_keys")) == ["r1", "r2"]
    store.discard(staged)
    assert [run for run, _ in store.staged_folders("block_keys")] == ["r1"]
    assert [r.record_id for r in store.read("block_keys").collect()] == ["1"]
    # Staged again and committed: the rows the read-back showed.
    again = store.stage(_df(spark, [("2", "b", 0.1, ["x"])]), "block_keys", "r3")
    store.commit(again, "overwrite", {"run_id": "r3"})
    assert [r.record_id for r in store.read("block_keys").collect()] == ["2"]


def test_empty_dataframe_makes_an_empty_table(spark, tmp_path):
    store = DeltaStore(spark, str(tmp_path), "delta-rs", view="latest")
    store.write(_df(spark, []), "quarantine")
    assert store.read("quarantine").count() == 0
    assert DeltaTable(str(tmp_path / "quarantine")).to_pandas().empty


def test_reading_a_missing_table_is_an_input_error(spark, tmp_path):
    with pytest.raises(InputError, match="no Delta table"):
        DeltaStore(spark, str(tmp_path), "delta-rs", view="latest").read("nothing")


def test_auto_engine_is_delta_rs_without_the_jars(spark, tmp_path):
    assert DeltaStore(spark, str(tmp_path)).engine_name == "delta-rs"


def _runs_row(spark, run_id, versions):
    import json

    return spark.createDataFrame(
        [(run_id, json.dumps(versions))], "run_id string, table_versions string"
    )


def test_readers_see_the_versions_the_last_finished_run_recorded(spark, tmp_path):
    writer = DeltaStore(spark, str(tmp_path), "delta-rs", view="latest")
    writer.write(_df(spark, [("1", "a", 0.5, ["x"])]), "clusters", metadata={"run_id": "r1"})
    reader = DeltaStore(spark, str(tmp_path), "delta-rs")
    with pytest.raises(InputError, match="no run finished"):
        reader.read("clusters")  # the first run has not appended its runs row yet
    writer.write(_runs_row(spark, "r1", {"clusters": 0}), "runs", "append", {"run_id": "r1"})
    # r2 commits clusters but dies before its runs row
    writer.write(_df(spark, [("1", "b", 0.7, [])]), "clusters", metadata={"run_id": "r2"})
    reader = DeltaStore(spark, str(tmp_path), "delta-rs")
    assert reader.version("clusters") == 0
    assert [r.cluster_id for r in reader.read("clusters").collect()] == ["a"]
    assert [r.cluster_id for r in writer.read("clusters").collect()] == ["b"]


def test_recovery_rolls_back_versions_of_runs_that_never_finished(spark, tmp_path):
    from pipeline.recovery import roll_back_unfinished

    store = DeltaStore(spark, str(tmp_path), "delta-rs", view="latest")
    store.write(_df(spark, [("1", "a", 0.5, ["x"])]), "clusters", metadata={"run_id": "r1"})
    store.write(_df(spark, [("1", "p", 0.5, ["x"])]), "pairs", metadata={"run_id": "r1"})
    store.write(
        _runs_row(spark, "r1", {"clusters": 0, "pairs": 0}), "runs", "append", {"run_id": "r1"}
    )
    store.write(_df(spark, [("9", "b", 0.7, [])]), "clusters", metadata={"run_id": "r2"})
    store.write(_df(spark, [("9", "w", 0.7, [])]), "works", metadata={"run_id": "r2"})
    notes = []
    changed = roll_back_unfinished(store, lambda *a: notes.append(a[0] % a[1:]))
    assert changed == {"clusters": 0, "works": None}
    assert [r.cluster_id for r in store.read("clusters").collect()] == ["a"]
    assert store.latest_version("clusters") == 2  # a RESTORE is a new version
    assert store.latest_version("works") is None  # no finished run wrote it: removed
    assert store.latest_version("pairs") == 0
    assert any("rolled back to version 0" in n for n in notes)
    # a second recovery finds nothing to do: the restore is not mistaken for a dead run
    assert roll_back_unfinished(store, notes.append) == {}
