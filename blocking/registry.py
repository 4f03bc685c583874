"""Every blocker tracklink knows, one object each: its name, the columns it
reads, how it keys a record, its default block-size cap and what it is for.

The config names the exact blockers to run (`blocking.exact_keys`) and may
override a cap (`blocking.block_size_caps`); MinHash and embedding blocking
are switched on in their own sections. A pair's `blocked_by` lists these names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pyspark.sql import Column

from blocking import exact_keys as keys
from blocking.embedding import BLOCKER as EMBEDDING
from blocking.minhash import BLOCKER as MINHASH
from conf.config import BlockingConfig
from conf.errors import ConfigError

# Vector blockers are named after their column: "vector:audio_embedding".
VECTOR_PREFIX = "vector:"


@dataclass(frozen=True)
class Blocker:
    name: str
    # The normalised columns its keys read.
    columns: tuple[str, ...]
    description: str
    # A record's keys as an array of strings; None where the blocker builds
    # its keys itself (MinHash per distinct text, embedding from vectors).
    key: Callable[[], Column] | None = None
    # A block larger than this is dropped (None: `blocking.max_block_size`).
    cap: int | None = None
    # Lets the artist differ: a pair that only loose blockers propose is held
    # to `blocking.text_floor`, since their blocks fill up with other artists'
    # songs of a common title and length.
    loose: bool = False
    # The columns a catalogue must fill for it to run (`catalog.profile`);
    # None: all of `columns`. A blocker keyed on "any text" needs none of its texts.
    needs: tuple[str, ...] | None = None

    @property
    def required(self) -> tuple[str, ...]:
        return self.columns if self.needs is None else self.needs


_ALL = (
    Blocker(
        "album_track_duration",
        ("album_norm", "track_no", "duration_s"),
        "the same position on the same release, lengths within 1 s",
        keys.album_track_duration_key,
        cap=5,
    ),
    Blocker(
        "artist_duration",
        ("artist_norm", "duration_s"),
        "one artist, lengths within 2 s: a title mangled or in another script",
        keys.artist_duration_key,
        # One artist's larger blocks hold its other songs of about one length.
        cap=10,
        # Not loose: one artist's two records of about one length whose titles
        # share nothing are mostly one recording titled in two scripts
        # (docs/blocking.md, "Plausibility floors").
    ),
    Blocker(
        EMBEDDING,
        ("title_norm", "artist_norm"),
        "SimHash bands of text embeddings",
        needs=("title_norm",),
    ),
    Blocker("isrc", ("isrc_norm",), "the same ISRC", keys.isrc_key),
    Blocker(
        MINHASH,
        ("title_norm", "artist_norm"),
        "MinHash LSH bands over shingles of title and artist",
        loose=True,
        needs=("title_norm",),
    ),
    Blocker(
        "text_duration",
        ("title_norm", "artist_norm", "album_norm", "duration_s"),
        "any text value in any field, lengths within 2 s: a feed that misfiled a field",
        keys.text_duration_key,
        cap=5,
        needs=("duration_s",),
        # It holds every title_duration key (a title is text), so is as loose.
        loose=True,
    ),
    Blocker(
        "text_track",
        ("title_norm", "artist_norm", "album_norm", "track_no"),
        "any text value and the track number: a feed with no length",
        keys.text_track_key,
        cap=5,
        needs=("track_no",),
    ),
    Blocker(
        "title_artist",
        ("title_norm", "artist_norm"),
        "the same title and artist",
        keys.title_artist_key,
    ),
    Blocker(
        "title_duration",
        ("title_norm", "duration_s"),
        "the same title, lengths within 2 s: a missing or mangled credit",
        keys.title_duration_key,
        loose=True,
    ),
    Blocker(
        "title_head_duration",
        ("title_norm", "duration_s"),
        "the title's first one or two words, lengths within 2 s: words appended to a title",
        keys.title_head_duration_key,
        # A title's first words are shared by more records than a whole title.
        cap=50,
        loose=True,
    ),
    Blocker(
        "track_duration",
        ("track_no", "duration_s"),
        "the track number, lengths within 0.5 s: a feed that blanked text and year",
        keys.track_duration_key,
        cap=5,
    ),
    Blocker(
        "track_year_duration",
        ("track_no", "year", "duration_s"),
        "track number and year, lengths within 0.5 s: a feed that blanked all text",
        keys.track_year_duration_key,
        # Keys without text are shared by coincidence, more so in a larger
        # catalogue (docs/blocking.md, "The skew guard and the caps").
        cap=5,
    ),
)

# By name; the order (sorted) is each blocker's bit in a pair's blocker mask.
BLOCKERS: dict[str, Blocker] = {b.name: b for b in sorted(_ALL, key=lambda b: b.name)}
EXACT_KEYS = tuple(name for name, b in BLOCKERS.items() if b.key is not None)
LOOSE = frozenset(name for name, b in BLOCKERS.items() if b.loose)


def runs_on(name: str, usable: Iterable[str] | None) -> bool:
    """Whether blocker `name` can run on a catalogue whose usable columns are
    `usable` (None: every column)."""
    return usable is None or set(BLOCKERS[name].required) <= set(usable)


def exact_key_names(cfg: BlockingConfig, usable: Iterable[str] | None = None) -> tuple[str, ...]:
    """The exact blockers a config runs: those it names (or every one), less
    those that need a column the catalogue does not fill (`usable`)."""
    named = EXACT_KEYS if cfg.exact_keys is None else tuple(cfg.exact_keys)
    usable = None if usable is None else frozenset(usable)
    return tuple(n for n in named if runs_on(n, usable))


def left_out_blockers(cfg: BlockingConfig, usable: Iterable[str]) -> dict[str, str]:
    """The configured blockers a catalogue cannot run, each with the columns it lacks."""
    usable = frozenset(usable)
    named = list(EXACT_KEYS if cfg.exact_keys is None else cfg.exact_keys)
    named += [
        n for n, on in ((MINHASH, cfg.minhash.enabled), (EMBEDDING, cfg.embedding.enabled)) if on
    ]
    return {
        n: "needs " + ", ".join(c for c in BLOCKERS[n].required if c not in usable)
        for n in named
        if not runs_on(n, usable)
    }


def exact_blockers(
    cfg: BlockingConfig, usable: Iterable[str] | None = None
) -> dict[str, Callable[[], Column]]:
    """The configured exact blockers' key functions, by name, for the
    catalogue's usable columns (None: all)."""
    check_blocking(cfg)
    return {name: BLOCKERS[name].key for name in exact_key_names(cfg, usable)}


def block_size_caps(cfg: BlockingConfig) -> dict[str, int]:
    """Each blocker's cap: its own, or the config's override."""
    caps = {name: b.cap for name, b in BLOCKERS.items() if b.cap is not None}
    return {**caps, **cfg.block_size_caps}


def check_blocking(cfg: BlockingConfig, vectors: Iterable[str] | None = None) -> None:
    """A `ConfigError` naming the key, for a blocker name tracklink does not know
    or a config under which no blocker runs (no pair could ever be proposed).
    `vectors` are the catalogue's vector columns (`input.embeddings`); None:
    not known here, and vector blocking counts as running if it is on."""
    for i, name in enumerate(cfg.exact_keys or ()):
        if name not in EXACT_KEYS:
            raise ConfigError(
                f"bad config: blocking.exact_keys.{i}: unknown blocker {name!r} "
                f"(known: {', '.join(EXACT_KEYS)})"
            )
    for name in cfg.block_size_caps:
        if name not in BLOCKERS:
            raise ConfigError(
                f"bad config: blocking.block_size_caps.{name}: unknown blocker "
                f"(known: {', '.join(BLOCKERS)})"
            )
    exact = cfg.exact_keys is None or len(cfg.exact_keys) > 0
    vector = cfg.vectors.enabled and (vectors is None or len(list(vectors)) > 0)
    if not (exact or cfg.minhash.enabled or cfg.embedding.enabled or vector):
        why_no_vectors = (
            "input.embeddings names no vector column"
            if cfg.vectors.enabled
            else "blocking.vectors.enabled is false"
        )
        raise ConfigError(
            "bad config: blocking: no blocker is on, so no pair could be proposed "
            "(blocking.exact_keys is empty, blocking.minhash.enabled and "
            f"blocking.embedding.enabled are false, {why_no_vectors})"
        )


def blocker_names(
    cfg: BlockingConfig, usable: Iterable[str] | None = None, vectors: Iterable[str] = ()
) -> list[str]:
    """Every blocker a run uses, in the order a log line says them."""
    names = [*exact_key_names(cfg, usable)]
    if cfg.minhash.enabled and runs_on(MINHASH, usable):
        names.append(MINHASH)
    if cfg.embedding.enabled and runs_on(EMBEDDING, usable):
        names.append(EMBEDDING)
    if cfg.vectors.enabled:
        names += [vector_blocker(v) for v in vectors]
    return names


def vector_blocker(column: str) -> str:
    """The blocker name of a vector column (`input.embeddings`)."""
    return f"{VECTOR_PREFIX}{column}"


def describe_blockers(
    cfg: BlockingConfig, usable: Iterable[str] | None = None, vectors: Iterable[str] = ()
) -> str:
    """The blockers a run uses, with their caps, as a log line says them."""
    caps = block_size_caps(cfg)
    names = blocker_names(cfg, usable, vectors)
    return ", ".join(
        f"{n} (cap {min(caps.get(n, cfg.max_block_size), cfg.max_block_size)})" for n in names
    )
