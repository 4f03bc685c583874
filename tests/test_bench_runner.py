"""The benchmark's process runner: how a run that cannot finish is stopped and reported."""

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "run_bench", Path(__file__).resolve().parent.parent / "bench" / "run_bench.py"
)
run_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_bench)


def test_a_finished_run_reports_its_output_and_time(tmp_path):
    r = run_bench.measured_run([sys.executable, "-c", "print('done')"], tmp_path)
    assert r["stdout"].strip() == "done"
    assert r["wall_s"] > 0


def test_a_run_past_its_timeout_is_stopped_at_the_timeout(tmp_path):
    with pytest.raises(run_bench.DidNotFinish) as exc:
        run_bench.measured_run(
            [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path, timeout=1
        )
    assert "timeout after 1s" in exc.value.args[0]
    assert exc.value.args[1] == 1


def test_a_run_is_stopped_when_the_disk_falls_under_the_floor(tmp_path):
    # A floor above the disk's whole size: the first check stops the run.
    floor_gb = 2 * run_bench.shutil.disk_usage(tmp_path).total / 2**30
    with pytest.raises(run_bench.DidNotFinish) as exc:
        run_bench.measured_run(
            [sys.executable, "-c", "import time; time.sleep(60)"],
            tmp_path,
            timeout=50,
            disk_floor_gb=floor_gb,
        )
    assert "free disk under" in exc.value.args[0]
    assert exc.value.args[1] < 50


def test_a_failing_run_says_how_it_ended(tmp_path):
    with pytest.raises(run_bench.DidNotFinish) as exc:
        run_bench.measured_run(
            [sys.executable, "-c", "import sys; sys.exit('bad input')"], tmp_path
        )
    assert exc.value.args[0].startswith("exit 1")
    assert "bad input" in exc.value.args[0]


def test_missing_shared_material_is_an_error_not_a_shorter_table(tmp_path, capsys):
    """A clone outside the project folder has no ../shared: the run must stop
    and name what is missing, not print a table without the baseline."""
    with pytest.raises(SystemExit):
        run_bench.main(
            ["--musicbrainz", str(tmp_path / "none.dapo"), "--sizes", "--work", str(tmp_path)]
        )
    err = capsys.readouterr().err
    assert "MusicBrainz 20K" in err and "none.dapo" in err
    assert not any(tmp_path.iterdir())


def _row(wall, stages, tool="tracklink", **more):
    return {
        "tool": tool,
        "dataset": "generated_1000",
        "records": 1000,
        "wall_s": wall,
        "peak_rss_gb": wall / 10,
        "stages_s": stages,
        "candidate_pairs": 10,
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        **more,
    }


def test_repeated_runs_quote_the_median_and_list_every_wall():
    runs = iter([_row(30.0, {"read": 3.0}), _row(10.0, {"read": 1.0}), _row(20.0, {"read": 5.0})])
    row = run_bench.repeated(3, lambda: next(runs))
    assert row["wall_s"] == 20.0
    assert row["walls_s"] == [30.0, 10.0, 20.0]
    assert row["stages_s"] == {"read": 3.0}
    assert row["peak_rss_gb"] == 3.0  # the highest of the runs


def test_the_profile_quoted_for_repeats_is_the_median_runs_own():
    slow = _row(30.0, {"read": 3.0}, profile=[{"stage": "read", "wall_s": 3.0}])
    fast = _row(10.0, {"read": 1.0}, profile=[{"stage": "read", "wall_s": 1.0}])
    row = run_bench.combine_runs([slow, fast])
    assert row["wall_s"] == 20.0
    assert row["profile"] == fast["profile"]  # the lower median of two


def test_a_run_that_does_not_finish_ends_the_repeats():
    calls = []

    def stopped():
        calls.append(1)
        return {**_row(1.0, {}, tool="splink-duckdb"), "wall_s": None, "note": "did not finish"}

    row = run_bench.repeated(3, stopped)
    assert len(calls) == 1
    assert row["wall_s"] is None and row["walls_s"] == []


def test_the_newest_run_profile_is_read_from_the_output(tmp_path):
    for i, wall in enumerate((5.0, 7.0)):
        folder = tmp_path / "_reports" / f"run-{i}"
        folder.mkdir(parents=True)
        stage = {k: 0.0 for k in run_bench.PROFILE_KEYS} | {"stage": "read", "wall_s": wall}
        (folder / "profile.json").write_text(json.dumps({"stages": [{**stage, "tasks": 3}]}))
        os.utime(folder / "profile.json", (1000 + i, 1000 + i))
    [stage] = run_bench.newest_profile(tmp_path)
    assert stage["wall_s"] == 7.0
    assert "tasks" not in stage
    assert run_bench.newest_profile(tmp_path / "none") is None


def test_the_report_has_a_profile_table_per_dataset(tmp_path):
    profile = [
        {
            "stage": "blocking",
            "wall_s": 10.0,
            "spark_active_s": 4.0,
            "driver_only_s": 6.0,
            "driver_only_share": 0.6,
            "task_s": 7.5,
            "shuffle_s": 0.5,
        }
    ]
    row = _row(12.0, {"blocking": 10.0}, profile=profile, walls_s=[11.0, 13.0])
    run_bench.write_report([row], tmp_path)
    md = (tmp_path / "results.md").read_text()
    assert "## Profile" in md and "### generated_1000" in md
    assert "| blocking | 10.0 | 4.0 | 6.0 | 60% | 7.5 | 0.5 |" in md
    assert "generated_1000 tracklink: 11.0, 13.0" in md


def test_report_only_redraws_results_from_before_profiles_and_repeats(tmp_path, capsys):
    old = [_row(12.0, {"read": 1.0}), _row(20.0, {"read": 2.0}, tool="splink-duckdb")]
    (tmp_path / "results.json").write_text(json.dumps(old))
    run_bench.main(["--report-only", "--out", str(tmp_path)])
    md = (tmp_path / "results.md").read_text()
    assert "| generated_1000 | tracklink | 1,000 | 12.0 |" in md
    assert "## Profile" not in md


def test_the_baseline_command_carries_the_rule_set(tmp_path):
    data = tmp_path / "catalog.csv"
    scaled = run_bench.baseline_command(str(data), "catalog", "true_entity_id", "py", "scaled")
    assert scaled[scaled.index("--rules") + 1] == "scaled"
    assert scaled[scaled.index("--input") + 1] == str(data.resolve())
    assert scaled[scaled.index("--truth-col") + 1] == "true_entity_id"
    loose = run_bench.baseline_command(str(data), "dapo", None, "py")
    assert loose[loose.index("--rules") + 1] == "loose"
    assert "--truth-col" not in loose
    with pytest.raises(ValueError):
        run_bench.baseline_command(str(data), "catalog", None, "py", "tight")


def test_the_baseline_rules_option_defaults_to_loose_and_takes_both(capsys):
    assert run_bench.parser().parse_args([]).baseline_rules == ["loose"]
    both = run_bench.parser().parse_args(["--baseline-rules", "loose", "scaled"])
    assert both.baseline_rules == ["loose", "scaled"]
    with pytest.raises(SystemExit):
        run_bench.parser().parse_args(["--baseline-rules", "tight"])
    assert "invalid choice" in capsys.readouterr().err


def test_the_report_has_a_ratio_line_and_a_labelled_row_per_rule_set(tmp_path):
    rows = [
        _row(10.0, {"read": 1.0}, f1=0.98),
        _row(40.0, {}, tool="splink-duckdb", rules="loose", f1=0.95, walls_s=[39.0, 41.0]),
        _row(20.0, {}, tool="splink-duckdb", rules="scaled", f1=0.9),
    ]
    run_bench.write_report(rows, tmp_path)
    md = (tmp_path / "results.md").read_text()
    assert "| generated_1000 | splink-duckdb --rules loose | 1,000 | 40.0 |" in md
    assert "| generated_1000 | splink-duckdb --rules scaled | 1,000 | 20.0 |" in md
    assert (
        "generated_1000: tracklink / splink-duckdb --rules loose wall time = 0.25; "
        "F1 0.9800 vs 0.9500" in md
    )
    assert (
        "generated_1000: tracklink / splink-duckdb --rules scaled wall time = 0.50; "
        "F1 0.9800 vs 0.9000" in md
    )
    assert md.count("wall time =") == 2
    assert "generated_1000 splink-duckdb --rules loose: 39.0, 41.0" in md
    assert (tmp_path / "results.png").exists()


def test_a_stopped_baseline_is_reported_under_its_rule_set(tmp_path):
    stopped = {
        **_row(1.0, {}, tool="splink-duckdb", rules="loose"),
        "wall_s": None,
        "note": "did not finish: timeout after 1800s",
        "stopped_s": 1800.0,
    }
    rows = [
        _row(10.0, {"read": 1.0}),
        stopped,
        _row(20.0, {}, tool="splink-duckdb", rules="scaled"),
    ]
    run_bench.write_report(rows, tmp_path)
    md = (tmp_path / "results.md").read_text()
    assert "generated_1000: splink-duckdb --rules loose was stopped after 1800s" in md
    assert "tracklink / splink-duckdb --rules scaled wall time = 0.50" in md
    assert "| generated_1000 | splink-duckdb --rules loose | - | did not finish" in md


def test_an_old_baseline_row_without_rules_reads_as_loose(tmp_path, capsys):
    old = [_row(10.0, {"read": 1.0}), _row(20.0, {"read": 2.0}, tool="splink-duckdb")]
    (tmp_path / "results.json").write_text(json.dumps(old))
    run_bench.main(["--report-only", "--out", str(tmp_path)])
    md = (tmp_path / "results.md").read_text()
    assert "| generated_1000 | splink-duckdb --rules loose | 1,000 | 20.0 |" in md
    assert "generated_1000: tracklink / splink-duckdb --rules loose wall time = 0.50" in md
    rows = json.loads((tmp_path / "results.json").read_text())
    assert [r["tool"] for r in rows] == ["tracklink", "splink-duckdb"]
    assert rows[1]["rules"] == "loose"


def test_mlflow_keys_differ_between_rule_sets():
    rows = [
        _row(10.0, {}),
        _row(20.0, {}, tool="splink-duckdb", rules="loose"),
        _row(30.0, {}, tool="splink-duckdb", rules="scaled"),
        _row(30.0, {}, tool="splink-duckdb"),  # from before --baseline-rules
    ]
    keys = [run_bench.metric_key(r) for r in rows]
    assert keys == [
        "generated_1000.tracklink",
        "generated_1000.splink-duckdb-loose",
        "generated_1000.splink-duckdb-scaled",
        "generated_1000.splink-duckdb-loose",
    ]
