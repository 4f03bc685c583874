"""Progress lines and stage timings, so a user watching a long run knows where it is."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from runtime import faults

LOGGER_NAME = "tracklink"


def get_logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[tracklink %(asctime)s] %(message)s", "%H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


class StageTimer:
    """Times named stages and prints a line when each starts and ends.

    With `heartbeat_s` > 0 and a Spark session, a stage that runs longer
    prints a line every `heartbeat_s` seconds: elapsed time and the Spark
    stages in flight with their finished / total tasks, so a user watching a
    long run sees it move (Spark's own progress bar is off in batch logs).

    `spans` keeps every stage's (name, start, end) in epoch seconds, one per
    time a stage ran, so that a run's time can be laid over Spark's event
    log, which stamps its events in epoch time (`runtime.profile`)."""

    def __init__(self, spark=None, heartbeat_s: float = 0) -> None:
        self.seconds: dict[str, float] = {}
        self.spans: list[tuple[str, float, float]] = []
        self._started = time.perf_counter()
        self.log = get_logger()
        self.spark = spark
        self.heartbeat_s = heartbeat_s

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        faults.point(f"before {name}")
        self.log.info("%s ...", name)
        t0 = time.perf_counter()
        started = time.time()
        stop = threading.Event()
        beat = None
        if self.spark is not None and self.heartbeat_s > 0:
            beat = threading.Thread(target=self._beat, args=(name, t0, stop), daemon=True)
            beat.start()
        try:
            yield
        finally:
            stop.set()
            if beat is not None:
                beat.join()
            took = time.perf_counter() - t0
            self.seconds[name] = self.seconds.get(name, 0.0) + took
            self.spans.append((name, started, time.time()))
            self.log.info("%s done in %.1f s", name, took)

    def _beat(self, name: str, t0: float, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat_s):
            self.log.info(
                "  %s running %s; %s", name, _elapsed(time.perf_counter() - t0), self.spark_status()
            )

    def spark_status(self) -> str:
        """The Spark stages in flight: `stage 12 (3/8 tasks)`, or `Python`."""
        try:
            tracker = self.spark.sparkContext.statusTracker()
            infos = [tracker.getStageInfo(i) for i in sorted(tracker.getActiveStageIds())]
        except Exception:  # the session may be stopping; a progress line must not fail a run
            return "Spark status unavailable"
        active = [
            f"stage {i.stageId} ({i.numCompletedTasks}/{i.numTasks} tasks)" for i in infos if i
        ]
        return "Spark " + ", ".join(active) if active else "no Spark stage active (driver work)"

    def note(self, message: str, *args: object) -> None:
        self.log.info("  " + message, *args)

    @property
    def total(self) -> float:
        return time.perf_counter() - self._started


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
