"""iTunes-Amazon through the commands a user runs with a golden set: resolve,
`label --import` the train split's pairs, `train`, resolve again with the
champion, and score the valid split.

    python bench/itunes_amazon_labels.py [--variant Dirty|Structured] [--work DIR]
        [--datasets ../shared/datasets] [--report bench/results/itunes_amazon_labels.md]
        [--set key=value ...]   (passed to tracklink train)

The valid labels are used for nothing but the figures: they are never in the
labels table. Two figures on the valid pairs:

* pairs: the trained model's probability of each valid pair (Splink's weight
  from the run's model, the pair features, the registered model) against the
  threshold `tracklink train` chose on the train labels. This is the
  benchmark's own task (pair classification), the one its published F1
  figures report (Ditto 95.65 on Dirty's test split; not the valid split).
* clusters: both records in one cluster of the resolve run that used the
  champion (blocking, clustering and all), as `tracklink evaluate --golden`
  scores a run. Only if `train` promoted the model; otherwise the run used
  the packaged model.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def tracklink(*args: str) -> str:
    """Run `python -m jobs ARGS` as a user would; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "jobs", *args], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"tracklink {args[0]} failed ({done.returncode})")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    parser.add_argument("--variant", default="Dirty", choices=("Structured", "Dirty"))
    parser.add_argument("--work", default="/tmp/tracklink-itunes-labels")
    parser.add_argument("--report", default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))
    from itunes_amazon import load, with_truth

    folder = Path(args.datasets) / "itunes_amazon" / args.variant
    work = Path(args.work) / args.variant
    work.mkdir(parents=True, exist_ok=True)
    raw, labelled = load(folder)
    catalogue = work / "records.csv"
    # Truth from the train split only: the catalogue carries nothing of valid.
    with_truth(raw, labelled[labelled.split == "train"]).rename(
        columns={"true_entity_id": "train_entity_id"}
    ).to_csv(catalogue, index=False)
    splits = {}
    for split in ("train", "valid"):
        part = labelled[labelled.split == split]
        path = work / f"{split}_pairs.csv"
        part.rename(columns={"record_id_l": "id_l", "record_id_r": "id_r"})[
            ["id_l", "id_r", "label"]
        ].to_csv(path, index=False)
        splits[split] = part
    out = str(work / "out")
    os.system(f"rm -rf {out}")
    common = ["--input-format", "itunes-amazon"]
    tracklink("resolve", "--input", str(catalogue), "--output", out, *common)
    print(tracklink("label", "--output", out, "--import", str(work / "train_pairs.csv")).strip())
    sets = [x for s in args.overrides for x in ("--set", s)]
    trained = tracklink("train", "--output", out, *sets)
    print(trained.strip())
    promoted = "promoted to champion" in trained
    tracklink("resolve", "--input", str(catalogue), "--output", out, *common)

    from conf.config import load_config
    from evaluation.golden import judged_against_clusters, score_pairs
    from linkage.from_labels import labelled_features
    from linkage.pair_model import load_pair_model
    from pipeline.tables import latest_model
    from runtime.spark import get_spark
    from storage.delta import DeltaStore

    cfg = load_config(None, [])
    spark = get_spark(cfg.spark)
    store = DeltaStore(spark, out)
    valid = splits["valid"]
    valid_labels = spark.createDataFrame(
        pd.DataFrame(
            {
                "record_id_l": valid["record_id_l"].where(
                    valid["record_id_l"] < valid["record_id_r"], valid["record_id_r"]
                ),
                "record_id_r": valid["record_id_r"].where(
                    valid["record_id_l"] < valid["record_id_r"], valid["record_id_l"]
                ),
                "label": np.where(valid["label"] == 1, "match", "non_match"),
                "picked_by": "valid",
                "origin": "imported",
                "values_l": None,
                "values_r": None,
            }
        ).astype(object)
    )
    weights = sorted((Path(out) / "_models" / "trained").glob("*.pt"))[-1]
    model = load_pair_model("", str(weights))
    data = labelled_features(
        spark,
        valid_labels,
        store.read("records"),
        latest_model(store.read("model")),
        tuple(model.features),
    )
    x = data[list(model.features)].to_numpy(np.float64)
    threshold = float(model.provenance["threshold"])
    pairs_scores = score_pairs(data["y"].to_numpy(), model.probability(x) >= threshold)
    judged = judged_against_clusters(
        valid_labels, store.read("clusters"), store.read("pairs")
    ).toPandas()
    cluster_scores = score_pairs(
        (judged["label"] == "match").to_numpy(), judged["predicted"].to_numpy()
    )
    lines = [
        f"iTunes-Amazon {args.variant}: trained on the train split ({len(splits['train'])} pairs) "
        f"through `tracklink label --import` and `tracklink train`; valid split "
        f"({len(valid)} pairs, {int(valid['label'].sum())} matches) never used to train or tune.",
        "",
        "    python bench/itunes_amazon_labels.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "",
        f"* valid pairs, trained model @ {threshold:.3f}: {pairs_scores.line()}",
        f"* valid pairs through the resolve run's clusters ({'champion' if promoted else 'packaged model: not promoted'}): "
        f"{cluster_scores.line()}",
    ]
    text = "\n".join(lines)
    print(text)
    if args.report:
        Path(args.report).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
