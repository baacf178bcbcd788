"""What shipping a line from a node costs and takes: the lane, else the distance band.

A ship line with a ``ship_to_zone`` uses the lane (node, zone, service level) when there is
one; otherwise the smallest distance band of its service level that covers the great-circle
distance (ship-to-store legs: the distance to the pickup store). An own-store pickup ships
nothing: no distance, no freight, no transit.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from contracts.vocabulary import Mode
from optimizers.candidates.geo import band_index, haversine_km
from optimizers.candidates.prepare import Prepared


def with_rates(pairs: pl.DataFrame, prep: Prepared) -> pl.DataFrame:
    """Distance, then the lane (ship lines with a zone) or else the distance band, per pair."""
    is_sts = pl.col("mode") == Mode.SHIP_TO_STORE
    pairs = pairs.with_columns(
        dest_lat=pl.when(is_sts).then("pickup_lat").otherwise("ship_to_latitude"),
        dest_lon=pl.when(is_sts).then("pickup_lon").otherwise("ship_to_longitude"),
    )
    arr = {
        c: pairs[c].cast(pl.Float64).fill_null(np.nan).to_numpy()
        for c in ("node_lat", "node_lon", "dest_lat", "dest_lon")
    }
    dist = haversine_km(arr["node_lat"], arr["node_lon"], arr["dest_lat"], arr["dest_lon"])
    is_pickup = (pairs["mode"] == Mode.PICKUP_IN_STORE).to_numpy()
    dist = np.where(is_pickup, 0.0, dist)

    lanes = prep.lanes.select(
        "node_id",
        pl.col("ship_to_zone"),
        "service_level",
        pl.col("cost_per_package").alias("lane_pkg"),
        pl.col("cost_per_kg").alias("lane_kg"),
        pl.col("transit_days").alias("lane_transit"),
    )
    pairs = pairs.join(
        lanes, on=["node_id", "ship_to_zone", "service_level"], how="left", maintain_order="left"
    )
    has_lane = (
        (
            pairs["mode"].is_in([Mode.SHIP_FROM_DC, Mode.SHIP_FROM_STORE])
            & pairs["lane_pkg"].is_not_null()
        )
        .fill_null(False)
        .to_numpy()
    )
    n = pairs.height
    pkg = np.full(n, np.nan)
    kg = np.full(n, np.nan)
    transit = np.zeros(n, dtype=np.int64)
    services = pairs["service_level"].to_numpy()
    for service, bands in prep.rates.group_by("service_level", maintain_order=True):
        mask = (services == service[0]) & ~has_lane & ~is_pickup
        if not mask.any():
            continue
        idx = band_index(bands["max_distance_km"].to_numpy(), dist[mask])
        ok = idx >= 0
        sel = np.flatnonzero(mask)[ok]
        pkg[sel] = bands["cost_per_package"].to_numpy()[idx[ok]]
        kg[sel] = bands["cost_per_kg"].to_numpy()[idx[ok]]
        transit[sel] = bands["transit_days"].to_numpy()[idx[ok]]
    lane_pkg = pairs["lane_pkg"].fill_null(np.nan).to_numpy()
    pkg = np.where(has_lane, lane_pkg, pkg)
    kg = np.where(has_lane, pairs["lane_kg"].fill_null(np.nan).to_numpy(), kg)
    transit = np.where(has_lane, pairs["lane_transit"].fill_null(0).to_numpy(), transit)
    pkg = np.where(is_pickup, 0.0, pkg)
    kg = np.where(is_pickup, 0.0, kg)
    return pairs.drop("lane_pkg", "lane_kg", "lane_transit").with_columns(
        distance_km=pl.Series(dist).fill_nan(None),
        cost_per_package=pl.Series(pkg),
        cost_per_kg=pl.Series(kg),
        transit_days=pl.Series(transit),
        reachable=pl.Series(~np.isnan(pkg)),
    )
