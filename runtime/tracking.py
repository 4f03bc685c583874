"""Every run is an MLflow run: config, counts, timings, metrics, model artifacts.

By default the store is a SQLite file under the output folder, so a run's
tables and its tracking live side by side; `tracking.tracking_uri` points it
anywhere else (a tracking server, Databricks' `databricks`).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from conf.config import TrackingConfig


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


def tracking_uri(cfg: TrackingConfig, output_dir: str) -> str:
    """The MLflow store of an output folder: `tracking.tracking_uri`, or a
    SQLite file under OUTPUT/mlruns."""
    if cfg.tracking_uri is not None:
        return cfg.tracking_uri
    return f"sqlite:///{Path(output_dir).resolve() / 'mlruns' / 'mlflow.db'}"


def has_store(cfg: TrackingConfig, output_dir: str) -> bool:
    """Whether the store may hold anything: a local one exists once a run
    wrote to it (asking a missing SQLite store would create it)."""
    if not cfg.enabled:
        return False
    if cfg.tracking_uri is not None:
        return True
    return (Path(output_dir).resolve() / "mlruns" / "mlflow.db").is_file()


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
        self._mlflow: Any = None

    def __enter__(self) -> RunTracker:
        if not self.cfg.enabled:
            return self
        import mlflow

        local = Path(self.output_dir).resolve() / "mlruns"
        if self.cfg.tracking_uri is None:
            local.mkdir(parents=True, exist_ok=True)
        uri = tracking_uri(self.cfg, self.output_dir)
        mlflow.set_tracking_uri(uri)
        experiment = mlflow.get_experiment_by_name(self.cfg.experiment)
        if experiment is None:
            artifacts = (local / "artifacts").as_uri() if self.cfg.tracking_uri is None else None
            mlflow.create_experiment(self.cfg.experiment, artifact_location=artifacts)
        mlflow.set_experiment(self.cfg.experiment)
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
        experiment = self._mlflow.get_experiment_by_name(self.cfg.experiment)
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
