"""The pair models trained on a user's labels, in the MLflow Model Registry.

Each model `tracklink train` fits is logged as an MLflow model (a pyfunc
over its feature columns, with its signature) and registered as a new
version of `tracklink-pair-model` with the alias `challenger`; the alias
`champion` moves to it only when it beats the running model on the
held-out labels (`promotion`). A resolve run scores with
`models:/tracklink-pair-model@champion` when the output's MLflow store has
one, and with the packaged default otherwise.
"""

from __future__ import annotations

import glob
import os
import tempfile
from dataclasses import dataclass

import numpy as np
import pandas as pd

from conf.config import Config, TrainingConfig
from linkage.pair_model import PairModel, load_pair_model
from runtime.paths import side_folder
from runtime.progress import get_logger
from runtime.tracking import has_store, tracking_uri

REGISTERED = "tracklink-pair-model"
CHAMPION = "champion"
CHALLENGER = "challenger"
# Where a run keeps the champion's weights it scored with.
MODELS_FOLDER = "_models"


@dataclass(frozen=True)
class RunningModel:
    """The pair model a run of this output scores with, and the threshold it
    clusters at."""

    model: PairModel | None
    name: str
    threshold: float
    weights_path: str | None = None
    version: str | None = None


def _client(uri: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def champion_version(cfg: Config, output: str) -> str | None:
    """The registered champion's version in the output's store, if any."""
    if not has_store(cfg.tracking, output):
        return None
    from mlflow.exceptions import MlflowException

    try:
        return str(
            _client(tracking_uri(cfg.tracking, output))
            .get_model_version_by_alias(REGISTERED, CHAMPION)
            .version
        )
    except MlflowException:
        return None


def fetch_weights(cfg: Config, output: str, version: str) -> str:
    """A registered version's weights as OUTPUT/_models/tracklink-pair-model-V.pt,
    its provenance saying which version it is (what a run records)."""
    import mlflow

    local = side_folder(output, MODELS_FOLDER, f"{REGISTERED}-{version}.pt")
    if os.path.isfile(local):
        return local
    mlflow.set_tracking_uri(tracking_uri(cfg.tracking, output))
    with tempfile.TemporaryDirectory() as folder:
        mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{REGISTERED}/{version}", dst_path=folder
        )
        found = glob.glob(os.path.join(folder, "**", "*.pt"), recursive=True)
        if not found:
            raise FileNotFoundError(f"{REGISTERED} version {version} holds no pair model weights")
        model = load_pair_model("", found[0])
    model.provenance["registered_as"] = f"models:/{REGISTERED}/{version}"
    os.makedirs(os.path.dirname(local), exist_ok=True)
    with open(local + ".part", "wb") as fh:
        fh.write(model.to_bytes())
    os.replace(local + ".part", local)
    return local


def running_model(cfg: Config, output: str) -> RunningModel:
    """The champion of the output's registry when `use_champion` (and the
    threshold its training chose, when `clustering.threshold_from_model`),
    else the configured model at `clustering.threshold`."""
    settings = cfg.linkage.pair_model
    threshold = cfg.clustering.threshold
    if not settings.enabled:
        return RunningModel(None, "off (linkage.pair_model.enabled)", threshold)
    version = champion_version(cfg, output) if settings.use_champion else None
    if version is not None:
        path = fetch_weights(cfg, output, version)
        model = load_pair_model(settings.version, path)
        name = model.provenance["registered_as"]
        if cfg.clustering.threshold_from_model and "threshold" in model.provenance:
            threshold = float(model.provenance["threshold"])
        return RunningModel(model, name, threshold, path, version)
    model = load_pair_model(settings.version, settings.weights_path)
    return RunningModel(model, settings.weights_path or settings.version, threshold)


def with_running_model(cfg: Config, output: str) -> tuple[Config, RunningModel]:
    """`cfg` set to score with the running model and cluster at its threshold."""
    running = running_model(cfg, output)
    if running.version is None:
        return cfg, running
    get_logger().info(
        "pair model: %s, trained on %s; clustering at %.3f",
        running.name,
        running.model.provenance.get("trained_on", "?"),
        running.threshold,
    )
    data = cfg.to_dict()
    data["linkage"]["pair_model"]["weights_path"] = running.weights_path
    data["clustering"]["threshold"] = running.threshold
    return Config.model_validate(data), running


def promotion(
    challenger: dict[str, float], running: dict[str, float], cfg: TrainingConfig, running_name: str
) -> tuple[bool, str]:
    """Whether the challenger replaces the running model (the champion, or
    the packaged default), and why, from their figures on the same held-out labels."""
    gain = challenger["f1"] - running["f1"]
    loss = running["precision"] - challenger["precision"]
    if gain <= cfg.min_f1_gain:
        return False, (
            f"F1 {challenger['f1']:.4f} is not above {running_name}'s {running['f1']:.4f}"
            + (f" by more than {cfg.min_f1_gain}" if cfg.min_f1_gain else "")
        )
    if loss > cfg.max_precision_loss:
        return False, (
            f"precision {challenger['precision']:.4f} is more than {cfg.max_precision_loss} "
            f"below {running_name}'s {running['precision']:.4f}"
        )
    return True, (
        f"F1 {challenger['f1']:.4f} > {running['f1']:.4f} and precision "
        f"{challenger['precision']:.4f} vs {running['precision']:.4f} ({running_name})"
    )


def _pyfunc_class():
    import mlflow.pyfunc

    class PairModelPyfunc(mlflow.pyfunc.PythonModel):
        """Match probability of pairs given their feature columns."""

        def load_context(self, context):
            with open(context.artifacts["weights"], "rb") as fh:
                self.model = PairModel.from_bytes(fh.read())

        def predict(self, context, model_input: pd.DataFrame, params=None):
            x = model_input[list(self.model.features)].to_numpy(np.float64)
            return pd.Series(self.model.probability(x), name="match_probability")

    return PairModelPyfunc


def register(weights_path: str, model: PairModel, input_example: pd.DataFrame) -> str:
    """Log the model into the active MLflow run, register it as a new
    version of `tracklink-pair-model` and give it the alias `challenger`."""
    import mlflow
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    signature = ModelSignature(
        inputs=Schema([ColSpec("double", f) for f in model.features]),
        outputs=Schema([ColSpec("double", "match_probability")]),
    )
    info = mlflow.pyfunc.log_model(
        name="pair_model",
        python_model=_pyfunc_class()(),
        artifacts={"weights": weights_path},
        signature=signature,
        # Stated, not inferred: inference imports the model in a subprocess.
        pip_requirements=["torch==2.13.0", "numpy", "pandas"],
        registered_model_name=REGISTERED,
        input_example=input_example,
    )
    version = str(info.registered_model_version)
    client = _client(mlflow.get_tracking_uri())
    client.set_registered_model_alias(REGISTERED, CHALLENGER, version)
    client.set_model_version_tag(REGISTERED, version, "features", ",".join(model.features))
    return version


def promote(version: str) -> None:
    import mlflow

    _client(mlflow.get_tracking_uri()).set_registered_model_alias(REGISTERED, CHAMPION, version)
