"""Any catalogue: one generated catalogue cut to the shapes users hold (their
own column names, some roles missing, a vector column), each resolved through
a column mapping on the command line, as a user would."""

import json

import pytest
from deltalake import DeltaTable

from catalog.generated_vectors import with_recording_vectors
from catalog.generator import generate_catalog
from catalog.reshape import SHAPES, mapping, reshape
from jobs import resolve as resolve_job

pytestmark = pytest.mark.e2e

RECORDS = 400

# Shape -> the roles (normalised columns) the run should use, and the
# blockers it should run; quality floors far below what the shapes reach
# (docs/results/any-catalogue.md), so that only a broken shape fails.
EXPECTED = {
    "title": (None, {"minhash"}, 0.0),
    "title_artist": ({"title_norm", "artist_norm"}, {"title_artist", "minhash"}, 0.8),
    "title_artist_length": (
        {"title_norm", "artist_norm", "duration_s"},
        {"title_artist", "title_duration", "artist_duration", "minhash"},
        0.9,
    ),
    "everything": (None, {"isrc", "album_track_duration", "minhash"}, 0.95),
    "everything_vectors": (None, {"isrc", "minhash", "vector:audio_embedding"}, 0.95),
}


@pytest.fixture(scope="module")
def catalogue(spark):
    return with_recording_vectors(
        generate_catalog(spark, RECORDS, seed=17), dim=16, seed=17
    ).cache()


_OUTPUTS: dict[str, str] = {}


def _resolve(catalogue, shape, tmp_path_factory):
    """The output of resolving `shape` (each shape once per test session)."""
    if shape in _OUTPUTS:
        return _OUTPUTS[shape]
    folder = tmp_path_factory.mktemp(shape)
    source, out = str(folder / "in.parquet"), str(folder / "out")
    reshape(catalogue, shape).write.parquet(source)
    maps = [arg for m in mapping(shape) for arg in ("--map", m)]
    argv = ["--input", source, "--output", out, "--truth", "true_entity_id", *maps]
    assert resolve_job.main([*argv, "--set", "spark.shuffle_partitions=2"]) == 0
    _OUTPUTS[shape] = out
    return out


@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_shape_resolves_through_a_mapping_and_reconciles(
    spark, catalogue, shape, tmp_path_factory
):
    out = _resolve(catalogue, shape, tmp_path_factory)
    run = DeltaTable(f"{out}/runs").to_pandas().iloc[-1]
    assert run.rows_in == RECORDS == run.resolved + run.quarantined
    clusters = DeltaTable(f"{out}/clusters").to_pandas()
    assert len(clusters) == run.resolved
    assert "song_name" not in clusters.columns  # read as the title role, not passed through

    inputs = json.loads(run.model_inputs)
    roles, blockers, floor = EXPECTED[shape]
    if roles is not None:
        assert set(inputs["roles"]["used"]) == roles
    assert blockers <= set(inputs["blockers"])
    assert set(inputs["blockers"]).isdisjoint(inputs["blockers_left_out"])
    assert "title <- song_name" in inputs["mapping"]
    assert inputs["pair_model"] == "v5"
    scores = json.loads(run.scores)
    assert scores["pairwise_f1"] >= floor, scores


def test_a_vector_column_is_compared_and_blocks(spark, catalogue, tmp_path_factory):
    out = _resolve(catalogue, "everything_vectors", tmp_path_factory)
    run = DeltaTable(f"{out}/runs").to_pandas().iloc[-1]
    inputs = json.loads(run.model_inputs)
    assert "audio_embedding" in inputs["comparisons"]
    assert inputs["roles"]["vectors"] == {"audio_embedding": 16}
    pairs = DeltaTable(f"{out}/pairs").to_pandas()
    by_vector = pairs[pairs.blocked_by.map(lambda b: "vector:audio_embedding" in list(b))]
    assert len(by_vector) > 0
    assert "audio_embedding_l" not in pairs.columns


def test_a_role_mapped_to_a_missing_column_is_a_one_line_error(spark, catalogue, tmp_path, capsys):
    source = str(tmp_path / "in.parquet")
    reshape(catalogue, "title_artist").write.parquet(source)
    argv = ["--input", source, "--output", str(tmp_path / "out")]
    argv += ["--map", "record_id=track_id", "--map", "title=song_title"]
    with pytest.raises(SystemExit) as exit_info:
        resolve_job.run_cli(resolve_job.main, argv)
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(
        "tracklink: error: input.columns.title: the input has no column 'song_title'"
    )


def test_an_increment_blocks_and_scores_vectors_as_the_full_run_did(
    spark, catalogue, tmp_path_factory
):
    folder = tmp_path_factory.mktemp("increment")
    shaped = reshape(catalogue, "everything_vectors").orderBy("track_id")
    first, rest = shaped.limit(300), shaped.subtract(shaped.limit(300))
    first.write.parquet(str(folder / "first.parquet"))
    rest.write.parquet(str(folder / "rest.parquet"))
    maps = [arg for m in mapping("everything_vectors") for arg in ("--map", m)]
    out = str(folder / "out")
    for name, mode in (("first", "full"), ("rest", "incremental")):
        argv = ["--input", str(folder / f"{name}.parquet"), "--output", out, "--mode", mode]
        assert resolve_job.main([*argv, *maps, "--set", "spark.shuffle_partitions=2"]) == 0
    runs = DeltaTable(f"{out}/runs").to_pandas().sort_values("started_at")
    increment = runs.iloc[-1]
    assert increment["mode"] == "incremental"
    assert increment.rows_in == increment.resolved + increment.quarantined
    inputs = json.loads(increment.model_inputs)
    assert "vector:audio_embedding" in inputs["blockers"]
    assert "audio_embedding" in inputs["comparisons"]
    keys = DeltaTable(f"{out}/block_keys").to_pandas()
    assert (keys.blocker == "vector:audio_embedding").any()
    clusters = DeltaTable(f"{out}/clusters").to_pandas()
    assert len(clusters) == runs.resolved.sum()
