"""Where a run's time goes: per tracklink stage, Spark at work or the driver alone.

StageTimer records when each tracklink stage ran (`StageTimer.spans`);
Spark's event log records when each Spark stage ran and what each task cost.
Laid over each other they split a stage's wall time into time with at least
one Spark stage active and time with none: the driver analysing and
optimising a large plan, Python on the driver, a collect. Neither Spark's UI
nor the stage timings show that second part, and on wide plans (blocking's
hundreds of joins) it can be most of a stage.

The log must be plain JSON lines: Spark 4 compresses it with zstd and rolls
it into a folder by default, and Python reads neither without extra
packages, so `event_log_settings` turns both off. A session started by
spark-submit or Databricks writes whatever log its cluster asks for; the
profile is made when that log is plain, and skipped with a reason otherwise.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from runtime.progress import get_logger

# (tracklink stage name, start, end), epoch seconds: StageTimer.spans.
Span = tuple[str, float, float]

# The events the profile reads, by their name; every other line (most of the
# log's bytes: SQL plan updates of ~1 MB each) is skipped before parsing.
JOB_START = "SparkListenerJobStart"
STAGE_SUBMITTED = "SparkListenerStageSubmitted"
STAGE_COMPLETED = "SparkListenerStageCompleted"
TASK_END = "SparkListenerTaskEnd"
_EVENT_PREFIX = b'{"Event":"'
_WANTED = {name.encode() for name in (JOB_START, STAGE_SUBMITTED, STAGE_COMPLETED, TASK_END)}

# Spark's defaults where the session does not set a key (Spark 4.x).
_SPARK_DEFAULTS = {
    "spark.eventLog.enabled": "false",
    "spark.eventLog.dir": "/tmp/spark-events",
    "spark.eventLog.compress": "true",
    "spark.eventLog.rolling.enabled": "true",
}


def event_log_settings(folder: str) -> dict[str, str]:
    """The Spark settings that write this application's event log into
    `folder` as one plain JSON-lines file (`<folder>/<appId>`, with
    `.inprogress` while the application runs), which `stage_profile` reads.
    Static settings: they take effect only on a session started with them."""
    return {
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": folder,
        "spark.eventLog.compress": "false",
        "spark.eventLog.rolling.enabled": "false",
    }


class LogLookup(NamedTuple):
    """This application's event log file, or None and why there is none."""

    path: str | None
    reason: str = ""


def _sanitized(app_id: str) -> str:
    """The application id as Spark names its log file (`Utils.sanitizeDirName`)."""
    return re.sub(r"[.${}'\"]", "_", re.sub(r"[ :/]", "-", app_id)).lower()


def _local_folder(uri: str) -> str | None:
    """A `file:` URI or plain path as a local path; None for any other scheme."""
    if uri.startswith("file:"):
        path = uri.removeprefix("file:")
        # file:///x and file:/x both name /x.
        return "/" + path.lstrip("/") if path.startswith("/") else path
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", uri):
        return None
    return uri


def locate_event_log(conf: Mapping[str, str], app_id: str) -> LogLookup:
    """The plain log file of application `app_id` under the session's
    `spark.eventLog.dir`, given the session's settings (`conf`, Spark's
    defaults where a key is missing). A compressed or rolling log, a folder
    that is not on this machine, or no file is a None with the reason."""
    setting = {**_SPARK_DEFAULTS, **conf}
    if setting["spark.eventLog.enabled"].lower() != "true":
        return LogLookup(None, "the session writes no event log (spark.eventLog.enabled is off)")
    uri = setting["spark.eventLog.dir"]
    folder = _local_folder(uri)
    if folder is None:
        return LogLookup(None, f"the event log folder {uri} is not on this machine's file system")
    if setting["spark.eventLog.rolling.enabled"].lower() == "true":
        return LogLookup(None, "the event log rolls (set spark.eventLog.rolling.enabled=false)")
    if setting["spark.eventLog.compress"].lower() == "true":
        return LogLookup(None, "the event log is compressed (set spark.eventLog.compress=false)")
    name = _sanitized(app_id)
    # <app>, <app>_<attempt> (a cluster's retried driver), each maybe .inprogress.
    plain = re.compile(re.escape(name) + r"(_[^.]+)?(\.inprogress)?")
    try:
        found = [os.path.join(folder, f) for f in os.listdir(folder) if plain.fullmatch(f)]
    except OSError as exc:
        return LogLookup(None, f"the event log folder {folder} cannot be read: {exc.strerror}")
    if not found:
        return LogLookup(None, f"no event log of application {app_id} in {folder}")
    return LogLookup(max(found, key=os.path.getmtime))


def find_event_log(spark) -> LogLookup:
    """This session's own event log file (`locate_event_log`)."""
    try:
        app_id = spark.sparkContext.applicationId
        conf = spark.sparkContext.getConf()
        settings = {k: conf.get(k) for k in _SPARK_DEFAULTS if conf.contains(k)}
    except Exception:  # noqa: BLE001 - a Connect session has no SparkContext to ask
        return LogLookup(None, "the session has no SparkContext (Spark Connect) to read a log of")
    return locate_event_log(settings, app_id)


@dataclass
class Timeline:
    """What the profile needs from an event log, in epoch seconds.
    `stages`: (stage id, attempt) -> [submitted, completed or None];
    `tasks`: (finished, run s, CPU s, shuffle s) per task; `jobs`: submissions."""

    stages: dict[tuple[int, int], list[float | None]] = field(default_factory=dict)
    tasks: list[tuple[float, float, float, float]] = field(default_factory=list)
    jobs: list[float] = field(default_factory=list)


def _wanted_events(path: str) -> Iterable[dict[str, Any]]:
    """The log's events of the kinds the profile reads. Lines are read as
    bytes and their event name checked before parsing; a line that does not
    parse (the last one of a log still being written) is skipped."""
    with open(path, "rb") as fh:
        for line in fh:
            if not line.startswith(_EVENT_PREFIX):
                continue
            end = line.find(b'"', len(_EVENT_PREFIX))
            if line[len(_EVENT_PREFIX) : end] not in _WANTED:
                continue
            try:
                yield json.loads(line)
            except ValueError:
                continue


def _task_costs(event: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """(finished, run s, CPU s, shuffle s) of one task; None without metrics
    (a task lost with its executor reports none)."""
    info, metrics = event.get("Task Info") or {}, event.get("Task Metrics")
    if not metrics or not info.get("Finish Time"):
        return None
    read = metrics.get("Shuffle Read Metrics") or {}
    write = metrics.get("Shuffle Write Metrics") or {}
    return (
        info["Finish Time"] / 1e3,
        metrics.get("Executor Run Time", 0) / 1e3,
        metrics.get("Executor CPU Time", 0) / 1e9,
        read.get("Fetch Wait Time", 0) / 1e3 + write.get("Shuffle Write Time", 0) / 1e9,
    )


def read_timeline(path: str) -> Timeline:
    """The Spark jobs, stages and tasks of one event log."""
    timeline = Timeline()
    for event in _wanted_events(path):
        kind = event["Event"]
        if kind == TASK_END:
            costs = _task_costs(event)
            if costs is not None:
                timeline.tasks.append(costs)
        elif kind == JOB_START:
            timeline.jobs.append(event["Submission Time"] / 1e3)
        else:
            info = event["Stage Info"]
            key = (info["Stage ID"], info.get("Stage Attempt ID", 0))
            times = timeline.stages.setdefault(key, [None, None])
            if info.get("Submission Time"):
                times[0] = info["Submission Time"] / 1e3
            if kind == STAGE_COMPLETED and info.get("Completion Time"):
                times[1] = info["Completion Time"] / 1e3
    return timeline


def covered_seconds(
    intervals: Iterable[tuple[float, float | None]], start: float, end: float
) -> float:
    """The length of the union of `intervals`, clipped to [start, end]. An
    interval without an end (a Spark stage still running) runs to `end`."""
    clipped = sorted((max(a, start), min(end if b is None else b, end)) for a, b in intervals)
    total, reach = 0.0, start
    for a, b in clipped:
        a = max(a, reach)
        if b > a:
            total += b - a
            reach = b
    return total


@dataclass(frozen=True)
class StageProfile:
    """One tracklink stage's wall time split by what ran (seconds).
    `spark_active_s`: at least one Spark stage running; `driver_only_s`: none.
    `task_s`, `task_cpu_s`, `shuffle_s`: summed over the tasks that finished
    in the stage (two cores busy for 10 s: task_s 20); `shuffle_s` is fetch
    wait plus shuffle write time."""

    stage: str
    start: float
    wall_s: float
    spark_active_s: float
    driver_only_s: float
    driver_only_share: float
    task_s: float
    task_cpu_s: float
    shuffle_s: float
    jobs: int
    stages: int
    tasks: int


def _within(t: float, start: float, end: float) -> bool:
    return start <= t <= end


def profile_span(timeline: Timeline, span: Span) -> StageProfile:
    """One span's profile. Jobs and Spark stages count where they were
    submitted, tasks where they finished."""
    name, start, end = span
    wall = max(end - start, 0.0)
    running = [(a, b) for a, b in timeline.stages.values() if a is not None]
    active = covered_seconds(running, start, end)
    tasks = [t for t in timeline.tasks if _within(t[0], start, end)]
    return StageProfile(
        stage=name,
        start=start,
        wall_s=wall,
        spark_active_s=active,
        driver_only_s=wall - active,
        driver_only_share=(wall - active) / wall if wall > 0 else 0.0,
        task_s=sum(t[1] for t in tasks),
        task_cpu_s=sum(t[2] for t in tasks),
        shuffle_s=sum(t[3] for t in tasks),
        jobs=sum(_within(t, start, end) for t in timeline.jobs),
        stages=sum(_within(a, start, end) for a, _ in running),
        tasks=len(tasks),
    )


def stage_profile(events_path: str, spans: Sequence[Span]) -> list[StageProfile]:
    """Each span's profile (`profile_span`) from one event log, in span order."""
    timeline = read_timeline(events_path)
    return [profile_span(timeline, span) for span in spans]


_SECONDS = ("wall_s", "spark_active_s", "driver_only_s", "task_s", "task_cpu_s", "shuffle_s")
_COUNTS = ("jobs", "stages", "tasks")


def profile_total(profiles: Sequence[StageProfile]) -> dict[str, float]:
    """The stages summed (they do not overlap: StageTimer's stages run one after another)."""
    total: dict[str, float] = {k: sum(getattr(p, k) for p in profiles) for k in _SECONDS + _COUNTS}
    total["driver_only_share"] = (
        total["driver_only_s"] / total["wall_s"] if total["wall_s"] > 0 else 0.0
    )
    return total


def profile_dict(profiles: Sequence[StageProfile]) -> dict[str, Any]:
    """The profile as JSON-ready data: one entry per stage, and the total."""
    return {"stages": [asdict(p) for p in profiles], "total": profile_total(profiles)}


_COLUMNS = [
    ("stage", "stage", "{}"),
    ("wall s", "wall_s", "{:.1f}"),
    ("Spark-active s", "spark_active_s", "{:.1f}"),
    ("driver-only s", "driver_only_s", "{:.1f}"),
    ("driver-only %", "driver_only_share", "{:.0%}"),
    ("task s", "task_s", "{:.1f}"),
    ("task CPU s", "task_cpu_s", "{:.1f}"),
    ("shuffle s", "shuffle_s", "{:.1f}"),
    ("jobs", "jobs", "{}"),
    ("Spark stages", "stages", "{}"),
    ("tasks", "tasks", "{}"),
]


def profile_table(rows: Sequence[Mapping[str, Any]], keys: Sequence[str] | None = None) -> str:
    """Stage rows (`profile_dict`'s, or the bench report's) as a Markdown
    table: the columns for `keys` (None: every column), in the usual order."""
    columns = [c for c in _COLUMNS if keys is None or c[1] in keys]
    lines = [
        "| " + " | ".join(title for title, _, _ in columns) + " |",
        "|---" + "|---:" * (len(columns) - 1) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(fmt.format(row[key]) for _, key, fmt in columns) + " |")
    return "\n".join(lines) + "\n"


def profile_markdown(profiles: Sequence[StageProfile]) -> str:
    """The profile as a Markdown table, one row per stage and a total."""
    data = profile_dict(profiles)
    return profile_table(data["stages"] + [{"stage": "**total**", **data["total"]}])


PROFILE_HEADER = """# Where the time went

Per stage of the run: wall time with at least one Spark stage running
(Spark-active) and with none (driver-only: plan analysis and optimisation,
Python on the driver, collects). Task s is the executors' summed run time of
the tasks that finished in the stage; shuffle s their fetch wait and shuffle
write time. Read from the Spark event log {log}.

"""


def wait_for_listeners(spark) -> None:
    """Let Spark's listeners (the event log's among them) take every event
    posted so far, so that the log holds the run's last jobs. Best effort:
    it calls a JVM method that is not public API."""
    try:
        spark.sparkContext._jsc.sc().listenerBus().waitUntilEmpty()
    except Exception:  # noqa: BLE001 - an older or remote session: read what is there
        pass


def write_profile(spark, spans: Sequence[Span], folder: str) -> str | None:
    """Write `profile.md` and `profile.json` into `folder` from the session's
    event log and the run's spans; the Markdown's path. Never raises: a run
    must not fail for its profile, so a profile that cannot be made is one
    log line saying why, and None."""
    log = get_logger()
    try:
        lookup = find_event_log(spark)
        if lookup.path is None:
            log.info("no run profile: %s", lookup.reason)
            return None
        wait_for_listeners(spark)
        profiles = stage_profile(lookup.path, spans)
        os.makedirs(folder, exist_ok=True)
        markdown = os.path.join(folder, "profile.md")
        with open(markdown, "w") as fh:
            fh.write(PROFILE_HEADER.format(log=lookup.path) + profile_markdown(profiles))
        with open(os.path.join(folder, "profile.json"), "w") as fh:
            json.dump({"event_log": lookup.path, **profile_dict(profiles)}, fh, indent=1)
        return markdown
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.info("no run profile: %s: %s", type(exc).__name__, exc)
        return None
