"""What normalising one record costs in Python, the executors' work in the normalise stage.

    python bench/normalise_cost.py --input CATALOG.csv [--rows 50000] [--repeat 3]

Reads the first `--rows` records of a CSV in tracklink's own column names
(a generated catalogue: `python -m jobs generate`), and times
`catalog.normalise.normalise_values` over them, without Spark: the fastest
of `--repeat` passes, in microseconds per record, each pass with its caches
emptied first. A measurement script, not a test: compare code within one
run of it (the machine's speed drifts between runs).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog import text  # noqa: E402
from catalog.normalise import normalise_values  # noqa: E402
from catalog.schema import VALUE_COLUMNS, RawValues  # noqa: E402
from conf.config import load_config  # noqa: E402


def raw_values(path: str, rows: int) -> list[RawValues]:
    out = []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            out.append(RawValues(*[row.get(c) or None for c in VALUE_COLUMNS]))
            if len(out) == rows:
                break
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    cfg = load_config().normalise
    values = raw_values(args.input, args.rows)
    caches = [f for f in vars(text).values() if hasattr(f, "cache_clear")]
    passes = []
    for _ in range(args.repeat):
        for cached in caches:
            cached.cache_clear()
        start = time.perf_counter()
        for v in values:
            normalise_values(v, cfg)
        passes.append((time.perf_counter() - start) / len(values) * 1e6)
    print(
        f"{len(values):,} records: {min(passes):.1f} us per record "
        f"(passes: {', '.join(f'{p:.1f}' for p in passes)})"
    )


if __name__ == "__main__":
    main()
