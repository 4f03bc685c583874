"""Would a text encoder tie the titles the title rules miss (translations,
alternate titles)? A probe on SHS100K val, with the packaged English MiniLM.

    python bench/works_embedding_probe.py [--datasets ../shared/datasets] [--thresholds 0.95 0.9 0.85 0.8]

Every performance is a cluster of its own (title and performer parsed as
`tracklink resolve` parses them); `linkage.works.group_works` groups them with
the default settings. Then each distinct title key is tied to its nearest
other key by cosine of the MiniLM embeddings of one title written with it, at
or above each threshold, and the works those ties join are merged. Prints
pairwise P/R/F1 against `set_id` without and with the ties. Not a test: the
answer decides whether an encoder earns a place in `linkage/works.py`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalog.text import parse_credit, parse_title  # noqa: E402
from conf.config import load_config  # noqa: E402
from embeddings.minilm import MiniLMEncoder  # noqa: E402
from linkage.work_titles import key_of, work_title  # noqa: E402
from linkage.works import group_works  # noqa: E402
from runtime.spark import build_local_session  # noqa: E402

PROFILE_SCHEMA = (
    "cluster_id string, kind_norm string, members long, duration_s double, title_norm string, "
    "artist_norm string, lead_artist string, version string, title_raw string, "
    "writers array<string>, first_year int"
)


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def score(groups: pd.Series, truth: pd.Series) -> tuple[float, float, float]:
    frame = pd.DataFrame({"g": groups, "t": truth})
    tp = _pairs(frame.groupby(["g", "t"]).size())
    predicted, true = _pairs(frame.groupby("g").size()), _pairs(frame.groupby("t").size())
    p, r = tp / predicted, tp / true
    return p, r, 2 * p * r / (p + r)


class _Merged:
    """Union-find over work ids."""

    def __init__(self, ids: set[str]) -> None:
        self.parent = {w: w for w in ids}

    def find(self, w: str) -> str:
        while self.parent[w] != w:
            w = self.parent[w]
        return w

    def union(self, a: str, b: str) -> None:
        x, y = self.find(a), self.find(b)
        if x != y:
            self.parent[max(x, y)] = min(x, y)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.95, 0.9, 0.85, 0.8])
    a = ap.parse_args(argv)
    shs = pd.read_csv(Path(a.datasets) / "shs100k" / "shs100k2_val.csv", sep=";")
    rows = []
    for i, (title, performer) in enumerate(zip(shs.title, shs.performer, strict=True)):
        parsed = parse_title(title, performer)
        lead = parse_credit(parsed.artist).main
        rows.append(
            (f"c{i:05d}", "audio", 1, None, parsed.title, lead, lead, "original", title, None, None)
        )
    cfg = load_config(None, ["spark.shuffle_partitions=4", "tracking.enabled=false"])
    spark = build_local_session(cfg.spark)
    profiles = spark.createDataFrame(rows, PROFILE_SCHEMA)
    works = group_works(profiles, cfg.semantics).where("primary").toPandas()
    work = works.set_index("cluster_id").work_id.reindex([r[0] for r in rows]).to_numpy()
    truth = shs.set_id.to_numpy()
    base = score(pd.Series(work), pd.Series(truth))
    print(f"{'title rules alone':<28} P {base[0]:.4f} R {base[1]:.4f} F1 {base[2]:.4f}")

    keys = [key_of(work_title(r[8], r[4]).words) for r in rows]
    first = pd.Series(range(len(rows)), index=keys).groupby(level=0).first()
    titles = [rows[i][8] for i in first.to_numpy()]
    vectors = MiniLMEncoder().encode(titles)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1.0)
    nearest, best = similarity.argmax(1), similarity.max(1)
    work_of_key = {k: work[i] for k, i in first.items()}
    for threshold in a.thresholds:
        merged = _Merged(set(work))
        for i, k in enumerate(first.index):
            if best[i] >= threshold:
                merged.union(work_of_key[k], work_of_key[first.index[nearest[i]]])
        find = merged.find
        p, r, f1 = score(pd.Series([find(w) for w in work]), pd.Series(truth))
        print(f"{f'+ nearest title, cos >= {threshold}':<28} P {p:.4f} R {r:.4f} F1 {f1:.4f}")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
