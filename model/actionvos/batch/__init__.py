"""Batch work over whole datasets: predicting every sequence of a split, sharded by rank."""

from actionvos.batch.predict_split import SplitPrediction, predict_sequence, predict_split
from actionvos.batch.sharding import Shard, shard_from_env

__all__ = ["Shard", "SplitPrediction", "predict_sequence", "predict_split", "shard_from_env"]
