"""Runs of equal keys in a sorted array ("segments"): the NumPy idioms the solvers share.

Per-line, per-node and per-key computations are done on arrays sorted by the key, where each
key's items form one contiguous run. These helpers give, for every item, where its run starts,
its rank within the run and the weight of the items before it in the run, all without a
Python loop.
"""

from __future__ import annotations

import numpy as np


def run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """True at the first item of each run of equal keys."""
    return (
        np.r_[True, sorted_keys[1:] != sorted_keys[:-1]] if len(sorted_keys) else np.zeros(0, bool)
    )


def run_start_index(sorted_keys: np.ndarray) -> np.ndarray:
    """Per item: the index of the first item of its run."""
    idx = np.arange(len(sorted_keys))
    return np.maximum.accumulate(np.where(run_starts(sorted_keys), idx, 0))


def rank_in_runs(sorted_keys: np.ndarray) -> np.ndarray:
    """Per item: its position within its run (0 for the first)."""
    return np.arange(len(sorted_keys)) - run_start_index(sorted_keys)


def weight_before(sorted_keys: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per item: the sum of the weights of the items before it in its run."""
    before = np.cumsum(weights) - weights
    return before - before[run_start_index(sorted_keys)]
