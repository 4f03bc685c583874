"""Read tracklink's output tables at any version, without Spark.

    python -m jobs.show --output DIR [--table clusters] [--as-of-version N]
                        [--record-id ID | --cluster-id ID] [--limit 20] [--export PATH]
    python -m jobs.show --output DIR --history [--table clusters]
    python -m jobs.show --output DIR --inputs [--as-of-version N]

`--history` lists the table's versions with the run that wrote each (run id,
mode, counts from the commit metadata). `--as-of-version N` reads the table as
that version left it; `--record-id` shows a record's cluster with all its
members; `--export` writes the selection to .csv or .parquet. `--inputs` says
how the last run (or the one that wrote `runs` version N) read the catalogue:
which column filled each role, the roles used and left out (with why), the
blockers, the model's comparisons and training, and the pair model.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pandas as pd

from jobs.cli import run_cli
from pipeline.result import format_model_inputs
from storage.versions import history, select

# Characters a terminal would act on instead of showing (ESC, BEL, CR, ...),
# and invisible ones that would hide a value's difference.
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)


def printable(value: object) -> object:
    """A text value with control and invisible characters escaped ("\\x1b",
    "\\u200b"); other values as they are."""
    if not isinstance(value, str):
        return value
    return _UNPRINTABLE.sub(
        lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", value
    )


def _printable_frame(df: pd.DataFrame) -> pd.DataFrame:
    text = df.select_dtypes(include=["object", "string"]).columns
    return df.assign(**{c: df[c].map(printable) for c in text}) if len(text) else df


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="tracklink show",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--output", required=True)
    p.add_argument("--table", default="clusters")
    p.add_argument("--as-of-version", type=int, default=None, metavar="N")
    p.add_argument("--history", action="store_true")
    p.add_argument("--record-id", default=None)
    p.add_argument("--cluster-id", default=None)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--export", default=None, metavar="PATH")
    p.add_argument("--inputs", action="store_true", help="how the last run read the catalogue")
    a = p.parse_args(argv)
    if a.inputs:
        runs = select(a.output, "runs", a.as_of_version, None, None)
        last = runs.sort_values("started_at").iloc[-1]
        raw = last.get("model_inputs") if "model_inputs" in runs.columns else None
        print(printable(f"run {last.run_id} ({last['mode']}, {last.started_at}) on {last.input}"))
        lines = format_model_inputs(json.loads(raw)) if isinstance(raw, str) else []
        lines = [printable(line) for line in lines]
        print("\n".join(lines) if lines else "  (written before runs recorded their inputs)")
        return 0
    if a.history:
        df = history(a.output, a.table)
    else:
        df = select(a.output, a.table, a.as_of_version, a.record_id, a.cluster_id)
    if a.export:
        (df.to_csv if a.export.endswith(".csv") else df.to_parquet)(a.export, index=False)
        print(f"{len(df):,} rows -> {a.export}")
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 12):
            print(_printable_frame(df.head(a.limit)).to_string(index=False))
        if len(df) > a.limit:
            print(f"... {len(df):,} rows (first {a.limit} shown)")
    return 0


if __name__ == "__main__":
    run_cli(main)
