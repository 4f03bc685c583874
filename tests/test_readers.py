"""Reading every supported input into the catalog schema."""

import pytest

from catalog.readers import describe_mapping, is_table_name, read_input
from catalog.shifted_rows import Layout, unshifted
from conf.config import Config, InputConfig, input_preset, map_overrides, with_input_format
from conf.errors import ConfigError, InputError
from storage.delta import DeltaStore

MB = input_preset("musicbrainz-dapo")

ROWS = [("1", "Song", "Artist", "180000", "x"), ("2", "Other", None, "3:00", "y")]
SCHEMA = "record_id string, title string, artists string, duration_ms string, extra string"


@pytest.mark.parametrize("fmt", ["parquet", "csv", "delta"])
def test_catalog_inputs_in_parquet_csv_and_delta(spark, tmp_path, fmt):
    df = spark.createDataFrame(ROWS, SCHEMA)
    path = str(tmp_path / f"input_{fmt}")
    if fmt == "parquet":
        df.write.parquet(path)
    elif fmt == "csv":
        df.write.option("header", True).csv(path)
    else:
        DeltaStore(spark, str(tmp_path)).write(df, f"input_{fmt}")
    out = read_input(spark, path)
    assert out.columns[:3] == ["record_id", "title", "source"]
    assert "extra" in out.columns  # passthrough
    rows = {r.record_id: r for r in out.collect()}
    assert rows["2"].duration_ms == "3:00" and rows["1"].album is None


def test_csv_values_stay_text(spark, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("record_id,title,track_number,release_year\n1,Song,007,'05\n")
    row = read_input(spark, str(path)).collect()[0]
    assert (row.track_number, row.release_year) == ("007", "'05")


def test_musicbrainz_dapo_columns_are_mapped(spark, tmp_path):
    path = tmp_path / "mb.csv"
    path.write_text(
        "TID,CID,CTID,SourceID,id,number,title,length,artist,album,year,language\n"
        "1,1,1,2,x,9,A - B,219,,C,75,French\n"
    )
    row = read_input(spark, str(path), MB).collect()[0]
    assert (row.record_id, row.source, row.duration_ms, row.track_number) == ("1", "2", "219", "9")
    assert row.CID == "1"  # truth passes through, unused


def test_musicbrainz_rows_that_slid_one_column_right_are_put_back(spark, tmp_path, caplog):
    path = tmp_path / "mb.csv"
    path.write_text(
        "TID,CID,CTID,SourceID,id,number,title,length,artist,album,year,language\n"
        # lost its id: the id sits in `number`, the title in `length`
        '1,1,1,2,,MBox7-HH,4,"Band - Song",275,,Some Album,03\n'
        # a vinyl position and a millisecond length, still shifted
        "2,1,2,5,,16498361,A9,Song,132253,Band,Album,\n"
        # an empty id alone is not a shift: these values already read right
        "3,2,1,3,,7,Other,3:10,Band,Album,2001,English\n"
        # nor is a lost title: its number column holds a number
        "4,3,1,4,,A18,[untitled],,Loops,,2009,English\n"
    )
    rows = {r.record_id: r for r in read_input(spark, str(path), MB).collect()}
    one, two = rows["1"], rows["2"]
    assert (one.id, one.track_number, one.title, one.duration_ms, one.artists) == (
        "MBox7-HH",
        "4",
        "Band - Song",
        "275",
        None,
    )
    assert (one.album, one.release_year, one.language) == ("Some Album", "03", None)
    assert (two.track_number, two.title, two.duration_ms, two.artists) == (
        "A9",
        "Song",
        "132253",
        "Band",
    )
    assert (rows["3"].title, rows["3"].duration_ms) == ("Other", "3:10")
    assert (rows["4"].track_number, rows["4"].title) == ("A18", "[untitled]")


def test_a_row_is_moved_only_when_it_reads_better_one_column_left():
    layout = Layout(
        ("id", "number", "title", "length", "artist", "album", "year", "language"),
        track_number="number",
        duration="length",
        year="year",
    )

    def values(*v):
        return dict(zip(layout.order, v, strict=True))

    row = values("", "WoM1", "009", "Song", "03:10", "Band", "Album", "2008")
    assert unshifted(row, layout) == values(
        "WoM1", "009", "Song", "03:10", "Band", "Album", "2008", None
    )
    # the same values with their id present are left alone
    assert unshifted({**row, "id": "x"}, layout) is None
    # a long run of digits in `number` is an id, not a track number
    row = values("", "5612990", "11", "Song", "240440", "Band", "Hits", "2006")
    assert unshifted(row, layout)["title"] == "Song"
    # a row that reads worse one column left keeps its place
    row = values("", "3", "Song", "", "Band", "", "", "")
    assert unshifted(row, layout) is None


def test_missing_path_unknown_format_and_missing_columns_are_errors(spark, tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_input(spark, str(tmp_path / "nope.parquet"))
    with pytest.raises(ConfigError, match="unknown input format"):
        with_input_format(Config(), "xml")
    path = tmp_path / "bad.csv"
    path.write_text("id,name\n1,x\n")
    with pytest.raises(InputError, match="no record_id, title column"):
        read_input(spark, str(path))


def test_input_column_clashing_with_output_columns_is_an_input_error(spark, tmp_path):
    path = tmp_path / "clash.csv"
    path.write_text("record_id,title,cluster_id\n1,x,7\n")
    with pytest.raises(InputError, match="cluster_id"):
        read_input(spark, str(path))


def test_columns_are_mapped_to_roles_by_configuration(spark, tmp_path):
    path = tmp_path / "own.csv"
    path.write_text(
        "track_id;song_name;performer;length;ISRC_code;artists\n7;Song;Band;3:10;X;kept\n"
    )
    cfg = InputConfig(
        columns={
            "record_id": "track_id",
            "title": "song_name",
            "artists": "performer",
            "duration_ms": "length",
            "isrc": "ISRC_code",
        }
    )
    row = read_input(spark, str(path), cfg).collect()[0]  # ";" read from the header
    assert (row.record_id, row.title, row.artists, row.duration_ms, row.isrc) == (
        "7",
        "Song",
        "Band",
        "3:10",
        "X",
    )
    # a column named like a role another column fills keeps its values
    assert row.artists_input == "kept"
    assert "record_id <- track_id" in describe_mapping(cfg)


def test_a_role_mapped_to_a_missing_column_is_one_line_naming_it(spark, tmp_path):
    path = tmp_path / "own.csv"
    path.write_text("id,name\n1,x\n")
    cfg = InputConfig(columns={"record_id": "id", "title": "song_name"})
    with pytest.raises(
        InputError, match="input.columns.title: the input has no column 'song_name'"
    ):
        read_input(spark, str(path), cfg)
    with pytest.raises(ConfigError, match="input.columns.songname: unknown role"):
        read_input(spark, str(path), InputConfig(columns={"songname": "name"}))


def test_map_arguments_become_config_overrides():
    assert map_overrides(["title=song_name", "embeddings=a, b"]) == [
        'input.columns.title="song_name"',
        'input.embeddings=["a", "b"]',
    ]
    with pytest.raises(ConfigError, match="role=column"):
        map_overrides(["title"])


def test_an_input_format_is_a_mapping_under_the_users_own():
    cfg = Config(input=InputConfig(columns={"title": "name"}))
    merged = with_input_format(cfg, "musicbrainz-dapo").input
    assert merged.columns["title"] == "name" and merged.columns["record_id"] == "TID"
    assert merged.shifted_from == "id"


def test_vector_columns_are_read_as_float_arrays(spark, tmp_path):
    df = spark.createDataFrame(
        [("1", "Song", [1.0, 0.0]), ("2", "Other", None)],
        "id string, title string, vec array<double>",
    )
    df.write.parquet(str(tmp_path / "v"))
    cfg = InputConfig(columns={"record_id": "id"}, embeddings=["vec"])
    out = read_input(spark, str(tmp_path / "v"), cfg)
    assert dict(out.dtypes)["vec"] == "array<float>"
    with pytest.raises(InputError, match="not an array of numbers"):
        read_input(
            spark,
            str(tmp_path / "v"),
            InputConfig(columns={"record_id": "id"}, embeddings=["title"]),
        )


def test_a_metastore_table_is_read_by_name(spark):
    assert is_table_name("main.music.tracks") and not is_table_name("/data/tracks.parquet")
    spark.createDataFrame(
        [("1", "Song")], "record_id string, title string"
    ).createOrReplaceTempView("tracklink_test_tracks")
    assert read_input(spark, "tracklink_test_tracks").count() == 1
    with pytest.raises(InputError, match="no file and no table named nosuch.table"):
        read_input(spark, "nosuch.table")


def test_a_delta_table_is_read_by_uri_through_its_log(spark, tmp_path):
    df = spark.createDataFrame(ROWS, SCHEMA)
    store = DeltaStore(spark, str(tmp_path))
    store.write(df, "t")
    store.write(df.limit(1), "t", "overwrite")  # the first version's files stay on disk
    assert read_input(spark, f"file://{tmp_path}/t").count() == 1


def test_a_quoted_line_break_is_quarantined_by_line_not_merged(spark, tmp_path, cfg):
    # One record per line (see `_read_csv`): a field that spans two lines is two
    # malformed lines, each with its number, never a title swallowing records.
    from catalog.schema import INPUT_LINE
    from catalog.validate import split_valid

    path = tmp_path / "nl.csv"
    path.write_text('record_id,title\n1,"two\nlines"\n2,Song\n')
    valid, quarantine = split_valid(read_input(spark, str(path)), cfg.validation)
    assert [r.record_id for r in valid.collect()] == ["2"]
    held = quarantine.collect()
    assert [r.reason for r in held] == ["malformed_row", "malformed_row"]
    assert sorted(f'"line":{n}' in r.raw for r in held for n in (2, 3)).count(True) == 2
    assert INPUT_LINE not in valid.columns


def test_a_cp1252_file_reads_with_its_encoding(spark, tmp_path):
    path = tmp_path / "cp.csv"
    path.write_bytes("record_id,title\n1,Don’t Stop — Live\n".encode("cp1252"))
    with pytest.raises(InputError, match="not valid UTF-8 .* first at line 2"):
        read_input(spark, str(path))
    row = read_input(spark, str(path), InputConfig(encoding="cp1252")).collect()[0]
    assert row.title == "Don’t Stop — Live"


def test_an_encoding_that_is_not_ascii_based_is_a_config_error(spark, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("record_id,title\n1,a\n")
    with pytest.raises(ConfigError, match="input.encoding"):
        read_input(spark, str(path), InputConfig(encoding="utf-16"))
    with pytest.raises(ConfigError, match="unknown encoding"):
        read_input(spark, str(path), InputConfig(encoding="klingon"))


def test_one_truncated_part_of_a_parquet_folder_is_one_line_naming_it(spark, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "parts"
    folder.mkdir()
    table = pa.table({"record_id": ["1"], "title": ["A"]})
    pq.write_table(table, folder / "part-0.parquet")
    pq.write_table(table, tmp_path / "whole.parquet")
    data = (tmp_path / "whole.parquet").read_bytes()
    (folder / "part-1.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"part-1\.parquet: not a readable Parquet file"):
        read_input(spark, str(folder))


def test_an_empty_file_and_case_clashing_columns_name_their_cause(spark, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="input file is empty"):
        read_input(spark, str(empty))
    clash = tmp_path / "clash.csv"
    clash.write_text("record_id,Title,title\n1,A,a\n")
    with pytest.raises(InputError, match="columns differ only by case: Title, title"):
        read_input(spark, str(clash))
