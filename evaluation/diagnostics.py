"""What a score hides: the precision-recall curve over thresholds, and the worst errors.

* `threshold_curve`: for each threshold, pairwise precision and recall of the
  links "scored pair at or above the threshold" against the truth. Recall's
  denominator is every true pair, proposed by blocking or not, so the curve
  ends at blocking's pair completeness, not at 1. These are link-level figures
  (before clustering's transitive closure), the view that picks a threshold.
* `worst_errors`: the false merges with the highest probability and the true
  pairs with the lowest (or never proposed), side by side with both records'
  fields, small enough to read.

Everything heavy is a Spark aggregation; only the curve (one row per bucket)
and the top rows come to the driver.
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

SHOWN = ("title", "artists", "album", "duration_s", "version", "source")


def _true_pairs(truth: DataFrame) -> int:
    sizes = truth.filter(F.col("truth_id").isNotNull()).groupBy("truth_id").count()
    return int(sizes.agg(F.sum(F.col("count") * (F.col("count") - 1) / 2)).collect()[0][0] or 0)


def _labelled(pairs: DataFrame, truth: DataFrame) -> DataFrame:
    t = truth.select("record_id", "truth_id")
    return (
        pairs.join(
            t.withColumnRenamed("record_id", "record_id_l").withColumnRenamed("truth_id", "t_l"),
            "record_id_l",
        )
        .join(
            t.withColumnRenamed("record_id", "record_id_r").withColumnRenamed("truth_id", "t_r"),
            "record_id_r",
        )
        .withColumn("is_match", F.col("t_l").isNotNull() & (F.col("t_l") == F.col("t_r")))
    )


def threshold_curve(pairs: DataFrame, truth: DataFrame, steps: int = 100) -> pd.DataFrame:
    """`pairs`: record_id_l, record_id_r, match_probability. `truth`: record_id,
    truth_id. One row per threshold k/steps: threshold, links, true_links,
    precision, recall, f1."""
    bucket = F.least(F.floor(F.col("match_probability") * steps), F.lit(steps)).cast("int")
    counts = (
        _labelled(pairs, truth)
        .groupBy(bucket.alias("bucket"))
        .agg(F.count("*").alias("n"), F.sum(F.col("is_match").cast("long")).alias("tp"))
        .toPandas()
        .set_index("bucket")
        .reindex(range(steps + 1), fill_value=0)
    )
    # links at threshold k/steps: every pair in bucket k or above
    above = counts[::-1].cumsum()[::-1]
    total_true = _true_pairs(truth)
    curve = pd.DataFrame(
        {
            "threshold": [k / steps for k in range(steps + 1)],
            "links": above["n"].to_numpy(),
            "true_links": above["tp"].to_numpy(),
        }
    )
    curve["precision"] = (curve.true_links / curve.links.where(curve.links > 0)).fillna(1.0)
    curve["recall"] = curve.true_links / total_true if total_true else 1.0
    p, r = curve.precision, curve.recall
    curve["f1"] = (2 * p * r / (p + r)).where(p + r > 0, 0.0)
    return curve


def plot_curve(curve: pd.DataFrame, path: str, threshold: float, title: str) -> str:
    # matplotlib is the `plots` extra: only the plots need it.
    try:
        import matplotlib
    except ImportError as err:
        from conf.errors import EnvironmentProblem

        raise EnvironmentProblem(
            "plotting the precision-recall curve needs matplotlib: pip install 'tracklink[plots]'"
        ) from err

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(curve.recall, curve.precision, marker=".", markersize=3)
    at = curve.iloc[(curve.threshold - threshold).abs().argmin()]
    ax1.scatter([at.recall], [at.precision], color="red", zorder=3, label=f"threshold {threshold}")
    ax1.set_xlabel("recall (of all true pairs)")
    ax1.set_ylabel("precision")
    ax1.legend(loc="lower left")
    ax1.grid(alpha=0.3)
    for col in ("precision", "recall", "f1"):
        ax2.plot(curve.threshold, curve[col], label=col)
    ax2.axvline(threshold, color="red", linestyle=":")
    ax2.set_xlabel("match probability threshold")
    ax2.legend(loc="lower left")
    ax2.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def worst_errors(
    pairs: DataFrame, clusters: DataFrame, truth: DataFrame, threshold: float, n: int = 25
) -> pd.DataFrame:
    """The `n` false links with the highest probability and the `n` true pairs
    with the lowest (a true pair blocking never proposed has probability null),
    with both records' fields from `clusters`."""
    labelled = _labelled(pairs, truth)
    false_merges = (
        labelled.filter(~F.col("is_match") & (F.col("match_probability") >= threshold))
        .orderBy(F.desc("match_probability"), "record_id_l", "record_id_r")
        .limit(n)
        .withColumn("error", F.lit("false_merge"))
    )
    t = truth.filter(F.col("truth_id").isNotNull()).select("record_id", "truth_id")
    true_pairs = (
        t.withColumnRenamed("record_id", "record_id_l")
        .join(t.withColumnRenamed("record_id", "record_id_r"), "truth_id")
        .filter(F.col("record_id_l") < F.col("record_id_r"))
    )
    missed = (
        true_pairs.join(
            pairs.select("record_id_l", "record_id_r", "match_probability"),
            ["record_id_l", "record_id_r"],
            "left",
        )
        .filter(F.col("match_probability").isNull() | (F.col("match_probability") < threshold))
        .orderBy(F.asc_nulls_first("match_probability"), "record_id_l", "record_id_r")
        .limit(n)
        .withColumn("error", F.lit("missed_pair"))
    )
    cols = ["error", "record_id_l", "record_id_r", "match_probability"]
    errors = false_merges.select(*cols).unionByName(missed.select(*cols))
    shown = [c for c in SHOWN if c in clusters.columns]
    side = clusters.select("record_id", *shown)
    for s in ("l", "r"):
        errors = errors.join(
            side.select(
                F.col("record_id").alias(f"record_id_{s}"),
                *[F.col(c).alias(f"{c}_{s}") for c in shown],
            ),
            f"record_id_{s}",
            "left",
        )
    return errors.toPandas().sort_values(
        ["error", "match_probability"], ascending=[True, False], na_position="last"
    )
