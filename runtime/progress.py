"""Progress lines and stage timings, so a user watching a long run knows where it is."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

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
    """Times named stages and prints a line when each starts and ends."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = time.perf_counter()
        self.log = get_logger()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.log.info("%s ...", name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            took = time.perf_counter() - t0
            self.seconds[name] = self.seconds.get(name, 0.0) + took
            self.log.info("%s done in %.1f s", name, took)

    def note(self, message: str, *args: object) -> None:
        self.log.info("  " + message, *args)

    @property
    def total(self) -> float:
        return time.perf_counter() - self._started
