"""A deterministic, realistic partner inbox: a US retailer with DCs, stores, products and orders.

Everything is drawn from one seeded numpy Generator, vectorized, so the bundled sample and
million-line benchmark inboxes come from the same code. Frames are typed as the contract
reads them (the writer turns them into CSV text or Parquet columns).

What the sample is built to show: skewed (Zipf-like) demand over several hundred SKUs, all
five channels, ship and pickup lines, multi-line orders, express on some orders, zones and
lanes, exclusions, stock that runs short for some SKUs and capacities that bind at some nodes;
stock on its way (transfers in transit, purchase orders within and beyond the default
7-day supply horizon), returns of earlier orders and BOPIS limits at some stores.

The time-related data (supply, returns, pickup limits) comes from a second Generator derived
from the same seed, so adding it left every earlier file of the bundled sample unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from contracts.atp import available_to_promise
from samples.cities import CITIES, DC_CITIES, ZONE_OF_STATE

CHANNEL_MIX = {"web": 0.42, "mobile": 0.28, "marketplace": 0.15, "store": 0.08, "call_center": 0.07}
LINES_PER_ORDER = ([1, 2, 3, 4], [0.55, 0.25, 0.12, 0.08])
QUANTITY = ([1, 2, 3, 4, 6], [0.70, 0.17, 0.07, 0.04, 0.02])
# (category, typical weight kg, typical unit cost, hazmat)
CATEGORIES = (
    ("T-shirt", 0.25, 6.0, False),
    ("Jeans", 0.7, 18.0, False),
    ("Sneakers", 1.1, 32.0, False),
    ("Backpack", 0.9, 22.0, False),
    ("Headphones", 0.35, 28.0, False),
    ("Desk lamp", 1.4, 16.0, False),
    ("Coffee maker", 2.6, 35.0, False),
    ("Blender", 3.1, 30.0, False),
    ("Cookware set", 6.0, 55.0, False),
    ("Yoga mat", 1.5, 9.0, False),
    ("Water bottle", 0.4, 5.0, False),
    ("Throw pillow", 0.8, 7.0, False),
    ("Lithium battery pack", 0.6, 14.0, True),
    ("Aerosol spray paint", 0.5, 4.0, True),
)
ADJECTIVES = ("Classic", "Urban", "Trail", "Studio", "Coastal", "Nordic", "Everyday", "Pro")
STANDARD_BANDS = (
    (150, 5.2, 0.30, 1),
    (400, 6.1, 0.38, 2),
    (800, 7.4, 0.45, 3),
    (1500, 8.9, 0.55, 4),
    (2500, 10.6, 0.68, 5),
    (5000, 12.4, 0.80, 6),
)
EXPRESS_BANDS = (
    (400, 13.5, 0.90, 1),
    (1200, 18.0, 1.20, 1),
    (2500, 24.0, 1.60, 2),
    (5000, 31.0, 2.10, 2),
)
EXCLUSION_COLUMNS = ("node_id", "sku", "customer_id", "channel", "reason")
START = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # the allocation wave the sample feeds
SNAPSHOT_AT = START - timedelta(hours=2)  # the stock count the wave plans on
TIME_STREAM = 1  # the second Generator's stream: np.random.default_rng([seed, TIME_STREAM])
# Supply ETAs in days after START's day: (first, last) day of each group. Transfers arrive
# today (after the count) to 3 days out, purchase orders in 3-6 days, and some purchase orders
# only after the default 7-day horizon (their lines wait as awaiting_supply).
IN_TRANSIT_DAYS = (0, 3)
ON_ORDER_DAYS = (3, 6)
LATE_ORDER_DAYS = (9, 16)
RETURN_DAYS = 14  # returns of the last two weeks' orders


def generate_inbox(
    orders: int = 1500,
    seed: int = 7,
    stores: int = 40,
    dcs: int = 4,
    skus: int = 300,
) -> dict[str, pl.DataFrame]:
    """Typed frames of every kind: nodes, products, stock, supply, rates, lanes, exclusions,
    orders, returns."""
    if not (1 <= dcs <= len(DC_CITIES)) or stores < 2 or skus < 20 or orders < 1:
        raise ValueError("need 1-8 dcs, >= 2 stores, >= 20 skus and >= 1 order")
    rng = np.random.default_rng(seed)
    geo = _cities()
    products = _products(rng, skus)
    demand = _zipf(rng, skus)
    order_lines = _orders(rng, orders, geo, products, demand)
    nodes = _nodes(rng, geo, dcs, stores, order_lines)
    order_lines = _assign_pickup_stores(order_lines, nodes, geo)
    stock = _stock(rng, nodes, products, demand, order_lines)
    rates, lanes = _rates(), _lanes(rng, nodes, geo)
    timeline = np.random.default_rng([seed, TIME_STREAM])
    nodes = _pickup_capacity(timeline, nodes, stock, order_lines)
    return {
        "nodes": nodes,
        "products": products.drop("price", "hazmat"),
        "stock": stock,
        "supply": _supply(timeline, nodes, products, stock, order_lines),
        "rates": rates,
        "lanes": lanes,
        "exclusions": _exclusions(nodes, products),
        "orders": order_lines.drop("city"),
        "returns": _returns(timeline, nodes, orders),
    }


def _cities() -> pl.DataFrame:
    frame = pl.DataFrame(
        CITIES, schema=["city", "state", "lat", "lon", "postal", "pop"], orient="row"
    )
    return frame.with_columns(pl.col("state").replace_strict(ZONE_OF_STATE).alias("zone"))


def _zipf(rng: np.random.Generator, n: int, exponent: float = 1.05) -> np.ndarray:
    """Demand share per SKU: rank^-s over a random ranking (popular SKUs are not SKU-00001)."""
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return rng.permutation(weights / weights.sum())


def _products(rng: np.random.Generator, n: int) -> pl.DataFrame:
    category = rng.integers(0, len(CATEGORIES), n)
    cat = [CATEGORIES[i] for i in category]
    adjective = rng.integers(0, len(ADJECTIVES), n)
    weight = np.array([c[1] for c in cat]) * rng.lognormal(0, 0.25, n)
    cost = np.array([c[2] for c in cat]) * rng.lognormal(0, 0.35, n)
    return pl.DataFrame(
        {
            "sku": [f"SKU-{i:05d}" for i in range(1, n + 1)],
            "name": [
                f"{ADJECTIVES[a]} {c[0]} {i:03d}"
                for i, (a, c) in enumerate(zip(adjective, cat, strict=True), 1)
            ],
            "unit_cost": np.round(cost, 2),
            "weight_kg": np.round(np.maximum(weight, 0.05), 3),
            "price": np.maximum(
                np.round(np.round(cost * rng.uniform(1.6, 2.4, n)) - 0.01, 2), 0.99
            ),
            "hazmat": [c[3] for c in cat],
        }
    )


def _orders(
    rng: np.random.Generator,
    n: int,
    geo: pl.DataFrame,
    products: pl.DataFrame,
    demand: np.ndarray,
) -> pl.DataFrame:
    """Order lines: order-level attributes drawn once per order, broadcast to its lines."""
    pop = geo["pop"].to_numpy().astype(float)
    city = rng.choice(geo.height, n, p=pop / pop.sum())
    channel = rng.choice(list(CHANNEL_MIX), n, p=list(CHANNEL_MIX.values()))
    pickup_share = np.where(channel == "store", 0.6, np.where(channel == "marketplace", 0.0, 0.16))
    pickup = rng.random(n) < pickup_share
    express = ~pickup & (rng.random(n) < 0.15)
    marketplace = channel == "marketplace"
    zoned = marketplace & (rng.random(n) < 0.6)
    zone_only = zoned & (rng.random(n) < 0.2)
    customers = max(10, int(n * 0.8))
    customer = rng.integers(1, customers + 1, n)
    seconds = rng.integers(0, 24 * 3600, n)
    lat = geo["lat"].to_numpy()[city] + rng.normal(0, 0.06, n)
    lon = geo["lon"].to_numpy()[city] + rng.normal(0, 0.08, n)
    promised = np.where(pickup, 1, np.where(express, 2, rng.integers(4, 7, n)))
    lines = rng.choice(LINES_PER_ORDER[0], n, p=LINES_PER_ORDER[1])
    per_order = pl.DataFrame(
        {
            "order": np.arange(1, n + 1),
            "lines": lines,
            "channel": channel,
            "seconds_before": seconds,
            "customer": customer,
            "has_email": rng.random(n) < 0.9,
            "pickup": pickup,
            "mixed": ~pickup & (lines > 1) & (rng.random(n) < 0.06),
            "express": express,
            "default_level": rng.random(n) < 0.3,
            "lat": np.round(lat, 5),
            "lon": np.round(lon, 5),
            "city": city,
            "zone": geo["zone"].to_numpy()[city].astype(str),
            "zoned": zoned,
            "zone_only": zone_only,
            "promised_days": np.where(rng.random(n) < 0.85, promised, -1),
        }
    )
    frame = per_order[np.repeat(np.arange(n), lines)].with_columns(
        line_no=pl.int_range(1, pl.len() + 1).over("order")
    )
    m = frame.height
    sku_index = rng.choice(products.height, m, p=demand)
    line_pickup = frame["pickup"].to_numpy() | (
        frame["mixed"].to_numpy() & (frame["line_no"].to_numpy() == frame["lines"].to_numpy())
    )
    ship = ~line_pickup
    shipping_coords = ship & ~frame["zone_only"].to_numpy()
    return frame.select(
        pl.format("ORD-{}", pl.col("order").cast(pl.String).str.zfill(7)).alias("order_id"),
        pl.col("line_no").cast(pl.Int64),
        "channel",
        (pl.lit(START) - pl.duration(seconds=pl.col("seconds_before"))).alias("ordered_at"),
        pl.format("C-{}", pl.col("customer").cast(pl.String).str.zfill(6)).alias("customer_id"),
        pl.when("has_email")
        .then(pl.format("c{}@example.com", pl.col("customer").cast(pl.String).str.zfill(6)))
        .alias("customer_email"),
        pl.Series("sku", products["sku"].to_numpy()[sku_index]),
        pl.Series("quantity", rng.choice(QUANTITY[0], m, p=QUANTITY[1]), dtype=pl.Int64),
        pl.Series("unit_price", products["price"].to_numpy()[sku_index]),
        pl.Series("fulfillment_method", np.where(line_pickup, "pickup", "ship")),
        pl.lit(None, pl.String).alias("pickup_node_id"),
        pl.when(pl.Series(ship) & pl.col("express"))
        .then(pl.lit("express"))
        .when(pl.Series(ship) & ~pl.col("default_level"))
        .then(pl.lit("standard"))
        .alias("service_level"),
        pl.when(pl.Series(shipping_coords)).then("lat").alias("ship_to_latitude"),
        pl.when(pl.Series(shipping_coords)).then("lon").alias("ship_to_longitude"),
        pl.when(pl.Series(shipping_coords))
        .then(pl.Series(geo["postal"].to_numpy()[frame["city"].to_numpy()]))
        .alias("ship_to_postal_code"),
        pl.when(pl.Series(shipping_coords)).then(pl.lit("US")).alias("ship_to_country"),
        pl.when(pl.Series(ship) & pl.col("zoned")).then("zone").alias("ship_to_zone"),
        pl.when(pl.col("promised_days") >= 0)
        .then("promised_days")
        .cast(pl.Int64)
        .alias("promised_days"),
        "city",
    )


def _nodes(
    rng: np.random.Generator, geo: pl.DataFrame, dcs: int, stores: int, lines: pl.DataFrame
) -> pl.DataFrame:
    """DCs at hub cities; stores at the biggest cities (repeated, offset, past the list's end)."""
    units = int(lines["quantity"].sum())
    dc_rows = geo.filter(pl.col("city").is_in(DC_CITIES[:dcs]))
    dc_rows = dc_rows.sort(pl.col("city").replace_strict({c: i for i, c in enumerate(DC_CITIES)}))
    # One DC is small: its capacity binds in the first wave. With three DCs or more the last
    # is mid-sized: the first wave leaves it room, the day's later waves fill it.
    share = np.full(dcs, 1.2 / dcs)
    share[0] = min(share[0], 0.12)
    if dcs >= 3:
        share[-1] = min(share[-1], 0.22)
    ranked = geo.sort("pop", descending=True)
    store_city = np.arange(stores) % ranked.height
    repeat = np.arange(stores) // ranked.height
    jitter = np.where(repeat > 0, 0.12, 0.0)
    supports_ship = rng.random(stores) >= 0.15
    supports_pickup = rng.random(stores) >= 0.15
    supports_pickup[:2] = [True, False]  # at least one store of each kind
    return pl.concat(
        [
            pl.DataFrame(
                {
                    "node_id": [f"DC-{i:02d}" for i in range(1, dcs + 1)],
                    "node_type": "dc",
                    "name": [f"{c} DC" for c in dc_rows["city"]],
                    "latitude": dc_rows["lat"],
                    "longitude": dc_rows["lon"],
                    "ship_capacity_units": np.maximum(50, (units * share).astype(np.int64)),
                    "ship_capacity_orders": pl.Series([None] * dcs, dtype=pl.Int64),
                    "supports_ship": True,
                    "supports_pickup": False,
                    "handling_cost_per_order": np.round(rng.uniform(1.6, 2.4, dcs), 2),
                    "handling_cost_per_unit": np.round(rng.uniform(0.25, 0.4, dcs), 2),
                    "processing_days": pl.Series([1] * dcs, dtype=pl.Int64),
                }
            ),
            pl.DataFrame(
                {
                    "node_id": [f"ST-{i:03d}" for i in range(1, stores + 1)],
                    "node_type": "store",
                    "name": [
                        f"{ranked['city'][int(c)]} store" + (f" {r + 1}" if r else "")
                        for c, r in zip(store_city, repeat, strict=True)
                    ],
                    "latitude": np.round(
                        ranked["lat"].to_numpy()[store_city] + rng.uniform(-1, 1, stores) * jitter,
                        5,
                    ),
                    "longitude": np.round(
                        ranked["lon"].to_numpy()[store_city] + rng.uniform(-1, 1, stores) * jitter,
                        5,
                    ),
                    "ship_capacity_units": rng.integers(15, 60, stores),
                    "ship_capacity_orders": pl.Series(
                        np.where(rng.random(stores) < 0.5, rng.integers(8, 30, stores), -1)
                    ).replace(-1, None),
                    "supports_ship": supports_ship,
                    "supports_pickup": supports_pickup,
                    "handling_cost_per_order": np.round(rng.uniform(3.5, 5.0, stores), 2),
                    "handling_cost_per_unit": np.round(rng.uniform(0.7, 1.2, stores), 2),
                    "processing_days": rng.integers(0, 2, stores),
                }
            ),
        ],
        how="vertical_relaxed",
    )


def _nearest(
    lat: np.ndarray, lon: np.ndarray, to_lat: np.ndarray, to_lon: np.ndarray
) -> np.ndarray:
    """Index of the nearest target per point (equirectangular is plenty to pick a store)."""
    dy = lat[:, None] - to_lat[None, :]
    dx = (lon[:, None] - to_lon[None, :]) * np.cos(np.radians(lat))[:, None]
    return np.argmin(dx * dx + dy * dy, axis=1)


def _assign_pickup_stores(
    lines: pl.DataFrame, nodes: pl.DataFrame, geo: pl.DataFrame
) -> pl.DataFrame:
    """Pickup lines go to the store with supports_pickup nearest the customer's city."""
    pickup_stores = nodes.filter(pl.col("supports_pickup"))
    nearest = _nearest(
        geo["lat"].to_numpy(),
        geo["lon"].to_numpy(),
        pickup_stores["latitude"].to_numpy(),
        pickup_stores["longitude"].to_numpy(),
    )
    store_of_city = pickup_stores["node_id"].to_numpy()[nearest]
    return lines.with_columns(
        pl.when(pl.col("fulfillment_method") == "pickup")
        .then(pl.Series(store_of_city[lines["city"].to_numpy()]))
        .alias("pickup_node_id")
    )


def _stock(
    rng: np.random.Generator,
    nodes: pl.DataFrame,
    products: pl.DataFrame,
    demand: np.ndarray,
    lines: pl.DataFrame,
) -> pl.DataFrame:
    """DCs hold most SKUs in depth, stores a popular assortment; a few popular SKUs run short."""
    units = int(lines["quantity"].sum())
    skus = products["sku"].to_numpy()
    n = len(skus)
    popular = np.argsort(-demand)
    short = popular[rng.choice(min(40, n), max(1, n // 60), replace=False)]
    dcs = nodes.filter(pl.col("node_type") == "dc")["node_id"].to_numpy()
    stores = nodes.filter(pl.col("node_type") == "store")["node_id"].to_numpy()
    dc_node = np.repeat(dcs, n)
    dc_sku = np.tile(np.arange(n), len(dcs))
    carried = rng.random(len(dc_sku)) < 0.9
    depth = demand[dc_sku] * units * 1.3 / len(dcs) * rng.uniform(0.4, 1.6, len(dc_sku))
    depth[np.isin(dc_sku, short)] *= 0.15
    assortment = popular[: max(10, n // 4)]
    st_node = np.repeat(stores, len(assortment))
    st_sku = np.tile(assortment, len(stores))
    st_on_hand = rng.poisson(3.0, len(st_sku))
    node = np.concatenate([dc_node[carried], st_node])
    sku = np.concatenate([dc_sku[carried], st_sku])
    on_hand = np.concatenate([np.ceil(depth[carried]).astype(np.int64), st_on_hand])
    m = len(node)
    reserved = np.minimum(on_hand, rng.binomial(2, 0.2, m))
    safety = np.where(np.char.startswith(node.astype(str), "ST"), rng.integers(0, 2, m), 0)
    current = pl.DataFrame(
        {
            "node_id": node,
            "sku": skus[sku],
            "on_hand": on_hand,
            "reserved": reserved,
            "safety_stock": pl.Series(np.where(rng.random(m) < 0.2, -1, safety)).replace(-1, None),
            "snapshot_at": SNAPSHOT_AT,
        }
    )
    # An older snapshot for some rows: the newest per (node, sku) wins.
    older = current.filter(pl.Series(rng.random(m) < 0.08)).with_columns(
        pl.col("on_hand") + 5, snapshot_at=pl.lit(START - timedelta(hours=26))
    )
    return pl.concat([older, current]).with_columns(pl.col("on_hand", "reserved").cast(pl.Int64))


def _pickup_capacity(
    rng: np.random.Generator, nodes: pl.DataFrame, stock: pl.DataFrame, lines: pl.DataFrame
) -> pl.DataFrame:
    """About half the pickup stores can prepare only so many BOPIS orders a day: room for the
    first wave's pickup orders they have stock for and up to a quarter more, so the day's
    later waves meet the limit; the others (and every DC) have none (empty)."""
    on_shelf = available_to_promise(stock).filter(pl.col("available_to_promise") > 0)
    wanted = (
        lines.filter(pl.col("fulfillment_method") == "pickup")
        .join(on_shelf, left_on=["pickup_node_id", "sku"], right_on=["node_id", "sku"])
        .group_by(node_id="pickup_node_id")
        .agg(orders=pl.col("order_id").n_unique())
    )
    orders = nodes.join(wanted, on="node_id", how="left", maintain_order="left")["orders"]
    m = nodes.height
    limited = nodes["supports_pickup"].to_numpy() & (rng.random(m) < 0.5)
    room = np.ceil(orders.fill_null(0).to_numpy() * rng.uniform(1.0, 1.25, m)).astype(np.int64)
    return nodes.with_columns(
        pickup_capacity_orders=pl.Series(np.where(limited, np.maximum(room, 1), -1)).replace(
            -1, None
        )
    )


def _supply(
    rng: np.random.Generator,
    nodes: pl.DataFrame,
    products: pl.DataFrame,
    stock: pl.DataFrame,
    lines: pl.DataFrame,
) -> pl.DataFrame:
    """Stock on its way, so that supply decides lines: every SKU whose orders exceed the DCs'
    ATP has one delivery per DC, all in transit, all on order or all due after the horizon
    (then its lines can only wait); besides, purchase orders for a share of DC x SKU and
    transfers for a share of the stores' assortment."""
    dc_ids = nodes.filter(pl.col("node_type") == "dc")["node_id"].implode()
    units = lines.group_by("sku").agg(units=pl.col("quantity").sum())
    atp = available_to_promise(stock).with_columns(at_dc=pl.col("node_id").is_in(dc_ids))
    dc_atp = atp.filter("at_dc").group_by("sku").agg(atp=pl.col("available_to_promise").sum())
    short = (
        units.join(dc_atp, on="sku", how="left")
        .filter(pl.col("units") > pl.col("atp").fill_null(0))["sku"]
        .sort()
    )
    # group 0 in transit, 1 on order, 2 on order after the horizon, -1 none
    short_groups = pl.DataFrame(
        {"sku": short, "short_group": rng.choice(3, short.len(), p=[0.3, 0.35, 0.35])}
    )
    dc_rows = nodes.filter(pl.col("node_type") == "dc").select("node_id", at_dc=True)
    candidates = (
        pl.concat(
            [
                dc_rows.join(products.select("sku"), how="cross").select("node_id", "sku", "at_dc"),
                atp.filter(~pl.col("at_dc")).select("node_id", "sku", "at_dc"),
            ]
        )
        .join(units, on="sku", how="left", maintain_order="left")
        .join(short_groups, on="sku", how="left", maintain_order="left")
        .with_columns(pl.col("units").fill_null(0))
    )
    m = candidates.height
    at_dc = candidates["at_dc"].to_numpy()
    is_short = candidates["short_group"].is_not_null().to_numpy()
    draw = rng.random(m)
    group = np.where(
        is_short & at_dc,
        candidates["short_group"].fill_null(-1).to_numpy(),
        np.where(
            at_dc,
            np.select([draw < 0.02, draw < 0.08, draw < 0.11], [0, 1, 2], -1),
            np.where(draw < 0.05, 0, -1),
        ),
    )
    first, last = np.array([IN_TRANSIT_DAYS, ON_ORDER_DAYS, LATE_ORDER_DAYS]).T
    demand = candidates["units"].to_numpy()
    quantity = np.where(
        is_short & at_dc,
        demand * rng.uniform(0.15, 0.4, m),
        np.where(at_dc, np.maximum(demand, 2) * rng.uniform(1.0, 3.0, m), rng.integers(2, 9, m)),
    )
    chosen = candidates.with_columns(
        group=group,
        days=rng.integers(first[group.clip(0)], last[group.clip(0)] + 1),
        quantity=pl.Series(np.ceil(quantity), dtype=pl.Int64),
    ).filter(pl.col("group") >= 0)
    # One delivery (a transfer or a purchase order, one id and ETA) per node, kind and day.
    transfer = pl.col("group") == 0
    deliveries = (
        chosen.select("node_id", kind=transfer, days="days")
        .unique()
        .sort("kind", "node_id", "days", descending=[True, False, False])
    )
    k = deliveries.height
    # ETAs in working hours; a transfer due today arrives after the count, some before the
    # day's later waves (their counts then cover it)
    today = deliveries["days"].to_numpy() == 0
    deliveries = deliveries.with_columns(
        number=pl.int_range(1, pl.len() + 1).over("kind").cast(pl.String).str.zfill(5),
        hours=np.where(today, rng.integers(7, 15, k), rng.integers(8, 18, k)),
        minutes=rng.choice([0, 15, 30, 45], k),
    ).with_columns(
        eta=pl.lit(START.replace(hour=0))
        + pl.duration(days="days", hours="hours", minutes="minutes")
    )
    return (
        chosen.with_columns(kind=transfer)
        .join(deliveries, on=["node_id", "kind", "days"])
        .select(
            pl.format(
                "{}-{}", pl.when("kind").then(pl.lit("TR")).otherwise(pl.lit("PO")), "number"
            ).alias("supply_id"),
            "node_id",
            "sku",
            "quantity",
            pl.col("eta").alias("expected_at"),
            pl.when("kind")
            .then(pl.lit("in_transit"))
            .otherwise(pl.lit("purchase_order"))
            .alias("kind"),
        )
        .sort("supply_id", "sku")
    )


def _returns(rng: np.random.Generator, nodes: pl.DataFrame, orders: int) -> pl.DataFrame:
    """Units customers brought back to a store or mailed to a DC in the two weeks before the
    count, of orders placed before the sample's (their ids are not in its orders files)."""
    n = max(5, orders // 25)
    stores = nodes.filter(pl.col("node_type") == "store")["node_id"].to_numpy()
    dcs = nodes.filter(pl.col("node_type") == "dc")["node_id"].to_numpy()
    in_store = rng.random(n) < 0.35
    frame = pl.DataFrame(
        {
            "order_id": rng.integers(1, 20 * orders, n),
            "line_no": rng.choice([1, 2, 3], n, p=[0.75, 0.2, 0.05]),
            "quantity": rng.choice([1, 2], n, p=[0.85, 0.15]),
            "seconds_before": rng.integers(3600, RETURN_DAYS * 24 * 3600, n),
            "return_channel": np.where(in_store, "in_store", "mail"),
            "node_id": np.where(in_store, rng.choice(stores, n), rng.choice(dcs, n)),
            "resellable": rng.random(n) < 0.8,
        }
    ).sort("seconds_before", descending=True)
    return frame.select(
        pl.format("RET-{}", pl.int_range(1, n + 1).cast(pl.String).str.zfill(6)).alias("return_id"),
        pl.format("ORD-H{}", pl.col("order_id").cast(pl.String).str.zfill(6)).alias("order_id"),
        pl.col("line_no", "quantity").cast(pl.Int64),
        (pl.lit(SNAPSHOT_AT) - pl.duration(seconds="seconds_before")).alias("returned_at"),
        "return_channel",
        "node_id",
        "resellable",
    )


def _rates() -> pl.DataFrame:
    rows = [("standard", *b) for b in STANDARD_BANDS] + [("express", *b) for b in EXPRESS_BANDS]
    frame = pl.DataFrame(
        rows,
        schema=[
            "service_level",
            "max_distance_km",
            "cost_per_package",
            "cost_per_kg",
            "transit_days",
        ],
        orient="row",
    )
    return frame.with_columns(
        pl.col("max_distance_km").cast(pl.Float64), pl.col("transit_days").cast(pl.Int64)
    )


def _lanes(rng: np.random.Generator, nodes: pl.DataFrame, geo: pl.DataFrame) -> pl.DataFrame:
    """Negotiated zone rates: each DC to every zone (both levels), some stores to their own zone."""
    zones = geo.group_by("zone").agg(pl.col("lat").mean(), pl.col("lon").mean()).sort("zone")
    dcs = nodes.filter(pl.col("node_type") == "dc")
    rows = []
    for dc in dcs.iter_rows(named=True):
        for zone in zones.iter_rows(named=True):
            km = _km(dc["latitude"], dc["longitude"], zone["lat"], zone["lon"])
            for level, bands in (("standard", STANDARD_BANDS), ("express", EXPRESS_BANDS)):
                band = next((b for b in bands if b[0] >= km), bands[-1])
                rows.append(
                    (
                        dc["node_id"],
                        zone["zone"],
                        level,
                        round(band[1] * 0.85, 2),
                        round(band[2] * 0.9, 2),
                        band[3],
                    )
                )
    stores = nodes.filter(pl.col("node_type") == "store")
    store_zone = _nearest(
        stores["latitude"].to_numpy(),
        stores["longitude"].to_numpy(),
        geo["lat"].to_numpy(),
        geo["lon"].to_numpy(),
    )
    for i, node in enumerate(stores["node_id"]):
        if rng.random() < 0.3:
            rows.append((node, geo["zone"][int(store_zone[i])], "standard", 6.0, 0.35, 2))
    return pl.DataFrame(
        rows,
        schema=[
            "node_id",
            "ship_to_zone",
            "service_level",
            "cost_per_package",
            "cost_per_kg",
            "transit_days",
        ],
        orient="row",
    ).with_columns(pl.col("transit_days").cast(pl.Int64))


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return float(2 * 6371.0 * np.arcsin(np.sqrt(a)))


def _exclusions(nodes: pl.DataFrame, products: pl.DataFrame) -> pl.DataFrame:
    """Hazmat only from DCs; marketplace not from one DC; a closed store; a pre-listed recall."""
    stores = nodes.filter(pl.col("node_type") == "store")["node_id"].to_list()
    dcs = nodes.filter(pl.col("node_type") == "dc")["node_id"].to_list()
    hazmat = products.filter("hazmat")["sku"].head(5).to_list()
    rows: list[tuple[str | None, ...]] = [
        (s, h, None, None, "hazmat: ships from DCs only") for h in hazmat for s in stores
    ]
    rows.append((dcs[-1], None, None, "marketplace", "marketplace contract excludes this DC"))
    rows.append((stores[-1], None, None, None, "store remodel: closed for fulfillment"))
    rows.append((dcs[0], None, "C-000042", None, "customer asked not to ship from this DC"))
    rows.append((dcs[0], "SKU-99999", None, None, "recall: pre-listed before the product exists"))
    return pl.DataFrame(rows, schema=dict.fromkeys(EXCLUSION_COLUMNS, pl.String), orient="row")
