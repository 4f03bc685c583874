"""The benchmark's process runner: how a run that cannot finish is stopped and reported."""

import importlib.util
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
