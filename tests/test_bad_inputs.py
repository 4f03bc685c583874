"""The bad-input corpus (tests/data/bad_inputs/, outcomes in EXPECTED.yaml):
each file is refused with one line naming the cause, or read with every row
of the file either valid or quarantined with its reason."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from catalog.normalise import normalise, parse_issue_counts
from catalog.readers import read_input
from catalog.schema import INPUT_LINE
from catalog.validate import REASONS, split_valid
from conf.config import InputConfig
from conf.errors import InputError

CORPUS = Path(__file__).resolve().parent / "data" / "bad_inputs"
EXPECTED = yaml.safe_load((CORPUS / "EXPECTED.yaml").read_text(encoding="utf-8"))


def _path(case: str, tmp_path: Path) -> Path:
    name = EXPECTED[case].get("file", case)
    if name == "truncated.parquet":
        whole = tmp_path / "whole.parquet"
        pq.write_table(pa.table({"record_id": ["1", "2"], "title": ["A", "B"]}), whole)
        data = whole.read_bytes()
        cut = tmp_path / name
        cut.write_bytes(data[: len(data) // 2])
        return cut
    return CORPUS / name


def _data_lines(path: Path) -> list[int]:
    """The file's record lines, counted from its bytes, not from any parser:
    every non-blank line after the header (line numbers from 1)."""
    lines = path.read_bytes().splitlines()
    return [i for i, line in enumerate(lines, start=1) if i > 1 and line.strip()]


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input_is_refused_in_one_line_or_every_row_is_accounted_for(spark, cfg, tmp_path, case):
    want = EXPECTED[case]
    path = _path(case, tmp_path)
    input_cfg = InputConfig(**want.get("options", {}))
    if "error" in want:
        with pytest.raises(InputError) as err:
            read_input(spark, str(path), input_cfg).count()
        message = str(err.value)
        assert want["error"] in message
        assert "\n" not in message and len(message) < 300
        return

    raw = read_input(spark, str(path), input_cfg)
    # Every record line of the file is one row, once: none lost, none merged.
    lines = sorted(r[0] for r in raw.select(f"{INPUT_LINE}.line").collect())
    assert lines == _data_lines(path)
    valid, quarantine = split_valid(raw, cfg.validation)
    kept = {r.record_id: r for r in valid.collect()}
    held = quarantine.collect()
    assert len(kept) + len(held) == len(_data_lines(path))  # rows in == valid + quarantined
    assert sorted(kept) == sorted(want["valid"])
    assert {r.record_id: r.reason for r in held} == want.get("quarantined", {})
    assert all(r.reason in REASONS and r.raw for r in held)
    for record_id, title in want.get("values", {}).items():
        assert kept[record_id].title == title
    for record_id, artists in want.get("artists", {}).items():
        assert kept[record_id].artists == artists
    if "malformed_lines" in want:
        malformed = raw.filter(f"{INPUT_LINE}.problem is not null").collect()
        assert sorted(r[INPUT_LINE].line for r in malformed) == want["malformed_lines"]
        assert all(r[INPUT_LINE].text for r in malformed)
    if "years" in want:
        records = normalise(valid, cfg.normalise)
        years = {r.record_id: r.year for r in records.collect()}
        assert years == want["years"]
        assert parse_issue_counts(records) == want["parse_issues"]


def test_show_escapes_control_characters_when_printing():
    import pandas as pd

    from jobs.show import _printable_frame, printable

    assert printable("\x1b[31mRed\x07\u200b") == "\\x1b[31mRed\\x07\\u200b"
    assert printable("Beyoncé") == "Beyoncé" and printable(3) == 3
    shown = _printable_frame(pd.DataFrame({"title": ["a\x1bb"], "n": [1]})).to_string()
    assert "\x1b" not in shown and "\\x1b" in shown
