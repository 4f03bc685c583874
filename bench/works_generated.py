"""Works on generated catalogues: what the title ties add, by how many covers
carry writer credits.

    python bench/works_generated.py --records N [--seed 7] [--cover-credits 0.4]
        [--work /tmp/tracklink-works-generated] [--reuse] [--report bench/results/works_generated]
        [--config FILE] [--set key=value ...]

For one catalogue it:

1. generates N records with `seed` (`catalog.generator.generate_catalog`),
   with `COVER_CREDIT_SHARE` (the share of cover recordings whose records
   carry writer credits) set to `--cover-credits`, into
   `--work`/catalog.parquet; the share of audio cover records that came out
   with a credit is measured and reported, so a setting that did not take
   shows;
2. resolves it in this process, as `tracklink resolve --truth true_entity_id`
   would (full mode, into `--work`/resolved), with `--config` and `--set`;
3. reads the written tables back and scores, on the generator's truth
   (`evaluation.semantics.evaluate_semantics`: works pairwise P/R/F1 over
   audio records, primary rows only; relation accuracy; video link P/R):
   * the `works` table the run wrote (`semantics.title_ties` as configured);
   * works recomputed over the same stored `records` and `clusters` with
     `semantics.title_ties=false` (the rule before title ties: the same
     artist or a shared writer only), so the two differ in that rule alone;
   beside the run's recording-level pairwise figures (`runs.scores`) and its
   semantics stage time (`runs.seconds`).

`--reuse` keeps `--work`'s catalogue and run and recomputes the works over
its stored clusters with this code (works depend on the clusters alone, so
they are what a run of this code would write; the recording figures and
stage times are the stored run's).

`--report` names the results without extension: `.json` keeps one entry per
(records, seed, cover credits, overrides), replaced when measured again, and
`.md` is rewritten from all of them. Not a test: wall times drift on shared
machines.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provenance import code_version  # noqa: E402  (bench/ is the script's folder)

TRUTH = "true_entity_id"


@contextlib.contextmanager
def cover_credit_share(share: float) -> Iterator[None]:
    """`catalog.generator.COVER_CREDIT_SHARE` = `share` while generating.

    The generator runs in Spark's Python workers, which import
    `catalog.generator` afresh: setting the constant here alone would not reach
    them. So `generate_work`, which `generate_catalog` ships to the workers, is
    wrapped to set the share in whichever process it runs. At the generator's
    own share nothing is touched, and the rows are those of `tracklink generate`.
    Credits draw from their own random stream, so every other column of every
    row is the same at any share."""
    from catalog import generator

    default = generator.COVER_CREDIT_SHARE
    if share == default:
        yield
        return
    original = generator.generate_work

    def generate_work(seed: int, work_id: int, n_artists: int) -> list[dict[str, str | None]]:
        generator.COVER_CREDIT_SHARE = share
        return original(seed, work_id, n_artists)

    generator.COVER_CREDIT_SHARE = share
    generator.generate_work = generate_work
    try:
        yield
    finally:
        generator.generate_work = original
        generator.COVER_CREDIT_SHARE = default


def generate(spark, records: int, seed: int, share: float, path: Path) -> dict:
    """Write the catalogue to `path` (parquet); the credit shares it came out with."""

    from catalog.generator import generate_catalog
    from jobs.generate_catalog import write_catalog

    t0 = time.perf_counter()
    with cover_credit_share(share):
        # Written inside: the rows are computed while the wrapper is in place.
        write_catalog(generate_catalog(spark, records, seed), str(path), "parquet")
    wall = time.perf_counter() - t0
    spark.catalog.clearCache()
    return {"generate_s": wall, **_credit_shares(spark, path)}


def _credit_shares(spark, path: Path) -> dict:
    """How many audio cover records, and the shares of cover and other audio
    records that carry a writer credit."""
    from pyspark.sql import functions as F

    audio = spark.read.parquet(str(path)).where(F.col("kind") == "audio")
    credited = F.col("writers").isNotNull() & (F.trim("writers") != "")
    shares = (
        audio.groupBy((F.col("true_version") == "cover").alias("cover"))
        .agg(F.avg(credited.cast("double")).alias("credited"), F.count("*").alias("n"))
        .collect()
    )
    by_kind = {bool(r["cover"]): r for r in shares}
    return {
        "audio_cover_records": int(by_kind[True]["n"]),
        "credited_cover_records": float(by_kind[True]["credited"]),
        "credited_other_records": float(by_kind[False]["credited"]),
    }


def works_counts(works) -> dict:
    from pyspark.sql import functions as F

    row = works.agg(
        F.countDistinct("work_id").alias("works"),
        F.count("*").alias("rows"),
        F.sum(F.when(F.col("primary"), 0).otherwise(1)).alias("extra"),
    ).collect()[0]
    return {
        "works": int(row["works"]),
        "rows": int(row["rows"]),
        "medley_rows": int(row["extra"] or 0),
    }


def score_works(resolved, works, links) -> dict:
    """evaluate_semantics, plus B-cubed over the same audio records (each in its
    cluster's primary work) and the table's size."""
    from pyspark.sql import functions as F

    from evaluation.semantics import evaluate_semantics
    from evaluation.works_quality import score_groups, works_of_records

    scores = evaluate_semantics(resolved, works, links)
    audio = works_of_records(resolved.where(F.col("kind_norm") == "audio"), works)
    bcubed = score_groups(audio, "work_id", "true_work_id")
    return {
        **scores,
        "works_bcubed_precision": bcubed.bcubed_precision,
        "works_bcubed_recall": bcubed.bcubed_recall,
        "works_bcubed_f1": bcubed.bcubed_f1,
        **works_counts(works),
    }


def measure(spark, cfg, a: argparse.Namespace, work: Path) -> dict:
    from evaluation.semantics import TRUTH_COLUMNS
    from linkage.works import PROFILE_COLUMNS, cluster_profiles, group_works
    from pipeline import RunInput, resolve
    from storage import DeltaStore

    catalog, output = work / "catalog.parquet", work / "resolved"
    store = DeltaStore(spark, str(output), cfg.output.delta_engine)
    if a.reuse:
        # Works are computed after clustering and from it alone: recomputed
        # over a stored run they are what a run of this code would write.
        generated = _credit_shares(spark, catalog)
        result, wall = None, None
        runs = store.read("runs").orderBy("started_at").collect()[-1]
    else:
        generated = generate(spark, a.records, a.seed, a.cover_credits, catalog)
        print(
            f"generated {a.records:,} records (seed {a.seed}) in {generated['generate_s']:.1f} s; "
            f"audio cover records credited: {generated['credited_cover_records']:.3f} "
            f"(others {generated['credited_other_records']:.3f})"
        )
        t0 = time.perf_counter()
        result = resolve(spark, cfg, RunInput(str(catalog), "catalog", TRUTH), str(output))
        wall = time.perf_counter() - t0
        print(f"resolved in {wall:.1f} s")
        runs = store.read("runs").where(f"run_id = '{result.run_id}'").collect()[0]
    records = store.read("records")
    # As `pipeline.stages.semantics` builds it, from the stored tables.
    wanted = [c for c in (*PROFILE_COLUMNS, *TRUTH_COLUMNS) if c in records.columns]
    resolved = (
        records.select("record_id", *wanted)
        .join(store.read("clusters").select("record_id", "cluster_id"), "record_id")
        .cache()
    )
    links = store.read("video_links").cache()
    if a.reuse:
        profiles = cluster_profiles(resolved).cache()
        written = score_works(resolved, group_works(profiles, cfg.semantics).cache(), links)
    else:
        written = score_works(resolved, store.read("works"), links)

    # The same clusters, the rule before title ties: only that switch differs.
    no_ties = cfg.semantics.model_copy(update={"title_ties": False})
    t1 = time.perf_counter()
    profiles = cluster_profiles(resolved).cache()
    works = group_works(profiles, no_ties).cache()
    works.count()
    recompute_s = time.perf_counter() - t1
    without = score_works(resolved, works, links)
    for df in (works, profiles, links, resolved):
        df.unpersist()

    # The run's own figures agree with the ones scored from its tables.
    mismatch = {}
    if result is not None:
        in_run = {
            k: result.semantics.get(k) for k in ("works_f1", "relation_accuracy", "video_recall")
        }
        mismatch = {
            k: (v, written[k]) for k, v in in_run.items() if v is None or abs(v - written[k]) > 1e-9
        }
    return {
        "records": a.records,
        "seed": a.seed,
        "cover_credits": a.cover_credits,
        "overrides": list(a.overrides),
        "code": code_version(),
        **generated,
        "run_id": runs["run_id"],
        "rows_in": runs["rows_in"],
        "resolved": runs["resolved"],
        "recording_clusters": runs["clusters"],
        "recording": json.loads(runs["scores"]),
        "stages_s": json.loads(runs["seconds"]),
        "resolve_wall_s": wall,
        "works": {
            "title ties (recomputed)" if a.reuse else "title ties (as run)": written,
            "title_ties=false (recomputed)": without,
        },
        "recompute_s": recompute_s,
        "in_run_mismatch": mismatch,
    }


def key(m: dict) -> str:
    over = f", {' '.join(m['overrides'])}" if m["overrides"] else ""
    return f"{m['records'] // 1000}k seed {m['seed']}, cover credits {m['cover_credits']}{over}"


def report(entries: dict[str, dict]) -> str:
    lines = [
        "# Works on generated catalogues",
        "",
        "`bench/works_generated.py`: works scored on the generator's truth "
        "(`evaluate_semantics`: pairwise over audio records, each in its cluster's primary "
        "work; B-cubed over the same records), as the run wrote them (title ties on) and "
        "recomputed over the same stored clusters with `semantics.title_ties=false` "
        "(same artist or shared writer only). *Cover credits*: the generator's "
        "`COVER_CREDIT_SHARE` (share of cover recordings whose records may carry writer "
        "credits; 0.4 is its default) and the share of audio cover records that carry one.",
        "",
        "| catalogue | cover credits (records credited) | works rule | works | pairwise P | R | F1 "
        "| B-cubed F1 | relation accuracy |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in entries.values():
        for rule, s in m["works"].items():
            lines.append(
                f"| {m['records'] // 1000}k seed {m['seed']} | {m['cover_credits']} "
                f"({m['credited_cover_records']:.2f}) | {rule} | {s['works']:,} | "
                f"{s['works_precision']:.4f} | {s['works_recall']:.4f} | **{s['works_f1']:.4f}** | "
                f"{s['works_bcubed_f1']:.4f} | {s['relation_accuracy']:.4f} |"
            )
    lines += [
        "",
        "| catalogue | cover credits | recording P | R | F1 | video links P | R "
        "| semantics stage s | recompute s | resolve wall s | code |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m in entries.values():
        r, s = m["recording"], next(iter(m["works"].values()))
        wall = "-" if m["resolve_wall_s"] is None else f"{m['resolve_wall_s']:.1f}"
        lines.append(
            f"| {m['records'] // 1000}k seed {m['seed']} | {m['cover_credits']} | "
            f"{r['pairwise_precision']:.4f} | {r['pairwise_recall']:.4f} | {r['pairwise_f1']:.4f} | "
            f"{s['video_precision']:.4f} | {s['video_recall']:.4f} | "
            f"{m['stages_s'].get('semantics', float('nan')):.1f} | {m['recompute_s']:.1f} | "
            f"{wall} | `{m['code']}` |"
        )
    lines += ["", "Commands:", ""]
    lines += [f"- {name}: `{m['command']}`" for name, m in entries.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--records", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--cover-credits",
        type=float,
        default=None,
        help="share of cover recordings with writer credits (default: the generator's)",
    )
    ap.add_argument("--work", default="/tmp/tracklink-works-generated", help="emptied first")
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="keep --work's catalogue and run; recompute the works over its stored clusters",
    )
    ap.add_argument("--report", default=str(ROOT / "bench" / "results" / "works_generated"))
    ap.add_argument("--config", default=None)
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    a = ap.parse_args(argv)

    from catalog import generator
    from conf.config import load_config
    from conf.errors import TracklinkError
    from runtime.spark import get_spark

    if a.cover_credits is None:
        a.cover_credits = generator.COVER_CREDIT_SHARE
    if not 0.0 <= a.cover_credits <= 1.0:
        ap.error("--cover-credits must be within 0..1")
    try:
        cfg = load_config(a.config, a.overrides)
    except TracklinkError as exc:
        print(f"works_generated: {exc}", file=sys.stderr)
        return 2
    work = Path(a.work)
    if not a.reuse:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    elif not (work / "resolved" / "runs").is_dir():
        print(f"works_generated: {work} holds no earlier run to reuse", file=sys.stderr)
        return 2
    spark = get_spark(cfg.spark)
    m = measure(spark, cfg, a, work)
    m["command"] = "python bench/works_generated.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    if m["in_run_mismatch"]:
        print(f"works_generated: the run and its tables disagree: {m['in_run_mismatch']}")

    results = Path(a.report)
    results.parent.mkdir(parents=True, exist_ok=True)
    stored = Path(f"{results}.json")
    entries = json.loads(stored.read_text()) if stored.exists() else {}
    entries[key(m)] = m
    entries = dict(
        sorted(
            entries.items(),
            key=lambda kv: (-kv[1]["records"], kv[1]["seed"], kv[1]["cover_credits"]),
        )
    )
    stored.write_text(json.dumps(entries, indent=1) + "\n")
    text = report(entries)
    Path(f"{results}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
