"""What every job's command line shares: config arguments and one-line errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from runtime.errors import TracklinkError


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        default=None,
        help="YAML config (default: the packaged conf/local.yaml)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config value, e.g. --set clustering.threshold=0.95 (repeatable)",
    )


def run_cli(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> None:
    """Run a job's main; a TracklinkError ends it with one line naming the cause."""
    try:
        code = main(argv)
    except TracklinkError as exc:
        print(f"tracklink: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("tracklink: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code)
