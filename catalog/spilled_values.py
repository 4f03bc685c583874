"""Values that a store export appended to the title, taken back out.

Some exports flatten a record by appending other columns to the title and
leaving those columns empty: "Halcyon Ellie Goulding $ 1.29 ℗ 2013 Polydor
Ltd. ( UK ) 3:24 August 27 , 2013". Words (the credit, the release title, a
genre) cannot be told from title words by their shape, and are left to the
pair features that pool all text (`text_moved`); typed values can:

* a release date at the end ("August 27 , 2013", "27-Aug-13", "2013-08-27"),
  taken only when the row's year is empty;
* a length at the end ("3:24"), taken only when the row's length is empty;
* a copyright line to the end: "℗"/"©"/"(C)"/"(P)" (or their mis-decoded
  forms) and a year, or a year followed by a company's name ("2014 Sony
  Music Entertainment");
* a price anywhere ("$ 1.29", "Album Only"): catalogues have no price column.

A value moved out of its field leaves that field empty, hence the first two
conditions: "Tonight at 11:30" keeps its time when the row has a length.
Nothing is cut from a title's first word, and a title is never cut to nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE_AT_END = re.compile(
    r"\s+(?:"
    rf"{_MONTH}\.?\s+\d{{1,2}}\s*,?\s*(?P<y1>\d{{4}})"  # August 27 , 2013
    rf"|\d{{1,2}}[-\s]{_MONTH}[-\s,]+(?P<y2>\d{{2}}|\d{{4}})"  # 27-Aug-13
    r"|(?P<y3>(?:19|20)\d{2})-\d{1,2}-\d{1,2}"  # 2013-08-27
    r")\s*$",
    re.IGNORECASE,
)
_LENGTH_AT_END = re.compile(r"\s+(?P<length>(?:\d{1,2}:)?\d{1,2}:\d{2})\s*$")
# The phonogram and copyright signs, spelled out, and as exports mis-decode
# them ("â„—" is UTF-8 read as Windows-1252; "‰ ãÑ" is how one store's
# export carries "℗").
_MARK = r"(?:℗|©|\(\s*[cp]\s*\)|â„—|Â©|‰\s*ãÑ)"
_COMPANY = (
    r"(?:records|recordings|music|entertainment|inc|ltd|llc|corp(?:oration)?|group|label"
    r"|productions|company|co|gmbh|limited|publishing|media)"
)
_MARKED_COPYRIGHT = re.compile(rf"\s+{_MARK}\s*(?:19|20)\d{{2}}\b.*$", re.IGNORECASE)
# Unmarked: a year after a word (not after "Kreisler:" or inside brackets),
# then a company's name within six words.
_UNMARKED_COPYRIGHT = re.compile(
    rf"(?<=[\w.,'])\s+(?:19|20)\d{{2}}\s+(?:\S+\s+){{0,5}}?\S*?\b{_COMPANY}\b.*$",
    re.IGNORECASE,
)
_PRICE = re.compile(r"\s+(?:\$\s?\d{1,3}\.\d{2}|album only)(?=\s|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Spilled:
    title: str | None
    # The raw text of the values taken, for the field parsers (None: none taken).
    length: str | None = None
    year: str | None = None


def take_spilled(title: str | None, length_missing: bool, year_missing: bool) -> Spilled:
    """`title` without the values an export appended to it, and the length and
    release year it held for fields that are empty."""
    if not title or " " not in title.strip():
        return Spilled(title)
    text = title.strip()
    year = length = None
    # Exports append in column order (..., copyright, length, release date),
    # so the date is peeled first, then the length, then the copyright line.
    if year_missing and (m := _DATE_AT_END.search(text)):
        year = m.group("y1") or m.group("y2") or m.group("y3")
        text = text[: m.start()]
    if length_missing and (m := _LENGTH_AT_END.search(text)):
        length = m.group("length")
        text = text[: m.start()]
    if m := _MARKED_COPYRIGHT.search(text) or _unmarked_copyright(text):
        text = text[: m.start()]
    text = _PRICE.sub("", text).strip()
    if not text or (text == title.strip() and length is None and year is None):
        return Spilled(title)
    return Spilled(text, length, year)


def _unmarked_copyright(text: str) -> re.Match | None:
    m = _UNMARKED_COPYRIGHT.search(text)
    if m is None:
        return None
    before = text[: m.start()]
    inside_brackets = before.count("(") > before.count(")") or before.count("[") > before.count("]")
    return None if inside_brackets else m
