"""The `tracklink` command, and what every job's command line shares: config
arguments and one-line errors.

    tracklink resolve --input PATH --output DIR [...]
    tracklink COMMAND --help
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from conf.config import INPUT_FORMATS, Config, load_config, map_overrides, with_input_format
from conf.errors import TracklinkError


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


def add_input_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """--input, --input-format and --map: where a job reads a catalogue, and
    which of its columns fill which role."""
    parser.add_argument(
        "--input",
        required=required,
        help="a catalogue: Parquet, CSV or Delta path (local, dbfs:/ or object store), "
        "or a metastore table name such as main.music.tracks",
    )
    parser.add_argument(
        "--input-format",
        default="catalog",
        choices=INPUT_FORMATS,
        help="catalog: columns by role name or --map; musicbrainz-dapo, itunes-amazon: "
        "those benchmarks' own columns, mapped by conf/inputs/<format>.yaml",
    )
    parser.add_argument(
        "--map",
        dest="maps",
        action="append",
        default=[],
        metavar="ROLE=COLUMN",
        help="the input column that fills a role, e.g. --map title=song_name "
        "(repeatable; --map embeddings=audio_vec,video_vec names vector columns)",
    )


def load_job_config(args: argparse.Namespace) -> Config:
    """The config from --config, --map and --set (in that order), with
    --input-format's mapping under it when the job reads an input."""
    cfg = load_config(args.config, [*map_overrides(getattr(args, "maps", [])), *args.overrides])
    return with_input_format(cfg, getattr(args, "input_format", "catalog"))


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


# Subcommand -> (the job module whose `main` runs it, what it does).
COMMANDS = {
    "resolve": ("jobs.resolve", "resolve a catalogue into Delta tables (full or incremental)"),
    "generate": ("jobs.generate_catalog", "write a generated catalogue with its ground truth"),
    "evaluate": ("jobs.evaluate", "score a run's clusters against a truth column or the labels"),
    "evaluate-blocking": (
        "jobs.evaluate_blocking",
        "measure blocking alone against a truth column",
    ),
    "label": ("jobs.label", "label candidate pairs, or import golden labels"),
    "train": ("jobs.train", "train the pair model on the labels; register it in MLflow"),
    "show": ("jobs.show", "print a table's history or rows, at any version"),
    "train-pair-model": ("jobs.train_pair_model", "train the pair model on generated catalogues"),
    "train-encoder": ("jobs.train_encoder", "train the fast text encoder for embedding blocking"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: tracklink COMMAND [ARGS ...]   (tracklink COMMAND --help)", "", "commands:"]
    lines += [f"  {name:<{width}}  {what}" for name, (_, what) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """The `tracklink` console script: dispatch to a job's `main`."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        sys.exit(0 if argv else 2)
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"tracklink: unknown command {command!r}\n\n{_usage()}", file=sys.stderr)
        sys.exit(2)
    job = importlib.import_module(COMMANDS[command][0])
    run_cli(job.main, rest)
