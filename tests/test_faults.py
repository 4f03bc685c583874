"""Runs killed (SIGKILL to the process group) at stage boundaries and inside
the commit step: readers see the last finished run whole, the next run rolls
the partial commits back, and an uninterrupted rerun gives what a run that was
never interrupted gives. Each chain kills one run after another on the same
output, so every kill is also recovered from by the next run.
bench/faults.py runs every point (the README's reliability table)."""

from __future__ import annotations

import os
import shutil

import pytest
from deltalake import DeltaTable

from catalog.generator import generate_catalog
from jobs import resolve as resolve_job
from tests import kill_matrix as km

pytestmark = pytest.mark.e2e

RECORDS = 240
SETTINGS = ["--set", "spark.shuffle_partitions=2"]


@pytest.fixture(scope="module")
def inputs(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fault_input")
    everything = generate_catalog(spark, RECORDS, seed=31).toPandas()
    increment = everything.sample(frac=0.15, random_state=4)
    paths = {}
    for name, df in (
        ("all", everything),
        ("base", everything.drop(increment.index)),
        ("increment", increment),
    ):
        paths[name] = str(folder / f"{name}.parquet")
        df.to_parquet(paths[name], index=False)
    return paths


def _argv(source: str, out: str, mode: str = "full") -> list[str]:
    return ["--mode", mode, "--input", source, "--output", out, *SETTINGS]


def _resolve(argv: list[str]) -> None:
    # Runs that are not killed run in this process: the same job, no JVM to start.
    assert resolve_job.main(argv) == 0


def _kill_chain(out: str, argv: list[str], chain: list[str]) -> None:
    before = km.reader_view(out)
    for point in chain:
        assert km.run(argv, point) == -9, f"the run never reached {point!r}"
        assert km.reader_view(out) == before, f"killed at {point!r}: readers saw a partial run"


def _assert_clean(out: str) -> None:
    assert km.unfinished_versions(out) == {}
    assert km.staged_by_unfinished_runs(out) == []
    assert km.running_mlflow_runs(out) == []


@pytest.fixture(scope="module")
def base(inputs, tmp_path_factory):
    """An output whose first run was killed inside its commit step, then
    resolved from `base` by the next run (which removed what the first left)."""
    out = str(tmp_path_factory.mktemp("faults") / "base")
    assert km.run(_argv(inputs["all"], out), "committed records") == -9
    assert DeltaTable.is_deltatable(os.path.join(out, "clusters"))  # written, not finished
    with pytest.raises(Exception, match="no run has finished"):
        km.membership(out)
    _resolve(_argv(inputs["base"], out))
    _assert_clean(out)
    return out


def test_a_full_run_killed_anywhere_leaves_the_last_run_and_a_rerun_matches(inputs, base, tmp_path):
    out, reference = str(tmp_path / "out"), str(tmp_path / "reference")
    shutil.copytree(base, out)
    shutil.copytree(base, reference)
    _resolve(_argv(inputs["all"], reference))

    _kill_chain(
        out, _argv(inputs["all"], out), ["before blocking", "committed pairs", "before runs"]
    )
    assert km.unfinished_versions(out), "the commit-step kills left no partial versions to undo"
    _resolve(_argv(inputs["all"], out))

    _assert_clean(out)
    assert km.membership(out) == km.membership(reference)
    assert km.works(out) == km.works(reference)


def test_an_increment_killed_in_its_commit_is_undone_and_a_rerun_matches(inputs, base, tmp_path):
    out, reference = str(tmp_path / "out"), str(tmp_path / "reference")
    shutil.copytree(base, out)
    shutil.copytree(base, reference)
    _resolve(_argv(inputs["increment"], reference, "incremental"))

    increment = _argv(inputs["increment"], out, "incremental")
    _kill_chain(out, increment, ["committed block_keys", "committed clusters"])
    _resolve(increment)

    _assert_clean(out)
    assert km.membership(out) == km.membership(reference)
    assert km.works(out) == km.works(reference)

    # The same increment again: nothing new, so no table gets a version.
    versions = {t: DeltaTable(os.path.join(out, t)).version() for t in km.TABLES}
    _resolve(increment)
    assert {t: DeltaTable(os.path.join(out, t)).version() for t in km.TABLES} == versions
