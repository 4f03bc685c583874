"""Pure functions that turn one feed's raw values into comparable ones.

No Spark here: `catalog.normalise` applies these to batches on the executors,
and the tests call them on single strings.
"""

from __future__ import annotations

import difflib
import functools
import html
import re
import unicodedata
from dataclasses import dataclass, field

from catalog.vocabulary import (
    ALBUM_STORE_SUFFIX,
    ARTIST_SEPARATOR,
    DASH_NOTE_PATTERN,
    FEAT_PATTERN,
    KIND_ALIASES,
    NO_ARTIST_CREDITS,
    NULL_TOKENS,
    SAME_AUDIO_TAGS,
    TITLE_NOTE_PATTERN,
    VERSION_PATTERNS,
    VIDEO_PATTERN,
    WITH_PATTERN,
)

# Letters that NFKD does not decompose into a base letter plus a mark.
_TRANSLITERATE = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
    }
)
_APOSTROPHES = re.compile(r"['’`´]")
_NON_WORD = re.compile(r"[^\w]+|_", re.UNICODE)
_SPACES = re.compile(r"\s+")
# What an ASCII-only export leaves of a value in another script: a "?"
# for every letter (two or more), and spaces or punctuation.
LOST_TEXT = re.compile(r"[^\w?]*\?[^\w?]*\?[^\w]*")


# What carries no text: whitespace, control characters and the invisible
# format characters (zero-width space and joiners, word joiner, BOM, bidi
# marks). A value made only of these is no value.
INVISIBLE = re.compile(
    "[\\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]+"
)


def is_null(value: object) -> bool:
    """None, NaN, a null token ("null", "n/a", ...) or nothing visible."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    text = str(value)
    # Printable ASCII, most catalogue text, can hide only spaces: this runs for
    # every raw value of every record, and the pattern costs more than replace.
    if text.isascii() and text.isprintable():
        return text.replace(" ", "").lower() in NULL_TOKENS
    return INVISIBLE.sub("", text).lower() in NULL_TOKENS


def raw_or_none(value: object) -> str | None:
    """The value as a stripped string with feeds' encoding slips undone
    (`unmangle`), or None when it is a null token."""
    return None if is_null(value) else unmangle(str(value).strip())


# UTF-8 bytes read as Windows-1252 or Latin-1 ("BeyoncÃ©", "Sigur RÃ³s"): the
# character of a lead byte followed by one of a continuation byte (0x80-0xBF,
# which Windows-1252 shows partly as punctuation and a few letters).
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
    "\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022"
    "\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


def unmangle(text: str) -> str:
    """Undo what feeds do to text on the way: HTML entities from scraped or
    XML feeds ("Rock &amp; Roll", "Don&#39;t") and UTF-8 read as Windows-1252
    ("BeyoncÃ©", twice at most). A repair is kept only if the bytes decode as
    UTF-8 strictly, which text that merely contains "Ã" followed by a symbol
    almost never does."""
    for _ in range(2):
        # Most catalogue text is ASCII, which cannot hold the pattern.
        if text.isascii() or not _MOJIBAKE.search(text):
            break
        for codec in ("cp1252", "latin-1"):
            try:
                text = text.encode(codec).decode("utf-8")
                break
            except UnicodeError:
                continue
        else:
            break
    if "&" in text:
        text = html.unescape(text)
    return text


def fold(text: str) -> str:
    """Lower-case and strip accents, keeping letters of every script."""
    if text.isascii():  # nothing to transliterate or decompose: most catalogue text
        return text.lower()
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.lower()


def clean(text: str | None) -> str | None:
    """Folded words separated by single spaces: the form all comparisons use."""
    if text is None:
        return None
    return _clean(text)


# Artist names, albums and common titles repeat across a catalogue's rows.
@functools.lru_cache(maxsize=200_000)
def _clean(text: str) -> str | None:
    text = fold(text).replace("&", " and ")
    text = _APOSTROPHES.sub("", text)
    text = _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()
    return text or None


@functools.lru_cache(maxsize=100_000)
def similar(a: str | None, b: str | None, ratio: float = 0.85) -> bool:
    """Loose equality of two cleaned strings (typos, a dropped word)."""
    if not a or not b:
        return False
    if a == b:
        return True
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= ratio


# --- durations -------------------------------------------------------------------

_HMS = re.compile(r"^(?:(\d{1,2}):)?(\d{1,3}):(\d{1,2})(?:\.\d+)?$")
_M_S = re.compile(r"^(\d{1,3})\s*m(?:in)?\s*(\d{1,2})\s*s(?:ec)?$")
_ISO = re.compile(r"^pt(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")

# A plain number at or above this is milliseconds; a decimal below
# DECIMAL_MINUTES_BELOW is minutes (the "4.202" habit); anything else, seconds.
MILLISECONDS_FROM = 10_000
DECIMAL_MINUTES_BELOW = 30


def parse_duration_s(raw: object) -> float | None:
    """Seconds from every duration format feeds use: 219, 219000, '3:39',
    '1:02:03', '3m 39sec', '3.65' (minutes), 'PT3M39S'. None if unparseable."""
    if is_null(raw):
        return None
    text = str(raw).strip().lower().replace(",", ".")
    if m := _HMS.match(text):
        h, mnt, sec = (int(g) if g else 0 for g in m.groups())
        return float(h * 3600 + mnt * 60 + sec)
    if m := _M_S.match(text):
        return float(int(m.group(1)) * 60 + int(m.group(2)))
    if m := _ISO.match(text):
        h, mnt, sec = m.groups()
        if h or mnt or sec:
            return int(h or 0) * 3600.0 + int(mnt or 0) * 60.0 + float(sec or 0)
        return None
    if not _NUMBER.match(text):
        return _duration_with_units(text)
    value = float(text)
    if value >= MILLISECONDS_FROM:
        return round(value / 1000.0, 3)
    if "." in text and value < DECIMAL_MINUTES_BELOW:
        return round(value * 60.0, 3)
    return value


_UNIT_MINUTES = re.compile(r"^(.+?)\s*(?:min|mins|minutes)\.?$")
_PRIMES = re.compile(r"^(\d{1,3})\s*['\u2032\u2019]\s*(\d{1,2})\s*(?:\"|''|\u2033|\u201d)?$")
_UNIT_SECONDS = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds)\.?$")
_UNIT_MS = re.compile(r"^(\d+(?:\.\d+)?)\s*ms$")


def _duration_with_units(text: str) -> float | None:
    """The rarer spellings: '3:39 min', 3'39", '219 sec', '219000 ms'."""
    if (m := _UNIT_MINUTES.match(text)) and _HMS.match(m.group(1)):
        return parse_duration_s(m.group(1))
    if m := _PRIMES.match(text):
        return float(int(m.group(1)) * 60 + int(m.group(2)))
    if m := _UNIT_SECONDS.match(text):
        return float(m.group(1))
    if m := _UNIT_MS.match(text):
        return round(float(m.group(1)) / 1000.0, 3)
    return None


# --- years, track numbers, ISRCs, kinds --------------------------------------------

_YEAR = re.compile(r"^'?(\d{2}|\d{4})(?:\.0+)?$")
_DATE_YEAR = re.compile(r"^(\d{4})[-/.]\d{1,2}(?:[-/.]\d{1,2})?")
# The rarer spellings, tried in this order (spaces already removed):
# "20050301"; "31-Mar-15", "1mar05"; then the first year standing alone in
# any text: "01/03/2005", "march1,2005", "(p)2014,2015epicrecords".
_COMPACT_DATE = re.compile(r"^((?:19|20)\d{2})(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$")
_DAY_MONTH_YY = re.compile(
    r"^\d{1,2}[-/.]?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[-/.,]?(\d{2})$"
)
_ANY_YEAR = re.compile(r"(?<!\d)((?:1[89]|20)\d{2})(?!\d)")
_NEGATIVE = re.compile("^[-\u2212\u2013\u2014]\\d")


def parse_year(
    raw: object, pivot: int = 30, lo: int = 1900, hi: int = 2030, loose: bool = True
) -> int | None:
    """'2005', '05', "'05", '2005-03-01', 2005.0 -> 2005; None outside [lo, hi].
    `loose`: also dates spelled out and a year anywhere in the text ("(P) 2005
    Sony"); off where the question is whether the value is a year at all."""
    if is_null(raw):
        return None
    text = str(raw).strip().lower().replace(" ", "")
    if _NEGATIVE.match(text):  # "-2005" is no year, not 2005
        return None
    if m := _DATE_YEAR.match(text):
        year = int(m.group(1))
    elif m := _YEAR.match(text):
        year = int(m.group(1))
        if len(m.group(1)) == 2:
            year += 2000 if year <= pivot else 1900
    elif not loose:
        return None
    elif m := _COMPACT_DATE.match(text):
        year = int(m.group(1))
    elif m := _DAY_MONTH_YY.match(text):
        year = int(m.group(1))
        year += 2000 if year <= pivot else 1900
    elif m := _ANY_YEAR.search(text):
        year = int(m.group(1))
    else:
        return None
    return year if lo <= year <= hi else None


_TRACK = re.compile(r"^(?:[a-z]\s*)?0*(\d{1,3})(?:\s*/\s*\d+)?$")
# 'Track 7', '#7', '7 of 12', 'B-2' (side and position), '1-07' (disc and track).
_TRACK_SPELLED = re.compile(
    r"^(?:(?:track|tr\.?|no\.?|#)\s*0*(\d{1,3})|0*(\d{1,3})\s+of\s+\d+"
    r"|[a-z]\s*[-.]\s*0*(\d{1,2})|\d{1,2}\s*-\s*0*(\d{1,3}))$"
)


def parse_track_number(raw: object) -> int | None:
    """'007', '7', '7/12', 'A7' (vinyl side), 'Track 7', '7 of 12', 'B-2',
    '1-07' (disc 1) -> the position on its side or disc."""
    if is_null(raw):
        return None
    text = str(raw).strip().lower()
    if m := _TRACK.match(text):
        return int(m.group(1))
    if m := _TRACK_SPELLED.match(text):
        return int(next(g for g in m.groups() if g))
    return None


_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def parse_isrc(raw: object) -> str | None:
    """'US-RC1-76-07839' -> 'USRC17607839'; None when it is not an ISRC."""
    if is_null(raw):
        return None
    code = _NOT_ALNUM.sub("", str(raw)).upper()
    if len(code) == 16 and code.startswith("ISRC"):  # "ISRC: USRC17607839"
        code = code[4:]
    return code if _ISRC.match(code) else None


def parse_kind(raw: object) -> str | None:
    if is_null(raw):
        return None
    return KIND_ALIASES.get(str(raw).strip().lower())


# --- artist credits --------------------------------------------------------------


@dataclass(frozen=True)
class Credit:
    main: str | None  # the main credit, cleaned, without a leading "the"
    names: tuple[str, ...]  # every credited name (main and featured), cleaned


def _drop_article(name: str | None) -> str | None:
    if name and name.startswith("the ") and len(name) > 4:
        return name[4:]
    return name


# "Beatles, The": a library's sort form of a name, which splitting on commas
# would read as two artists, "beatles" and "the".
_INVERTED_THE = re.compile(
    r"(?P<name>[^,;/&+]*[^\s,;/&+]),\s*the\b(?=\s*(?:$|[,;/&+)\]]))",
    re.IGNORECASE,
)


def uninvert(credit: str) -> str:
    """'Beatles, The' -> 'The Beatles', in every name of a credit."""
    if "," not in credit:
        return credit

    def the_first(m: re.Match) -> str:
        name = m.group("name")
        words = name.lstrip()
        return name[: len(name) - len(words)] + "The " + words

    return _INVERTED_THE.sub(the_first, credit)


def split_names(credit: str) -> list[str]:
    names = []
    for part in ARTIST_SEPARATOR.split(uninvert(credit)):
        name = _drop_article(clean(part))
        if name and name not in names:
            names.append(name)
    return names


def parse_credit(raw: str | None, featured: list[str] | None = None) -> Credit:
    """'The Weeknd feat. Daft Punk' -> main 'weeknd', names ('weeknd', 'daft punk')."""
    featured = list(featured or [])
    if raw is None:
        names = [n for f in featured for n in split_names(f)]
        return Credit(None, tuple(dict.fromkeys(names)))
    parts = FEAT_PATTERN.split(raw, maxsplit=1)
    main_raw = uninvert(parts[0].strip(" (["))
    if len(parts) > 1:
        featured.append(parts[1].strip(" )]"))
    if clean(main_raw) in NO_ARTIST_CREDITS:
        return parse_credit(None, featured)
    names = split_names(main_raw) + [n for f in featured for n in split_names(f)]
    main = _drop_article(clean(main_raw))
    return Credit(main, tuple(dict.fromkeys(names)))


def writer_names(raw: object) -> list[str]:
    """'Max Martin / Shellback' -> ['max martin', 'shellback']: sorted, since
    feeds list a song's writers in no fixed order."""
    text = raw_or_none(raw)
    return sorted(split_names(text)) if text else []


# A video platform credits the channel: "NeonIslandsVEVO", "Neon Islands - Topic",
# "NeonIslandsOfficial". VEVO and Topic name nothing but a channel; "Official"
# ends real artist names too, so it is read as a channel only on a video.
_CHANNEL_SUFFIX = re.compile(r"^(?P<name>.+?)(?:\s*-\s*topic|\s*vevo)+\s*$", re.IGNORECASE)
_VIDEO_CHANNEL_SUFFIX = re.compile(
    r"^(?P<name>.+?)(?:\s*-\s*topic|\s*vevo|\s*official)+\s*$", re.IGNORECASE
)
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def channel_credit(raw: str | None, video: bool) -> str | None:
    """The artist a channel credit names: 'TheEndlessWavesVEVO' -> 'The Endless
    Waves'. Other credits are returned as they are."""
    if raw is None:
        return None
    # Most credits end in none of the suffixes: skip the regex for them.
    tail = raw.rstrip().lower()
    if not (tail.endswith(("vevo", "topic")) or (video and tail.endswith("official"))):
        return raw
    m = (_VIDEO_CHANNEL_SUFFIX if video else _CHANNEL_SUFFIX).match(raw.strip())
    if m is None:
        return raw
    name = m.group("name").strip(" -")
    if not name:
        return raw
    # Channel handles drop the spaces; their capitals say where the words were.
    if " " not in name:
        name = _CAMEL_BOUNDARY.sub(" ", name)
    return name


# --- titles ---------------------------------------------------------------------

_OPEN, _CLOSE = "([{", ")]}"
_DASH = " - "
_TRACK_PREFIX = re.compile(r"^\s*(\d{1,3})\s*[-.]\s*")
# A vinyl or multi-disc position padded to a fixed width ("0A1-", "00A-",
# "R004-"): the leading zero (or a letter then zeros) is what tells it from a
# title that starts with a letter and a number ("U2 - ...", "B52-...").
_POSITION_PREFIX = re.compile(r"^\s*(?:0+[a-z]\d{0,2}|[a-z]0+\d{1,2})-", re.IGNORECASE)
# "Artist  -Title", "Artist- Title", "Artist -- Title", "A-B---C-D": the
# packing dash with its spaces lost on one side, doubled, or with every space
# turned into a hyphen. Read as " - " only when the feed gave no artist.
_LOOSE_DASH = re.compile(r"(?<=\S)(?:\s+-+\s*|\s*-+\s+|\s*-{2,}\s*)(?=\S)")
_YEAR_SEGMENT = re.compile(r"^(\d{4}|unknown)$")
_PACKED_TOPIC = re.compile(r"topic\s*-\s+", re.IGNORECASE)
_TRAILING_FEAT = re.compile(r"\s+(?:feat\.?|ft\.?|featuring)\s+(.+)$", re.IGNORECASE)


def bracket_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level bracketed segment, nested brackets inside
    it included: "A (B (C))" has one, "(B (C))". Unbalanced brackets are text."""
    spans, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            if depth == 0:
                start = i
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def without_brackets(text: str) -> str:
    out, last = [], 0
    for start, end in bracket_spans(text):
        out.append(text[last:start])
        last = end
    out.append(text[last:])
    return " ".join("".join(out).split())


# Version phrases repeat across a catalogue's titles ("Remastered 2011", "Live").
@functools.lru_cache(maxsize=100_000)
def version_tag(segment: str) -> str | None:
    """The version a title segment denotes ('Live at Wembley' -> 'live'), or None."""
    text = clean(segment) or ""
    for tag, pattern in VERSION_PATTERNS:
        if pattern.search(text):
            return tag
    return None


# A segment is a version phrase when the version word leads ("Live at Wembley",
# "Remastered 2011") or closes it ("Danny Tenaglia Remix", "Acoustic Version");
# "Revolutions: Live at Wembley" or "KEXP Live" are album titles instead.
_VERSION_LEADS = re.compile(
    r"^(live|re ?master(ed)?|digital(ly)? remaster(ed)?|acoustic|unplugged|instrumental|karaoke|"
    r"demo|radio edit|single edit|radio version|edit|extended|club mix|original mix|album version|"
    r"single version|mono|stereo|explicit|clean version|\d{4} (re ?master(ed)?|version|mix|remix))\b"
)
_VERSION_CLOSES = re.compile(r"\b(re ?mix|mix|edit|version|re ?master(ed)?|rework|dub)( \d{4})?$")


def version_phrase(segment: str) -> str | None:
    """The version a segment states, if the segment is a version phrase."""
    text = clean(segment) or ""
    if _VERSION_LEADS.search(text) or _VERSION_CLOSES.search(text):
        return version_tag(text)
    return None


def is_video_segment(segment: str) -> bool:
    return bool(VIDEO_PATTERN.search(clean(segment) or ""))


def video_version(segment: str) -> str:
    """A lyric video or a visualizer is a different video of the same audio."""
    text = clean(segment) or ""
    if "lyric" in text:
        return "lyric_video"
    if "visuali" in text:
        return "visualizer"
    return "original"


@dataclass
class ParsedTitle:
    title: str | None  # cleaned main title: no packing, feat., version or album segment
    artist: str | None  # raw artist, possibly recovered from "Artist - Title"
    album: str | None  # raw album, possibly recovered from "Title - Album"
    version: str = "original"
    featured: list[str] = field(default_factory=list)
    video: bool = False  # the title says it is a video ("Official Video")
    year_hint: int | None = None  # a year found in the album, e.g. "Nice (2000)"


def _strip_track_prefix(title: str, track_number: int | None) -> str:
    if m := _POSITION_PREFIX.match(title):
        return title[m.end() :]
    m = _TRACK_PREFIX.match(title)
    if not m:
        return title
    digits = m.group(1)
    # "007-Chases" is a track number; "2-4-6-8 Motorway" is a title.
    zero_padded = len(digits) > 1 and digits.startswith("0")
    if zero_padded or (track_number is not None and int(digits) == track_number):
        return title[m.end() :]
    return title


def _split_packed(
    title: str, artist: str | None, album: str | None, album_packed: bool = False
) -> tuple[str, str | None, str | None, list[str]]:
    """Undo "Artist - Title" and "Title - Album" packing, using the other fields
    to decide which side is which. `album_packed`: the record's feed packs the
    release into its titles (`catalog.packing`), so an empty album field and a
    right part that is not the artist's make the right part the album. Returns
    title, artist, album and any version segments found after a dash."""
    versions: list[str] = []
    if _DASH not in title and artist is None and (loose := _LOOSE_DASH.search(title)):
        title = f"{title[: loose.start()]}{_DASH}{title[loose.end() :]}"
    if _DASH not in title:
        return title, artist, album, versions
    left, right = title.split(_DASH, 1)
    if not left.strip() or not right.strip():
        return title, artist, album, versions
    # "Neon Islands - Topic - Song": the channel's " - Topic" is part of the credit.
    if topic := _PACKED_TOPIC.match(right):
        left, right = f"{left} - Topic", right[topic.end() :]
    c_left, c_right = clean(left), clean(right)
    c_artist, c_album = clean(artist), clean(album)
    # "Artist - Song (Club Mix)": the version belongs to the song, so only an
    # unbracketed tail ("Song - Live at Wembley") is a version segment.
    bare_right = without_brackets(right)
    is_tail = bool(bare_right) and _DASH not in bare_right
    tail_version = is_tail and (version_phrase(bare_right) or is_video_segment(bare_right))
    # With no artist field, "Artist - Title" packing is likelier than a version
    # tail, unless the tail is nothing but a version ("Song - Radio Edit").
    if tail_version and (artist is not None or len(bare_right.split()) <= 2):
        versions.append(right)
        return left, artist, album, versions
    if artist is None:
        # With no artist field, "Artist - Title" is the packing feeds use; the
        # album may well equal the title (a single), so it cannot decide.
        return right, raw_or_none(left), album, versions
    if similar(_drop_article(c_left), _drop_article(c_artist)):
        return right, artist, album, versions
    if similar(_drop_article(c_right), _drop_article(c_artist)):
        return left, artist, album, versions
    # "River Deep - Mountain High" by its credited artist is a whole title:
    # the right part is an album only where the album field or the feed's
    # habit says so.
    if album is None and album_packed:
        return left, artist, raw_or_none(right), versions
    if c_album and similar(c_right, c_album):
        return left, artist, album, versions
    return title, artist, album, versions


# "(1998)" or "(unknown)" closing an album name; a segment opening with a featuring word.
_ALBUM_YEAR = re.compile(r"\s*\((\d{4}|unknown)\)\s*$", re.IGNORECASE)
_FEAT_WORD = re.compile(r"^(feat|ft|featuring)\b", re.IGNORECASE)


def parse_title(
    raw_title: str | None,
    raw_artist: str | None = None,
    raw_album: str | None = None,
    track_number: int | None = None,
    album_packed: bool = False,
) -> ParsedTitle:
    """Separate what feeds pack into a title: track number, artist, album,
    featured credits, version tags and video markers. `album_packed`: see
    `_split_packed`."""
    artist, album = raw_artist, raw_album
    year_hint = None
    while album is not None and (m := ALBUM_STORE_SUFFIX.search(album)):
        album = album[: m.start()].strip() or None
    if album is not None:
        m = _ALBUM_YEAR.search(album)
        if m:
            if m.group(1).isdigit():
                year_hint = int(m.group(1))
            album = album[: m.start()].strip() or None
    if raw_title is None:
        return ParsedTitle(None, artist, album, year_hint=year_hint)

    title = _strip_track_prefix(raw_title.strip(), track_number)
    if not title.strip():  # "007-": a track number and nothing else
        return ParsedTitle(None, artist, album, year_hint=year_hint)
    title, artist, album, dash_segments = _split_packed(title, artist, album, album_packed)

    featured: list[str] = []
    versions: list[str] = []
    video = False
    c_album = clean(album)
    kept: list[str] = []

    def classify(segment: str) -> bool:
        """True when the segment is metadata to remove from the title."""
        nonlocal video
        text = segment.strip()
        if not text:
            return True
        if FEAT_PATTERN.match(text) or _FEAT_WORD.match(text):
            featured.append(FEAT_PATTERN.sub("", text, count=1).strip())
            return True
        if is_video_segment(text):
            video = True
            versions.append(video_version(text))
            return True
        c_text = clean(text)
        # The album repeated in the title: "Song (Live at Wembley)" on the
        # album "Live at Wembley" says nothing about this recording's version.
        if c_album and c_text and similar(c_text, c_album):
            return True
        if tag := version_phrase(text):
            versions.append(tag)
            return True
        if m := WITH_PATTERN.match(text):
            featured.append(text[m.end() :])
            return True
        return bool(TITLE_NOTE_PATTERN.match(text) or _YEAR_SEGMENT.match(c_text or ""))

    for segment in dash_segments:
        classify(segment)

    pieces, last = [], 0
    for start, end in bracket_spans(title):
        pieces.append(title[last:start])
        inner = title[start + 1 : end - 1]
        if classify(inner):
            pieces.append(" ")
        else:
            kept.append(inner)
            pieces.append(title[start:end])
        last = end
    pieces.append(title[last:])
    title = "".join(pieces)
    if m := _TRAILING_FEAT.search(title):
        featured.append(m.group(1))
        title = title[: m.start()]
    # "Song - Live" after brackets were removed, e.g. "Song (feat. X) - Live".
    while _DASH in title:
        head, tail = title.rsplit(_DASH, 1)
        if DASH_NOTE_PATTERN.match(tail.strip()):
            title = head
            continue
        if not (version_phrase(tail) or is_video_segment(tail)):
            break
        classify(tail)
        title = head

    different = [v for v in versions if v not in SAME_AUDIO_TAGS]
    if different:
        version = different[0]
    elif "remaster" in versions:
        version = "remaster"
    else:
        version = "original"
    # A title made only of symbols ("!!!") or of kept brackets is still a
    # title; one of question marks only ("???? ??") is text an export could
    # not encode, which is no title.
    cleaned = clean(title) or clean(" ".join(kept))
    if not cleaned and not LOST_TEXT.fullmatch(title):
        cleaned = title.strip().lower() or None
    return ParsedTitle(cleaned, artist, album, version, featured, video, year_hint)
