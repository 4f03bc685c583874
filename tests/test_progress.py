"""Progress lines: a long stage keeps printing while Spark works."""

import logging
import time

from runtime.progress import StageTimer, get_logger


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_long_stage_prints_heartbeats_with_spark_task_progress(spark):
    lines = _Lines()
    log = get_logger()  # configured first: it sets the level when it adds its own handler
    log.addHandler(lines)
    try:
        timer = StageTimer(spark, heartbeat_s=0.5)
        with timer.stage("slow"):
            # One task per partition, each sleeping: a stage in flight for ~3 s.
            spark.range(2, numPartitions=2).rdd.map(lambda x: time.sleep(3) or x).count()
    finally:
        log.removeHandler(lines)
    beats = [line for line in lines.lines if line.startswith("  slow running")]
    assert beats, lines.lines
    assert any("tasks)" in line for line in beats), beats
    assert lines.lines[-1].startswith("slow done in")


def test_no_heartbeat_without_spark_or_when_off():
    timer = StageTimer(None, heartbeat_s=0.1)
    with timer.stage("quick"):
        time.sleep(0.3)
    assert timer.seconds["quick"] >= 0.3
