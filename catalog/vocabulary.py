"""Music-metadata vocabulary: the words feeds use for versions, credits and nulls.

Kept as data in one place so that a new feed's habit is one line here, not a
regex hunt through the code.
"""

from __future__ import annotations

import re

# Values that mean "no value" in the feeds we have seen (compared after
# lower-casing and removing spaces, so "n ull" and "N/A" are caught too).
NULL_TOKENS = frozenset(
    {
        "",
        "null",
        "nul",
        "none",
        "nan",
        "na",
        "n/a",
        "n.a.",
        "n.a",
        "unknown",
        "[unknown]",
        "(unknown)",
        "unk",
        "unk.",
        "-",
        "--",
        "?",
        "tbd",
        "notavailable",
    }
)

# Version tags, checked in this order against a bracketed or dash-separated
# segment of a title. A remaster is the same audio: it is recognised so that it
# can be removed, and recorded as "remaster" (compatible with "original").
VERSION_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (tag, re.compile(pattern))
    for tag, pattern in [
        ("remaster", r"\b(re ?master(ed)?|digital(ly)? re ?master(ed)?)\b"),
        ("karaoke", r"\bkaraoke\b"),
        ("instrumental", r"\binstrumental\b"),
        ("acoustic", r"\b(acoustic|unplugged)\b"),
        ("live", r"\b(live|in concert|concert version)\b"),
        (
            "original",
            r"\b(original (mix|version)|album version|single version|explicit|mono|stereo)\b",
        ),
        ("remix", r"\b(re ?mix(ed)?|rmx|\w+ mix|rework|bootleg|dub)\b"),
        ("edit", r"\b(radio edit|single edit|edit|radio version|short version|clean version)\b"),
        ("demo", r"\b(demo|early version|rough mix)\b"),
    ]
]

# Tags that denote the same recording as an untagged title.
SAME_AUDIO_TAGS = frozenset({"original", "remaster"})

# Segments that mark a music video rather than an audio track.
VIDEO_PATTERN = re.compile(
    r"\b(official (music |lyric |hd |4k )?video|music video|lyric video|lyrics video|"
    r"official visuali[sz]er|visuali[sz]er|video clip|videoclip|official mv|m/v)\b"
)

# A featured-artist credit, in a title or an artist field.
FEAT_PATTERN = re.compile(r"(?:^|[\s(\[])(?:feat\.?|ft\.?|featuring|feat)\s+", re.IGNORECASE)

# A guest credit in a bracket of a title, as some stores write it, in lower
# case: "Song (with Artist)". Capitalised, "(With Another Girl)" is as often
# part of the title; and "Dance With Me" is a title.
WITH_PATTERN = re.compile(r"^with\s+(?=\S)")

# Bracketed notes in a title that say where the song appears or who made it,
# not what the recording is: '(From "8 Mile")', "(From the Motion Picture
# ...)", "(Bonus Track)", "(Prod. by X)". An unquoted "(from the Water Music)"
# names the larger work and stays.
_FROM_A_SOURCE = (
    r"(?:taken )?from\s+(?:[\"\u201c\u201e']|the (?:original )?(?:motion picture|film|movie|"
    r"musical|series|soundtrack)\b)"
)
TITLE_NOTE_PATTERN = re.compile(
    rf"^(?:{_FROM_A_SOURCE}|bonus(?: track)?$|(?:prod\.?|produced) by\s)", re.IGNORECASE
)
# The same note after a dash ('Song - From "Film" Soundtrack').
DASH_NOTE_PATTERN = re.compile(rf"^{_FROM_A_SOURCE}", re.IGNORECASE)

# What a store appends to a release title: the release type and its
# advisory ("Thriller - Single", "Curtain Call [Explicit]").
ALBUM_STORE_SUFFIX = re.compile(
    r"(?:\s+-\s+(?:single|ep)|\s*[(\[](?:explicit|clean)(?: version)?[)\]])\s*$",
    re.IGNORECASE,
)

# Genre names as stores file them. An export that flattens a record appends
# its genre column to the title ("Yellow Coldplay Parachutes Pop"); the pair
# model's `title_padded` counts these words as explained. Compared as
# cleaned words (`catalog.text.clean`), "and" left out. Genres whose words
# are common in titles ("New Age", "World", "Holiday") are not listed.
STORE_GENRES = (
    "Alternative",
    "Blues",
    "Children's Music",
    "Christian & Gospel",
    "Classical",
    "Comedy",
    "Contemporary",
    "Country",
    "Dance",
    "Electronic",
    "Folk",
    "Hip-Hop/Rap",
    "Indie Rock",
    "Inspirational",
    "Instrumental",
    "J-Pop",
    "Jazz",
    "K-Pop",
    "Latin",
    "Metal",
    "Music",
    "Opera",
    "Pop",
    "Punk",
    "R&B/Soul",
    "Reggae",
    "Rock",
    "Singer/Songwriter",
    "Soundtrack",
    "Vocal",
)


# Credits that name no artist: a compilation's placeholder. Read as no credit,
# so that the compilation's copy of a track is compared on its other values.
NO_ARTIST_CREDITS = frozenset(
    {
        "various artists",
        "various",
        "va",
        "v a",
        "varios artistas",
        "artistes divers",
        "verschiedene interpreten",
    }
)

# Separators between several main artists in one credit.
ARTIST_SEPARATOR = re.compile(r"\s*(?:,|;|/|\s&\s|\sand\s|\sx\s|\svs\.?\s|\+)\s*", re.IGNORECASE)

# Kinds of record, as feeds spell them.
KIND_ALIASES = {
    "audio": "audio",
    "track": "audio",
    "song": "audio",
    "recording": "audio",
    "video": "video",
    "music video": "video",
    "musicvideo": "video",
    "mv": "video",
}
