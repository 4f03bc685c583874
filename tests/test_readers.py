"""Reading every supported input into the catalog schema."""

import pytest

from catalog.readers import read_input
from runtime.errors import InputError
from storage.delta import DeltaStore

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
    out = read_input(spark, path, "catalog")
    assert out.columns[:3] == ["record_id", "title", "source"]
    assert "extra" in out.columns  # passthrough
    rows = {r.record_id: r for r in out.collect()}
    assert rows["2"].duration_ms == "3:00" and rows["1"].album is None


def test_csv_values_stay_text(spark, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("record_id,title,track_number,release_year\n1,Song,007,'05\n")
    row = read_input(spark, str(path), "catalog").collect()[0]
    assert (row.track_number, row.release_year) == ("007", "'05")


def test_musicbrainz_dapo_columns_are_mapped(spark, tmp_path):
    path = tmp_path / "mb.csv"
    path.write_text(
        "TID,CID,CTID,SourceID,id,number,title,length,artist,album,year,language\n"
        "1,1,1,2,x,9,A - B,219,,C,75,French\n"
    )
    row = read_input(spark, str(path), "musicbrainz-dapo").collect()[0]
    assert (row.record_id, row.source, row.duration_ms, row.track_number) == ("1", "2", "219", "9")
    assert row.CID == "1"  # truth passes through, unused


def test_missing_path_unknown_format_and_missing_columns_are_input_errors(spark, tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_input(spark, str(tmp_path / "nope.parquet"), "catalog")
    with pytest.raises(InputError, match="unknown input format"):
        read_input(spark, str(tmp_path), "xml")
    path = tmp_path / "bad.csv"
    path.write_text("id,name\n1,x\n")
    with pytest.raises(InputError, match="no record_id, title column"):
        read_input(spark, str(path), "catalog")


def test_input_column_clashing_with_output_columns_is_an_input_error(spark, tmp_path):
    path = tmp_path / "clash.csv"
    path.write_text("record_id,title,cluster_id\n1,x,7\n")
    with pytest.raises(InputError, match="cluster_id"):
        read_input(spark, str(path), "catalog")
