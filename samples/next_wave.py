"""The files partners would send for the next wave, made from the last wave's outbox.

Like a real partner, it reads only what partners see: the inbox's nodes, products and orders
files, and ``outbox/LATEST``'s instruction files. It writes new orders (later, new ids),
shipments for part of the instructed lines, one rejection (a store short-picks a line), one
cancellation (a customer cancels a whole order) and one amendment (a line's quantity lowered
by one, which cancels that unit at its node).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl

from contracts.intake import validate_paths
from contracts.tables import STAGING_SCHEMAS
from contracts.vocabulary import MODES, NodeType
from samples.generator import START, _assign_pickup_stores, _cities, _orders
from samples.inbox import as_text

FILLS = list(MODES)


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


def _new_orders(
    known: dict[str, pl.DataFrame], count: int, rng: np.random.Generator, wave: int
) -> pl.DataFrame:
    """Orders drawn like the sample's, over the same products, demand and stores."""
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
    later = timedelta(hours=4 * (wave - 1))
    return lines.with_columns(
        order_id=pl.col("order_id").str.replace("ORD-", f"ORD-W{wave}-"),
        ordered_at=pl.col("ordered_at") + later,
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


def next_wave_inbox(
    inbox: Path, outbox: Path, orders: int = 300, seed: int = 8, wave: int = 2
) -> dict[str, pl.DataFrame]:
    """Frames of every file of the next wave (kind-prefixed names as keys)."""
    rng = np.random.default_rng(seed)
    known = _accepted(
        [p for p in sorted(inbox.iterdir()) if p.name.startswith(("nodes", "products", "orders"))]
    )
    at = START + timedelta(hours=4 * (wave - 1))
    fills = latest_instructions(outbox)
    fills = fills.filter(pl.col("fulfillment_method").is_in(FILLS)) if fills.height else fills
    out: dict[str, pl.DataFrame] = {f"orders_wave{wave}": _new_orders(known, orders, rng, wave)}
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
