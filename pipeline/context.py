"""What every stage of a run shares: config, session, store, timer, tracker."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from conf.config import Config
from pipeline.recovery import recover
from runtime.cache import JobCache
from runtime.lock import OutputLock
from runtime.progress import StageTimer
from runtime.tracking import RunTracker, output_tag
from storage.delta import DeltaStore


@dataclass(frozen=True)
class RunInput:
    """Where a run reads: a path, its format, and an optional ground-truth column
    (used only to evaluate at the end)."""

    path: str
    format: str = "catalog"
    truth_column: str | None = None

    @property
    def name(self) -> str:
        return os.path.basename(self.path.rstrip("/"))


@dataclass
class RunContext:
    """One run's shared state. `keep` persists a DataFrame that later stages
    read more than once, the way the run's mode wants (see `open_run`)."""

    cfg: Config
    spark: SparkSession
    store: DeltaStore
    timer: StageTimer
    tracker: RunTracker
    cache: JobCache
    source: RunInput
    mode: str
    keep: Callable[[DataFrame], DataFrame]
    started: float = field(default_factory=time.time)

    @property
    def run_id(self) -> str:
        return self.tracker.run_id

    def note(self, message: str, *args: object) -> None:
        self.timer.note(message, *args)


def _in_memory(df: DataFrame) -> DataFrame:
    return df.localCheckpoint(storageLevel=StorageLevel.MEMORY_AND_DISK)


def _on_disk(df: DataFrame) -> DataFrame:
    return df.localCheckpoint(storageLevel=StorageLevel.DISK_ONLY)


@contextmanager
def open_run(
    spark: SparkSession, cfg: Config, source: RunInput, output: str, mode: str
) -> Iterator[RunContext]:
    """Hold the output's lock, open the MLflow run, undo what a run that died
    left (`pipeline.recovery`), and release every cached DataFrame at the end,
    however the run ends."""
    timer = StageTimer(spark, cfg.progress.heartbeat_s)
    store = DeltaStore.for_output(spark, output, cfg.output, view="latest")
    name = f"{'resolve' if mode == 'full' else mode} {source.name}"
    with (
        OutputLock(output, name, cfg.lock) as lock,
        RunTracker(cfg.tracking, output, run_name=name) as tracker,
        JobCache() as cache,
    ):
        lock.run_id = tracker.run_id
        # Kept frames are checkpointed, not cached: a cached frame keeps the
        # plan that made it, and every later query built on it is analysed
        # with that whole plan on the driver again (MusicBrainz 20K: blocking
        # 34 s with a cache, 22 s checkpointed; docs/performance.md). A full run
        # keeps them in memory (spilling to disk); an increment, which joins
        # them to stored tables many times over, on local disk.
        keep = _in_memory if mode == "full" else _on_disk
        ctx = RunContext(cfg, spark, store, timer, tracker, cache, source, mode, keep)
        tracker.params(cfg.to_dict())
        tracker.tags(
            {
                "job": "resolve",
                "mode": mode,
                "input": source.path,
                "input_format": source.format,
                "config_hash": cfg.fingerprint(),
                "delta_engine": store.engine_name,
                "output": output_tag(output),
            }
        )
        recover(store, tracker, timer.note)
        tracker.artifact_dict(cfg.to_dict(), "config.json")
        yield ctx
