"""The resolve job end to end on a small generated catalogue: tables, accounting,
MLflow, re-runs, and the one-line errors a user sees."""

import json
import os
import shutil
import subprocess
import sys

import mlflow
import pytest
from deltalake import DeltaTable

from catalog.generator import generate_catalog
from jobs import resolve as resolve_job
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

RECORDS = 800


@pytest.fixture(scope="module")
def small_catalog(spark, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("catalog") / "catalog.parquet")
    generate_catalog(spark, RECORDS, seed=5).write.parquet(path)
    return path


@pytest.fixture(scope="module")
def resolved(spark, small_catalog, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("resolved") / "out")
    argv = [
        "--input",
        small_catalog,
        "--output",
        out,
        "--truth",
        "true_entity_id",
        "--set",
        "spark.shuffle_partitions=2",
    ]
    assert resolve_job.main(argv) == 0
    return out


def test_every_input_row_is_clustered_or_quarantined(resolved):
    clusters = DeltaTable(f"{resolved}/clusters").to_pandas()
    quarantine = DeltaTable(f"{resolved}/quarantine").to_pandas()
    assert len(clusters) + len(quarantine) == RECORDS
    assert clusters.record_id.is_unique
    assert (
        clusters.groupby("cluster_id").size() == clusters.groupby("cluster_id").cluster_size.first()
    ).all()
    assert set(quarantine.reason) <= {"missing_record_id", "missing_title", "duplicate_record_id"}
    assert clusters.run_id.nunique() == 1


def test_pairs_table_holds_scored_candidates_with_their_blockers(resolved):
    pairs = DeltaTable(f"{resolved}/pairs").to_pandas()
    assert len(pairs) > 0
    assert (pairs.record_id_l < pairs.record_id_r).all()
    assert pairs.match_probability.between(0, 1).all()
    assert all(len(b) >= 1 for b in pairs.blocked_by)
    assert (pairs.linked == (pairs.match_probability >= 0.9)).all()
    # The pair model rescored them; Splink's own probability stays beside it.
    assert pairs.splink_probability.between(0, 1).all()
    assert (pairs.splink_probability != pairs.match_probability).any()


def test_quality_on_the_generated_catalogue(resolved):
    runs = DeltaTable(f"{resolved}/runs").to_pandas()
    import json

    scores = json.loads(runs.scores.iloc[-1])
    assert scores["pairwise_f1"] > 0.8
    # every record id is scored once, quarantined ones included (as missed singletons)
    clusters = DeltaTable(f"{resolved}/clusters").to_pandas()
    quarantine = DeltaTable(f"{resolved}/quarantine").to_pandas()
    ids = set(clusters.record_id) | set(quarantine.record_id.dropna())
    assert scores["records"] == len(ids) > RECORDS * 0.99


def test_run_is_tracked_in_mlflow_with_counts_timings_and_the_model(resolved):
    mlflow.set_tracking_uri(f"sqlite:///{resolved}/mlruns/mlflow.db")
    runs = mlflow.search_runs(experiment_names=["tracklink"])
    assert len(runs) == 1
    run = runs.iloc[0]
    assert run["metrics.rows_in"] == RECORDS
    assert run["metrics.seconds_scoring"] > 0
    assert "metrics.eval_pairwise_f1" in runs.columns
    assert run["params.clustering.threshold"] == "0.9"
    artifacts = {a.path for a in mlflow.artifacts.list_artifacts(run_id=run.run_id)}
    assert {"splink_model.json", "pair_model.json", "config.json"} <= artifacts


@pytest.fixture
def copy_of_resolved(resolved, tmp_path):
    """A test that runs again on an output works on its own copy, so that every
    test sees `resolved` as its one run left it."""
    out = str(tmp_path / "copy")
    shutil.copytree(resolved, out)
    return out


def test_the_same_run_again_commits_nothing(small_catalog, copy_of_resolved):
    resolved = copy_of_resolved
    tables = [
        "clusters",
        "pairs",
        "quarantine",
        "cluster_events",
        "records",
        "block_keys",
        "model",
        "works",
        "runs",
    ]
    before = {t: DeltaTable(f"{resolved}/{t}").version() for t in tables}
    argv = ["--input", small_catalog, "--output", resolved, "--set", "spark.shuffle_partitions=2"]
    assert resolve_job.main(argv) == 0
    assert {t: DeltaTable(f"{resolved}/{t}").version() for t in tables} == before
    # block_keys' files are written during blocking: those of a commit that
    # did not happen are removed, not left beside the table's own.
    live = "\n".join(DeltaTable(f"{resolved}/block_keys").file_uris())
    folders = os.listdir(f"{resolved}/block_keys/data")
    assert folders and all(f"/data/{f}/" in live for f in folders)


def test_a_second_run_adds_table_versions_and_a_runs_row(small_catalog, copy_of_resolved, tmp_path):
    resolved = copy_of_resolved
    # The same rows from a file written again: a new input, so a new run.
    again = shutil.copytree(small_catalog, tmp_path / "again.parquet")
    argv = ["--input", str(again), "--output", resolved, "--set", "spark.shuffle_partitions=2"]
    assert resolve_job.main(argv) == 0
    assert DeltaTable(f"{resolved}/clusters").version() == 1
    assert len(DeltaTable(f"{resolved}/runs").to_pandas()) == 2
    before = DeltaTable(f"{resolved}/clusters", version=0).to_pandas().set_index("record_id")
    after = DeltaTable(f"{resolved}/clusters").to_pandas().set_index("record_id")
    # The same input again: every record keeps its cluster id, and no id event is logged.
    assert (after.cluster_id == before.cluster_id.reindex(after.index)).all()
    events = DeltaTable(f"{resolved}/cluster_events").to_pandas()
    assert set(events.run_id) == {before.run_id.iloc[0]}
    assert set(events.event) == {"new"}
    # Each run leaves its report; the second one holds the change against the first.
    runs = DeltaTable(f"{resolved}/runs").to_pandas().sort_values("started_at")
    first, second = (f"{resolved}/_reports/run-{r}/report.md" for r in runs.run_id)
    assert "The first run of this output." in open(first).read()
    report = json.loads(open(second.replace("report.md", "report.json")).read())
    drift = {row["figure"]: row for row in report["drift"]}
    linked = runs.linked_pairs / runs.candidate_pairs
    rate = drift["match rate (linked / candidate pairs)"]
    assert rate["previous"] == pytest.approx(linked.iloc[0])
    assert rate["this run"] == pytest.approx(linked.iloc[1])
    assert sum(r["pairs"] for r in report["histogram"]) == runs.candidate_pairs.iloc[1]


def _run(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "jobs.resolve", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )


def test_bad_config_stops_with_one_line_naming_the_key(tmp_path):
    res = _run("--input", "x", "--output", str(tmp_path), "--set", "clustering.treshold=0.5")
    assert res.returncode == 2
    assert res.stderr.strip() == "tracklink: error: bad config: clustering.treshold: unknown key"


def test_missing_input_stops_with_one_line(tmp_path):
    res = _run("--input", str(tmp_path / "missing.parquet"), "--output", str(tmp_path / "o"))
    assert res.returncode == 2
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("tracklink: error: input not found:")
    assert "Traceback" not in res.stderr


def test_empty_input_stops_with_one_line(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("record_id,title\n")
    res = _run("--input", str(empty), "--output", str(tmp_path / "o"))
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1].startswith("tracklink: error: input is empty")


def test_unknown_input_format_is_refused(tmp_path):
    res = _run("--input", "x", "--input-format", "xml", "--output", str(tmp_path))
    assert res.returncode == 2 and "invalid choice: 'xml'" in res.stderr


def test_evaluate_job_scores_an_earlier_version_into_its_run(copy_of_resolved, capsys):
    from jobs import evaluate

    resolved = copy_of_resolved
    mlflow.set_tracking_uri(f"sqlite:///{resolved}/mlruns/mlflow.db")
    before = mlflow.search_runs(experiment_names=["tracklink"])
    assert (
        evaluate.main(["--output", resolved, "--truth", "true_entity_id", "--as-of-version", "0"])
        == 0
    )
    assert "pairwise P" in capsys.readouterr().out
    mlflow.set_tracking_uri(f"sqlite:///{resolved}/mlruns/mlflow.db")
    after = mlflow.search_runs(experiment_names=["tracklink"])
    # no new run: the scores are logged into the run that wrote version 0
    assert len(after) == len(before) == 1
    assert after.iloc[0]["metrics.eval_pairwise_f1"] > 0.8


def test_evaluate_scores_the_works_against_a_passed_through_song_column(copy_of_resolved, capsys):
    from conf.errors import InputError
    from jobs import evaluate

    resolved = copy_of_resolved
    assert evaluate.main(["--output", resolved, "--works-truth", "true_work_id"]) == 0
    out = capsys.readouterr().out
    works_line = next(
        line for line in out.splitlines() if line.split()[:2] == ["works", "pairwise"]
    )
    assert "title only" in out
    # The figure the run itself logged, from the same tables, now also logged as the evaluation's.
    mlflow.set_tracking_uri(f"sqlite:///{resolved}/mlruns/mlflow.db")
    (run,) = mlflow.search_runs(experiment_names=["tracklink"]).to_dict("records")
    p, r = run["metrics.eval_works_precision"], run["metrics.eval_works_recall"]
    assert f"pairwise P {p:.4f} R {r:.4f}" in works_line
    assert run["metrics.eval_works_pairwise_f1"] > run["metrics.eval_works_title_only_pairwise_f1"]
    with pytest.raises(InputError, match="not a column of clusters"):
        evaluate.main(["--output", resolved, "--works-truth", "no_such_column"])


def test_rescoring_a_run_with_its_own_model_gives_back_its_scores(resolved, capsys):
    """`bench/rescore_models.py` clusters the stored pairs again: with the
    stored probabilities, and with the run's model (the default) re-scoring
    them, the figures are the run's own."""
    import importlib.util

    from evaluation.metrics import format_scores
    from evaluation.output import evaluate_output
    from storage.delta import DeltaStore

    spec = importlib.util.spec_from_file_location(
        "rescore_models", ROOT / "bench" / "rescore_models.py"
    )
    rescore_models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rescore_models)
    from conf.config import PairModelConfig

    default = PairModelConfig().version
    argv = ["--output", resolved, "--truth", "true_entity_id", "--models", "stored", default]
    assert rescore_models.main([*argv, "--set", "spark.shuffle_partitions=2"]) == 0
    lines = {
        line.split()[0]: line.split(None, 1)[1]
        for line in capsys.readouterr().out.splitlines()
        if "pairwise P" in line
    }
    from pyspark.sql import SparkSession

    own = format_scores(
        evaluate_output(DeltaStore(SparkSession.getActiveSession(), resolved), "true_entity_id")
    )
    assert lines["stored"] == own
    assert lines[default] == own
