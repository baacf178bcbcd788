"""Run omniroute on the Brunel supply-chain dataset (Kalganova & Dzalbs 2019, DOI
10.17633/rd.brunel.7558679): convert the seven CSVs into the partner-contract v1 shapes,
optionally write them as an inbox, and allocate with the real optimizer.

    uv run python benchmarks/realdata_brunel.py [--data DIR] [--limit N] [--time-limit S]
                                                [--inbox DIR]

Mapping and assumptions: docs/realdata.md.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from contracts.atp import available_to_promise
from contracts.fields import MAX_UNITS
from contracts.tables import STAGING_SCHEMAS, empty_frame
from optimizers import allocate
from optimizers.settings import AllocationSettings
from optimizers.types import AllocationInputs

# shared/ lies beside the project root (see the design); --data overrides.
DATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "brunel"
ZONE = "PORT09"  # every order's destination port
UNIT_PRICE = 1000.0  # not in the data: high so that a backorder is the last resort
BIG = MAX_UNITS  # "no limit" for unit capacity: the contract's largest
SERVICE = {"DTD": "express", "DTP": "standard", "CRF": "standard"}


def _shape(df: pl.DataFrame, kind: str) -> pl.DataFrame:
    schema = STAGING_SCHEMAS[kind]
    return df.select([pl.col(c).cast(t) for c, t in schema.items()])


def load(data: Path, limit: int | None) -> dict[str, pl.DataFrame]:
    orders_raw = pl.read_csv(data / "OrderList.csv", infer_schema_length=0)
    orders_raw = orders_raw.with_columns(
        pl.col("Unit quantity").cast(pl.Int64), pl.col("Weight").cast(pl.Float64)
    )
    if limit:
        orders_raw = orders_raw.head(limit)
    caps = pl.read_csv(data / "WhCapacities.csv", infer_schema_length=0)
    caps = caps.rename({caps.columns[0]: "node_id", caps.columns[1]: "cap"})
    costs = pl.read_csv(data / "WhCosts.csv", infer_schema_length=0).rename(
        {"WH": "node_id", "Cost/unit": "cpu"}
    )
    ppp = pl.read_csv(data / "ProductsPerPlant.csv", infer_schema_length=0).rename(
        {"Plant Code": "node_id", "Product ID": "sku"}
    )
    vmi = pl.read_csv(data / "VmiCustomers.csv", infer_schema_length=0).rename(
        {"Plant Code": "node_id", "Customers": "customer_id"}
    )
    ports = pl.read_csv(data / "PlantPorts.csv", infer_schema_length=0).rename(
        {"Plant Code": "node_id", "Port": "port"}
    )
    fr = pl.read_csv(data / "FreightRates.csv", infer_schema_length=0).select(
        pl.col("Carrier").alias("carrier"),
        pl.col("orig_port_cd").alias("port"),
        pl.col("dest_port_cd").alias("dest"),
        pl.col("svc_cd").alias("svc"),
        pl.col("mode_dsc").str.strip_chars().alias("mode"),
        pl.col("minm_wgh_qty").cast(pl.Float64).alias("wmin"),
        pl.col("max_wgh_qty").cast(pl.Float64).alias("wmax"),
        pl.col("minimum cost").cast(pl.Float64).alias("min_cost"),
        pl.col("rate").cast(pl.Float64).alias("rate"),
        pl.col("tpt_day_cnt").cast(pl.Int64).alias("days"),
    )

    # nodes: the plants
    nodes = caps.join(costs, on="node_id", how="left").select(
        "node_id",
        pl.lit("dc").alias("node_type"),
        pl.col("node_id").alias("name"),
        pl.lit(0.0).alias("latitude"),
        pl.lit(0.0).alias("longitude"),
        pl.lit(BIG).alias("ship_capacity_units"),
        pl.col("cap").cast(pl.Int64).alias("ship_capacity_orders"),
        pl.lit(True).alias("supports_ship"),
        pl.lit(False).alias("supports_pickup"),
        pl.lit(0.0).alias("handling_cost_per_order"),
        pl.col("cpu").cast(pl.Float64).fill_null(0.0).alias("handling_cost_per_unit"),
        pl.lit(0).alias("processing_days"),
    )

    # products: weight per unit from the orders (sum weight / sum units); cost unknown -> 0
    all_orders = pl.read_csv(data / "OrderList.csv", infer_schema_length=0).with_columns(
        pl.col("Unit quantity").cast(pl.Int64), pl.col("Weight").cast(pl.Float64)
    )
    products = (
        all_orders.group_by("Product ID")
        .agg(
            (pl.col("Weight").sum() / pl.col("Unit quantity").sum()).alias("weight_kg"),
            pl.col("Unit quantity").sum().alias("demand"),
        )
        .rename({"Product ID": "sku"})
    )
    extra = ppp.select("sku").unique().join(products, on="sku", how="anti")
    products = pl.concat(
        [
            products,
            extra.with_columns(
                pl.lit(None, pl.Float64).alias("weight_kg"), pl.lit(1, pl.Int64).alias("demand")
            ),
        ]
    ).with_columns(
        # two orders carry weight 0: keep the contract's weight > 0 with a tiny floor
        pl.col("weight_kg").fill_null(1e-6).clip(lower_bound=1e-6),
        pl.col("sku").alias("name"),
        pl.lit(0.0).alias("unit_cost"),
    )

    # stock: ample on hand (the product's total demand) wherever ProductsPerPlant allows
    snap = datetime(2013, 5, 26, tzinfo=UTC)
    # (one ProductsPerPlant row names "CND9", which is not a plant in WhCapacities: dropped)
    stock = (
        ppp.unique()
        .filter(pl.col("node_id").is_in(nodes["node_id"].implode()))
        .join(products.select("sku", "demand"), on="sku")
        .select(
            "node_id",
            "sku",
            pl.col("demand").alias("on_hand"),
            pl.lit(0).alias("reserved"),
            pl.lit(0).alias("safety_stock"),
            pl.lit(snap).alias("snapshot_at"),
        )
    )

    # orders: one order per OrderList row
    orders = orders_raw.select(
        pl.col("Order ID").alias("order_id"),
        pl.lit(1).alias("line_no"),
        pl.lit("web").alias("channel"),
        pl.col("Order Date")
        .str.to_datetime("%Y-%m-%d")
        .dt.replace_time_zone("UTC")
        .alias("ordered_at"),
        pl.col("Customer").alias("customer_id"),
        pl.lit(None, pl.String).alias("customer_email"),
        pl.col("Product ID").alias("sku"),
        pl.col("Unit quantity").alias("quantity"),
        pl.lit(UNIT_PRICE).alias("unit_price"),
        pl.lit("ship").alias("fulfillment_method"),
        pl.lit(None, pl.String).alias("pickup_node_id"),
        pl.col("Service Level").replace_strict(SERVICE).alias("service_level"),
        pl.lit(None, pl.Float64).alias("ship_to_latitude"),
        pl.lit(None, pl.Float64).alias("ship_to_longitude"),
        pl.lit(None, pl.String).alias("ship_to_postal_code"),
        pl.lit(None, pl.String).alias("ship_to_country"),
        pl.col("Destination Port").alias("ship_to_zone"),
        pl.lit(None, pl.Int64).alias("promised_days"),
    )

    # lanes: cheapest carrier/mode per (plant, zone, service), priced at the median order
    # weight inside that row's weight band (bands approximated by one linear price)
    w_med = float(all_orders["Weight"].median())
    fr = fr.filter(pl.col("dest") == ZONE).with_columns(
        (pl.col("min_cost") + pl.col("rate") * w_med).alias("score"),
        ((pl.col("wmin") <= w_med) & (pl.col("wmax") >= w_med)).alias("in_band"),
    )
    lanes = (
        ports.join(fr, on="port")
        .with_columns(pl.col("svc").replace_strict(SERVICE).alias("service_level"))
        .sort(
            ["node_id", "service_level", "in_band", "score"], descending=[False, False, True, False]
        )
        .group_by("node_id", "service_level", maintain_order=True)
        .first()
        .select(
            "node_id",
            pl.lit(ZONE).alias("ship_to_zone"),
            "service_level",
            pl.col("min_cost").alias("cost_per_package"),
            pl.col("rate").alias("cost_per_kg"),
            pl.col("days").alias("transit_days"),
        )
    )

    # exclusions: a VMI plant may serve only its listed customers
    customers = orders["customer_id"].unique()
    excl = [
        {
            "node_id": plant,
            "sku": None,
            "customer_id": c,
            "channel": None,
            "reason": "vmi_plant_not_listed",
        }
        for plant, listed in vmi.group_by("node_id").agg("customer_id").iter_rows()
        for c in customers
        if c not in set(listed)
    ]
    exclusions = (
        pl.DataFrame(excl, schema=STAGING_SCHEMAS["exclusions"])
        if excl
        else (empty_frame("exclusions"))
    )

    return {
        "nodes": _shape(nodes, "nodes"),
        "products": _shape(products, "products"),
        "stock": _shape(stock, "stock"),
        "orders": _shape(orders, "orders"),
        "lanes": _shape(lanes, "lanes"),
        "exclusions": _shape(exclusions, "exclusions"),
        "rates": empty_frame("rates"),
    }


def write_inbox(frames: dict[str, pl.DataFrame], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for kind, df in frames.items():
        if kind == "rates":
            continue
        df.with_columns(
            [
                pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
                for c, t in df.schema.items()
                if isinstance(t, pl.Datetime)
            ]
        ).write_csv(out / f"{kind}.csv")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--limit", type=int, default=0, help="first N order lines only")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--inbox", type=Path, default=None, help="also write the inbox CSVs here")
    a = ap.parse_args()

    f = load(a.data, a.limit or None)
    if a.inbox:
        write_inbox(f, a.inbox)
        print(f"inbox written to {a.inbox}")
    inputs = AllocationInputs.from_frames(f, available_to_promise(f["stock"]))
    settings = AllocationSettings(time_limit_s=a.time_limit)
    t0 = time.perf_counter()
    res = allocate(inputs, settings)
    secs = time.perf_counter() - t0
    s, b = res.stats, res.baseline
    base_obj = b.stats.objective if b else float("nan")
    print(
        f"lines={f['orders'].height} nodes={f['nodes'].height} lanes={f['lanes'].height} "
        f"exclusions={f['exclusions'].height}"
    )
    print(f"status={s.status} objective={s.objective:,.2f} bound={s.best_bound} gap={s.gap}")
    print(
        f"baseline objective={base_obj:,.2f} "
        f"savings={100 * (base_obj - s.objective) / base_obj:.2f}%"
    )
    for name, r in (("optimizer", res), ("baseline", b)):
        if r is None:
            continue
        t = r.objective_terms
        print(
            f"{name}: units allocated={t.get('units_allocated', 0):,.0f} "
            f"backordered={t.get('units_backordered', 0):,.0f} "
            f"parcel_cost={t.get('parcel_cost', 0):,.2f} "
            f"handling_cost={t.get('handling_cost', 0):,.2f} "
            f"backorder_cost={t.get('backorder_cost', 0):,.2f}"
        )
    print(f"allocation seconds={secs:.1f} (solver {s.seconds:.1f}, build {s.build_seconds:.1f})")
    bo = res.backorders
    if bo.height:
        print("backorder lines by reason:", dict(bo.group_by("reason").agg(pl.len()).iter_rows()))
    per = (
        res.allocations.group_by("node_id")
        .agg(pl.col("order_id").n_unique().alias("orders"))
        .join(f["nodes"].select("node_id", "ship_capacity_orders"), on="node_id", how="right")
        .with_columns(pl.col("orders").fill_null(0))
        .sort("node_id")
    )
    hist = (
        f["orders"]
        .join(
            pl.read_csv(a.data / "OrderList.csv", infer_schema_length=0).select(
                pl.col("Order ID").alias("order_id"), pl.col("Plant Code").alias("node_id")
            ),
            on="order_id",
        )
        .group_by("node_id")
        .agg(pl.len().alias("historical"))
    )
    per = per.join(hist, on="node_id", how="left").with_columns(pl.col("historical").fill_null(0))
    print("per-plant orders (plan / capacity / historical):")
    for node, n, cap, h in per.select(
        "node_id", "orders", "ship_capacity_orders", "historical"
    ).iter_rows():
        print(f"  {node}: {n} / {cap} / {h}")
    served = res.allocations["order_id"].n_unique()
    print(
        f"orders served={served:,} of {f['orders'].height:,} "
        f"(baseline {b.allocations['order_id'].n_unique() if b else 0:,})"
    )


if __name__ == "__main__":
    main()
