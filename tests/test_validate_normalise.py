"""Validation (quarantine with a reason) and normalisation on tiny DataFrames."""

from catalog.normalise import normalise, parse_issue_counts
from catalog.validate import split_valid
from tests.helpers import catalog


def test_rows_without_id_or_title_and_repeated_ids_go_to_quarantine(spark, cfg):
    df = catalog(
        spark,
        [
            {"record_id": "1", "title": "Song"},
            {"record_id": None, "title": "No id"},
            {"record_id": "  ", "title": "Blank id"},
            {"record_id": "2", "title": None},
            {"record_id": "3", "title": "n/a"},
            {"record_id": "1", "title": "Song again"},
        ],
    )
    valid, quarantine = split_valid(df, cfg.validation)
    assert [r.record_id for r in valid.collect()] == ["1"]
    assert valid.collect()[0].title == "Song"  # the first row with an id is kept
    reasons = sorted((r.record_id or "", r.reason) for r in quarantine.collect())
    assert reasons == [
        ("", "missing_record_id"),
        ("", "missing_record_id"),  # ids are trimmed: "  " is blank
        ("1", "duplicate_record_id"),
        ("2", "missing_title"),
        ("3", "missing_title"),
    ]
    assert valid.count() + quarantine.count() == df.count()


def test_quarantine_keeps_the_raw_row_as_json(spark, cfg):
    df = catalog(spark, [{"record_id": "9", "title": None, "album": "Kept"}])
    _, quarantine = split_valid(df, cfg.validation)
    raw = quarantine.collect()[0].raw
    assert '"album":"Kept"' in raw and '"title":null' in raw


def test_missing_title_can_be_resolved_when_configured(spark):
    from conf.config import load_config

    cfg = load_config(None, ["validation.missing_title=resolve"])
    df = catalog(spark, [{"record_id": "1", "title": None, "artists": "A"}])
    valid, quarantine = split_valid(df, cfg.validation)
    assert (valid.count(), quarantine.count()) == (1, 0)


def test_normalise_adds_comparable_columns(spark, cfg):
    df = catalog(
        spark,
        [
            {
                "record_id": "1",
                "title": "Daft Punk - Get Lucky (feat. Pharrell Williams) - Radio Edit",
                "album": "Random Access Memories (2013)",
                "duration_ms": "4:08",
                "isrc": "us-qx9-13-00001",
                "track_number": "008",
            },
        ],
    )
    row = normalise(df, cfg.normalise).collect()[0]
    assert row.title_norm == "get lucky"
    assert row.artist_norm == "daft punk"
    assert row.artist_names == ["daft punk", "pharrell williams"]
    assert row.album_norm == "random access memories"
    assert row.year == 2013  # recovered from the album
    assert row.duration_s == 248.0
    assert row.isrc_norm == "USQX91300001"
    assert row.track_no == 8
    assert row.version == "edit"
    assert row.kind_norm == "audio"
    assert row.parse_issues == []


def test_unparseable_values_become_null_and_are_counted(spark, cfg):
    df = catalog(
        spark,
        [
            {"record_id": "1", "title": "A", "duration_ms": "abc", "release_year": "20O5"},
            {
                "record_id": "2",
                "title": "B",
                "duration_ms": "n/a",
                "isrc": "nope",
                "kind": "podcast",
            },
        ],
    )
    records = normalise(df, cfg.normalise)
    rows = {r.record_id: r for r in records.collect()}
    assert rows["1"].duration_s is None and rows["1"].year is None
    assert rows["2"].duration_s is None  # "n/a" is a null, not a parse failure
    assert parse_issue_counts(records) == {
        "duration_ms": 1,
        "release_year": 1,
        "isrc": 1,
        "kind": 1,
    }


def test_video_marker_in_title_makes_a_video_when_kind_is_missing(spark, cfg):
    df = catalog(
        spark, [{"record_id": "1", "title": "Hello (Official Music Video)", "artists": "Adele"}]
    )
    row = normalise(df, cfg.normalise).collect()[0]
    assert (row.kind_norm, row.title_norm) == ("video", "hello")


def test_passthrough_columns_survive_normalisation(spark, cfg):
    df = catalog(
        spark,
        [{"record_id": "1", "title": "A", "label_code": "LC 0001"}],
        extra_schema="label_code string",
    )
    row = normalise(df, cfg.normalise).collect()[0]
    assert row.label_code == "LC 0001"


def test_a_row_without_title_does_not_take_the_id_from_the_valid_row_after_it(spark, cfg):
    df = catalog(spark, [{"record_id": "1", "title": None}, {"record_id": "1", "title": "Song"}])
    valid, quarantine = split_valid(df, cfg.validation)
    assert [(r.record_id, r.title) for r in valid.collect()] == [("1", "Song")]
    assert [r.reason for r in quarantine.collect()] == ["missing_title"]


def test_ids_are_trimmed_and_invisible_titles_are_no_titles(spark, cfg):
    df = catalog(
        spark,
        [
            {"record_id": " r1 ", "title": "Song"},
            {"record_id": "r1", "title": "Song again"},
            {"record_id": "r2", "title": "\u200b\ufeff"},
            {"record_id": "r3", "title": "\x01"},
        ],
    )
    valid, quarantine = split_valid(df, cfg.validation)
    assert [(r.record_id, r.title) for r in valid.collect()] == [("r1", "Song")]
    assert sorted((r.record_id, r.reason) for r in quarantine.collect()) == [
        ("r1", "duplicate_record_id"),
        ("r2", "missing_title"),
        ("r3", "missing_title"),
    ]


def test_a_negative_year_is_no_year_and_is_counted():
    from catalog.text import is_null, parse_year

    assert parse_year("-2005") is None and parse_year("\u22122005") is None
    assert parse_year("2005-03-01") == 2005
    assert is_null("\u200b\u200c\u200d\u2060\ufeff") and is_null("\x00\x07")
    assert not is_null("A\u200b")


def test_null_tokens_are_found_however_their_spaces_and_invisible_characters_fall():
    from catalog.text import is_null

    # Printable ASCII takes a shorter path than text with other characters.
    for token in ("null", " N/A ", "n u l l", "NONE", "  ", "-"):
        assert is_null(token), token
        assert is_null(f"\t{token}\u200b"), token
    for value in ("nullify", "N/A remix", "0", "Null Island", "\u00e9"):
        assert not is_null(value), value
        assert not is_null(f"{value}\u200b"), value
