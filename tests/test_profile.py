"""The run profile: each stage's wall time split into Spark at work and the driver alone."""

import json
import os
import subprocess
import sys
import time

import pytest

from runtime.profile import (
    covered_seconds,
    event_log_settings,
    locate_event_log,
    profile_markdown,
    stage_profile,
    write_profile,
)
from runtime.progress import StageTimer
from tests.conftest import ROOT

PLAIN_LOG = event_log_settings("/unused")


# -- the union of Spark stages' intervals, clipped to a span -------------------


def test_overlapping_spark_stages_count_once():
    assert covered_seconds([(1.0, 3.0), (2.0, 4.0)], 0.0, 10.0) == pytest.approx(3.0)


def test_spark_stages_outside_the_span_are_clipped_away():
    assert covered_seconds([(0.0, 2.0), (8.0, 12.0), (20.0, 30.0)], 1.0, 10.0) == pytest.approx(3.0)


def test_a_stage_inside_another_adds_nothing():
    assert covered_seconds([(1.0, 9.0), (2.0, 3.0), (4.0, 5.0)], 0.0, 10.0) == pytest.approx(8.0)


def test_a_stage_still_running_counts_until_the_span_end():
    assert covered_seconds([(6.0, None)], 0.0, 10.0) == pytest.approx(4.0)
    assert covered_seconds([(6.0, None)], 12.0, 15.0) == pytest.approx(3.0)


def test_no_spark_stage_covers_nothing():
    assert covered_seconds([], 0.0, 10.0) == 0.0


# -- a hand-made event log ----------------------------------------------------


def _event(kind: str, **fields) -> str:
    return json.dumps({"Event": kind, **fields}, separators=(",", ":"))


def _stage(kind: str, stage_id: int, submitted_ms: int, completed_ms: int | None = None) -> str:
    info = {"Stage ID": stage_id, "Stage Attempt ID": 0, "Number of Tasks": 1}
    info["Submission Time"] = submitted_ms
    if completed_ms is not None:
        info["Completion Time"] = completed_ms
    return _event(kind, **{"Stage Info": info})


def _task(stage_id: int, launch_ms: int, finish_ms: int, run_ms: int) -> str:
    return _event(
        "SparkListenerTaskEnd",
        **{
            "Stage ID": stage_id,
            "Task Info": {"Launch Time": launch_ms, "Finish Time": finish_ms},
            "Task Metrics": {
                "Executor Run Time": run_ms,
                "Executor CPU Time": 200_000_000,
                "Shuffle Read Metrics": {"Fetch Wait Time": 50},
                "Shuffle Write Metrics": {"Shuffle Write Time": 100_000_000},
            },
        },
    )


@pytest.fixture
def event_log(tmp_path):
    """Times in ms from 10 s after the epoch: a job at 10.0 s with stage 0
    (10.1-10.6 s) and stage 1 (10.4-11.0 s, overlapping it), then stage 2
    submitted at 12.5 s and never completed. Among them, lines the profile
    must skip unparsed, and a last line cut short (a log still being written)."""
    lines = [
        _event("SparkListenerLogStart", **{"Spark Version": "4.2.0"}),
        _event(
            "SparkListenerJobStart", **{"Job ID": 0, "Submission Time": 10_000, "Properties": {}}
        ),
        _stage("SparkListenerStageSubmitted", 0, 10_100),
        '{"Event":"org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveExecutionUpdate",'
        + '"plan": not json at all' * 1000,
        _stage("SparkListenerStageSubmitted", 1, 10_400),
        _task(0, 10_150, 10_500, 300),
        _stage("SparkListenerStageCompleted", 0, 10_100, 10_600),
        _task(1, 10_450, 10_900, 400),
        _stage("SparkListenerStageCompleted", 1, 10_400, 11_000),
        _stage("SparkListenerStageSubmitted", 2, 12_500),
        '{"Event":"SparkListenerTaskEnd","Stage ID":2,"Task In',
    ]
    path = tmp_path / "local-1"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_a_stage_splits_into_spark_active_and_driver_only_time(event_log):
    [p] = stage_profile(event_log, [("blocking", 10.0, 12.0)])
    assert p.wall_s == pytest.approx(2.0)
    assert p.spark_active_s == pytest.approx(0.9)  # 10.1 to 11.0, the overlap once
    assert p.driver_only_s == pytest.approx(1.1)
    assert p.driver_only_share == pytest.approx(0.55)
    assert (p.jobs, p.stages, p.tasks) == (1, 2, 2)
    assert p.task_s == pytest.approx(0.7)
    assert p.task_cpu_s == pytest.approx(0.4)
    assert p.shuffle_s == pytest.approx(2 * (0.05 + 0.1))


def test_a_spark_stage_running_at_the_end_of_the_log_counts_until_the_span_end(event_log):
    [p] = stage_profile(event_log, [("scoring", 12.0, 13.0)])
    assert p.spark_active_s == pytest.approx(0.5)
    assert (p.jobs, p.stages, p.tasks) == (0, 1, 0)  # the cut-short task is not read


def test_a_stage_with_no_spark_work_is_all_driver_time(event_log):
    profiles = stage_profile(event_log, [("read", 8.0, 10.0), ("read", 11.0, 12.0)])
    assert [p.driver_only_share for p in profiles] == [1.0, 1.0]
    assert [p.task_s for p in profiles] == [0.0, 0.0]


def test_the_table_has_a_row_per_span_and_a_total(event_log):
    profiles = stage_profile(event_log, [("read", 9.0, 10.0), ("blocking", 10.0, 12.0)])
    table = profile_markdown(profiles)
    rows = table.strip().splitlines()
    assert len(rows) == 2 + 3
    assert rows[2].startswith("| read | 1.0 | 0.0 | 1.0 | 100% |")
    assert rows[3].startswith("| blocking | 2.0 | 0.9 | 1.1 | 55% | 0.7 |")
    assert rows[4].startswith("| **total** | 3.0 | 0.9 | 2.1 | 70% | 0.7 |")


# -- finding the log ----------------------------------------------------------


def test_the_settings_write_one_plain_file_into_the_folder():
    settings = event_log_settings("/data/events")
    assert settings["spark.eventLog.enabled"] == "true"
    assert settings["spark.eventLog.dir"] == "/data/events"
    assert settings["spark.eventLog.compress"] == "false"
    assert settings["spark.eventLog.rolling.enabled"] == "false"


def test_the_log_of_a_running_application_is_found_by_its_id(tmp_path):
    (tmp_path / "local-1700000000000.inprogress").write_text("")
    (tmp_path / "local-1600000000000").write_text("")  # another application's
    conf = {**PLAIN_LOG, "spark.eventLog.dir": f"file:{tmp_path}"}
    found = locate_event_log(conf, "local-1700000000000")
    assert found.path == str(tmp_path / "local-1700000000000.inprogress")


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"spark.eventLog.enabled": "false"}, "no event log"),
        ({"spark.eventLog.compress": "true"}, "compressed"),
        ({"spark.eventLog.rolling.enabled": "true"}, "rolls"),
        ({"spark.eventLog.dir": "hdfs:///logs"}, "not on this machine"),
    ],
)
def test_a_log_the_profile_cannot_read_is_none_with_the_reason(tmp_path, change, reason):
    (tmp_path / "local-1").write_text("")
    conf = {**PLAIN_LOG, "spark.eventLog.dir": str(tmp_path), **change}
    found = locate_event_log(conf, "local-1")
    assert found.path is None
    assert reason in found.reason


def test_spark_4_defaults_are_a_rolling_compressed_log():
    found = locate_event_log({"spark.eventLog.enabled": "true"}, "local-1")
    assert found.path is None and "rolls" in found.reason


def test_a_missing_log_is_none_with_the_reason(tmp_path):
    conf = {**PLAIN_LOG, "spark.eventLog.dir": str(tmp_path)}
    found = locate_event_log(conf, "local-1")
    assert found.path is None and "no event log of application local-1" in found.reason


def test_a_profile_that_cannot_be_made_does_not_fail_the_run(tmp_path):
    assert write_profile(object(), [("read", 0.0, 1.0)], str(tmp_path / "report")) is None
    assert not (tmp_path / "report").exists()


def test_the_timer_keeps_a_span_each_time_a_stage_runs():
    timer = StageTimer()
    before = time.time()
    for _ in range(2):
        with timer.stage("read"):
            time.sleep(0.05)
    assert [s[0] for s in timer.spans] == ["read", "read"]
    assert all(before <= start < end <= time.time() for _, start, end in timer.spans)
    assert timer.spans[0][2] <= timer.spans[1][1]
    assert timer.seconds["read"] == pytest.approx(sum(e - s for _, s, e in timer.spans), abs=0.01)


# -- a real session -----------------------------------------------------------

# Its own process: an event log is a setting a session must start with, and
# the suite's shared session has none.
TWO_STAGES = """
import json, sys, time
from conf.config import load_config
from runtime.profile import write_profile
from runtime.progress import StageTimer
from runtime.spark import build_local_session

events, report, scratch = sys.argv[1:]
cfg = load_config(None, [
    "spark.shuffle_partitions=2",
    "spark.driver_memory=1g",
    f"spark.event_log_dir={events}",
    f"spark.checkpoint_dir={scratch}",
])
spark = build_local_session(cfg.spark)
timer = StageTimer(spark)
with timer.stage("spark work"):
    spark.range(200_000, numPartitions=2).selectExpr("id % 7 AS k").groupBy("k").count().collect()
with timer.stage("driver sleep"):
    time.sleep(1)
print(json.dumps({"markdown": write_profile(spark, timer.spans, report)}))
spark.stop()
"""


@pytest.mark.stage
def test_a_real_run_profiles_spark_work_and_driver_work_apart(tmp_path):
    report = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-c", TWO_STAGES, str(tmp_path / "events"), str(report), str(tmp_path)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    markdown = json.loads(done.stdout.strip().splitlines()[-1])["markdown"]
    assert markdown == str(report / "profile.md")
    profile = json.loads((report / "profile.json").read_text())
    spark_work, sleep = profile["stages"]
    assert (spark_work["stage"], sleep["stage"]) == ("spark work", "driver sleep")
    assert sleep["driver_only_share"] > 0.9
    assert sleep["jobs"] == 0 and sleep["tasks"] == 0
    assert spark_work["jobs"] >= 1 and spark_work["tasks"] >= 2
    assert spark_work["task_s"] > 0 and spark_work["spark_active_s"] > 0
    for p in profile["stages"]:
        assert 0 <= p["driver_only_share"] <= 1
        assert p["spark_active_s"] <= p["wall_s"]
    assert "| driver sleep |" in (report / "profile.md").read_text()
