"""The titles a recording is known by, as keys that tie versions of one song.

Pure functions over one recording cluster's title: `linkage.works` applies
them on the executors. A song's versions and covers are written in many ways:
"Kiss an Angel Good Mornin'" / "Kiss an Angel Good Morning", "Back Stabbers" /
"Backstabbers", "The Girl from Ipanema" / "Girl from Ipanema", "(Feels Like)
Heaven" / "Feels Like Heaven", "Don't Ever Go Away (Por Causa de Você)". A key
is the title's words folded so that such spellings meet, then written without
spaces.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from catalog.text import bracket_spans, clean, without_brackets

# Sung contractions and short forms that feeds spell either way.
_SPELLINGS = {
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "gimme": "give me",
    "lemme": "let me",
    "til": "until",
    "till": "until",
    "n": "and",
    "em": "them",
    "thru": "through",
    "nite": "night",
    "tonite": "tonight",
    "luv": "love",
    "ya": "you",
    "u": "you",
    "o": "of",
    "ol": "old",
    "lil": "little",
}
# Leading articles a title is filed with or without, in the languages covers come in.
_ARTICLES = frozenset("the a an".split())
# Short words keep their "-ing": "sing" / "sin", "thing" / "thin" are other words.
_DROPPED_G_FROM = 6
# "A / B", "A/B" and "A; B": several songs in one recording. A slash between
# short words or digits is part of a title ("AC/DC", "24/7", "Either/Or").
_MEDLEY = re.compile(r"\s+/\s*|\s*/\s+|(?<=[^\W\d]{3})/(?=[^\W\d]{3})|\s*;\s*")
_MEDLEY_NAMED = re.compile(_MEDLEY.pattern + r"|\s+[-–—]\s+")
_MEDLEY_WORDS = ("medley", "potpourri")
_MEDLEY_WORD = re.compile(r"\b(medley|potpourri)\b:?", re.IGNORECASE)


# Folded (lower-case, unaccented) Cyrillic and Greek letters in Latin, the
# way catalogues romanise titles ("Журавли" / "Zhuravli").
_LATIN = str.maketrans(
    {
        **dict(zip("абвгдезийклмнопрстуфыэі", "abvgdeziyklmnoprstufyei", strict=True)),
        **{"ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch"},
        **{"ю": "yu", "я": "ya", "ї": "yi", "є": "ye", "ґ": "g", "ъ": "", "ь": ""},
        **dict(zip("αβγδεζηικλμνξοπρστυφω", "avgdeziiklmnxoprstyfo", strict=True)),
        **{"θ": "th", "χ": "ch", "ψ": "ps", "ς": "s"},
    }
)


def title_words(text: str | None) -> list[str]:
    """The words of a title, folded: accents and case gone (`catalog.text.clean`),
    contractions spelled out, "-ing" and "-in'" made one ("lovin" and "loving"
    both become "lovin"), articles dropped."""
    cleaned = clean(text) if text else None
    if not cleaned:
        return []
    words: list[str] = []
    for word in cleaned.split():
        words += _SPELLINGS.get(word, word).split()
    # "Desperados Waiting for the Train" / "... for a Train": an article
    # anywhere is filed either way.
    words = [w for w in words if w not in _ARTICLES] or words
    return [w[:-1] if len(w) >= _DROPPED_G_FROM and w.endswith("ing") else w for w in words]


def key_of(words: list[str]) -> str:
    """The words without spaces: "back stabbers" and "backstabbers" meet."""
    return "".join(words)


class WorkTitle(NamedTuple):
    """What `linkage.works` needs of one cluster's title.

    `words`: the title without its bracketed parts, or the first song of a
    medley. `variants`: other keys the same title is written as (the bracketed
    words kept, "(Feels Like) Heaven" -> "feelslikeheaven"; a bracket that
    names the song in another language). `medley`: the keys of every song of
    a medley, in order (empty for one song). `contained`: keys of the shorter
    titles this one might be a longer form of ("And I Am Telling You I'm Not
    Going" -> "andiamtellingyou"), longest first."""

    words: list[str]
    variants: list[str]
    medley: list[str]
    contained: list[str]
    # The key in Latin letters when the title is in Cyrillic or Greek
    # ("Журавли" -> "zhuravli"), else "".
    latin: str = ""


def work_title(
    raw_title: str | None,
    title_norm: str | None,
    min_variant_chars: int = 12,
    min_contained_words: int = 3,
    min_contained_chars: int = 12,
) -> WorkTitle:
    """The keys of one title. `raw_title` is the title as the feed wrote it (its
    brackets and slashes say where the parts are), `title_norm` the parsed one
    (`catalog.text.parse_title`: packing, feat. and version tags already gone).
    A bracket whose words the parse removed (a version, a feature) is no part
    of the title. Variants shorter than `min_variant_chars` are left out: a
    short bracket ("(Reprise)", "(Heaven)") names too many songs."""
    norm = (title_norm or "").split()
    if not raw_title:
        return WorkTitle(title_words(title_norm), [], [], [])
    kept = [
        inner
        for start, end in bracket_spans(raw_title)
        if (inner := clean(raw_title[start + 1 : end - 1])) and _contains(norm, inner.split())
    ]
    bare = norm
    for inner in kept:
        bare = _without(bare, inner.split())
    words = title_words(" ".join(bare)) or title_words(title_norm)

    medley: list[str] = []
    if parts := _medley_parts(raw_title):
        medley = [key_of(title_words(p)) for p in parts]
        words = title_words(parts[0])
    elif _MEDLEY_WORD.search(raw_title):  # "Hey Jude - Medley": one song, named so
        words = [w for w in words if w not in _MEDLEY_WORDS] or words

    key = key_of(words)
    variants = {key_of(title_words(title_norm))} | {key_of(title_words(k)) for k in kept}
    variants = sorted(v for v in variants if v != key and len(v) >= min_variant_chars)

    contained = []
    for n in range(len(words) - 1, min_contained_words - 1, -1):
        for part in (words[:n], words[-n:]):
            sub = key_of(part)
            if len(sub) >= min_contained_chars and sub not in contained:
                contained.append(sub)
    latin = key_of(title_words(transliterate(" ".join(words))))
    return WorkTitle(words, variants, medley, contained, latin if latin != key else "")


def transliterate(text: str) -> str:
    """Cyrillic and Greek letters of folded text in Latin ones, as catalogues
    romanise them; other letters as they are."""
    return text if text.isascii() else text.translate(_LATIN)


def _medley_parts(raw_title: str) -> list[str]:
    """The songs of a medley as written, or [] for one song. A title that says
    "Medley" may also join its songs with a dash ("Yesterday - Let It Be Medley")."""
    text = without_brackets(raw_title)
    named = bool(_MEDLEY_WORD.search(raw_title))
    if named:
        text = _MEDLEY_WORD.sub(" ", text)
    separator = _MEDLEY_NAMED if named else _MEDLEY
    parts = [p for p in separator.split(text) if title_words(p)]
    return parts if len(parts) > 1 else []


def _contains(words: list[str], part: list[str]) -> bool:
    n = len(part)
    return any(words[i : i + n] == part for i in range(len(words) - n + 1))


def _without(words: list[str], part: list[str]) -> list[str]:
    n = len(part)
    for i in range(len(words) - n + 1):
        if words[i : i + n] == part:
            return words[:i] + words[i + n :]
    return words
