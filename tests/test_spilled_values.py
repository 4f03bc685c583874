"""Values an export appended to the title: taken out only where their shape
says so and their own field is empty; titles that merely look alike stay."""

import pytest

from catalog.normalise import normalise_values
from catalog.schema import RawValues
from catalog.spilled_values import take_spilled
from conf.config import NormaliseConfig

FLATTENED = "Halcyon Ellie Goulding $ 1.29 ( C ) 2013 Polydor Ltd. ( UK ) 3:24 August 27 , 2013"


def test_a_flattened_row_gives_back_its_title_length_and_year():
    spilled = take_spilled(FLATTENED, length_missing=True, year_missing=True)
    assert spilled.title == "Halcyon Ellie Goulding"
    assert (spilled.length, spilled.year) == ("3:24", "2013")


@pytest.mark.parametrize(
    "title, expected",
    [
        ("Gone $ 1.29 2:51", "Gone"),
        ("Turn Around Flo Rida Album Only 16-Nov-10", "Turn Around Flo Rida"),
        ("Halcyon ‰ ãÑ 2013 Polydor Ltd. ( UK )", "Halcyon"),  # one store's mis-decoded ℗
        ("Halcyon â„— 2013 Polydor", "Halcyon"),  # ℗ as UTF-8 read as Windows-1252
        ("Take It to the Bank - EP 2014 Sony Music Entertainment", "Take It to the Bank - EP"),
        ("Whateva Rap 2015 300 Entertainment/RGF Productions", "Whateva Rap"),
        ("Firefly ( Dubstep Remix ) 2013-12-09", "Firefly ( Dubstep Remix )"),
    ],
)
def test_each_kind_of_spilled_value_is_cut(title, expected):
    assert take_spilled(title, length_missing=True, year_missing=True).title == expected


def test_a_length_or_date_stays_when_its_field_is_filled():
    # A value moved out of its field leaves the field empty; with the field
    # filled, "11:30" is the title's own.
    assert take_spilled("Tonight at 11:30", False, True).title == "Tonight at 11:30"
    assert take_spilled("Tonight at 11:30", True, True).length == "11:30"
    kept = take_spilled("Remember September 11 , 2001", True, False)
    assert (kept.title, kept.year) == ("Remember September 11 , 2001", None)


@pytest.mark.parametrize(
    "title",
    [
        "12:51",  # nothing is cut from the first word
        "4:44",
        "Party Like It's 1999",
        "Larry Davis - Ghost of $20 Bills",  # a price has cents
        # a year after a colon or inside brackets is not a copyright line
        "Molto Vivace (Kreisler: 1928 Victor Recordings: Short Pieces)",
        "Live (1994 Warner Music Hall)",
        "Symphony in C",
    ],
)
def test_titles_that_only_look_spilled_stay_whole(title):
    spilled = take_spilled(title, length_missing=True, year_missing=True)
    assert (spilled.title, spilled.length, spilled.year) == (title, None, None)


def test_normalisation_fills_the_empty_fields_from_the_title_and_can_be_turned_off():
    def row(cfg):
        return normalise_values(RawValues(title=FLATTENED), cfg)

    values = row(NormaliseConfig())
    assert (values.title_norm, values.duration_s, values.year) == (
        "halcyon ellie goulding",
        204.0,
        2013,
    )
    values = row(NormaliseConfig(take_spilled_values=False))
    assert values.duration_s is None and values.year is None and "polydor" in values.title_norm
