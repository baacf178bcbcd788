"""An independent checker of a run's outbox against the partner files that fed it.

It recomputes everything from the inbox frames (ATP from the newest snapshot, capacities,
exclusions) and reads only the partner-facing files, so it shares no code with the product.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

SHIPS = ("ship_from_dc", "ship_from_store", "ship_to_store")
FILLS = (*SHIPS, "pickup_in_store")


def read_outbox(run_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """All instruction rows of the run (CSV files) and its backorders."""
    files = sorted((run_dir / "instructions").glob("*.csv"))
    rows = pl.concat(
        [
            pl.read_csv(
                f,
                schema_overrides={
                    "order_id": pl.String,
                    "sku": pl.String,
                    "node_id": pl.String,
                    "parcel_id": pl.String,
                },
            )
            for f in files
        ]
    )
    backorders = pl.read_csv(run_dir / "backorders.csv", schema_overrides={"order_id": pl.String})
    return rows, backorders


def check_outbox(inbox: dict[str, pl.DataFrame], run_dir: Path, max_parcels: int) -> list[str]:
    """Rule breaks found; empty when the outbox honours every input."""
    rows, backorders = read_outbox(run_dir)
    fills = rows.filter(pl.col("fulfillment_method").is_in(FILLS))
    problems: list[str] = []
    orders = inbox["orders"]
    key = ["order_id", "line_no"]
    accounted = (
        orders.select(*key, "quantity")
        .join(fills.group_by(key).agg(filled=pl.col("quantity").sum()), on=key, how="left")
        .join(backorders.group_by(key).agg(back=pl.col("quantity").sum()), on=key, how="left")
        .fill_null(0)
    )
    bad = accounted.filter(pl.col("quantity") != pl.col("filled") + pl.col("back"))
    if bad.height:
        problems.append(f"{bad.height} lines not accounted for exactly")
    stock = inbox["stock"].with_columns(pl.col("safety_stock").fill_null(0))
    newest = stock.sort("snapshot_at").group_by("node_id", "sku").last()
    atp = newest.select(
        "node_id",
        "sku",
        atp=(pl.col("on_hand") - pl.col("reserved") - pl.col("safety_stock")).clip(lower_bound=0),
    )
    taken = fills.group_by("node_id", "sku").agg(pl.col("quantity").sum())
    over = taken.join(atp, on=["node_id", "sku"], how="left").filter(
        pl.col("quantity") > pl.col("atp").fill_null(0)
    )
    if over.height:
        problems.append(f"{over.height} node x sku above ATP")
    shipped = fills.filter(pl.col("fulfillment_method").is_in(SHIPS))
    load = (
        shipped.group_by("node_id")
        .agg(units=pl.col("quantity").sum(), orders=pl.col("order_id").n_unique())
        .join(inbox["nodes"], on="node_id")
    )
    if load.filter(pl.col("units") > pl.col("ship_capacity_units")).height:
        problems.append("unit capacity exceeded")
    if load.filter(pl.col("orders") > pl.col("ship_capacity_orders")).height:
        problems.append("order capacity exceeded")
    parcels = shipped.group_by("order_id").agg(n=pl.col("parcel_id").n_unique())
    if parcels.filter(pl.col("n") > max_parcels).height:
        problems.append("parcel limit exceeded")
    lines = fills.join(orders.select(*key, "customer_id", "channel"), on=key)
    for rule in inbox["exclusions"].iter_rows(named=True):
        hit = lines.filter(pl.col("node_id") == rule["node_id"])
        for field in ("sku", "customer_id", "channel"):
            if rule[field] is not None:
                hit = hit.filter(pl.col(field) == rule[field])
        if hit.height:
            problems.append(f"exclusion {rule} broken by {hit.height} rows")
    receive = rows.filter(pl.col("fulfillment_method") == "receive_for_pickup")
    sent = fills.filter(pl.col("fulfillment_method") == "ship_to_store")
    if receive.height != sent.height or set(receive["parcel_id"]) != set(sent["parcel_id"]):
        problems.append("ship-to-store parcels and receive_for_pickup rows disagree")
    return problems
