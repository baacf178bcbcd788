"""An independent checker of a run's outbox against the partner files that fed it.

It recomputes everything from the inbox frames (ATP from the newest snapshot, capacities,
exclusions) and reads only the partner-facing files, so it shares no code with the product.
"""

from __future__ import annotations

from datetime import date, timedelta
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
                    "available_at": pl.String,
                    "destination_node_id": pl.String,
                },
            )
            for f in files
        ]
    )
    backorders = pl.read_csv(run_dir / "backorders.csv", schema_overrides={"order_id": pl.String})
    return rows, backorders


def check_outbox(
    inbox: dict[str, pl.DataFrame], run_dir: Path, max_parcels: int, wave_day: date
) -> list[str]:
    """Rule breaks found; empty when the outbox honours every input. ``wave_day``: the
    wave's business day (supply ships on the day it arrives, at the earliest the next)."""
    rows, backorders = read_outbox(run_dir)
    rows = rows.with_columns(pl.col("available_at").str.to_datetime(time_zone="UTC", strict=False))
    everything = rows.filter(pl.col("fulfillment_method").is_in(FILLS))
    fills = everything.filter(pl.col("available_at").is_null())  # from stock on hand
    problems: list[str] = []
    orders = inbox["orders"]
    key = ["order_id", "line_no"]
    accounted = (
        orders.select(*key, "quantity")
        .join(everything.group_by(key).agg(filled=pl.col("quantity").sum()), on=key, how="left")
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
    problems += _supply_problems(
        inbox, newest, everything.filter(pl.col("available_at").is_not_null()), wave_day
    )
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
    parcels = (
        everything.filter(pl.col("fulfillment_method").is_in(SHIPS))
        .group_by("order_id")
        .agg(n=pl.col("parcel_id").n_unique())
    )
    if parcels.filter(pl.col("n") > max_parcels).height:
        problems.append("parcel limit exceeded")
    lines = everything.join(orders.select(*key, "customer_id", "channel"), on=key)
    for rule in inbox["exclusions"].iter_rows(named=True):
        hit = lines.filter(pl.col("node_id") == rule["node_id"])
        for field in ("sku", "customer_id", "channel"):
            if rule[field] is not None:
                hit = hit.filter(pl.col(field) == rule[field])
        if hit.height:
            problems.append(f"exclusion {rule} broken by {hit.height} rows")
    receive = rows.filter(pl.col("fulfillment_method") == "receive_for_pickup")
    sent = everything.filter(pl.col("fulfillment_method") == "ship_to_store")
    if receive.height != sent.height or set(receive["parcel_id"]) != set(sent["parcel_id"]):
        problems.append("ship-to-store parcels and receive_for_pickup rows disagree")
    problems += _destination_problems(rows, orders)
    cents = rows.filter(
        (pl.col("parcel_cost") * 100 - (pl.col("parcel_cost") * 100).round()).abs() > 1e-6
    )
    if cents.height:
        problems.append(f"{cents.height} CSV rows with parcel_cost not in whole cents")
    return problems


def _destination_problems(rows: pl.DataFrame, orders: pl.DataFrame) -> list[str]:
    """Every row names the pickup store its units end at: a ship-to-store parcel the order's
    pickup store, a pickup or a receipt the store itself; home deliveries none."""
    key = ["order_id", "line_no"]
    lines = rows.filter(pl.col("fulfillment_method") != "cancel").join(
        orders.unique(key, keep="last").select(*key, "pickup_node_id"), on=key, how="left"
    )
    method, destination = pl.col("fulfillment_method"), pl.col("destination_node_id")
    expected = (
        pl.when(method == "ship_to_store")
        .then(pl.col("pickup_node_id"))
        .when(method.is_in(["pickup_in_store", "receive_for_pickup"]))
        .then(pl.col("node_id"))
    )
    wrong = lines.filter(~destination.eq_missing(expected))
    problems = []
    for m in sorted(set(wrong["fulfillment_method"])):
        n = wrong.filter(method == m).height
        problems.append(f"{n} {m} rows with the wrong destination_node_id")
    stores = lines.filter(
        method == "receive_for_pickup", pl.col("node_id") != pl.col("pickup_node_id")
    )
    if stores.height:
        problems.append(
            f"{stores.height} receive_for_pickup rows at a store that is not the pickup store"
        )
    return problems


def _supply_problems(
    inbox: dict[str, pl.DataFrame], newest: pl.DataFrame, supplied: pl.DataFrame, wave_day: date
) -> list[str]:
    """Fills from supply: no more per node x sku than the supply no snapshot covers yet,
    each waiting for an ETA that supply has, and per node and ship day within capacity."""
    if supplied.is_empty():
        return []
    supply = inbox.get("supply")
    if supply is None:
        return [f"{supplied.height} rows wait for supply nobody announced"]
    snapshots = newest.select("node_id", "sku", "snapshot_at")
    counted = (
        supply.filter(pl.col("quantity") > 0)
        .join(snapshots, on=["node_id", "sku"], how="left")
        .filter(pl.col("snapshot_at").is_null() | (pl.col("snapshot_at") < pl.col("expected_at")))
    )
    problems = []
    coming = counted.group_by("node_id", "sku").agg(coming=pl.col("quantity").sum())
    taken = supplied.group_by("node_id", "sku").agg(pl.col("quantity").sum())
    over = taken.join(coming, on=["node_id", "sku"], how="left").filter(
        pl.col("quantity") > pl.col("coming").fill_null(0)
    )
    if over.height:
        problems.append(f"{over.height} node x sku above the supply on its way")
    etas = counted.select("node_id", "sku", available_at="expected_at").unique()
    unknown = supplied.join(etas, on=["node_id", "sku", "available_at"], how="anti")
    if unknown.height:
        problems.append(f"{unknown.height} rows wait for an ETA no supply has")
    earliest = pl.lit(wave_day + timedelta(days=1))
    day_load = (
        supplied.filter(pl.col("fulfillment_method").is_in(SHIPS))
        .with_columns(day=pl.max_horizontal(pl.col("available_at").dt.date(), earliest))
        .group_by("node_id", "day")
        .agg(units=pl.col("quantity").sum())
        .join(inbox["nodes"], on="node_id")
    )
    if day_load.filter(pl.col("units") > pl.col("ship_capacity_units")).height:
        problems.append("unit capacity of a supply day exceeded")
    return problems
