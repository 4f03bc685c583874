"""Linkage: score candidate pairs with Splink on Spark, rescore them with the
learned pair model, then cluster them."""

from linkage.clustering import ClusteringResult, cluster_pairs, connected_components
from linkage.model import MODEL_COLUMNS, model_input, settings
from linkage.pair_features import DEFAULT_FEATURES, FEATURES, pair_features
from linkage.pair_model import PairModel, describe, fit_pair_model, load_pair_model, rescore
from linkage.scoring import ScoredPairs, score_with_model, train_and_score
from linkage.stable_ids import StableIds, assign_stable_ids
from linkage.videos import link_videos
from linkage.works import PROFILE_COLUMNS, build_relationships, cluster_profiles, group_works

__all__ = [
    "DEFAULT_FEATURES",
    "FEATURES",
    "PairModel",
    "describe",
    "fit_pair_model",
    "load_pair_model",
    "pair_features",
    "rescore",
    "MODEL_COLUMNS",
    "PROFILE_COLUMNS",
    "ClusteringResult",
    "ScoredPairs",
    "StableIds",
    "assign_stable_ids",
    "build_relationships",
    "cluster_profiles",
    "cluster_pairs",
    "connected_components",
    "group_works",
    "link_videos",
    "model_input",
    "score_with_model",
    "settings",
    "train_and_score",
]
