"""Quality against ground truth (generated catalogues, golden datasets)."""

from evaluation.metrics import Scores, format_scores, score_clusters

__all__ = ["Scores", "format_scores", "score_clusters"]
