"""The files partners would send for the next wave, made from the last wave's outbox.

Like a real partner, it reads only what partners see: the inbox's nodes, products, orders,
stock, supply and shipments files, and ``outbox/LATEST``'s instruction files. It writes new
orders (later, new ids), shipments for part of the instructed lines, one rejection (a store
short-picks a line), one cancellation (a customer cancels a whole order), one amendment (a
line's quantity lowered by one, which cancels that unit at its node), a supply amendment (a
purchase order's ETA moved; a row due after the horizon, which no instruction was promised
from, withdrawn with quantity 0) and a stock count of the node x SKUs whose supply has arrived
(so that supply stops counting and the units are on hand).

The wave's clock: wave ``n`` plans at ``START + 4 h * (n - 1)`` unless ``at`` is given; its
shipments are confirmed an hour before it and its stock is counted two hours before it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from contracts.intake import validate_paths
from contracts.tables import KEYS, STAGING_SCHEMAS
from contracts.vocabulary import MODES, NodeType
from samples.generator import START, TIME_STREAM, _assign_pickup_stores, _cities, _orders
from samples.inbox import as_text

FILLS = list(MODES)
COUNTED_BEFORE = timedelta(hours=2)  # the wave's stock count, before its shipments (1 h)
ETA_DELAY = (2, 5)  # days a delayed purchase order moves (it may leave the supply horizon)
HORIZON_DAYS = 7  # the default supply_horizon_days: a delay there changes what waves may use
NODE_SKU = ["node_id", "sku"]
PARTNER_KINDS = ("nodes", "products", "orders", "stock", "supply", "shipments")


def _accepted(paths: list[Path]) -> dict[str, pl.DataFrame]:
    """The accepted rows of the partner files, by kind (typed as staging reads them)."""
    report = validate_paths(paths)
    found: dict[str, list[pl.DataFrame]] = {}
    for f in report.files:
        if f.validation is not None and f.kind is not None:
            found.setdefault(f.kind, []).append(f.validation.accepted)
    return {kind: pl.concat(frames) for kind, frames in found.items()}


def latest_instructions(outbox: Path) -> pl.DataFrame:
    """Every instruction row of the newest published wave that instructed anything (a wave
    folder is published once its ``_SUCCESS`` is there)."""
    done = sorted(outbox.glob("*/_SUCCESS"), key=lambda p: (p.stat().st_mtime_ns, p.parent.name))
    for success in reversed(done):
        files = sorted((success.parent / "instructions").glob("*.csv"))
        if files:  # as text: a file of cancels only has empty columns another file fills
            frames = [pl.read_csv(f, infer_schema=False) for f in files]
            return pl.concat(frames, how="diagonal", rechunk=True).with_columns(
                pl.col("line_no", "quantity").cast(pl.Int64)
            )
    return pl.DataFrame()


def promised_from_supply(outbox: Path) -> pl.DataFrame:
    """Node x SKUs any published wave instructed from supply (rows with ``available_at``)."""
    published = [
        f
        for f in sorted(outbox.glob("*/instructions/*.csv"))
        if (f.parent.parent / "_SUCCESS").is_file()
    ]
    frames = [pl.read_csv(f, infer_schema=False) for f in published]
    rows = pl.concat(frames, how="diagonal") if frames else pl.DataFrame()
    if "available_at" not in rows.columns:
        return pl.DataFrame(schema={"node_id": pl.String, "sku": pl.String})
    return (
        rows.filter(pl.col("available_at").is_not_null()).select(NODE_SKU).unique().sort(NODE_SKU)
    )


def new_orders(
    known: dict[str, pl.DataFrame],
    count: int,
    rng: np.random.Generator,
    wave: int,
    at: datetime,
    since: datetime | None = None,
) -> pl.DataFrame:
    """Orders drawn like the sample's, over the same products, demand and stores, ordered in
    the 24 hours before ``at`` or, with ``since``, between ``since`` and ``at``."""
    orders, products = known["orders"], known["products"]
    price = orders.group_by("sku").agg(price=pl.col("unit_price").median())
    priced = products.join(price, on="sku", how="left").with_columns(
        price=pl.col("price").fill_null(pl.col("unit_cost") * 2.0)
    )
    sold = orders.group_by("sku").agg(n=pl.col("quantity").sum())
    demand = priced.join(sold, on="sku", how="left")["n"].fill_null(0).to_numpy() + 0.5
    geo = _cities()
    lines = _orders(rng, count, geo, priced, demand / demand.sum())
    lines = _assign_pickup_stores(lines, known["nodes"], geo).drop("city")
    if since is None:
        ordered_at = pl.col("ordered_at") + (at - START)
    else:  # the sample's 24 hours squeezed into the time since the last wave
        share = (at - since) / timedelta(days=1)
        before = (pl.lit(START) - pl.col("ordered_at")).dt.total_seconds() * share
        ordered_at = pl.lit(at) - pl.duration(seconds=before.round().cast(pl.Int64))
    return lines.with_columns(
        order_id=pl.col("order_id").str.replace("ORD-", f"ORD-W{wave}-"),
        ordered_at=ordered_at,
    )


def newest(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """The last version of every key (later files amend earlier ones)."""
    return frame.unique(subset=list(KEYS[kind]), keep="last", maintain_order=True)


def supply_changes(
    supply: pl.DataFrame,
    at: datetime,
    rng: np.random.Generator,
    promised: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """What a buyer or carrier reports before the wave: a purchase order still due (within
    the default horizon if one is) is delayed, every row of it, and a purchase order row due
    after the horizon is withdrawn (quantity 0). The withdrawn row is never one of a node x
    SKU in ``promised`` (what instructions were promised from supply): a withdrawal under a
    promise leaves more committed than there will be, which the sample does not stage."""
    due = newest(supply, "supply").filter((pl.col("quantity") > 0) & (pl.col("expected_at") > at))
    orders = due.filter(pl.col("kind") == "purchase_order")
    if orders.is_empty():
        return pl.DataFrame(schema=STAGING_SCHEMAS["supply"])
    horizon = at + timedelta(days=HORIZON_DAYS)
    soon = orders.filter(pl.col("expected_at") <= horizon)
    deliveries = (soon if soon.height else orders).select("supply_id", "node_id").unique()
    delayed = deliveries.sort("supply_id", "node_id")[int(rng.integers(deliveries.height))]
    moved = due.join(delayed, on=["supply_id", "node_id"]).with_columns(
        pl.col("expected_at") + timedelta(days=int(rng.integers(*ETA_DELAY, endpoint=True)))
    )
    late = (
        orders.join(delayed, on=["supply_id", "node_id"], how="anti")
        .filter(pl.col("expected_at") > horizon)
        .sort(KEYS["supply"])
    )
    if promised is not None:
        late = late.join(promised, on=NODE_SKU, how="anti")
    withdrawn = late[int(rng.integers(late.height))] if late.height else late
    changes = pl.concat([moved, withdrawn.with_columns(quantity=pl.lit(0, pl.Int64))])
    return changes.select(list(STAGING_SCHEMAS["supply"])).sort(KEYS["supply"])


def arrival_count(
    stock: pl.DataFrame,
    supply: pl.DataFrame,
    counted_at: datetime,
    shipments: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """A stock count at ``counted_at`` of every node x SKU with supply that has arrived since
    its newest count: that count's units, plus what arrived, less what ``shipments`` (with
    their ``sku``) took from it in between."""
    last = (
        stock.sort("snapshot_at", maintain_order=True)
        .unique(subset=NODE_SKU, keep="last", maintain_order=True)
        .select(*NODE_SKU, "on_hand", "reserved", "safety_stock", "snapshot_at")
    )
    arrived = (
        newest(supply, "supply")
        .filter((pl.col("quantity") > 0) & (pl.col("expected_at") <= counted_at))
        .join(last.select(*NODE_SKU, "snapshot_at"), on=NODE_SKU, how="left")
        .filter(pl.col("snapshot_at").is_null() | (pl.col("snapshot_at") < pl.col("expected_at")))
        .group_by(NODE_SKU)
        .agg(arrived=pl.col("quantity").sum())
        .join(last, on=NODE_SKU, how="left")
    )
    shipped = pl.DataFrame(schema={"node_id": pl.String, "sku": pl.String, "shipped": pl.Int64})
    if shipments is not None:
        since = pl.col("snapshot_at").is_null() | (pl.col("shipped_at") > pl.col("snapshot_at"))
        shipped = (
            arrived.join(shipments.select(*NODE_SKU, "quantity", "shipped_at"), on=NODE_SKU)
            .filter((pl.col("shipped_at") <= counted_at) & since)
            .group_by(NODE_SKU)
            .agg(shipped=pl.col("quantity").sum())
        )
    on_hand = pl.col("on_hand").fill_null(0) + pl.col("arrived") - pl.col("shipped").fill_null(0)
    return (
        arrived.join(shipped, on=NODE_SKU, how="left")
        .with_columns(on_hand=on_hand.clip(lower_bound=0))
        .select(
            *NODE_SKU,
            "on_hand",
            pl.min_horizontal(pl.col("reserved").fill_null(0), "on_hand").alias("reserved"),
            "safety_stock",
            pl.lit(counted_at).alias("snapshot_at"),
        )
        .cast(STAGING_SCHEMAS["stock"])
        .sort(NODE_SKU)
    )


def _shipments(fills: pl.DataFrame, rng: np.random.Generator, at) -> pl.DataFrame:
    """About half of the DCs' instructed rows shipped, one shipment per parcel."""
    dc_rows = fills.filter(pl.col("node_id").str.starts_with("DC"))
    shipped = dc_rows.filter(pl.Series(rng.random(dc_rows.height) < 0.5))
    return shipped.select(
        pl.format("SHP-{}", pl.col("parcel_id")).alias("shipment_id"),
        "order_id",
        "line_no",
        "node_id",
        "quantity",
        pl.lit(at).alias("shipped_at"),
        pl.format("TRK{}", pl.int_range(100000, 100000 + pl.len())).alias("tracking_id"),
        pl.lit("UPS").alias("carrier"),
    )


def supply_files(
    known: dict[str, pl.DataFrame],
    at: datetime,
    rng: np.random.Generator,
    wave: int,
    promised: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """The wave's supply amendment and its count of arrived supply, when there is any."""
    supply = known.get("supply")
    if supply is None or supply.is_empty():
        return {}
    shipments = known.get("shipments", pl.DataFrame(schema=STAGING_SCHEMAS["shipments"]))
    shipped = shipments.join(
        known["orders"].select("order_id", "line_no", "sku").unique(["order_id", "line_no"]),
        on=["order_id", "line_no"],
    )
    stock = known.get("stock", pl.DataFrame(schema=STAGING_SCHEMAS["stock"]))
    files = {
        f"supply_wave{wave}": supply_changes(supply, at, rng, promised),
        f"stock_wave{wave}": arrival_count(stock, supply, at - COUNTED_BEFORE, shipped),
    }
    return {name: frame for name, frame in files.items() if frame.height}


def next_wave_inbox(
    inbox: Path,
    outbox: Path,
    orders: int = 300,
    seed: int = 8,
    wave: int = 2,
    at: datetime | None = None,
) -> dict[str, pl.DataFrame]:
    """Frames of every file of the next wave (kind-prefixed names as keys)."""
    rng = np.random.default_rng(seed)
    known = _accepted([p for p in sorted(inbox.iterdir()) if p.name.startswith(PARTNER_KINDS)])
    at = at or START + timedelta(hours=4 * (wave - 1))
    fills = latest_instructions(outbox)
    fills = fills.filter(pl.col("fulfillment_method").is_in(FILLS)) if fills.height else fills
    out: dict[str, pl.DataFrame] = {f"orders_wave{wave}": new_orders(known, orders, rng, wave, at)}
    promised = promised_from_supply(outbox)
    out |= supply_files(known, at, np.random.default_rng([seed, TIME_STREAM]), wave, promised)
    if fills.is_empty():
        return out
    shipments = _shipments(fills, rng, at - timedelta(hours=1))
    shipped = shipments.select("order_id", "line_no")
    left = fills.join(shipped, on=["order_id", "line_no"], how="anti")
    store_rows = left.join(
        known["nodes"].filter(pl.col("node_type") == NodeType.STORE).select("node_id"), on="node_id"
    )
    rejected = (store_rows if store_rows.height else left).head(1)
    untouched = left.join(rejected.select("order_id"), on="order_id", how="anti")
    cancelled_order = untouched.select("order_id").unique(maintain_order=True).head(1)
    rest = untouched.join(cancelled_order, on="order_id", how="anti")
    amend_key = rest.filter(pl.col("quantity") >= 2).head(1).select("order_id", "line_no")
    amended = (
        known["orders"]
        .join(amend_key, on=["order_id", "line_no"])
        .with_columns(quantity=pl.col("quantity") - 1)
    )
    out |= {
        f"shipments_wave{wave}": shipments,
        f"rejections_wave{wave}": rejected.select(
            "order_id",
            "line_no",
            "node_id",
            "quantity",
            pl.lit(at - timedelta(minutes=30)).alias("rejected_at"),
            pl.lit("short pick: not on the shelf").alias("reason"),
        ),
        f"cancellations_wave{wave}": cancelled_order.select(
            "order_id",
            pl.lit(None, pl.Int64).alias("line_no"),
            pl.lit(None, pl.Int64).alias("quantity"),
            pl.lit(at - timedelta(minutes=20)).alias("cancelled_at"),
            pl.lit("customer changed their mind").alias("reason"),
        ),
        f"orders_amendments_wave{wave}": amended.select(list(STAGING_SCHEMAS["orders"])),
    }
    return out


def write_next_wave(frames: dict[str, pl.DataFrame], out: Path) -> list[Path]:
    """Write the frames as partner CSV files into ``out`` (the next wave's inbox)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in sorted(frames.items()):
        path = out / f"{name}.csv"
        as_text(frame).write_csv(path, line_terminator="\n")
        written.append(path)
    return written
