"""A catalogue with one feed dirty in ways the generator never is.

    python bench/dirty_feed.py --input CATALOG.parquet --output DIRTY.parquet [--source store]

Every row of `--source` gets what a feed does on its way through other
systems, each a habit of real catalogue feeds:

* its text read back with the wrong encoding (UTF-8 bytes shown as
  Windows-1252: "Beyoncé" -> "BeyoncÃ©"), in title, artists and album;
* HTML entities from a scraped or XML export ("&" -> "&amp;", "'" -> "&#x27;");
* artists in a library's sort form ("The Cure" -> "Cure, The");
* a store's notes and spellings: "- Single" after the album, "219266 ms",
  "219 sec", "3:39 min", "Track 7", "ISRC: ...", and the year as a
  phonographic copyright line ("℗ 2005 Records").

Other columns, other feeds and the ground truth are left as they are, so
`jobs.resolve --truth true_entity_id` on the output says how much that feed's
dirt costs. Written together with the normalisation that undoes these habits
(`catalog.text.unmangle`, `uninvert`): it shows what that code recovers, not
how common the habits are.
"""

from __future__ import annotations

import argparse
import html
import re

import pandas as pd

TEXT_COLUMNS = ("title", "artists", "album")
_LEADING_THE = re.compile(r"^The (?P<name>.+)$")


def misread(text: str) -> str:
    """UTF-8 bytes decoded as Windows-1252 (Latin-1 for the bytes it lacks)."""
    return "".join(ch if ch.isascii() else _misread_char(ch) for ch in text)


def _misread_char(ch: str) -> str:
    out = []
    for b in ch.encode("utf-8"):
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(bytes([b]).decode("latin-1"))
    return "".join(out)


def sort_form(credit: str) -> str:
    m = _LEADING_THE.match(credit)
    return f"{m.group('name')}, The" if m else credit


def store_spelling(column: str, value: str) -> str:
    """A store's way of writing one value (left as it is when no rule fits)."""
    if column == "album":
        return f"{value} - Single"
    if column == "duration_ms":
        if re.fullmatch(r"\d{5,}", value):
            return f"{value} ms"
        if re.fullmatch(r"\d{2,4}", value):
            return f"{value} sec"
        if re.fullmatch(r"\d{1,2}:\d{2}", value):
            return f"{value} min"
    if column == "track_number" and value.isdigit():
        return f"Track {value}"
    if column == "isrc":
        return f"ISRC: {value}"
    if column == "release_year" and re.fullmatch(r"\d{4}", value):
        return f"\u2117 {value} Records"
    return value


STORE_COLUMNS = ("album", "duration_ms", "track_number", "isrc", "release_year")


def dirty(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    out = frame.copy()
    rows = out["source"] == source
    for column in TEXT_COLUMNS:
        values = out.loc[rows, column]
        present = values.notna()
        values[present] = values[present].map(lambda v: html.escape(misread(v), quote=True))
        out.loc[rows, column] = values
    for column in STORE_COLUMNS:
        values = out.loc[rows, column]
        present = values.notna()
        values[present] = values[present].map(lambda v, c=column: store_spelling(c, v))
        out.loc[rows, column] = values
    credits = out.loc[rows, "artists"]
    present = credits.notna()
    credits[present] = credits[present].map(sort_form)
    out.loc[rows, "artists"] = credits
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--input", required=True, help="a catalogue as Parquet (catalog schema)")
    ap.add_argument("--output", required=True)
    ap.add_argument("--source", default="store", help="the feed made dirty")
    args = ap.parse_args()
    frame = pd.read_parquet(args.input)
    if args.source not in set(frame["source"]):
        raise SystemExit(f"no rows of source {args.source!r} in {args.input}")
    out = dirty(frame, args.source)
    changed = {
        c: int((out[c].fillna("") != frame[c].fillna("")).sum())
        for c in (*TEXT_COLUMNS, *STORE_COLUMNS)
    }
    out.to_parquet(args.output, index=False)
    print(
        f"{int((frame['source'] == args.source).sum()):,} rows of {args.source!r}; "
        f"values changed: {changed}; written to {args.output}"
    )


if __name__ == "__main__":
    main()
