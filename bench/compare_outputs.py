"""Do two runs' outputs hold the same results? Compares the tables of two output
folders, ignoring what differs by run (run ids, timings, row order).

    python bench/compare_outputs.py OUTPUT_A OUTPUT_B

For each table: rows only in A, rows only in B, and for `pairs` the largest
difference in match probability. Exits 1 if any table differs. Used to check
that a change meant to keep results (a refactor, a speed-up) keeps them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from deltalake import DeltaTable

# Per table: the columns that identify a row and the columns compared.
TABLES = {
    "clusters": (["record_id"], ["cluster_id", "cluster_size", "kind", "version", "title"]),
    "pairs": (["record_id_l", "record_id_r"], ["blocked_by", "linked"]),
    "quarantine": (["record_id", "reason"], ["raw"]),
    "works": (["cluster_id", "work_id"], ["relation", "primary"]),
    "video_links": (["video_cluster_id", "cluster_id"], ["same_artist", "version_match"]),
    "relationships": (["src", "dst", "edge"], ["kind"]),
}
# Spark sums in the order tasks finish, so the last bits of a learned
# probability may differ between two runs of the same code.
PROBABILITY_TOLERANCE = 1e-6


def _read(out: Path, table: str) -> pd.DataFrame | None:
    path = out / table
    if not (path / "_delta_log").is_dir():
        return None
    df = DeltaTable(str(path)).to_pandas()
    for c in df.columns:
        if df[c].map(lambda v: hasattr(v, "tolist")).any():
            df[c] = df[c].map(lambda v: tuple(v.tolist()) if hasattr(v, "tolist") else v)
    return df


def compare(a: Path, b: Path) -> bool:
    same = True
    for table, (keys, values) in TABLES.items():
        left, right = _read(a, table), _read(b, table)
        if left is None or right is None:
            print(f"{table:<14} missing in {'A' if left is None else 'B'}")
            same = False
            continue
        cols = keys + [c for c in values if c in left.columns and c in right.columns]
        merged = left[cols].merge(right[cols], how="outer", indicator=True)
        only_a = int((merged["_merge"] == "left_only").sum())
        only_b = int((merged["_merge"] == "right_only").sum())
        line = f"{table:<14} A {len(left):>9,} rows, B {len(right):>9,}: only in A {only_a:,}, only in B {only_b:,}"
        if table == "pairs":
            p = left[keys + ["match_probability"]].merge(
                right[keys + ["match_probability"]], on=keys
            )
            gap = float((p.match_probability_x - p.match_probability_y).abs().max() or 0.0)
            line += f", largest probability difference {gap:.2e}"
            same &= gap <= PROBABILITY_TOLERANCE
        print(line)
        same &= only_a == only_b == 0
    print("same results" if same else "results differ")
    return same


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    args = ap.parse_args()
    sys.exit(0 if compare(args.a, args.b) else 1)


if __name__ == "__main__":
    main()
