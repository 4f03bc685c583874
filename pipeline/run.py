"""One entry point for a resolve run, whichever its mode."""

from __future__ import annotations

from pyspark.sql import SparkSession

from blocking import check_blocking
from catalog.readers import check_input_config
from conf.config import Config, with_input_format
from conf.errors import ConfigError
from linkage.registry import with_running_model
from linkage.stored_model import VECTOR_NAME
from pipeline.context import RunInput, open_run
from pipeline.full import resolve_full
from pipeline.incremental import check_incremental, resolve_incremental
from pipeline.result import ResolveResult
from storage.delta import DeltaStore

MODES = {"full": resolve_full, "incremental": resolve_incremental}


def check_config(cfg: Config) -> None:
    """What the config names must exist: refused before a session starts,
    rather than when a stage first reads it. Only what this run would use is
    checked: the weights of a blocker or model that is off are not."""
    import importlib.resources
    import os

    from embeddings.loader import packaged_weights_name
    from linkage.pair_model import load_pair_model

    check_blocking(cfg.blocking, cfg.input.embeddings)
    check_input_config(cfg.input)
    for name in cfg.input.embeddings:
        if not VECTOR_NAME.fullmatch(name):
            # The stored model names it, and a stored name is checked like this on load.
            raise ConfigError(
                f"bad config: input.embeddings: {name!r}: a vector column's name may hold "
                "letters, digits, '_', '-' and spaces only (rename the column)"
            )
    embedding = cfg.blocking.embedding
    if embedding.enabled and embedding.encoder == "minilm":
        from embeddings.minilm import require

        require()
    if embedding.enabled and embedding.encoder == "fast":
        packaged = packaged_weights_name(embedding.version)
        if embedding.weights_path and not os.path.isfile(embedding.weights_path):
            raise ConfigError(
                f"bad config: blocking.embedding.weights_path: no such file {embedding.weights_path}"
            )
        if not embedding.weights_path and not (
            importlib.resources.files("embeddings").joinpath(packaged).is_file()
        ):
            raise ConfigError(
                f"bad config: blocking.embedding.version: no packaged fast encoder "
                f"{embedding.version!r} (embeddings/{packaged})"
            )
    pair_model = cfg.linkage.pair_model
    if pair_model.enabled:
        if pair_model.weights_path and not os.path.isfile(pair_model.weights_path):
            raise ConfigError(
                f"bad config: linkage.pair_model.weights_path: no such file "
                f"{pair_model.weights_path}"
            )
        # Read, not only found: a file that is no pair model fails here too.
        try:
            load_pair_model(pair_model.version, pair_model.weights_path)
        except ConfigError:
            raise
        except Exception as exc:
            first_line = (str(exc).splitlines() or [""])[0]
            raise ConfigError(
                f"bad config: linkage.pair_model.weights_path: {pair_model.weights_path} "
                f"is not a pair model ({type(exc).__name__}: {first_line})"
            ) from None


def resolve(
    spark: SparkSession,
    cfg: Config,
    source: RunInput,
    output: str,
    mode: str = "full",
) -> ResolveResult:
    """Resolve `source` into the Delta tables under `output`; returns what
    happened (also tracked in MLflow and appended to the `runs` table)."""
    if mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")
    cfg = with_input_format(cfg, source.format)
    check_config(cfg)
    if mode == "incremental":
        check_incremental(cfg, DeltaStore.for_output(spark, output, cfg.output))
    cfg, _ = with_running_model(cfg, output)
    with open_run(spark, cfg, source, output, mode) as ctx:
        return MODES[mode](ctx)
