"""Write the bad-input corpus (`EXPECTED.yaml` says what each file must give).

    python tests/data/bad_inputs/make_bad_inputs.py

Byte-exact on purpose (a Latin-1 file, control characters): the files are
committed; this script is how they were made. The truncated Parquet file is
made by the test itself, in its temporary folder.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent

FILES: dict[str, bytes] = {
    # Line 4 opens a quote it never closes: read as one record per line, it
    # cannot swallow lines 5-7. Lines 3 and 6 are legitimate quoting.
    "stray_quote.csv": (
        b"record_id,title,artists,release_year\n"
        b"s1,Yellow,Coldplay,2000\n"
        b's2,"Hello, Goodbye",The Beatles,1967\n'
        b's3,"Bad Title,Nobody,1999\n'
        b"s4,Clocks,Coldplay,2002\n"
        b's5,"The ""Real"" Slim Shady",Eminem,2000\n'
        b"s6,Fix You,Coldplay,2005\n"
    ),
    "latin1.csv": (
        "record_id,title,artists\nl1,Halo,Beyoncé\nl2,Hoppípolla,Sigur Rós\nl3,Yellow,Coldplay\n"
    ).encode("latin-1"),
    # ESC (a terminal colour), BEL and a NUL inside values: read and kept as they are.
    "control_chars.csv": (
        b"record_id,title,artists\n"
        b"c1,\x1b[31mRed Song\x1b[0m,Band\n"
        b"c2,Bell\x07 Song,Band\x00\n"
        b"c3,Plain,Band\n"
    ),
    "zero_width_title.csv": (
        "record_id,title,artists\n"
        "z1,\u200b,A\n"
        "z2,\ufeff\u2060,A\n"
        "z3,\u200c\u200d,A\n"
        "z4,\x01\x02,A\n"
        "z5,Real Title\u200b,A\n"
    ).encode(),
    # The first d1 has no title: it is quarantined as missing_title, and the
    # valid d1 after it is kept. d2 is a plain duplicate.
    "duplicate_after_missing_title.csv": (
        b"record_id,title\nd1,\nd1,Song\nd2,Other\nd2,Other again\n"
    ),
    # " u1 " and "u1" are one id.
    "untrimmed_ids.csv": (b'record_id,title\n" u1 ",Song\nu1,Song again\n"u2 ",Other\n'),
    "negative_year.csv": (
        "record_id,title,release_year\ny1,Song,-2005\ny2,Song,2005\ny3,Song,\u22121999\ny4,Song,\n"
    ).encode(),
    "empty.csv": b"",
    "case_clash.csv": b"record_id,Title,title\n1,A,a\n",
}


def main() -> None:
    for name, data in FILES.items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
