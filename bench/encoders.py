#!/usr/bin/env python
"""Benchmark: MiniLM against tracklink's fast encoder, side by side, same strings.

    python bench/encoders.py [--musicbrainz PATH] [--generated PATH]
                             [--floors-fast 0.8] [--floors-minilm 0.8 0.7]
                             [--sample 2000] [--out bench/results/encoders.md]

1. Speed: strings per second of each encoder on the same normalised
   "title artist" strings from MusicBrainz 20K, in this one process, median of
   several repeats (the fast encoder gets more repeats: one pass is short).
2. Blocking quality with each encoder, on MusicBrainz 20K (truth `CID`) and a
   generated catalogue (truth `true_entity_id`): pair completeness and pairs
   per record of the embedding blocker alone, and of the union with the
   configured exact and MinHash blockers, at each cosine floor given.

Not a test: timings drift on a shared machine, so read the ratio within one run.
MusicBrainz is a reported benchmark: nothing here should be tuned on its figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyspark.sql import functions as F  # noqa: E402

from blocking import candidate_pairs, embedding_pairs, union_pairs  # noqa: E402
from blocking.embedding import describe_embedding, embedded_text_column  # noqa: E402
from catalog import normalise, read_input, split_valid  # noqa: E402
from conf.config import load_config, with_input_format  # noqa: E402
from embeddings import load_encoder  # noqa: E402
from evaluation.blocking_quality import blocking_quality  # noqa: E402
from runtime.spark import get_spark  # noqa: E402

MUSICBRAINZ = (
    ROOT.parent / "shared" / "datasets" / "musicbrainz_20k" / "musicbrainz-20-A01.csv.dapo"
)


def strings_per_second(encoder, texts: list[str], repeats: int) -> tuple[float, list[float]]:
    encoder.encode(texts[:64])  # warm-up: first-call allocations are not throughput
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        encoder.encode(texts)
        times.append(time.perf_counter() - start)
    return len(texts) / statistics.median(times), times


def true_pair_ceiling(datasets: list[tuple[str, str, str, str]], sample: int) -> list[str]:
    """Share of sampled true pairs whose cosine clears each floor, per encoder,
    encoded in this process: what the encoder allows before LSH loses any.
    Cheap where the Spark run of MiniLM over every record is not."""
    import itertools

    import numpy as np
    import pandas as pd

    from catalog.normalise import normalise_values
    from catalog.schema import VALUE_COLUMNS, RawValues
    from conf.config import NormaliseConfig, input_preset
    from embeddings import embedded_text

    cfg = NormaliseConfig()
    floors = (0.8, 0.75, 0.7, 0.65)
    lines = [
        f"| data | encoder | true pairs sampled | {' | '.join(f'cos >= {f}' for f in floors)} "
        "| random pairs >= 0.75 |",
        "|---" * (len(floors) + 4) + "|",
    ]
    rng = np.random.default_rng(0)
    for label, path, fmt, truth in datasets:
        if fmt == "musicbrainz-dapo":
            d = pd.read_csv(path, dtype=str).rename(
                columns={c: r for r, c in input_preset("musicbrainz-dapo").columns.items()}
            )
        else:
            d = pd.read_parquet(path)
        values = [d[c] if c in d.columns else [None] * len(d) for c in VALUE_COLUMNS]
        texts = [
            embedded_text(*normalise_values(RawValues(*v), cfg)[:2])
            for v in zip(*values, strict=True)
        ]
        groups = pd.Series(range(len(d))).groupby(d[truth].to_numpy()).indices
        pairs = np.array([p for idx in groups.values() for p in itertools.combinations(idx, 2)])
        pairs = pairs[rng.choice(len(pairs), min(sample, len(pairs)), replace=False)]
        rand = rng.integers(0, len(texts), (len(pairs), 2))
        for name in ("fast", "minilm"):
            e = load_encoder(name)

            def cos(ij, e=e, texts=texts):
                a = e.encode([texts[i] for i in ij[:, 0]])
                b = e.encode([texts[i] for i in ij[:, 1]])
                return (a * b).sum(1)

            c, r = cos(pairs), cos(rand)
            lines.append(
                f"| {label} | {name} | {len(pairs)} | "
                + " | ".join(f"{(c >= f).mean():.4f}" for f in floors)
                + f" | {(r >= 0.75).mean():.4f} |"
            )
            print(lines[-1], flush=True)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--musicbrainz", default=str(MUSICBRAINZ))
    parser.add_argument("--generated", default=None, help="a generated catalogue (parquet)")
    parser.add_argument("--generated-label", default="generated")
    parser.add_argument("--floors-fast", type=float, nargs="+", default=[0.8])
    parser.add_argument("--floors-minilm", type=float, nargs="+", default=[0.8, 0.7])
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--repeats-minilm", type=int, default=3)
    parser.add_argument("--repeats-fast", type=int, default=15)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "encoders.md"))
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument(
        "--ceiling-only",
        type=int,
        metavar="PAIRS",
        default=None,
        help="only the in-process true-pair cosine table, on this many sampled pairs",
    )
    args = parser.parse_args(argv)

    cfg = load_config(None, ["blocking.embedding.enabled=true", *args.overrides])
    datasets = []
    if os.path.exists(args.musicbrainz):
        datasets.append(("MusicBrainz 20K", args.musicbrainz, "musicbrainz-dapo", "CID"))
    else:
        print(f"MusicBrainz 20K not found at {args.musicbrainz}: skipped")
    if args.generated:
        datasets.append((args.generated_label, args.generated, "catalog", "true_entity_id"))
    if not datasets:
        print("no data to measure")
        return 1
    if args.ceiling_only:
        lines = true_pair_ceiling(datasets, args.ceiling_only)
        print("\n".join(lines))
        return 0
    spark = get_spark(cfg.spark)

    lines = [
        "# MiniLM vs the fast encoder",
        "",
        f"`python bench/encoders.py {' '.join(argv if argv is not None else sys.argv[1:])}`",
        "",
        f"Machine: {os.cpu_count()} cores, shared with other jobs while measuring; torch threads "
        f"{__import__('torch').get_num_threads()}.",
        "",
    ]
    prepared = []
    for label, path, fmt, truth in datasets:
        valid, _ = split_valid(
            read_input(spark, path, with_input_format(cfg, fmt).input), cfg.validation
        )
        records = normalise(valid, cfg.normalise).cache()
        prepared.append((label, records, truth))

    # 1. speed, on MusicBrainz strings (or the first dataset's)
    texts = [
        r[0]
        for r in prepared[0][1]
        .select(embedded_text_column().alias("t"))
        .orderBy(F.hash("t"))
        .limit(args.sample)
        .collect()
    ]
    fast = load_encoder("fast", cfg.blocking.embedding.version)
    minilm = load_encoder("minilm")
    fast_rate, fast_times = strings_per_second(fast, texts, args.repeats_fast)
    minilm_rate, minilm_times = strings_per_second(minilm, texts, args.repeats_minilm)
    lines += [
        f"## Speed: {len(texts):,} strings from {prepared[0][0]} (median of repeats, same process)",
        "",
        "| encoder | dim | strings/s | repeats (s) |",
        "|---|---|---|---|",
        f"| minilm ({minilm.version}) | {minilm.dim} | {minilm_rate:,.0f} | "
        + ", ".join(f"{t:.2f}" for t in minilm_times)
        + " |",
        f"| fast ({fast.version}) | {fast.dim} | {fast_rate:,.0f} | "
        + ", ".join(f"{t:.3f}" for t in fast_times)
        + " |",
        "",
        f"fast / minilm: **{fast_rate / minilm_rate:.1f}x**",
        "",
    ]
    print("\n".join(lines))

    # 2. blocking quality per encoder and floor
    lines += [
        "## Blocking: pair completeness (PC) and pairs per record",
        "",
        "Key blockers (exact + MinHash) as configured: "
        f"`minhash {cfg.blocking.minhash.bands}x{cfg.blocking.minhash.rows}`, "
        f"exact keys {cfg.blocking.exact_keys}, max_block_size {cfg.blocking.max_block_size}.",
        "",
        "| data | encoder | floor | embedding PC | embedding pairs/rec | keys-only union PC | keys-only pairs/rec | union PC | union pairs/rec | embed+pairs s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    floors = {"fast": args.floors_fast, "minilm": args.floors_minilm}
    key_cfg = cfg.blocking.model_copy(
        update={"embedding": cfg.blocking.embedding.model_copy(update={"enabled": False})}
    )
    for label, records, truth in prepared:
        truth_df = records.select("record_id", F.col(truth).alias("truth_id"))
        key_pairs, _ = candidate_pairs(records, key_cfg)
        key_pairs = key_pairs.localCheckpoint()
        (keys_only,) = [q for q in blocking_quality(truth_df, key_pairs) if q.blocker == "all"]
        for name in ("fast", "minilm"):
            ecfg = cfg.blocking.embedding.model_copy(
                update={"encoder": name, "similarity_floor": min(floors[name])}
            )
            start = time.perf_counter()
            pairs, _ = embedding_pairs(records, ecfg, cfg.blocking.max_block_size)
            pairs = pairs.localCheckpoint()
            seconds = time.perf_counter() - start
            for floor in sorted(floors[name], reverse=True):
                kept = pairs.filter(F.col("cosine") >= floor).drop("cosine")
                rows = {
                    q.blocker: q for q in blocking_quality(truth_df, union_pairs(key_pairs, kept))
                }
                emb, union = rows.get("embedding"), rows["all"]
                lines.append(
                    f"| {label} | {name} | {floor:.2f} | "
                    f"{emb.pair_completeness if emb else 0:.4f} | {emb.pairs_per_record if emb else 0:.2f} | "
                    f"{keys_only.pair_completeness:.4f} | {keys_only.pairs_per_record:.2f} | "
                    f"{union.pair_completeness:.4f} | {union.pairs_per_record:.2f} | {seconds:.0f} |"
                )
                print(lines[-1], flush=True)
            print(describe_embedding(ecfg))
    lines += [
        "",
        "embed+pairs s: encoding every record on the executors plus the band-key join, "
        "at the lowest floor; Spark local[2] on the shared machine.",
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
