"""F1 against the number of labels: active selection against random
selection, with a simulated labeller that answers from a truth column.

    python bench/active_learning.py [--datasets ../shared/datasets] [--work DIR]
        [--budgets 0,50,100,200,500,1000] [--batch 50] [--which musicbrainz,generated]
        [--report bench/results/active_learning.md]

For each catalogue (MusicBrainz 20K through `--input-format
musicbrainz-dapo`, truth `CID`; a generated catalogue of 20,000 records,
evaluation seed 99, truth `true_entity_id`):

1. resolve it once with the defaults (Splink unsupervised + the packaged pair
   model v5, which never saw either catalogue);
2. split its true entities in two halves by a hash of the truth id: the
   labeller is only ever asked about candidate pairs whose records both lie
   in half A; every figure is pairwise P/R/F1 over the records of half B, whose
   pairs are never labelled;
3. for each way of picking (`active`: `labelling.selection.pick_pairs`, the
   job's own selection, in batches of `--batch`, the model retrained after
   each batch; `random`: uniform over half A's candidate pairs), grow the
   labels up to each budget, train with `linkage.from_labels.fit_on_labels`
   (the job's training: fine-tuned from v5, threshold from out-of-fold F1 on
   the labels), rescore every candidate pair, cluster (connected components
   at the chosen threshold) and score half B.

Budget 0 is the packaged model at the job's threshold. Nothing is tuned on
half B. Writes a Markdown table, a JSON file and a PNG plot.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from conf.config import load_config  # noqa: E402

# An evaluation seed by default: no packaged model trained on it.
GENERATED_SEED = 99
GENERATED_RECORDS = 20_000


def components(ids: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected component label of every id, over the links (union-find)."""
    index = {r: i for i, r in enumerate(ids)}
    parent = np.arange(len(ids))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(left, right, strict=True):
        ra, rb = find(index[a]), find(index[b])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(i) for i in range(len(ids))])


def pairwise(cluster: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    frame = pd.DataFrame({"c": cluster, "t": truth})

    def pairs(sizes: pd.Series) -> float:
        return float((sizes * (sizes - 1) / 2).sum())

    tp = pairs(frame.groupby(["c", "t"]).size())
    predicted, true = pairs(frame.groupby("c").size()), pairs(frame.groupby("t").size())
    p = tp / predicted if predicted else 1.0
    r = tp / true if true else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def resolve_once(name: str, datasets: Path, work: Path, seed: int) -> tuple[Path, str]:
    from pipeline.context import RunInput
    from pipeline.run import resolve
    from runtime.spark import get_spark

    out = work / (name if name == "musicbrainz" else f"{name}-{seed}")
    truth = "CID" if name == "musicbrainz" else "true_entity_id"
    if (out / "runs" / "_delta_log").is_dir():
        return out, truth
    cfg = load_config(None, [])
    spark = get_spark(cfg.spark)
    if name == "musicbrainz":
        source = RunInput(
            str(datasets / "musicbrainz_20k" / "musicbrainz-20-A01.csv.dapo"),
            "musicbrainz-dapo",
            truth,
        )
    else:
        from catalog.generator import generate_catalog

        path = work / f"generated-{seed}.parquet"
        generate_catalog(spark, GENERATED_RECORDS, seed).write.mode("overwrite").parquet(str(path))
        source = RunInput(str(path), "catalog", truth)
    resolve(spark, cfg, source, str(out))
    return out, truth


def load_pairs(out: Path, truth: str, features: tuple[str, ...]):
    """Every candidate pair with its features, and every record with its truth."""
    from pyspark.sql import functions as F

    from linkage.pair_features import pair_features
    from runtime.spark import get_spark
    from storage.delta import DeltaStore

    cfg = load_config(None, [])
    spark = get_spark(cfg.spark)
    store = DeltaStore(spark, str(out))
    records = store.read("records")
    pairs = store.read("pairs")
    frame = (
        pair_features(
            pairs.select("record_id_l", "record_id_r", "match_weight", "splink_probability"),
            records,
            features,
        )
        .toPandas()
        .rename(columns={"splink_probability": "splink"})
    )
    truth_of = records.select(
        "record_id", records[f"`{truth}`"].cast("string").alias("truth")
    ).toPandas()
    # Quarantined rows count as singletons, as in the job's own figures:
    # their true pairs are missed.
    quarantined = (
        store.read("quarantine")
        .select("record_id", F.get_json_object("raw", f"$.{truth}").alias("truth"))
        .toPandas()
    )
    return frame, truth_of, quarantined


def run(name: str, args, cfg) -> list[dict]:
    from labelling.selection import pick_pairs
    from linkage.from_labels import fit_on_labels
    from linkage.pair_model import load_pair_model
    from runtime.spark import get_spark

    spark = get_spark(cfg.spark)
    out, truth = resolve_once(name, Path(args.datasets), Path(args.work), args.generated_seed)
    base = load_pair_model(cfg.linkage.pair_model.version)
    features = tuple(base.features)
    pairs, records, quarantined = load_pairs(out, truth, features)
    x = pairs[list(features)].to_numpy(np.float64)
    t_of = dict(zip(records["record_id"], records["truth"], strict=True))
    half_a = {t for t in set(records["truth"]) if zlib.crc32(str(t).encode()) % 2 == 0}
    in_a = np.array([t_of[r] in half_a for r in records["record_id"]])
    pairs["t_l"] = pairs["record_id_l"].map(t_of)
    pairs["t_r"] = pairs["record_id_r"].map(t_of)
    pairs["y"] = (pairs["t_l"] == pairs["t_r"]).astype(int)
    pool = pairs["t_l"].isin(half_a) & pairs["t_r"].isin(half_a)
    ids = records["record_id"].to_numpy()
    eval_ids = ids[~in_a]
    held_q = quarantined[~quarantined["truth"].isin(half_a)]
    eval_truth = np.concatenate([records["truth"].to_numpy()[~in_a], held_q["truth"].to_numpy()])
    budgets = [int(b) for b in args.budgets.split(",")]
    print(
        f"{name}: {len(records):,} records, {len(pairs):,} candidate pairs; "
        f"labelling pool {int(pool.sum()):,} pairs (half A), figures on {len(eval_truth):,} records "
        f"(half B, {len(held_q)} of them quarantined)"
    )

    def evaluate(p: np.ndarray, threshold: float) -> dict[str, float]:
        linked = p >= threshold
        comp = components(
            ids, pairs["record_id_l"].to_numpy()[linked], pairs["record_id_r"].to_numpy()[linked]
        )
        label = dict(zip(ids, comp, strict=True))
        alone = -1 - np.arange(len(held_q))  # each quarantined row its own cluster
        return pairwise(np.concatenate([[label[r] for r in eval_ids], alone]), eval_truth)

    rows = []
    p0 = base.probability(x)
    start = evaluate(p0, cfg.clustering.threshold)
    for way in ("active", "random"):
        rows.append(
            {
                "dataset": name,
                "way": way,
                "labels": 0,
                "threshold": cfg.clustering.threshold,
                **start,
            }
        )
    tcfg = cfg.training

    def retrain(labelled: list[int], p: np.ndarray, threshold: float) -> tuple[np.ndarray, float]:
        train = pairs.iloc[labelled].assign(picked_by=[picked_by[i] for i in labelled])
        if train["y"].nunique() < 2:
            return p, threshold
        open_rows = np.setdiff1d(np.flatnonzero(pool.to_numpy()), labelled)
        drawn = np.random.default_rng(tcfg.seed).permutation(open_rows)[: tcfg.anchor_pairs]
        anchors = (x[drawn], p0[drawn]) if len(drawn) else None
        fitted = fit_on_labels(train, features, tcfg, base, {}, anchors, cfg.clustering.threshold)
        return fitted.model.probability(x), fitted.threshold

    for way in ("active", "random"):
        labelled: list[int] = []
        picked_by: dict[int, str] = {}
        p, threshold = p0, cfg.clustering.threshold
        rng = np.random.default_rng(args.seed)
        order = rng.permutation(np.flatnonzero(pool.to_numpy()))
        for budget in [b for b in budgets if b > 0]:
            t0 = time.perf_counter()
            while len(labelled) < budget:
                n = min(args.batch, budget - len(labelled))
                if way == "random":
                    taken = set(labelled)
                    fresh = [i for i in order if i not in taken][:n]
                    labelled += fresh
                    picked_by.update(dict.fromkeys(fresh, "random"))
                else:
                    view = pairs.loc[pool, ["record_id_l", "record_id_r"]].copy()
                    view["match_probability"] = p[pool.to_numpy()]
                    view["splink_probability"] = pairs.loc[pool, "splink"].to_numpy()
                    view["row"] = np.flatnonzero(pool.to_numpy())
                    done = (
                        pairs.iloc[labelled][["record_id_l", "record_id_r"]] if labelled else None
                    )
                    linked = p >= threshold
                    comp = components(
                        ids,
                        pairs["record_id_l"].to_numpy()[linked],
                        pairs["record_id_r"].to_numpy()[linked],
                    )
                    sizes = pd.Series(comp).map(pd.Series(comp).value_counts()).to_numpy()
                    clusters = spark.createDataFrame(
                        pd.DataFrame({"record_id": ids, "cluster_size": sizes})
                    )
                    picked = pick_pairs(
                        spark.createDataFrame(view.drop(columns="row")),
                        clusters,
                        None if done is None else spark.createDataFrame(done),
                        threshold,
                        cfg.labelling,
                        n,
                    )
                    where = view.set_index(["record_id_l", "record_id_r"])["row"]
                    rows_picked = [
                        int(where[(a, b)])
                        for a, b in zip(picked.record_id_l, picked.record_id_r, strict=True)
                    ]
                    labelled += rows_picked
                    picked_by.update(zip(rows_picked, picked.picked_by, strict=True))
                # Active picking retrains after every batch: the next batch
                # is picked with what the labels so far taught.
                if way == "active":
                    p, threshold = retrain(labelled, p, threshold)
            if way == "random":
                p, threshold = retrain(labelled, p, threshold)
            if pairs.iloc[labelled]["y"].nunique() < 2:
                scores = start | {"note": "one class only"}
            else:
                scores = evaluate(p, threshold)
            row = {
                "dataset": name,
                "way": way,
                "labels": len(labelled),
                "threshold": threshold,
                **scores,
            }
            row["matches_labelled"] = int(pairs.iloc[labelled]["y"].sum())
            row["seconds"] = round(time.perf_counter() - t0, 1)
            rows.append(row)
            print(
                f"  {way:<6} {len(labelled):>5} labels ({row['matches_labelled']} match) @ {threshold:.3f}: "
                f"P {scores['precision']:.4f} R {scores['recall']:.4f} F1 {scores['f1']:.4f}"
            )
    return rows


def write_report(rows: list[dict], path: Path, command: str) -> None:
    lines = [
        "Pairwise P/R/F1 on the records of half B (never labelled) against the number of labels",
        "drawn from half A, answered from the truth column. Command:",
        "",
        f"    {command}",
        "",
        "| catalogue | picking | labels | matches among them | threshold | precision | recall | F1 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['way']} | {r['labels']} | {r.get('matches_labelled', '')} | "
            f"{r['threshold']:.3f} | {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} |"
        )
    path.write_text("\n".join(lines) + "\n")
    path.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    frame = pd.DataFrame(rows)
    names = list(dict.fromkeys(frame["dataset"]))
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        for way, style in (("active", "o-"), ("random", "s--")):
            part = frame[(frame.dataset == name) & (frame.way == way)].sort_values("labels")
            ax.plot(part["labels"], part["f1"], style, label=way)
        ax.set_title(name)
        ax.set_xlabel("labels")
        ax.set_ylabel("pairwise F1 (half B)")
        ax.set_xscale("symlog", linthresh=50)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path.with_suffix(".png"), dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    parser.add_argument("--work", default="/tmp/tracklink-active-learning")
    parser.add_argument("--budgets", default="0,50,100,200,500,1000")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--which", default="musicbrainz,generated")
    parser.add_argument(
        "--generated-seed",
        type=int,
        default=GENERATED_SEED,
        help="the generated catalogue's seed (99: an evaluation seed; another for tuning)",
    )
    parser.add_argument("--report", default=str(ROOT / "bench" / "results" / "active_learning.md"))
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args(argv)
    cfg = load_config(None, args.overrides)
    os.makedirs(args.work, exist_ok=True)
    rows = []
    for name in args.which.split(","):
        rows += run(name.strip(), args, cfg)
    command = "python bench/active_learning.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    write_report(rows, Path(args.report), command.strip())
    print(f"wrote {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
