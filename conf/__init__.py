"""tracklink's configuration: YAML files in this folder, one typed `Config` over them."""

from conf.config import (
    BlockingConfig,
    ClusteringConfig,
    Config,
    LinkageConfig,
    MinHashConfig,
    NormaliseConfig,
    load_config,
)

__all__ = [
    "BlockingConfig",
    "ClusteringConfig",
    "Config",
    "LinkageConfig",
    "MinHashConfig",
    "NormaliseConfig",
    "load_config",
]
