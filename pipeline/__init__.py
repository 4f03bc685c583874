"""The resolve job as stages over DataFrames, composed into a full and an
incremental run (`pipeline.full`, `pipeline.incremental`).

    from pipeline import RunInput, resolve
    result = resolve(spark, cfg, RunInput("catalog.parquet"), "out/")
"""

from pipeline.context import RunContext, RunInput
from pipeline.result import ResolveResult, format_summary
from pipeline.run import MODES, check_config, resolve

__all__ = [
    "MODES",
    "ResolveResult",
    "RunContext",
    "RunInput",
    "check_config",
    "format_summary",
    "resolve",
]
