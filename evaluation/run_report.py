"""A small report after every run, so that a scheduled run that goes wrong
is visible: the match-probability histogram, the cluster-size
distribution, the links per blocker, and the change against the previous
run (match rate, clusters, records per cluster).

Written as OUTPUT/_reports/run-<run_id>/report.md (+ report.png when
matplotlib is installed: the `plots` extra) and logged to the run's MLflow
run. Each figure is one aggregation over a table the run just wrote.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

BINS = 20
# Cluster sizes shown one by one; larger ones are counted together.
LARGEST_SHOWN = 10


@dataclass(frozen=True)
class RunReport:
    markdown: str
    png: str | None


def probability_histogram(pairs: DataFrame) -> pd.DataFrame:
    """Pairs per match-probability bin of width 1/BINS (`low`, `pairs`)."""
    bin_ = F.least(F.floor(F.col("match_probability") * BINS), F.lit(BINS - 1)).cast("int")
    counts = pairs.groupBy(bin_.alias("bin")).count().toPandas()
    frame = pd.DataFrame({"bin": range(BINS)}).merge(counts, on="bin", how="left").fillna(0)
    return pd.DataFrame({"low": frame["bin"] / BINS, "pairs": frame["count"].astype(int)})


def cluster_sizes(clusters: DataFrame) -> pd.DataFrame:
    """Clusters per size (`size`, `clusters`), sizes above LARGEST_SHOWN together."""
    per = clusters.select("cluster_id", "cluster_size").distinct()
    label = F.when(F.col("cluster_size") > LARGEST_SHOWN, F.lit(f">{LARGEST_SHOWN}")).otherwise(
        F.col("cluster_size").cast("string")
    )
    frame = per.groupBy(label.alias("size")).count().toPandas()
    frame["order"] = frame["size"].map(lambda s: LARGEST_SHOWN + 1 if s.startswith(">") else int(s))
    return frame.sort_values("order").drop(columns="order").rename(columns={"count": "clusters"})


def links_by_blocker(pairs: DataFrame) -> pd.DataFrame:
    linked = pairs.where("linked").select(F.explode("blocked_by").alias("blocker"))
    return linked.groupBy("blocker").count().toPandas().sort_values("count", ascending=False)


def _rates(row) -> dict[str, float]:
    candidates = max(int(row["candidate_pairs"] or 0), 1)
    clusters = max(int(row["clusters"] or 0), 1)
    return {
        "match rate (linked / candidate pairs)": (row["linked_pairs"] or 0) / candidates,
        "clusters": float(row["clusters"] or 0),
        "share of clusters with 2+ records": (row["multi_record_clusters"] or 0) / clusters,
        "records per cluster": (row["resolved"] or 0) / clusters,
    }


def drift(runs: DataFrame) -> pd.DataFrame | None:
    """This run's figures beside the previous run's (None: the first run)."""
    last = runs.orderBy(F.desc("started_at")).limit(2).toPandas()
    if len(last) < 2:
        return None
    now, before = _rates(last.iloc[0]), _rates(last.iloc[1])
    return pd.DataFrame(
        {
            "figure": list(now),
            "previous": [before[k] for k in now],
            "this run": [now[k] for k in now],
            "change": [
                (now[k] - before[k]) / before[k] if before[k] else float("nan") for k in now
            ],
        }
    )


def _table(frame: pd.DataFrame) -> list[str]:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def write_run_report(
    pairs: DataFrame, clusters: DataFrame, runs: DataFrame, run_id: str, folder: str
) -> RunReport:
    os.makedirs(folder, exist_ok=True)
    hist, sizes, blockers = (
        probability_histogram(pairs),
        cluster_sizes(clusters),
        links_by_blocker(pairs),
    )
    change = drift(runs)
    lines = [f"# Run {run_id}", "", "## Change against the previous run", ""]
    if change is None:
        lines.append("The first run of this output.")
    else:
        lines += _table(change)
    lines += ["", "## Match probability of the candidate pairs", ""]
    lines += _table(hist.assign(low=hist["low"].map(lambda v: f"{v:.2f}")))
    lines += ["", "## Cluster sizes", ""] + _table(sizes)
    lines += [
        "",
        "## Linked pairs per blocker (a pair counts for each blocker that proposed it)",
        "",
    ]
    lines += _table(blockers)
    markdown = os.path.join(folder, "report.md")
    with open(markdown, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    with open(os.path.join(folder, "report.json"), "w") as fh:
        json.dump(
            {
                "histogram": hist.to_dict("records"),
                "cluster_sizes": sizes.to_dict("records"),
                "links_by_blocker": blockers.to_dict("records"),
                "drift": None if change is None else change.to_dict("records"),
            },
            fh,
        )
    return RunReport(markdown, _plot(hist, sizes, blockers, os.path.join(folder, "report.png")))


def _plot(hist, sizes, blockers, path: str) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    axes[0].bar(hist["low"] + 0.5 / BINS, hist["pairs"], width=1 / BINS)
    axes[0].set_yscale("log")
    axes[0].set_title("candidate pairs by match probability")
    axes[1].bar(sizes["size"].astype(str), sizes["clusters"])
    axes[1].set_yscale("log")
    axes[1].set_title("clusters by size")
    axes[2].barh(blockers["blocker"], blockers["count"])
    axes[2].set_title("linked pairs per blocker")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
