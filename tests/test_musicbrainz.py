"""End to end on the real MusicBrainz 20K benchmark (no labels used to resolve)."""

import pytest

from evaluation.output import evaluate_output
from jobs import resolve as resolve_job
from storage.delta import DeltaStore
from tests.conftest import MUSICBRAINZ

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not MUSICBRAINZ.exists(), reason=f"MusicBrainz 20K not found at {MUSICBRAINZ}"
    ),
]


def test_musicbrainz_20k_pairwise_f1_at_least_0_90(spark, tmp_path):
    out = str(tmp_path / "mb")
    argv = [
        "--input",
        str(MUSICBRAINZ),
        "--input-format",
        "musicbrainz-dapo",
        "--output",
        out,
        "--truth",
        "CID",
        "--set",
        "spark.shuffle_partitions=2",
    ]
    assert resolve_job.main(argv) == 0
    scores = evaluate_output(DeltaStore(spark, out), "CID")
    assert scores.records == 19_375
    assert scores.pairwise_f1 >= 0.90, scores
