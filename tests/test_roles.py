"""What a catalogue fills decides what a run uses: the role profile, the
blockers it allows, the per-source "Title - Album" habit, and vector blocking."""

import pytest
from pyspark.sql import functions as F

from blocking.candidates import block_keys
from blocking.registry import blocker_names, exact_key_names, left_out_blockers
from blocking.vectors import vector_band_keys, vector_floor
from catalog.packing import album_packing_sources
from catalog.profile import profile_roles
from conf.config import BlockingConfig, NormaliseConfig, RolesConfig, VectorBlockingConfig
from conf.errors import InputError


def _records(spark, rows):
    schema = (
        "record_id string, kind_norm string, title_norm string, artist_norm string, "
        "album_norm string, duration_s double, vec array<float>"
    )
    return spark.createDataFrame(rows, schema)


def test_a_role_filled_too_sparsely_or_constant_is_left_out_with_its_reason(spark):
    rows = [
        (str(i), "audio", f"t{i}", f"a{i % 7}", "x" if i < 3 else None, 180.0, None)
        for i in range(200)
    ]
    profile = profile_roles(_records(spark, rows), RolesConfig())
    assert {"title_norm", "artist_norm"} <= profile.usable
    assert "album_norm" not in profile.usable and "1.50%" in profile.left_out["album_norm"]
    assert profile.left_out["duration_s"].startswith("1 distinct value")
    assert profile.left_out["isrc_norm"] == "no values"


def test_vectors_of_different_lengths_are_an_input_error(spark):
    rows = [
        ("1", "audio", "t", None, None, None, [1.0, 0.0]),
        ("2", "audio", "u", None, None, None, [1.0]),
    ]
    with pytest.raises(InputError, match="vec holds vectors of different lengths"):
        profile_roles(_records(spark, rows), RolesConfig(), ["vec"])


def test_blockers_run_only_on_the_columns_a_catalogue_fills():
    cfg = BlockingConfig()
    two = {"title_norm", "artist_norm"}
    assert exact_key_names(cfg, two) == ("title_artist",)
    assert blocker_names(cfg, two, {"vec": 8}) == ["title_artist", "minhash", "vector:vec"]
    assert left_out_blockers(cfg, two)["title_duration"] == "needs duration_s"
    with_length = two | {"duration_s"}
    assert "text_duration" in exact_key_names(cfg, with_length)
    assert "text_track" not in exact_key_names(cfg, with_length)


def test_title_album_is_undone_only_for_a_source_that_packs_releases(spark):
    rows = [("packs", f"Song {i} - Album {i}", "Band", None) for i in range(30)]
    rows += [("whole", "River Deep - Mountain High", "Ike & Tina Turner", None)]
    rows += [("whole", f"Song {i}", "Band", None) for i in range(30)]
    df = spark.createDataFrame(rows, "source string, title string, artists string, album string")
    assert album_packing_sources(df, NormaliseConfig()) == frozenset({"packs"})


def test_vector_keys_and_the_cosine_floor(spark):
    cfg = VectorBlockingConfig(bands=8, bits_per_band=4)
    rows = [
        ("a", "audio", "x", None, None, None, [1.0, 0.0, 0.0]),
        ("b", "audio", "y", None, None, None, [0.99, 0.1, 0.0]),
        ("c", "audio", "z", None, None, None, [0.0, 1.0, 0.0]),
        ("d", "audio", "w", None, None, None, None),
    ]
    records = _records(spark, rows)
    keys = vector_band_keys(records, {"vec": 3}, cfg)
    per_record = dict(keys.groupBy("record_id").count().collect())
    assert per_record == {"a": 8, "b": 8, "c": 8}  # a record without a vector has none
    assert set(r.blocker for r in keys.select("blocker").distinct().collect()) == {"vector:vec"}
    pairs = spark.createDataFrame(
        [
            ("a", "b", ["vector:vec"]),
            ("a", "c", ["vector:vec"]),
            ("b", "c", ["minhash", "vector:vec"]),
        ],
        "record_id_l string, record_id_r string, blocked_by array<string>",
    )
    kept = {
        (r.record_id_l, r.record_id_r) for r in vector_floor(pairs, records, ["vec"], 0.9).collect()
    }
    # a-c is far apart and only vectors proposed it; b-c stays (MinHash proposed it too)
    assert kept == {("a", "b"), ("b", "c")}


def test_block_keys_hold_vector_keys_for_an_increment_to_read(spark):
    rows = [(str(i), "audio", f"t{i}", "a", None, 200.0 + i, [float(i), 1.0]) for i in range(5)]
    records = _records(spark, rows).withColumns(
        {
            c: F.lit(None).cast(t)
            for c, t in (("isrc_norm", "string"), ("track_no", "int"), ("year", "int"))
        }
    )
    usable = {"title_norm", "artist_norm", "duration_s"}
    keys = block_keys(records, BlockingConfig(), usable, {"vec": 2})
    blockers = {r.blocker for r in keys.select("blocker").distinct().collect()}
    assert "vector:vec" in blockers and "isrc" not in blockers and "minhash" in blockers
