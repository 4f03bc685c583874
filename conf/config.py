"""The one typed configuration of tracklink.

Loaded from a YAML file in `conf/` (the packaged `local.yaml` by default), then
`--set a.b=c` overrides are applied, then the whole tree is validated: an unknown
key or a value of the wrong type is a `ConfigError` that names the key.
"""

from __future__ import annotations

import hashlib
import json
import pkgutil
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from conf.errors import ConfigError


class _Section(BaseModel):
    # A typo in a key must fail loudly instead of silently keeping a default.
    # No setting means anything at inf or nan (YAML's .inf, .nan): nan passes
    # no comparison, so it switches a threshold off unseen, and where a setting
    # has no upper bound, a large number says "no limit" and survives the JSON
    # the config is logged as, which inf and nan do not.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SparkConfig(_Section):
    master: str = "local[2]"
    app_name: str = "tracklink"
    driver_memory: str = "4g"
    shuffle_partitions: int = Field(4, ge=1)
    # Where Spark and Splink may break lineage; None = a temporary folder.
    checkpoint_dir: str | None = None
    # Extra Spark settings, e.g. Delta jars on a machine that has them.
    conf: dict[str, str] = Field(default_factory=dict)
    # A folder for Spark's event log (plain JSON lines), from which a run
    # profiles where each stage's time went (`runtime.profile`: Spark at work
    # or the driver alone) into its report folder. None: no event log.
    event_log_dir: str | None = None


class InputConfig(_Section):
    """How the catalogue's own columns fill tracklink's roles (`catalog.schema`)."""

    # Role -> the catalogue's column, e.g. {title: song_name, artists: performer,
    # duration_ms: length}; a role not named here is read from the column of its
    # own name, if there is one. Every other column passes through.
    columns: dict[str, str] = Field(default_factory=dict)
    # The catalogue's vector columns (array<float>: an audio or video embedding,
    # a fingerprint vector). Each becomes a blocker and a comparison; a record
    # may have no vector.
    embeddings: list[str] = Field(default_factory=list)
    # CSV field delimiter; None: read from the header line (",", ";", tab or "|").
    delimiter: str | None = None
    # A CSV's text encoding ("utf-8", "latin-1", "cp1252", ...; ASCII-based
    # encodings only). Text that does not decode is an error, never replaced.
    encoding: str = "utf-8"
    # A column whose value some rows lost together with its delimiter, so that
    # every later value slid one column right (MusicBrainz 20K's `id`): such
    # rows are put back (`catalog.shifted_rows`), judged by the track number,
    # length and year columns. None: no repair.
    shifted_from: str | None = None


class RolesConfig(_Section):
    """Which roles blocking and the model use: those a catalogue actually fills."""

    # A role is used only if at least this share of records have a value ...
    min_share: float = Field(0.02, ge=0, le=1)
    # ... and at least this many distinct values (a constant tells nothing).
    min_distinct: int = Field(2, ge=1)


class ValidationConfig(_Section):
    # What to do with a row whose title is missing: the foundation contract is
    # to quarantine it, since a title is what every blocker keys on.
    missing_title: Literal["quarantine", "resolve"] = "quarantine"


class NormaliseConfig(_Section):
    # Two-digit years at or below this pivot are 20xx, above it 19xx.
    two_digit_year_pivot: int = Field(30, ge=0, le=99)
    min_year: int = 1900
    max_year: int = 2030
    # Durations outside this range (seconds) are treated as unparseable.
    min_duration_s: float = Field(1.0, gt=0)
    max_duration_s: float = Field(4 * 3600.0, gt=0)
    # Take a length, release date, copyright line or price that an export
    # appended to the title back out of it (`catalog.spilled_values`).
    take_spilled_values: bool = True
    # "Title - Album" is undone only for the sources that pack releases into
    # titles: of a source's rows with an artist and no album, at least this
    # share have a dashed title (and at least `album_packing_min_rows` do).
    # Elsewhere "River Deep - Mountain High" is a title (`catalog.packing`).
    album_packing_share: float = Field(0.5, ge=0, le=1)
    album_packing_min_rows: int = Field(20, ge=1)

    @model_validator(mode="after")
    def _check_ranges(self) -> NormaliseConfig:
        # Both year bounds are kept, so they may be equal (a one-year
        # catalogue); crossed, no year would be.
        if self.min_year > self.max_year:
            raise ValueError(
                f"min_year: {self.min_year} is above max_year {self.max_year}: "
                "no year would be kept"
            )
        if self.min_duration_s >= self.max_duration_s:
            raise ValueError(
                f"min_duration_s: {self.min_duration_s} is not below max_duration_s "
                f"{self.max_duration_s}: no duration would be kept"
            )
        return self


class MinHashConfig(_Section):
    enabled: bool = True
    # Character n-grams of "title | first artist" (normalised).
    shingle_size: int = Field(3, ge=1, le=8)
    bands: int = Field(32, ge=1)
    rows: int = Field(4, ge=1)
    # A pair only MinHash proposed is kept if the exact Jaccard of its shingle
    # sets reaches this (0: keep every band collision). Below the S-curve's
    # midpoint the bands still let through many unrelated pairs by chance.
    similarity_floor: float = Field(0.4, ge=0, le=1)
    # ...and is not one artist's other song (see `blocking.minhash.plausible`):
    # its titles share this Jaccard, or its durations differ by at most
    # `max_duration_gap_s` seconds (or one is unknown). 0 / a huge gap: off.
    title_floor: float = Field(0.2, ge=0, le=1)
    max_duration_gap_s: float = Field(5.0, ge=0)
    seed: int = 1


class EmbeddingBlockingConfig(_Section):
    enabled: bool = False
    # fast: tracklink's own n-gram encoder (weights in embeddings/weights/);
    # minilm: all-MiniLM-L6-v2, much slower on a CPU (docs/blocking.md, "Embedding blocking").
    encoder: Literal["fast", "minilm"] = "fast"
    # Version of the packaged fast weights (embeddings/weights/fast-<version>.pt).
    version: str = "v1"
    # A weights file to use instead of the packaged one (fast encoder only).
    weights_path: str | None = None
    # SimHash LSH: each band is `bits_per_band` random-hyperplane signs; a pair
    # sharing any of `bands` bands is a candidate if its cosine clears the floor.
    # The defaults were chosen on a generated catalogue, not a benchmark
    # (docs/results/blocking-experiments.md, "Earlier figures").
    bands: int = Field(24, ge=1)
    bits_per_band: int = Field(12, ge=1, le=62)
    similarity_floor: float = Field(0.75, ge=-1, le=1)
    batch_size: int = Field(1024, ge=1)
    seed: int = 1


class VectorBlockingConfig(_Section):
    """Blocking on the catalogue's own vectors (`input.embeddings`): SimHash
    band keys, then a cosine floor on the pairs only vectors proposed."""

    enabled: bool = True
    # `bands` x `bits_per_band` random hyperplanes. 16 bits keep a random
    # vector's band bucket small (1 in 65,536); 48 bands find a pair at
    # cosine 0.9 with probability 0.985, at 0.93 with 0.999.
    bands: int = Field(48, ge=1)
    bits_per_band: int = Field(16, ge=1, le=62)
    similarity_floor: float = Field(0.9, ge=-1, le=1)
    seed: int = 1


class BlockingConfig(_Section):
    # Exact blockers by name (`blocking.registry`); None: every one of them.
    exact_keys: list[str] | None = None
    minhash: MinHashConfig = Field(default_factory=MinHashConfig)
    embedding: EmbeddingBlockingConfig = Field(default_factory=EmbeddingBlockingConfig)
    vectors: VectorBlockingConfig = Field(default_factory=VectorBlockingConfig)
    # Skew guard: a key shared by more records than this ("intro", "track 1")
    # would make a quadratic block; such blocks are dropped and logged.
    max_block_size: int = Field(100, ge=2)
    # Per-blocker caps below max_block_size, over each blocker's own cap
    # (`blocking.registry`): a key with little text in it is shared by coincidence.
    block_size_caps: dict[str, Annotated[int, Field(ge=2)]] = Field(default_factory=dict)
    # A pair proposed only by keys that let the artist differ (title_duration,
    # MinHash) needs this Jaccard of its title+artist shingles, unless a
    # record has no artist (0: off).
    text_floor: float = Field(0.25, ge=0, le=1)


class PairModelConfig(_Section):
    """The learned pair model (linkage/pair_model.py) over Splink's weight."""

    # Off: Splink's match probability is the pair's probability.
    enabled: bool = True
    # The packaged model linkage/weights/pair-<version>.pt ...
    version: str = "v5"
    # ... or a file written by `python -m jobs.train_pair_model`.
    weights_path: str | None = None
    # Use the model registered as `tracklink-pair-model@champion` in the
    # output's MLflow store (`tracklink train`), when there is one, instead
    # of the two settings above.
    use_champion: bool = True


class LinkageConfig(_Section):
    # Pairs sampled to estimate u (Splink's own default: 1e6); more pairs make
    # u, and the links' precision at scale, steadier across sampling seeds
    # (docs/linkage.md, "Training without labels").
    u_max_pairs: float = Field(1e7, gt=0)
    # ... but no more than this many per training record, nor fewer than
    # Splink's 1e6: a small catalogue reaches u's precision with fewer pairs,
    # and sampling 10M pairs of 20k records is most of its training time.
    u_pairs_per_record: float = Field(100, gt=0)
    # Prior that two random records match, estimated from these deterministic rules.
    prior_recall: float = Field(0.7, gt=0, le=1)
    em_max_iterations: int = Field(25, ge=1)
    # The model is learned on a uniform sample of at most this many records
    # (prior, u and m keep their meaning under uniform sampling) and then
    # scores every candidate pair; training cost stops growing with the input.
    train_max_records: int = Field(200_000, ge=1000)
    # Where the model learns: "duckdb" on the driver over the training sample
    # (collected as Arrow: at most train_max_records rows), or "spark" (the
    # job's session). Splink's training is many small queries, each paying
    # Spark's fixed cost, so DuckDB is far faster for the same model
    # (docs/linkage.md, "Where it learns, where it scores"). Scoring runs on
    # Spark either way.
    train_engine: Literal["duckdb", "spark"] = "duckdb"
    # Lowest u a term-frequency adjustment may use on the title and artist
    # exact matches (None: no floor). Without it their weight grows with the
    # catalogue's size (see linkage/model.py); how 1e-3 was chosen:
    # docs/linkage.md, "Training without labels".
    tf_minimum_u: float | None = Field(1e-3, gt=0, lt=1)
    # One EM session per entry; each entry lists the columns or SQL expressions
    # that block it. Together they must leave every learned comparison free once.
    em_blocking: list[list[str]] = Field(
        default_factory=lambda: [
            ["title_norm", "floor(duration_s / 4)"],
            ["artist_norm", "album_norm"],
        ]
    )
    # m-probabilities fixed by what a recording is, one per non-null level, in
    # level order. Left to EM, these learn "same song" (a live take agrees in
    # title and artist) instead of "same recording".
    fixed_m: dict[str, list[float]] = Field(
        default_factory=lambda: {
            "version_class": [0.99999, 0.00001],
            "duration_s": [0.9, 0.05, 0.04, 0.01],
        }
    )
    # The prior (two random records match) is estimated from the first of
    # these rules whose columns the catalogue fills (`catalog.profile`).
    prior_blocking: list[list[str]] = Field(
        default_factory=lambda: [
            ["title_norm", "artist_norm"],
            ["title_norm", "floor(duration_s / 4)"],
            ["title_norm"],
        ]
    )
    # EM sessions to run when none of `em_blocking` can (the roles it blocks
    # on are missing): each learns every comparison but the ones it blocks on.
    em_fallback: list[list[str]] = Field(default_factory=lambda: [["title_norm"], ["artist_norm"]])
    # Cosine similarity levels of a vector column's comparison (`input.embeddings`),
    # all in the band where two records are one recording. A lower level would
    # reward another version of the song (a live take is close, not equal): its
    # u comes from random pairs, which are never that close, so its weight
    # would be large (docs/results/any-catalogue.md).
    vector_levels: list[Annotated[float, Field(gt=0, lt=1)]] = Field(
        default_factory=lambda: [0.95, 0.9]
    )
    pair_model: PairModelConfig = Field(default_factory=PairModelConfig)
    seed: int = 42

    @model_validator(mode="after")
    def _check_fixed_m(self) -> LinkageConfig:
        for column, values in self.fixed_m.items():
            if any(not 0 < v < 1 for v in values):
                raise ValueError(f"fixed_m.{column}: every m-probability must lie in (0, 1)")
            if abs(sum(values) - 1) > 1e-6:
                raise ValueError(f"fixed_m.{column}: m-probabilities must sum to 1")
        return self


class ClusteringConfig(_Section):
    threshold: float = Field(0.9, gt=0, lt=1)
    max_iterations: int = Field(50, ge=1)
    # A pair model trained on the user's labels (`tracklink train`) carries
    # the threshold chosen on its training labels; a run it scores clusters
    # at that threshold instead of `threshold`.
    threshold_from_model: bool = True


class LabellingConfig(_Section):
    """Which candidate pairs `tracklink label` shows (`labelling.selection`)."""

    batch_size: int = Field(20, ge=1)
    # Shares of a batch per way of picking (normalised to sum to 1): pairs
    # whose probability is nearest the threshold, pairs Splink and the pair
    # model disagree on, the weakest links inside large clusters, and random
    # candidate pairs (these keep an estimate of precision unbiased).
    mix: dict[Literal["near_threshold", "disagreement", "weak_edge", "random"], float] = Field(
        default_factory=lambda: {
            "near_threshold": 0.4,
            "disagreement": 0.2,
            "weak_edge": 0.2,
            "random": 0.2,
        }
    )
    # A cluster this large or larger has its weakest links shown.
    large_cluster: int = Field(3, ge=3)
    seed: int = 7

    @model_validator(mode="after")
    def _check_mix(self) -> LabellingConfig:
        if any(v < 0 for v in self.mix.values()):
            raise ValueError("mix: a share cannot be negative")
        if not sum(self.mix.values()) > 0:
            raise ValueError("mix: at least one share must be above 0")
        return self


class TrainingConfig(_Section):
    """`tracklink train`: the pair model fitted on the labels table."""

    # Share of labelled pairs held out to measure the model (chosen by a hash
    # of the pair, so a pair stays on its side as labels grow).
    holdout: float = Field(0.3, gt=0, lt=1)
    # Start from the configured model's weights (`linkage.pair_model`: the
    # packaged one unless set; never a champion trained on earlier labels,
    # which would count them twice) and fine-tune, or from scratch.
    init: Literal["configured", "scratch"] = "configured"
    epochs: int = Field(50, ge=1)
    seed: int = 0
    # The threshold: of those whose out-of-fold F1 on the training labels is
    # within this (or one label's worth, 1 / matches, if more) of the best,
    # the one nearest the running model's. A few labels cannot tell two
    # thresholds apart, and a low one chains clusters through weak links.
    threshold_tolerance: float = Field(0.002, ge=0, lt=1)
    # Unlabelled candidate pairs trained on beside the labels, with the
    # running model's probability as their target, and the weights (in
    # labels' worth, all anchors together) tried for them: the one whose
    # out-of-fold probabilities fit the labels best is kept, or the running
    # model unchanged if it fits them better still. Where labels are few, or
    # agree with the model, they move it little (anchor_pairs 0: labels only).
    anchor_pairs: int = Field(2000, ge=0)
    anchor_weights: list[Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: [100.0, 1000.0, 10000.0], min_length=1
    )
    # Bootstrap resamples for the confidence intervals of the figures.
    bootstrap: int = Field(1000, ge=100)
    # The challenger replaces the champion only if its F1 on the held-out
    # labels is higher by at least min_f1_gain and its precision is not lower
    # by more than max_precision_loss.
    min_f1_gain: float = Field(0.0, ge=0)
    max_precision_loss: float = Field(0.002, ge=0)


# A schema of a catalog: `schema` (Hive metastore) or `catalog.schema` (Unity Catalog).
_TABLE_SCHEMA = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)?")


class OutputConfig(_Section):
    # auto: delta-spark when the session has Delta, else delta-rs commits of
    # Spark-written Parquet files.
    delta_engine: Literal["auto", "spark", "delta-rs"] = "auto"
    # Write each table as the managed Delta table `<table_schema>.<table>`
    # (e.g. `main.music`) instead of a folder under --output; delta-spark only.
    # --output is still required: it holds the run's lock, MLflow store (when
    # local), reports and staged files (a Unity Catalog Volume on Databricks).
    table_schema: str | None = None

    @model_validator(mode="after")
    def _check_table_schema(self) -> OutputConfig:
        if self.table_schema is None:
            return self
        if not _TABLE_SCHEMA.fullmatch(self.table_schema):
            raise ValueError(
                f"table_schema: {self.table_schema!r} is not `schema` or `catalog.schema` "
                "(letters, digits and _ only)"
            )
        if self.delta_engine == "delta-rs":
            raise ValueError(
                "table_schema: managed tables are written by delta-spark; "
                "delta_engine: delta-rs writes folders only (use spark or auto)"
            )
        return self


class TrackingConfig(_Section):
    """Where MLflow runs go (runtime/tracking.py)."""

    enabled: bool = True
    # None: on Databricks the workspace's server ("databricks"); elsewhere a
    # SQLite store in <output>/mlruns (for an object-store output, in its
    # side folder on this machine).
    tracking_uri: str | None = None
    # On a Databricks server a workspace path: a plain name goes under
    # /Shared (tracklink -> /Shared/tracklink), ~/name under /Users/<you>.
    experiment: str = Field("tracklink", min_length=1)


class LockConfig(_Section):
    """How a run holds its output so that no second run writes it (runtime/lock.py)."""

    # auto: the kernel's lock (flock) on a local or mounted path, a lease in a
    # Delta table (<output>/_lock_table) on an object store (s3://, abfss://,
    # gs://). "lease" takes the lease on a local path too (a shared mount
    # whose flock other hosts do not see); "flock" never takes a lease.
    kind: Literal["auto", "flock", "lease"] = "auto"
    # A holder renews its lease every renew_s seconds; a holder that stops
    # (its driver died) frees the output lease_s seconds after its last renewal.
    lease_s: float = Field(600, gt=0)
    renew_s: float = Field(60, gt=0)
    # delta-rs storage options for the lease table (credentials, region,
    # endpoint), e.g. {AWS_REGION: eu-west-1}; its environment variables work too.
    storage_options: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _renews_in_time(self) -> LockConfig:
        # Two renewals per lease at least: one slow commit must not let it lapse.
        if self.renew_s * 2 > self.lease_s:
            raise ValueError("renew_s must be at most half of lease_s")
        return self


class ProgressConfig(_Section):
    # A stage running longer prints a line this often (seconds): elapsed time
    # and the Spark stages in flight with their tasks. 0: off.
    heartbeat_s: float = Field(60, ge=0)


class SemanticsConfig(_Section):
    """Works and video links over recording clusters (linkage/works.py, linkage/videos.py)."""

    # A video links to an audio cluster only at or above this score (title and artist agree = 0.9).
    video_link_threshold: float = Field(0.8, ge=0.0, le=1.0)
    # Durations within this many seconds add evidence to a video link (videos run longer: intros).
    video_duration_tolerance_s: float = Field(20.0, ge=0.0)
    # Title and artist agree within this many edits (a typo in one feed's credit).
    video_max_edits: int = Field(2, ge=0)
    # A songwriter credited on more titles than this ties two recordings of a
    # title into one work only together with a second shared writer: a
    # prolific writer (or "Traditional") shares titles with songs that are not
    # covers of each other.
    writer_max_titles: int = Field(50, ge=1)
    # Tie performances of one title by different artists with no writer or
    # artist in common (covers in catalogues without songwriter credits).
    title_ties: bool = True
    # ... only when the title is rare: the number of unrelated songs expected to
    # carry it by chance (from how common its words and its length are among the
    # catalogue's titles) is at most this. "Yesterday" passes, "Home" does not.
    title_tie_max_chance: float = Field(0.2, ge=0.0)
    # Two versions of one song whose lengths differ by more than this share of
    # the longer are not tied by their title alone.
    title_tie_duration_tolerance: float = Field(0.2, ge=0.0, le=1.0)
    # Keys of other spellings of a title (bracketed words kept, a bracketed
    # alternative title) and the shorter titles a long one contains count only
    # from this many characters: short ones ("Reprise", "Heaven") name many songs.
    title_variant_min_chars: int = Field(12, ge=1)
    title_contained_min_words: int = Field(3, ge=1)
    # Titles of at least this many characters (without spaces) tie within one typo.
    title_typo_min_chars: int = Field(8, ge=1)
    # Up to this many ties, works are the components of the tie graph found on
    # the driver (one collect); beyond it, by label propagation in Spark. The
    # same works either way; the driver saves a few Spark jobs per iteration
    # on small catalogues.
    driver_components_max_edges: int = Field(500_000, ge=0)


class Config(_Section):
    spark: SparkConfig = Field(default_factory=SparkConfig)
    input: InputConfig = Field(default_factory=InputConfig)
    roles: RolesConfig = Field(default_factory=RolesConfig)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    normalise: NormaliseConfig = Field(default_factory=NormaliseConfig)
    blocking: BlockingConfig = Field(default_factory=BlockingConfig)
    linkage: LinkageConfig = Field(default_factory=LinkageConfig)
    clustering: ClusteringConfig = Field(default_factory=ClusteringConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    lock: LockConfig = Field(default_factory=LockConfig)
    semantics: SemanticsConfig = Field(default_factory=SemanticsConfig)
    progress: ProgressConfig = Field(default_factory=ProgressConfig)
    labelling: LabellingConfig = Field(default_factory=LabellingConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def fingerprint(self) -> str:
        """A short hash of the resolved config: equal configs, equal hashes."""
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


DEFAULT_CONFIG = "local.yaml"


def _read_yaml(path: str | None) -> dict[str, Any]:
    if path is None:
        # pkgutil works from a --py-files zip too, where conf/ is not a folder.
        data = pkgutil.get_data("conf", DEFAULT_CONFIG)
        text = data.decode() if data else ""
        where = f"conf/{DEFAULT_CONFIG}"
    else:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file not found: {path}")
        text = p.read_text()
        where = path
    try:
        tree = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where} is not valid YAML: {exc}") from None
    if not isinstance(tree, dict):
        raise ConfigError(f"{where} must hold a mapping of sections, not {type(tree).__name__}")
    return tree


def apply_override(tree: dict[str, Any], assignment: str) -> None:
    """Apply one `a.b.c=value` to a nested dict; the value is parsed as YAML."""
    key, sep, raw = assignment.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set expects key=value, got {assignment!r}")
    parts = key.strip().split(".")
    node = tree
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"--set {key}: {'.'.join(parts[: i + 1])} is not a section")
        node = child
    try:
        node[parts[-1]] = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        node[parts[-1]] = raw


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    path = [str(p) for p in first["loc"]]
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif first["type"] == "value_error":
        # A section's validator names the key it refuses: "key: why".
        msg = msg.removeprefix("Value error, ")
        key, sep, why = msg.partition(": ")
        if sep and " " not in key:
            path, msg = [*path, key], why
    key = ".".join(path) or "config"
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"bad config: {key}: {msg}{more}"


# Input formats that are a packaged column mapping (conf/inputs/<name>.yaml).
INPUT_FORMATS = ("catalog", "musicbrainz-dapo", "itunes-amazon")


def input_preset(input_format: str) -> InputConfig:
    """The `input` section of a packaged input format (conf/inputs/<name>.yaml)."""
    data = pkgutil.get_data("conf", f"inputs/{input_format}.yaml")
    return InputConfig.model_validate((yaml.safe_load(data or b"") or {}).get("input", {}))


def with_input_format(cfg: Config, input_format: str) -> Config:
    """`cfg` with a packaged input format's `input` section under its own: the
    format's column mapping, with the config's own entries winning."""
    if input_format not in INPUT_FORMATS:
        raise ConfigError(
            f"unknown input format {input_format!r} (expected one of {', '.join(INPUT_FORMATS)})"
        )
    if input_format == "catalog":
        return cfg
    preset = input_preset(input_format)
    own = cfg.input.model_dump(exclude_unset=True)
    merged = {**preset.model_dump(), **own, "columns": {**preset.columns, **cfg.input.columns}}
    return cfg.model_copy(update={"input": InputConfig.model_validate(merged)})


def map_overrides(mappings: list[str]) -> list[str]:
    """`--map role=column` arguments as `--set` overrides; `embeddings=a,b`
    names the vector columns."""
    out = []
    for mapping in mappings:
        role, sep, column = mapping.partition("=")
        role, column = role.strip(), column.strip()
        if not sep or not role or not column:
            raise ConfigError(f"--map expects role=column, got {mapping!r}")
        if role == "embeddings":
            names = [c.strip() for c in column.split(",") if c.strip()]
            out.append(f"input.embeddings={json.dumps(names)}")
        else:
            out.append(f"input.columns.{role}={json.dumps(column)}")
    return out


def load_config(path: str | None = None, overrides: list[str] | None = None) -> Config:
    tree = _read_yaml(path)
    for assignment in overrides or []:
        apply_override(tree, assignment)
    try:
        return Config.model_validate(tree)
    except ValidationError as err:
        raise ConfigError(_describe(err)) from None
