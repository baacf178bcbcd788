"""Random, contract-shaped instances for tests and benchmarks (seeded: same seed, same data)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from contracts.tables import ATP_SCHEMA, STAGING_SCHEMAS
from optimizers.types import SUPPLY_INPUT_SCHEMA, AllocationInputs


def _frame(kind: str, data: dict) -> pl.DataFrame:
    schema = STAGING_SCHEMAS.get(kind, ATP_SCHEMA)
    return pl.DataFrame({k: data.get(k) for k in schema}, schema=schema)


ZONES = ["Z1", "Z2", "Z3"]
SUPPLY_FROM = datetime(2025, 3, 1, tzinfo=UTC)  # the day the synthetic waves plan as of
CHANNELS = ["web", "mobile", "call_center", "store", "marketplace"]


def synthetic_inputs(
    n_lines: int = 2000,
    n_nodes: int = 40,
    n_skus: int = 300,
    seed: int = 0,
    store_share: float = 0.7,
    pickup_share: float = 0.1,
    stock_density: float = 0.35,
    stock_level: float = 1.0,
    zone_share: float = 0.15,
    lane_dcs: int = 3,
    supply_share: float = 0.0,
) -> AllocationInputs:
    """Orders of 1-4 lines over a US-sized map; DCs and stores, bands for two services,
    a few lanes and exclusions, stock on a fraction of node x sku in proportion to demand
    (``stock_level`` 1.0 leaves a few percent short), store capacities that bind, and with
    ``supply_share`` > 0 supply due at the DCs in 1 to 10 days on that share of DC x sku
    (drawn from its own stream: the rest of the instance is the same as without)."""
    rng = np.random.default_rng(seed)
    n_dc = max(1, int(round(n_nodes * (1 - store_share))))
    node_id = [f"DC{i:03d}" if i < n_dc else f"ST{i:03d}" for i in range(n_nodes)]
    is_store = np.arange(n_nodes) >= n_dc
    nodes = _nodes(rng, node_id, is_store, n_lines)
    skus = [f"SKU{i:05d}" for i in range(n_skus)]
    price = np.round(rng.lognormal(3.3, 0.7, n_skus), 2)
    products = _frame(
        "products",
        {
            "sku": skus,
            "name": skus,
            "unit_cost": np.round(price * 0.55, 2),
            "weight_kg": np.round(rng.uniform(0.1, 6.0, n_skus), 2),
        },
    )
    popularity = 1.0 / (np.arange(n_skus) + 10.0)
    popularity /= popularity.sum()
    atp = _stock(
        rng, node_id, is_store, skus, popularity * n_lines * 1.6, stock_density, stock_level
    )
    lanes = _lanes(rng, node_id, n_dc, lane_dcs)
    exclusions = _frame(
        "exclusions",
        {
            "node_id": [node_id[n_dc % n_nodes], node_id[-1]],
            "sku": [skus[0], None],
            "customer_id": [None, None],
            "channel": [None, "marketplace"],
            "reason": ["hazmat", "no marketplace from this store"],
        },
    )
    store_ids = np.flatnonzero(is_store) if is_store.any() else np.arange(n_nodes)
    orders = _orders(
        rng, n_lines, pickup_share, store_ids, node_id, skus, price, popularity, zone_share
    )
    inputs = AllocationInputs(
        orders=orders,
        available_to_promise=atp,
        nodes=nodes,
        products=products,
        rates=_rates(),
        lanes=lanes,
        exclusions=exclusions,
    )
    if supply_share <= 0:
        return inputs
    demand = popularity * n_lines * 1.6
    supply = _supply(np.random.default_rng(seed + 7919), node_id[:n_dc], skus, demand, supply_share)
    return replace(inputs, supply=supply)


def _supply(
    rng: np.random.Generator,
    dc_ids: list[str],
    skus: list[str],
    demand: np.ndarray,
    share: float,
) -> pl.DataFrame:
    """Supply on a ``share`` of DC x sku: about a third of a DC's demand share, due in 1-10
    days (so some of it after the default 7-day horizon)."""
    has = rng.random((len(dc_ids), len(skus))) < share
    di, si = np.nonzero(has)
    wait = rng.integers(1, 11, len(di))
    units = rng.poisson(demand[si] / max(1, len(dc_ids)) * 0.35) + 1
    frame = pl.DataFrame(
        {
            "node_id": np.asarray(dc_ids)[di],
            "sku": np.asarray(skus)[si],
            "wait_days": wait.astype(np.int64),
            "available_to_promise": units.astype(np.int64),
        }
    ).with_columns(expected_at=pl.lit(SUPPLY_FROM) + pl.duration(days=pl.col("wait_days"), hours=6))
    return frame.select(list(SUPPLY_INPUT_SCHEMA)).cast(SUPPLY_INPUT_SCHEMA)


def _nodes(
    rng: np.random.Generator, node_id: list[str], is_store: np.ndarray, n_lines: int
) -> pl.DataFrame:
    """DCs with room for a quarter to all of the demand; stores with capacities that bind."""
    n_nodes = len(node_id)
    return _frame(
        "nodes",
        {
            "node_id": node_id,
            "node_type": ["store" if s else "dc" for s in is_store],
            "name": node_id,
            "latitude": rng.uniform(26, 48, n_nodes),
            "longitude": rng.uniform(-122, -72, n_nodes),
            "ship_capacity_units": np.where(
                is_store,
                rng.integers(20, 80, n_nodes),
                rng.integers(n_lines // 4 + 50, n_lines + 100, n_nodes),
            ),
            "ship_capacity_orders": [
                int(v) if s else None
                for v, s in zip(rng.integers(10, 40, n_nodes), is_store, strict=True)
            ],
            "supports_ship": np.where(is_store, rng.random(n_nodes) < 0.8, True),
            "supports_pickup": is_store,
            "handling_cost_per_order": np.where(is_store, 3.0, 1.5),
            "handling_cost_per_unit": np.where(is_store, 1.2, 0.4),
            "processing_days": np.where(is_store, 1, rng.integers(0, 2, n_nodes)),
        },
    )


def _stock(
    rng: np.random.Generator,
    node_id: list[str],
    is_store: np.ndarray,
    skus: list[str],
    demand: np.ndarray,
    density: float,
    level: float,
) -> pl.DataFrame:
    """ATP on a ``density`` share of node x sku, in proportion to the sku's demand."""
    n_nodes = len(node_id)
    has = rng.random((n_nodes, len(skus))) < density
    ni, si = np.nonzero(has)
    per_node = demand[si] / max(1.0, density * n_nodes)
    dc_units = rng.poisson(per_node * 2.0 * level) + rng.integers(0, 3, len(ni))
    store_units = rng.poisson(per_node * 0.6 * level)
    return _frame(
        "atp",
        {
            "node_id": [node_id[i] for i in ni],
            "sku": [skus[j] for j in si],
            "available_to_promise": np.where(is_store[ni], store_units, dc_units),
        },
    )


def _rates() -> pl.DataFrame:
    """Four distance bands per service level (express 1.8 x the price, faster)."""
    bands = []
    for service, mult, days in (("standard", 1.0, (1, 2, 3, 5)), ("express", 1.8, (1, 1, 2, 2))):
        for km, pkg, kg, d in zip(
            (150, 600, 1500, 5000), (5.0, 7.0, 9.5, 13.0), (0.3, 0.5, 0.8, 1.1), days, strict=True
        ):
            bands.append((service, float(km), pkg * mult, kg * mult, d))
    columns = ["service_level", "max_distance_km", "cost_per_package", "cost_per_kg"]
    return _frame(
        "rates",
        dict(zip([*columns, "transit_days"], map(list, zip(*bands, strict=True)), strict=True)),
    )


def _lanes(rng: np.random.Generator, node_id: list[str], n_dc: int, lane_dcs: int) -> pl.DataFrame:
    """Zone lanes from up to ``lane_dcs`` DCs."""
    lane_nodes = rng.choice(n_dc, size=min(n_dc, lane_dcs), replace=False)
    n = 3 * len(lane_nodes)
    return _frame(
        "lanes",
        {
            "node_id": [node_id[i] for i in lane_nodes for _ in ZONES],
            "ship_to_zone": ZONES * len(lane_nodes),
            "service_level": ["standard"] * n,
            "cost_per_package": rng.uniform(3.5, 6.0, n).round(2),
            "cost_per_kg": rng.uniform(0.2, 0.5, n).round(2),
            "transit_days": rng.integers(1, 3, n),
        },
    )


def _orders(
    rng: np.random.Generator,
    n_lines: int,
    pickup_share: float,
    store_ids: np.ndarray,
    node_id: list[str],
    skus: list[str],
    price: np.ndarray,
    popularity: np.ndarray,
    zone_share: float,
) -> pl.DataFrame:
    """Orders of 1-4 lines: ship orders to random points (some zoned, some express), pickup
    orders at a store."""
    sizes = rng.choice([1, 2, 3, 4], size=n_lines, p=[0.5, 0.25, 0.15, 0.1])
    order_of = np.repeat(np.arange(n_lines), sizes)[:n_lines]
    n_orders = int(order_of.max()) + 1
    line_no = np.concatenate([np.arange(1, s + 1) for s in sizes])[:n_lines]
    pickup_order = rng.random(n_orders) < pickup_share
    pick_store = rng.choice(store_ids, n_orders)
    lat = rng.uniform(26, 48, n_orders)
    lon = rng.uniform(-122, -72, n_orders)
    zone = np.where(
        rng.random(n_orders) < zone_share, rng.choice(ZONES, n_orders), np.full(n_orders, None)
    )
    express = rng.random(n_orders) < 0.15
    t0 = datetime(2025, 1, 6, tzinfo=UTC)
    sku_pick = rng.choice(len(skus), size=n_lines, p=popularity)
    p = pickup_order[order_of]
    orders = _frame(
        "orders",
        {
            "order_id": [f"O{o:06d}" for o in order_of],
            "line_no": line_no,
            "channel": rng.choice(CHANNELS, n_orders)[order_of],
            "ordered_at": [t0 + timedelta(minutes=int(o)) for o in order_of],
            "customer_id": [f"C{o % max(1, n_orders // 2):06d}" for o in order_of],
            "customer_email": None,
            "sku": [skus[j] for j in sku_pick],
            "quantity": rng.choice([1, 2, 3], n_lines, p=[0.85, 0.1, 0.05]),
            "unit_price": price[sku_pick],
            "fulfillment_method": np.where(p, "pickup", "ship"),
            "pickup_node_id": [
                node_id[pick_store[o]] if pickup_order[o] else None for o in order_of
            ],
            "service_level": np.where(express[order_of], "express", "standard"),
            "ship_to_latitude": np.where(p, np.nan, lat[order_of]),
            "ship_to_longitude": np.where(p, np.nan, lon[order_of]),
            "ship_to_postal_code": None,
            "ship_to_country": None,
            "ship_to_zone": [None if p[i] else zone[o] for i, o in enumerate(order_of)],
            "promised_days": np.where(express[order_of], 2, 5),
        },
    )
    return orders.with_columns(
        pl.col("ship_to_latitude").fill_nan(None), pl.col("ship_to_longitude").fill_nan(None)
    )
