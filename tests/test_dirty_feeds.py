"""A feed whose text went through the wrong encoding, an HTML export, a
library's sort form and a store's spellings normalises to what the clean feed
does (the habits of `bench/dirty_feed.py`, undone by `catalog.text`)."""

import importlib.util
from pathlib import Path

import pandas as pd

from catalog.generator import generate_work
from catalog.normalise import normalise_values
from catalog.schema import VALUE_COLUMNS, RawValues
from conf.config import load_config

_spec = importlib.util.spec_from_file_location(
    "dirty_feed", Path(__file__).resolve().parent.parent / "bench" / "dirty_feed.py"
)
dirty_feed = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dirty_feed)


def _normalised(frame: pd.DataFrame) -> list[tuple]:
    cfg = load_config().normalise
    rows = frame.astype(object).where(frame.notna(), None)
    return [
        normalise_values(RawValues(*(r[c] for c in VALUE_COLUMNS)), cfg) for _, r in rows.iterrows()
    ]


def test_a_dirty_feed_normalises_like_the_clean_one():
    clean = pd.DataFrame([r for w in range(300) for r in generate_work(7, w, 60)])
    dirty = dirty_feed.dirty(clean, "store")
    store = clean["source"] == "store"
    changed = dirty.loc[store, "artists"].fillna("") != clean.loc[store, "artists"].fillna("")
    # The sample holds every habit, so the comparison below could fail.
    artists = dirty.loc[store, "artists"].dropna()
    assert artists.str.contains("Ã").any()
    assert artists.str.contains("&amp;").any()
    assert artists.str.endswith(", The").any()
    for column in dirty_feed.STORE_COLUMNS:
        assert (dirty.loc[store, column] != clean.loc[store, column]).any(), column
    assert changed.sum() > 20
    assert _normalised(dirty) == _normalised(clean)
