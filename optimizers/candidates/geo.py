"""Great-circle distances and rate-band lookup, vectorised over NumPy arrays.

The contract fixes the Earth radius at 6371.0 km so every consumer (optimizer, baseline,
tests, reports) gets the same distance for the same pair.
"""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0


def haversine_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in km; NaN wherever any coordinate is NaN."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def band_index(max_distance_km: np.ndarray, distance_km: np.ndarray) -> np.ndarray:
    """Index of the smallest band whose max_distance_km >= distance, or -1 (not shippable).

    ``max_distance_km`` must be sorted ascending (one service level's bands). NaN distances
    (missing coordinates) get -1.
    """
    idx = np.searchsorted(max_distance_km, distance_km, side="left")
    out = np.where(idx < len(max_distance_km), idx, -1)
    return np.where(np.isnan(distance_km), -1, out).astype(np.int64)
