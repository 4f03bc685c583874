"""Every run is an MLflow run: config, counts, timings, metrics, model artifacts.

Where the runs go (`tracking_uri`):
- `tracking.tracking_uri` when set (a tracking server, `databricks`, ...);
- on Databricks (`DATABRICKS_RUNTIME_VERSION` set) the workspace's own
  tracking server, `databricks`;
- elsewhere a SQLite store beside the tables: OUTPUT/mlruns/mlflow.db for a
  local output, so every output folder is self-contained. An object store or
  DBFS output cannot hold a SQLite file, so off Databricks its store goes to
  the output's side folder on this machine (`runtime.paths.side_folder`,
  TMP/tracklink/<output as a name>/mlruns), never to a folder named `s3:`;
  that store is as lasting as the machine's temporary folder, so a run says
  so and `tracking.tracking_uri` is the way to keep such runs.

The experiment (`experiment_name`): `tracking.experiment`, by default
`tracklink`. A Databricks tracking server names experiments by workspace
path, so there a name that is not an absolute path is placed under
`/Shared` (`tracklink` -> `/Shared/tracklink`, the default) rather than
refused: one config then works locally and on the cluster. `~/name` is the
running user's folder, `/Users/<user>/name`. An absolute path is used as
given; its parent folder must exist in the workspace (MLflow creates the
experiment, not its folders).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from conf.config import TrackingConfig
from conf.errors import ConfigError
from runtime.paths import is_local, side_folder
from runtime.progress import get_logger

DATABRICKS = "databricks"
DEFAULT_EXPERIMENT = "tracklink"
SHARED = "/Shared"


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


def on_databricks() -> bool:
    """Whether this process runs on a Databricks cluster (its runtime sets the variable)."""
    return bool(os.environ.get("DATABRICKS_RUNTIME_VERSION"))


def is_databricks_uri(uri: str) -> bool:
    """`databricks` or `databricks://<profile>`: a workspace's tracking server."""
    return uri == DATABRICKS or uri.startswith(DATABRICKS + "://")


def store_folder(output_dir: str) -> Path:
    """Where an output's local SQLite store lives: OUTPUT/mlruns for a local
    output, the side folder for an object store or DBFS one."""
    return Path(side_folder(output_dir, "mlruns")).resolve()


def tracking_uri(cfg: TrackingConfig, output_dir: str) -> str:
    """The MLflow store of a run writing `output_dir` (see the module's docstring)."""
    if cfg.tracking_uri is not None:
        return cfg.tracking_uri
    if on_databricks():
        return DATABRICKS
    return f"sqlite:///{store_folder(output_dir) / 'mlflow.db'}"


def uses_local_store(cfg: TrackingConfig) -> bool:
    """Whether runs go to a SQLite store that tracklink keeps (none configured, not on Databricks)."""
    return cfg.tracking_uri is None and not on_databricks()


def experiment_name(cfg: TrackingConfig, uri: str, user: str | None = None) -> str:
    """The experiment runs go to on the store at `uri` (see the module's
    docstring). `user` names the running user for `~/...` (looked up from the
    Spark session when not given)."""
    name = (cfg.experiment or DEFAULT_EXPERIMENT).strip()
    if not is_databricks_uri(uri):
        return name
    if name.startswith("~/"):
        user = user or current_user()
        if not user:
            raise ConfigError(
                f"bad config: tracking.experiment: {name!r} names the user's folder, but the user "
                "is unknown here; give the path, e.g. /Users/<you>/tracklink"
            )
        return f"/Users/{user}/{name[2:].strip('/')}"
    if name.startswith("/"):
        return name.rstrip("/")
    return f"{SHARED}/{name.strip('/')}"


def current_user() -> str | None:
    """The user this Spark session runs as (`current_user()`: the workspace
    user on Databricks), or None without a session."""
    try:
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
        if spark is None:
            return None
        return spark.sql("SELECT current_user() AS u").first()["u"]
    except Exception:  # noqa: BLE001 - no Spark, or a session that cannot answer
        return None


def has_store(cfg: TrackingConfig, output_dir: str) -> bool:
    """Whether the store may hold anything: a local one exists once a run
    wrote to it (asking a missing SQLite store would create it)."""
    if not cfg.enabled:
        return False
    if not uses_local_store(cfg):
        return True
    return (store_folder(output_dir) / "mlflow.db").is_file()


def output_tag(output_dir: str) -> str:
    """The `output` tag of a run: which output folder it wrote."""
    return output_dir if "://" in output_dir else str(Path(output_dir).resolve())


class RunTracker:
    """A thin wrapper over one MLflow run; every call is a no-op when tracking is off."""

    def __init__(
        self, cfg: TrackingConfig, output_dir: str, run_name: str, resume_run_id: str | None = None
    ) -> None:
        self.cfg = cfg
        self.output_dir = output_dir
        self.run_name = run_name
        self.resume_run_id = resume_run_id
        self.run_id = resume_run_id or uuid.uuid4().hex
        self.tracking_uri: str | None = None
        self.experiment: str | None = None
        self._mlflow: Any = None

    def __enter__(self) -> RunTracker:
        if not self.cfg.enabled:
            return self
        import mlflow

        uri = tracking_uri(self.cfg, self.output_dir)
        artifacts = None
        if uses_local_store(self.cfg):
            local = store_folder(self.output_dir)
            local.mkdir(parents=True, exist_ok=True)
            artifacts = (local / "artifacts").as_uri()
            if not is_local(self.output_dir):
                get_logger().warning(
                    "MLflow runs of %s are kept on this machine only, in %s "
                    "(set tracking.tracking_uri to keep them with a tracking server)",
                    self.output_dir,
                    local,
                )
        self.experiment = experiment_name(self.cfg, uri)
        mlflow.set_tracking_uri(uri)
        if mlflow.get_experiment_by_name(self.experiment) is None:
            mlflow.create_experiment(self.experiment, artifact_location=artifacts)
        mlflow.set_experiment(self.experiment)
        run = None
        if self.resume_run_id:
            try:
                run = mlflow.start_run(run_id=self.resume_run_id)
            except mlflow.exceptions.MlflowException:
                run = None  # the run lives in another store: log a new one
        if run is None:
            run = mlflow.start_run(run_name=self.run_name)
        self.run_id = run.info.run_id
        self.tracking_uri = uri
        self._mlflow = mlflow
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._mlflow is not None:
            self._mlflow.end_run(status="FAILED" if exc_type else "FINISHED")

    def mark_abandoned_runs(self) -> list[str]:
        """Mark KILLED the runs of this output's resolve jobs that are still
        RUNNING in the store: their process died (the caller holds the output's
        lock, so none of them is alive). Returns their ids."""
        if self._mlflow is None:
            return []
        from mlflow.tracking import MlflowClient

        client = MlflowClient()
        experiment = self._mlflow.get_experiment_by_name(self.experiment)
        output = output_tag(self.output_dir).replace("'", "\\'")
        runs = client.search_runs(
            [experiment.experiment_id],
            filter_string=f"attributes.status = 'RUNNING' and tags.output = '{output}'",
        )
        abandoned = [r.info.run_id for r in runs if r.info.run_id != self.run_id]
        for run_id in abandoned:
            client.set_terminated(run_id, status="KILLED")
        return abandoned

    def params(self, tree: dict[str, Any]) -> None:
        if self._mlflow is not None:
            self._mlflow.log_params(_flatten(tree))

    def metrics(self, values: dict[str, float | int]) -> None:
        if self._mlflow is not None:
            clean = {k: float(v) for k, v in values.items() if v is not None}
            self._mlflow.log_metrics(clean)

    def tags(self, values: dict[str, str]) -> None:
        if self._mlflow is not None:
            self._mlflow.set_tags(values)

    def artifact_dict(self, obj: dict[str, Any] | list[Any], name: str) -> None:
        if self._mlflow is not None:
            self._mlflow.log_dict(obj, name)

    def artifact_text(self, text: str, name: str) -> None:
        if self._mlflow is not None:
            self._mlflow.log_text(text, name)

    def artifact_file(self, path: str, folder: str | None = None) -> None:
        if self._mlflow is not None and os.path.exists(path):
            self._mlflow.log_artifact(path, folder)
