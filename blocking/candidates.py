"""Candidate pairs: the union of every blocker's keys, with skew guards.

Output schema: `record_id_l`, `record_id_r` (record_id_l < record_id_r),
`blocked_by` (sorted array of the blockers that proposed the pair).
Records of different kinds (audio, video) are never paired here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, LongType, StructField, StructType

from blocking.embedding import above_floor, describe_embedding, embed_records, embedding_band_keys
from blocking.exact_keys import exact_keys
from blocking.grouped_keys import grouped_keys
from blocking.minhash import (
    BLOCKER as MINHASH,
)
from blocking.minhash import (
    band_keys,
    jaccard_of,
    jaccards,
    lsh_threshold,
    minhash_band_keys,
    plausible,
    shingled_text,
    title_text,
)
from blocking.registry import (
    BLOCKERS,
    EMBEDDING,
    LOOSE,
    block_size_caps,
    exact_blockers,
    runs_on,
    vector_blocker,
)
from blocking.vectors import vector_band_keys, vector_floor
from conf.config import BlockingConfig, EmbeddingBlockingConfig, MinHashConfig
from runtime.cache import JobCache

# What keeps an intermediate table that several parts read. `candidate_pairs`
# keeps only the smaller ones (the blocks, the key pairs) and releases them
# once its pairs are materialised: keeping the large ones too (key tables, the
# record index, the distinct texts) made blocking faster but every later stage
# slower, most likely by pushing the cached records out of memory
# (docs/blocking.md; figures in docs/results/blocking-experiments.md).
# Called alone, a function keeps nothing.
Keep = Callable[[DataFrame], DataFrame]


def no_keep(df: DataFrame) -> DataFrame:
    return df


@dataclass(frozen=True)
class SkewReport:
    """What the skew guard dropped: keys shared by more than `max_block_size` records."""

    dropped_keys: int
    dropped_memberships: int
    largest_block: int
    examples: list[str]

    def merged(self, other: SkewReport) -> SkewReport:
        """Both guards' drops in one report (the largest examples first)."""

        def size(example: str) -> int:
            return int(example.rsplit("(", 1)[-1].rstrip(")"))

        return SkewReport(
            self.dropped_keys + other.dropped_keys,
            self.dropped_memberships + other.dropped_memberships,
            max(self.largest_block, other.largest_block),
            sorted(self.examples + other.examples, key=size, reverse=True)[:5],
        )


def block_keys(
    records: DataFrame,
    cfg: BlockingConfig,
    usable: Iterable[str] | None = None,
    vectors: Mapping[str, int] | None = None,
) -> DataFrame:
    """Every key-only blocker's keys: `record_id`, `kind_norm`, `blocker`, `key`,
    for the blockers the catalogue's `usable` columns allow (None: all) and
    its `vectors` (column -> length). Text embedding blocking is not here:
    its pairs also need the encoder's vectors, see `embedding_pairs`."""
    keys = exact_keys(records, exact_blockers(cfg, usable))
    if cfg.minhash.enabled and runs_on(MINHASH, usable):
        keys = keys.unionByName(minhash_band_keys(records, cfg.minhash))
    if cfg.vectors.enabled and vectors:
        keys = keys.unionByName(vector_band_keys(records, dict(vectors), cfg.vectors))
    return keys


# The key's identity for joins: one 64-bit hash of (blocker, kind, key). Joins
# and counts on a long are several times cheaper than on three strings; two
# distinct keys colliding in 64 bits is too rare to matter (it would only
# propose a pair that scoring then judges).
def key_id() -> Column:
    return F.xxhash64("blocker", "kind_norm", "key")


def _block_limit(max_block_size: int, caps: Mapping[str, int] | None) -> Column:
    """Each block's size limit: `max_block_size`, or its blocker's lower cap."""
    limit = F.lit(max_block_size)
    for blocker, cap in sorted((caps or {}).items()):
        limit = F.when(F.col("blocker") == blocker, F.lit(min(cap, max_block_size))).otherwise(
            limit
        )
    return limit


def _skew_report(oversized: DataFrame) -> SkewReport:
    """What the guard dropped, from one row per oversized block (`blocker`,
    `key`, `key_id`, `block_size`); `oversized` is read twice when any was."""
    summary = oversized.agg(
        F.count("*").alias("n"),
        F.coalesce(F.sum("block_size"), F.lit(0)).alias("members"),
        F.coalesce(F.max("block_size"), F.lit(0)).alias("largest"),
    ).collect()[0]
    examples = []
    if summary["n"]:
        top = oversized.orderBy(F.desc("block_size"), "key_id").limit(5)
        examples = [
            f"{r['blocker']}:{r['key']} ({r['block_size']})"
            for r in top.select("blocker", "key", "block_size")
            .distinct()
            .orderBy(F.desc("block_size"), "key")
            .collect()
        ]
    return SkewReport(int(summary["n"]), int(summary["members"]), int(summary["largest"]), examples)


def guarded_blocks(
    keys: DataFrame,
    member: str,
    max_block_size: int,
    weight: str | None = None,
    caps: Mapping[str, int] | None = None,
    keep: Keep = no_keep,
) -> tuple[DataFrame, SkewReport]:
    """Drop blocks larger than their limit, and return the others: a key like
    "intro" or "track 1" shared by thousands of records would make a
    quadratic number of pairs no blocker meant; those pairs must come from
    other blockers. One pass over the keys (`record_id` or another `member`
    column, `kind_norm`, `blocker`, `key`) gives one row per key whose block
    is within its limit and holds two or more distinct `member` values:
    `key_id`, `blocker`, `members` (sorted); and what was dropped. A block's
    size counts its rows, or sums `weight` (a row per distinct text stands
    for that many records). The limit is `max_block_size`, or a lower one
    for some blockers (`caps`, by name). `keep`: see `Keep`. Pairs come
    from `block_pairs`.

    Members that are 64-bit ids (records' and texts' hashes, never null)
    are grouped with numpy (`blocking.grouped_keys`), others with Spark's
    `collect_set`: the same blocks, the first faster at scale
    (docs/performance.md). A self-join of the keys computed them twice,
    once per side: Spark does not reuse a shuffle over a checkpointed or
    cached input for the other side of a self-join, and a separate pass
    for the sizes was a third."""
    keyed = keys.withColumn("key_id", key_id())
    limit = _block_limit(max_block_size, caps)
    if isinstance(keyed.schema[member].dataType, LongType):
        grouped = grouped_keys(keyed, member, F.lit(1) if weight is None else F.col(weight), limit)
        return _guarded(grouped, keep)
    size = F.count("*") if weight is None else F.sum(weight)
    over = F.col("block_size") > limit
    grouped = (
        keyed.groupBy("key_id", "blocker")
        .agg(
            size.alias("block_size"),
            F.first("key").alias("key"),
            F.array_sort(F.collect_set(member)).alias("members"),
        )
        .where(over | (F.size("members") >= 2))
        # An oversized block keeps its key for the report, not its members;
        # a kept one the reverse.
        .select(
            "key_id",
            "blocker",
            "block_size",
            F.when(over, F.col("key")).alias("key"),
            F.when(~over, F.col("members")).alias("members"),
        )
    )
    return _guarded(grouped, keep)


def _guarded(grouped: DataFrame, keep: Keep) -> tuple[DataFrame, SkewReport]:
    """The kept blocks of `grouped` (a row per block, `members` null when it
    is over its limit) and the report of the others."""
    # Kept (when asked): the report and the pairs both read it.
    grouped = keep(grouped)
    report = _skew_report(grouped.where(F.col("members").isNull()))
    return grouped.where(F.col("members").isNotNull()).drop("block_size", "key"), report


def block_pairs(blocks: DataFrame, member: str) -> DataFrame:
    """Every pair of members of each block (`guarded_blocks`): `<member>_l` <
    `<member>_r`, and the blocks' other columns but `key_id` and `members`.
    A pair two blocks share comes once per block."""
    m = F.col("members")
    n = F.size(m)
    pairs = F.flatten(
        F.transform(
            F.sequence(F.lit(0), n - 2),
            lambda i: F.transform(
                F.sequence(i + 1, n - 1),
                lambda j: F.struct(F.get(m, i).alias("l"), F.get(m, j).alias("r")),
            ),
        )
    )
    others = [c for c in blocks.columns if c not in ("key_id", "members")]
    return blocks.select(*others, F.explode(pairs).alias("_p")).select(
        F.col("_p.l").alias(f"{member}_l"), F.col("_p.r").alias(f"{member}_r"), *others
    )


# Every blocker's bit in a pair's `blocked_by` mask, in name order, so that
# the names read back from a mask come out sorted. A catalogue's vector
# blockers ("vector:<column>") follow, in name order too (`bit_order`).
BIT_ORDER = tuple(BLOCKERS)


def bit_order(vectors: Iterable[str] = ()) -> tuple[str, ...]:
    """The mask's bits for a run with these vector columns."""
    return BIT_ORDER + tuple(sorted(vector_blocker(v) for v in vectors))


def _blocker_bit(blocker: Column, order: tuple[str, ...] = BIT_ORDER) -> Column:
    bit = F.lit(0).cast("long")
    for i, name in enumerate(order):
        bit = F.when(blocker == name, F.lit(1 << i)).otherwise(bit)
    return bit


def _blocker_names(mask: Column, order: tuple[str, ...] = BIT_ORDER) -> Column:
    present = [F.when(mask.bitwiseAND(1 << i) != 0, F.lit(n)) for i, n in enumerate(order)]
    return F.array_compact(F.array(*present))


# What a pair's records carry for the plausibility check (`drop_implausible`):
# shingled text, title text and duration, each as `<name>_l` and `<name>_r`.
EVIDENCE = ("t", "tt", "duration_s")
EVIDENCE_COLUMNS = tuple(f"{c}_{s}" for c in EVIDENCE for s in ("l", "r"))


def record_index(records: DataFrame, keep: Keep = no_keep) -> DataFrame:
    """`rid` (64-bit hash of record_id), `record_id`, `kind_norm`, the
    `EVIDENCE` columns: `t` (the shingled text), `tt` (the title's), `duration_s`,
    and `tid`, a 64-bit hash of (kind, text, title) that records of one text share.
    Pairs are joined and grouped on `rid`: two longs per row instead of two
    id strings is most of the pair stage's cost at scale. Raises if two
    record ids share a hash (about 1 in 30 million at a million records)."""
    index = records.select(
        F.xxhash64("record_id").alias("rid"),
        "record_id",
        "kind_norm",
        shingled_text().alias("t"),
        title_text().alias("tt"),
        "duration_s",
    ).withColumn("tid", F.xxhash64("kind_norm", "t", "tt"))
    # Kept (when asked): every part of blocking reads it, some twice.
    index = keep(index)
    counts = index.agg(F.count("*").alias("n"), F.countDistinct("rid").alias("ids")).collect()[0]
    if counts["n"] != counts["ids"]:
        raise RuntimeError(
            f"record ids collide in 64-bit hashing ({counts['n'] - counts['ids']} of {counts['n']}): "
            "rename the colliding record_id values"
        )
    return index


def record_blocks(
    keys: DataFrame,
    max_block_size: int,
    caps: Mapping[str, int] | None = None,
    keep: Keep = no_keep,
) -> tuple[DataFrame, SkewReport]:
    """`guarded_blocks` of record keys (`record_id`, `kind_norm`, `blocker`,
    `key`), their members `rid` (64-bit hashes of the record ids, see
    `record_index`)."""
    with_rid = keys.withColumn("rid", F.xxhash64("record_id"))
    return guarded_blocks(with_rid, "rid", max_block_size, caps=caps, keep=keep)


def key_pairs(blocks: DataFrame, order: tuple[str, ...] = BIT_ORDER) -> DataFrame:
    """Pairs of records sharing a block (`record_blocks`): `rid_l` < `rid_r`
    and `mask`, the bits (in `order`) of the blockers that proposed the pair."""
    # The bit per block, before a block becomes its pairs.
    with_bit = blocks.select(
        "key_id", "members", _blocker_bit(F.col("blocker"), order).alias("bit")
    )
    return block_pairs(with_bit, "rid").groupBy("rid_l", "rid_r").agg(F.bit_or("bit").alias("mask"))


def named_pairs(
    by_id: DataFrame, index: DataFrame, evidence: bool = True, order: tuple[str, ...] = BIT_ORDER
) -> DataFrame:
    """(`rid_l`, `rid_r`, `mask`) -> `record_id_l` < `record_id_r`,
    `blocked_by` (sorted names), and with `evidence` both records'
    `EVIDENCE_COLUMNS`."""
    carried = EVIDENCE if evidence else ()
    return _oriented(_with_sides(by_id, index, ["record_id", *carried]), carried, order)


def _with_sides(by_id: DataFrame, index: DataFrame, columns: list[str]) -> DataFrame:
    """`by_id` joined to both records' `columns` from `index`, as `<c>_l`, `<c>_r`."""
    for s in ("l", "r"):
        side = index.select(
            F.col("rid").alias(f"rid_{s}"), *[F.col(c).alias(f"{c}_{s}") for c in columns]
        )
        by_id = by_id.join(side, f"rid_{s}")
    return by_id


def _oriented(
    named: DataFrame, carried: tuple[str, ...] | list[str], order: tuple[str, ...] = BIT_ORDER
) -> DataFrame:
    """Pairs with both sides' `record_id` and `carried` -> `record_id_l` <
    `record_id_r`, `blocked_by`, and `carried` swapped with their records."""
    swap = F.col("record_id_l") > F.col("record_id_r")

    def pick(name: str, side: str) -> Column:
        other = "r" if side == "l" else "l"
        return F.when(swap, F.col(f"{name}_{other}")).otherwise(F.col(f"{name}_{side}"))

    return named.select(
        pick("record_id", "l").alias("record_id_l"),
        pick("record_id", "r").alias("record_id_r"),
        _blocker_names(F.col("mask"), order).alias("blocked_by"),
        *[pick(c, "l").alias(f"{c}_l") for c in carried],
        *[pick(c, "r").alias(f"{c}_r") for c in carried],
    )


def minhash_pairs(
    index: DataFrame,
    cfg: MinHashConfig,
    max_block_size: int,
    keep: Keep = no_keep,
    guard_keep: Keep = no_keep,
) -> tuple[DataFrame, SkewReport]:
    """MinHash pairs (`rid_l` < `rid_r`, `mask`, `titles_agree`), computed once
    per distinct text.

    Feeds repeat the same normalised title and artist, and the band join grows with
    the square of that (docs/blocking.md, "MinHash LSH"). So texts are keyed,
    guarded (a block's size counts its records), joined and held to the Jaccard
    floor as texts; only the pairs that survive are expanded to their records.
    Records sharing one text pair with each other (Jaccard 1), unless there are
    more than `max_block_size`. `titles_agree`: the titles reach
    `cfg.title_floor` (what `plausible` asks of a pair whose lengths differ),
    decided per text pair too."""
    texts = index.filter(F.length("t") > 0).select("rid", "kind_norm", "t", "tt", "tid")
    distinct = texts.groupBy("tid", "kind_norm").agg(
        F.first("t").alias("_text"), F.first("tt").alias("tt"), F.count("*").alias("records")
    )
    # Kept (when asked): read five times below, and an aggregation of strings.
    distinct = keep(distinct)
    keys = band_keys(distinct.select("tid", "kind_norm", "records", "_text"), "tid", cfg)
    blocks, report = guarded_blocks(keys, "tid", max_block_size, weight="records", keep=guard_keep)
    text_of = distinct.select("tid", "_text", "tt")
    candidates = (
        block_pairs(blocks.select("key_id", "members"), "tid")
        .distinct()
        .join(text_of.withColumnsRenamed({"tid": "tid_l", "_text": "t_l", "tt": "tt_l"}), "tid_l")
        .join(text_of.withColumnsRenamed({"tid": "tid_r", "_text": "t_r", "tt": "tt_r"}), "tid_r")
    )
    size, floor, title_floor = cfg.shingle_size, cfg.similarity_floor, cfg.title_floor
    schema = StructType(
        [StructField("tid_l", LongType()), StructField("tid_r", LongType())]
        + [StructField("titles_agree", BooleanType())]
    )

    def similar(batches):
        for batch in batches:
            t_l, t_r = (batch.column(c).to_pylist() for c in ("t_l", "t_r"))
            kept = pa.array(jaccards(t_l, t_r, size) >= floor)
            tt_l, tt_r = (batch.column(c).filter(kept).to_pylist() for c in ("tt_l", "tt_r"))
            titles = jaccards(tt_l, tt_r, size) >= title_floor
            yield pa.RecordBatch.from_arrays(
                [
                    batch.column("tid_l").filter(kept),
                    batch.column("tid_r").filter(kept),
                    pa.array(titles),
                ],
                schema=pa.schema(
                    [("tid_l", pa.int64()), ("tid_r", pa.int64()), ("titles_agree", pa.bool_())]
                ),
            )

    # Sort-merge joins for the pairs of texts: these sides hold millions of
    # rows at scale, too many to broadcast from the driver (docs/blocking.md,
    # "How the candidate table is built").
    text_pairs = candidates.mapInArrow(similar, schema).hint("merge")
    members = texts.select("tid", "rid").hint("merge")
    across = (
        text_pairs.join(members.withColumnsRenamed({"tid": "tid_l", "rid": "a"}), "tid_l")
        .join(members.withColumnsRenamed({"tid": "tid_r", "rid": "b"}), "tid_r")
        .select("a", "b", "titles_agree")
    )
    small = distinct.filter((F.col("records") > 1) & (F.col("records") <= max_block_size)).select(
        "tid", (F.length("tt") > 0).alias("titles_agree")
    )
    # One text: the same title, whose shingles agree with themselves if it has any.
    same = (
        members.join(small, "tid")
        .withColumnRenamed("rid", "a")
        .join(members.withColumnRenamed("rid", "b"), "tid")
        .filter(F.col("a") < F.col("b"))
        .select("a", "b", "titles_agree")
    )
    bit = F.lit(1 << BIT_ORDER.index(MINHASH))
    pairs = across.unionByName(same).select(
        F.least("a", "b").alias("rid_l"),
        F.greatest("a", "b").alias("rid_r"),
        bit.alias("mask"),
        "titles_agree",
    )
    return pairs, report


def candidate_pairs(
    records: DataFrame,
    cfg: BlockingConfig,
    keys: DataFrame | None = None,
    usable: Iterable[str] | None = None,
    vectors: Mapping[str, int] | None = None,
) -> tuple[DataFrame, SkewReport]:
    """Candidate pairs for `records` (normalised), and what the skew guard did.
    `keys`: the exact keys when the caller already has them (MinHash rows in
    them are ignored: MinHash pairs come from `minhash_pairs`, per text).
    `usable`: the columns the catalogue fills (`catalog.profile`; None: all),
    which decide the blockers that run; `vectors`: its vector columns and
    their lengths, each a blocker.

    The pairs come back computed, as a local checkpoint (the tables blocking
    kept on the way are released by then); Spark frees its blocks once the
    DataFrame is garbage collected."""
    with JobCache() as scratch:
        # Only the smaller tables are kept (see `Keep`).
        index = record_index(records)
        vectors = dict(vectors or {}) if cfg.vectors.enabled else {}
        order = bit_order(vectors)
        if keys is None:
            keys = exact_keys(records, exact_blockers(cfg, usable))
            if vectors:
                keys = keys.unionByName(vector_band_keys(records, vectors, cfg.vectors))
        blocks, report = record_blocks(
            keys.filter(F.col("blocker") != MINHASH),
            cfg.max_block_size,
            caps=block_size_caps(cfg),
            keep=scratch,
        )
        by_id = key_pairs(blocks, order).withColumn("titles_agree", F.lit(False))
        if cfg.minhash.enabled and runs_on(MINHASH, usable):
            by_minhash, minhash_report = minhash_pairs(
                index, cfg.minhash, cfg.max_block_size, guard_keep=scratch
            )
            by_id = (
                by_id.unionByName(by_minhash)
                .groupBy("rid_l", "rid_r")
                .agg(
                    F.bit_or("mask").alias("mask"), F.bool_or("titles_agree").alias("titles_agree")
                )
            )
            report = report.merged(minhash_report)
        pairs = _named_plausible(by_id, index, cfg, scratch, order)
        pairs = vector_floor(pairs, records, list(vectors), cfg.vectors.similarity_floor)
        if cfg.embedding.enabled and runs_on(EMBEDDING, usable):
            by_embedding, embedding_report = embedding_pairs(
                records, cfg.embedding, cfg.max_block_size, index, keep=scratch
            )
            pairs = union_pairs(pairs, by_embedding.drop("cosine"))
            report = report.merged(embedding_report)
        # Checkpointed, not cached: what comes after reads the pairs, never
        # blocking's plan (hundreds of joins, unions and aggregates), which
        # each later query would otherwise carry, look up and describe.
        pairs = pairs.localCheckpoint()
    return pairs, report


def _loose_only(mask: Column, order: tuple[str, ...] = BIT_ORDER) -> Column:
    strict = sum(1 << i for i, name in enumerate(order) if name not in LOOSE)
    return mask.bitwiseAND(strict) == 0


def _named_plausible(
    by_id: DataFrame,
    index: DataFrame,
    cfg: BlockingConfig,
    keep: Keep = no_keep,
    order: tuple[str, ...] = BIT_ORDER,
) -> DataFrame:
    """`named_pairs` held to the rules of `drop_implausible`. Only pairs that
    nothing but loose blockers (`Blocker.loose`) proposed can fail them; the rest are named with
    their ids alone."""
    # Kept, and computed before either half reads it: both do, and it is
    # a join and an aggregation.
    by_id = keep(by_id)
    by_id.count()
    loose = _loose_only(F.col("mask"), order)
    strict = named_pairs(by_id.where(~loose), index, evidence=False, order=order)
    return strict.unionByName(_plausible_loose(by_id.where(loose), index, cfg))


def _plausible_loose(pairs: DataFrame, index: DataFrame, cfg: BlockingConfig) -> DataFrame:
    """Loose-only pairs (`rid_l`, `rid_r`, `mask`, `titles_agree`) -> the named
    ones `drop_implausible` would keep, decided without carrying texts per pair.

    Millions of pairs reach here in a large catalogue, and judging them one by
    one in Python with their texts was most of blocking's time
    (docs/blocking.md, "Plausibility floors"). But a MinHash pair cleared
    the similarity floor as a text pair and knows whether its titles agree
    (`minhash_pairs`), so it needs only the two lengths; and a pair of two
    credited records that only `title_duration` proposed needs the Jaccard of
    two texts, which is computed once per distinct text pair."""
    mh = cfg.minhash
    minhash_bit = 1 << BIT_ORDER.index(MINHASH)
    named = _with_sides(
        pairs,
        index.withColumn("credited", F.length("t") > F.length("tt")),
        ["record_id", "tid", "duration_s", "credited"],
    )
    only_minhash = F.col("mask") == minhash_bit
    d_l, d_r = F.col("duration_s_l"), F.col("duration_s_r")
    lengths_agree = d_l.isNull() | d_r.isNull() | (F.abs(d_l - d_r) <= mh.max_duration_gap_s)
    # A pair MinHash proposed (too) has texts at its similarity floor already.
    by_minhash = F.col("mask").bitwiseAND(minhash_bit) != 0
    cleared = by_minhash if cfg.text_floor <= mh.similarity_floor else F.lit(False)
    needs_text = (
        ~only_minhash
        & F.col("credited_l")
        & F.col("credited_r")
        & ~cleared
        & F.lit(cfg.text_floor > 0)
    )
    plausible_now = F.when(only_minhash, F.col("titles_agree") | lengths_agree).otherwise(
        ~needs_text
    )
    to_check = named.where(needs_text)
    text_of = index.groupBy("tid").agg(F.first("t").alias("t"))
    checks = (
        to_check.select("tid_l", "tid_r")
        .distinct()
        .join(text_of.withColumnsRenamed({"tid": "tid_l", "t": "t_l"}), "tid_l")
        .join(text_of.withColumnsRenamed({"tid": "tid_r", "t": "t_r"}), "tid_r")
    )
    size, floor = mh.shingle_size, cfg.text_floor

    def similar(batches):
        for batch in batches:
            t_l, t_r = (batch.column(c).to_pylist() for c in ("t_l", "t_r"))
            yield batch.filter(pa.array(jaccards(t_l, t_r, size) >= floor))

    similar_texts = checks.mapInArrow(similar, checks.schema).select("tid_l", "tid_r").hint("merge")
    kept = named.where(plausible_now).unionByName(
        to_check.join(similar_texts, ["tid_l", "tid_r"], "left_semi")
    )
    return _oriented(kept, ())


def _plausible_pair(blocked_by, t_l, t_r, tt_l, tt_r, d_l, d_r, cfg: BlockingConfig) -> bool:
    if blocked_by == [MINHASH]:
        return plausible(t_l, t_r, tt_l, tt_r, d_l, d_r, cfg.minhash)
    if cfg.text_floor <= 0 or not LOOSE.issuperset(blocked_by):
        return True
    # Without an artist the text is the title alone, and the floor would
    # judge a partial record by what it lacks.
    credited = len(t_l or "") > len(tt_l or "") and len(t_r or "") > len(tt_r or "")
    return not credited or jaccard_of(t_l, t_r, cfg.minhash.shingle_size) >= cfg.text_floor


def drop_implausible(pairs: DataFrame, cfg: BlockingConfig) -> DataFrame:
    """`pairs` with `EVIDENCE_COLUMNS` -> pairs without them, keeping a pair
    only MinHash proposed if `blocking.minhash.plausible` says so, and one
    only loose blockers proposed if its texts reach `cfg.text_floor`."""
    out = [c for c in pairs.columns if c not in EVIDENCE_COLUMNS]
    wanted = ["blocked_by", "t_l", "t_r", "tt_l", "tt_r", "duration_s_l", "duration_s_r"]

    def keep(batches):
        for batch in batches:
            columns = (batch.column(c).to_pylist() for c in wanted)
            kept = [_plausible_pair(*row, cfg) for row in zip(*columns, strict=True)]
            yield batch.filter(pa.array(kept, pa.bool_()))

    return pairs.mapInArrow(keep, pairs.schema).select(*out)


def plausible_pairs(
    pairs: DataFrame, records: DataFrame, cfg: BlockingConfig, vectors: Iterable[str] = ()
) -> DataFrame:
    """`drop_implausible` and `vector_floor` for pairs without their evidence
    (an incremental run's); `records` must hold both records of every pair."""
    if cfg.vectors.enabled and vectors:
        pairs = vector_floor(pairs, records, list(vectors), cfg.vectors.similarity_floor)
    evidence = record_index(records).select("record_id", *EVIDENCE)
    for s in ("l", "r"):
        pairs = pairs.join(
            evidence.select(
                F.col("record_id").alias(f"record_id_{s}"),
                *[F.col(c).alias(f"{c}_{s}") for c in EVIDENCE],
            ),
            f"record_id_{s}",
        )
    return drop_implausible(pairs, cfg)


def embedding_pairs(
    records: DataFrame,
    cfg: EmbeddingBlockingConfig,
    max_block_size: int,
    index: DataFrame | None = None,
    keep: Keep = no_keep,
) -> tuple[DataFrame, SkewReport]:
    """Pairs sharing a SimHash band key whose cosine clears the floor:
    `record_id_l`, `record_id_r`, `blocked_by` (["embedding"]), `cosine`.
    `keep`: for the blocks, which the guard's report and the pairs both read."""
    # Checkpointed: the keys and the vectors both come from it, and the
    # encoder must run once per record, not once per use.
    embedded = embed_records(records, cfg).localCheckpoint()
    blocks, report = record_blocks(embedding_band_keys(embedded), max_block_size, keep=keep)
    index = record_index(records) if index is None else index
    pairs = named_pairs(key_pairs(blocks), index, evidence=False)
    return above_floor(pairs, embedded, cfg.similarity_floor), report


def union_pairs(left: DataFrame, right: DataFrame) -> DataFrame:
    """One row per pair, `blocked_by` the sorted union of both sides' blockers."""
    return (
        left.unionByName(right)
        .groupBy("record_id_l", "record_id_r")
        .agg(
            F.array_sort(F.array_distinct(F.flatten(F.collect_list("blocked_by")))).alias(
                "blocked_by"
            )
        )
    )


def describe_caps(cfg: BlockingConfig) -> str:
    """The skew guard's limits as a log line says them."""
    caps = ", ".join(f"{name} {cap}" for name, cap in sorted(block_size_caps(cfg).items()))
    return f"{cfg.max_block_size} records" + (f" ({caps})" if caps else "")


def describe_minhash(cfg: BlockingConfig) -> str:
    """The LSH thresholds the config implies: MinHash, and embedding when on."""
    m = cfg.minhash
    text = (
        f"minhash {m.bands} bands x {m.rows} rows over {m.shingle_size}-grams: "
        f"pairs proposed from Jaccard ~{lsh_threshold(m.bands, m.rows):.2f}, "
        f"kept from {m.similarity_floor:.2f} with titles from {m.title_floor:.2f} "
        f"or lengths within {m.max_duration_gap_s:g} s (or when another blocker proposed them)"
        if m.enabled
        else "minhash off"
    )
    if cfg.embedding.enabled:
        text += "; " + describe_embedding(cfg.embedding)
    return text
