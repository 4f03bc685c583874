"""One entry point for a resolve run, whichever its mode."""

from __future__ import annotations

from pyspark.sql import SparkSession

from blocking import check_blocking
from catalog.readers import check_input_config
from conf.config import Config, with_input_format
from conf.errors import ConfigError
from linkage.registry import with_running_model
from pipeline.context import RunInput, open_run
from pipeline.full import resolve_full
from pipeline.incremental import check_incremental, resolve_incremental
from pipeline.result import ResolveResult
from storage.delta import DeltaStore

MODES = {"full": resolve_full, "incremental": resolve_incremental}


def check_config(cfg: Config) -> None:
    """What the config names must exist: refused before a session starts."""
    check_blocking(cfg.blocking)
    check_input_config(cfg.input)
    embedding = cfg.blocking.embedding
    if embedding.enabled and embedding.encoder == "minilm":
        from embeddings.minilm import require

        require()


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
        check_incremental(cfg, DeltaStore(spark, output, cfg.output.delta_engine))
    cfg, _ = with_running_model(cfg, output)
    with open_run(spark, cfg, source, output, mode) as ctx:
        return MODES[mode](ctx)
