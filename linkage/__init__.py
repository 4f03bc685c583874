"""Linkage: score candidate pairs with Splink on Spark, then cluster them."""

from linkage.clustering import ClusteringResult, cluster_pairs, connected_components
from linkage.model import MODEL_COLUMNS, model_input, settings
from linkage.scoring import ScoredPairs, score_with_model, train_and_score
from linkage.stable_ids import StableIds, assign_stable_ids

__all__ = [
    "MODEL_COLUMNS",
    "ClusteringResult",
    "ScoredPairs",
    "StableIds",
    "assign_stable_ids",
    "cluster_pairs",
    "connected_components",
    "model_input",
    "score_with_model",
    "settings",
    "train_and_score",
]
