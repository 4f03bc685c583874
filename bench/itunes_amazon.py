"""iTunes-Amazon as a pair-classification check: Splink alone, the packaged
pair model (trained on generated catalogues only), any other pair model
given as a file, and a pair model trained on this benchmark's train split
(on every registered feature), each scored on its valid split.

    python bench/itunes_amazon.py [--datasets ../shared/datasets] [--variant Structured|Dirty]
        [--model-file PAIR.pt ...] [--report bench/results/itunes_amazon.md]
        [--set key=value ...] [--write-catalog RECORDS.csv]

Records: the iTunes table A plus the Amazon records the labelled pairs name,
under the benchmark's own column names, read through the packaged mapping
(`--input-format itunes-amazon`, conf/inputs/itunes-amazon.yaml) and
tracklink's normalisation. Splink is trained on them
without labels (as `jobs.resolve` would) and scores exactly the labelled pairs.
Thresholds are fixed before looking: 0.9 (the job's clustering threshold)
for Splink and the generated-catalogue models, 0.5 for the supervised one.
The valid labels are used for nothing but the figures printed. Published F1 on the
benchmark's test split (held back, not here): Magellan 91.2, Ditto 97.06
(Structured), Ditto 95.65 (Dirty).

`--write-catalog` writes the same records (their own column names) as a CSV with a
`true_entity_id` column (the labelled matches of both splits joined into
entities, every other record alone), and `train_entity_id` /
`valid_entity_id` (one split's matches only), and stops: `python -m
jobs.evaluate_blocking --input RECORDS.csv --truth true_entity_id` then says
how many labelled matches blocking proposes (add `--input-format itunes-amazon`). Tune blocking on
`train_entity_id`; quote `valid_entity_id` as the held-out figure. Its other figures (reduction,
false candidates) mean little: the benchmark labels a few pairs, not all.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from conf.config import load_config  # noqa: E402
from linkage import FEATURES, fit_pair_model, load_pair_model, pair_features  # noqa: E402

# The benchmark's own columns; `--input-format itunes-amazon` maps them to
# roles (conf/inputs/itunes-amazon.yaml).
COLUMNS = (
    "id",
    "Song_Name",
    "Artist_Name",
    "Album_Name",
    "Genre",
    "Price",
    "CopyRight",
    "Time",
    "Released",
)


def _side(pairs: pd.DataFrame, side: str, prefix: str) -> pd.DataFrame:
    out = pairs[[f"{side}_{c}" for c in COLUMNS]].set_axis(list(COLUMNS), axis=1)
    return out.assign(id=prefix + out["id"].astype(str))


def load(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(records under the benchmark's own column names, labelled pairs with split)."""
    read = lambda name: pd.read_csv(folder / name, dtype=str, keep_default_na=False)  # noqa: E731
    table_a = read("tableA.csv")
    splits = [read(name).assign(split=name.split(".")[0]) for name in ("train.csv", "valid.csv")]
    labelled = pd.concat(splits, ignore_index=True)
    itunes = table_a[list(COLUMNS)].assign(id="a" + table_a["id"])
    amazon = _side(labelled, "right", "b").drop_duplicates("id")
    records = pd.concat([itunes, amazon], ignore_index=True).drop_duplicates("id")
    pairs = pd.DataFrame(
        {
            "record_id_l": "a" + labelled["left_id"],
            "record_id_r": "b" + labelled["right_id"],
            "label": labelled["label"].astype(int),
            "split": labelled["split"],
        }
    )
    return records.replace({"": None}), pairs


def with_truth(records: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """`records` with `true_entity_id`: the labelled matches' connected components."""
    parent = {r: r for r in records["id"]}

    def root(r: str) -> str:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    matches = pairs[pairs["label"] == 1]
    for a, b in zip(matches["record_id_l"], matches["record_id_r"], strict=True):
        parent[root(a)] = root(b)
    return records.assign(true_entity_id=[root(r) for r in records["id"]])


def scores(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    predicted = p >= threshold
    tp = int((predicted & (y == 1)).sum())
    precision = tp / max(int(predicted.sum()), 1)
    recall = tp / max(int((y == 1).sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    parser.add_argument("--variant", default="Structured", choices=("Structured", "Dirty"))
    parser.add_argument("--report", default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument(
        "--model-file",
        dest="model_files",
        action="append",
        default=[],
        metavar="PAIR.pt",
        help="another pair model to score beside the configured one (e.g. v1's .pt "
        "from git tag pair-models-v1-v9)",
    )
    parser.add_argument("--write-catalog", default=None, metavar="RECORDS.csv")
    args = parser.parse_args(argv)
    folder = Path(args.datasets) / "itunes_amazon" / args.variant
    if not folder.is_dir():
        print(f"no iTunes-Amazon data at {folder}", file=sys.stderr)
        return 2
    if args.write_catalog:
        raw, labelled = load(folder)
        out = with_truth(raw, labelled)
        for split in ("train", "valid"):
            one = with_truth(raw, labelled[labelled["split"] == split])
            out[f"{split}_entity_id"] = one["true_entity_id"].to_numpy()
        out.to_csv(args.write_catalog, index=False)
        print(f"{len(raw):,} records, {int(labelled['label'].sum())} labelled matches")
        return 0

    from pyspark.sql import functions as F

    from catalog.normalise import normalise
    from catalog.readers import conform, map_columns
    from conf.config import input_preset
    from linkage.scoring import train_and_score
    from runtime.spark import get_spark

    cfg = load_config(None, [*args.overrides, "linkage.pair_model.enabled=false"])
    # The configured model (the packaged default unless --set), and any other
    # model files beside it, loaded before any work so a wrong path fails fast.
    pair_cfg = cfg.linkage.pair_model
    configured = pair_cfg.weights_path or pair_cfg.version
    models = {configured: load_pair_model(pair_cfg.version, pair_cfg.weights_path)}
    models |= {path: load_pair_model(pair_cfg.version, path) for path in args.model_files}
    spark = get_spark(cfg.spark)
    raw, labelled = load(folder)
    own = spark.createDataFrame(raw.astype(object).where(raw.notna(), None))
    mapping = input_preset("itunes-amazon")
    records = normalise(conform(map_columns(own, mapping)), cfg.normalise).cache()
    candidates = spark.createDataFrame(labelled[["record_id_l", "record_id_r"]]).withColumn(
        "blocked_by", F.array().cast("array<string>")
    )
    scored = train_and_score(spark, records, candidates, cfg.linkage).pairs
    features = pair_features(scored, records).toPandas()
    data = labelled.merge(features, on=["record_id_l", "record_id_r"], how="left")
    if data["splink_weight"].isna().any():
        raise RuntimeError("Splink did not score every labelled pair")
    train, valid = data[data.split == "train"], data[data.split == "valid"]

    def x(d: pd.DataFrame, features=FEATURES) -> np.ndarray:
        return d[list(features)].to_numpy(np.float64)

    supervised, _ = fit_pair_model(
        x(train),
        train["label"].to_numpy(np.float64),
        np.arange(len(train)),
        epochs=200,
        seed=0,
        features=tuple(FEATURES),
    )
    y = valid["label"].to_numpy()
    rows = [
        ("Splink alone (unsupervised)", "none", 0.9, valid["match_probability"].to_numpy()),
        *(
            (
                f"pair model {v} (generated catalogues)",
                "none of this benchmark",
                0.9,
                model.probability(x(valid, model.features)),
            )
            for v, model in models.items()
        ),
        (
            "pair model trained here",
            f"train split ({len(train)} pairs)",
            0.5,
            supervised.probability(x(valid)),
        ),
    ]
    lines = [
        f"iTunes-Amazon {args.variant}, valid split ({len(valid)} pairs, {int(y.sum())} matches)",
        "",
        "| model | labels used | threshold | precision | recall | F1 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, labels, threshold, p in rows:
        s = scores(y, p, threshold)
        lines.append(
            f"| {name} | {labels} | {threshold} | {s['precision']:.3f} | {s['recall']:.3f} | "
            f"{100 * s['f1']:.1f} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.report:
        os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
        Path(args.report).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
