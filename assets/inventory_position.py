"""marts.inventory_position and marts.daily_utilization: where stock, supply, commitments and
demand stand after the wave, and how full each node's days are."""

import dagster as dg
import polars as pl

from assets.metadata import table
from assets.resources import WarehouseResource
from orderbook.position import position_breaks
from warehouse.plans import plan_run_id
from warehouse.position import compute_position, store_position

POSITION_RECONCILES = "inventory_position_reconciles"


@dg.asset(
    group_name="marts",
    kinds={"duckdb"},
    deps=["allocation_plan"],
    description="marts.inventory_position per node x sku after the wave: on hand, reserved, "
    "safety stock, committed, rejected since the snapshot, available to promise, in transit, "
    "on order, the part of that supply promised and still free, open instructions and the "
    "open demand the node could serve. marts.daily_utilization: per node and business day, "
    "units and orders shipped and pickup orders against the daily capacities.",
    check_specs=[
        dg.AssetCheckSpec(
            POSITION_RECONCILES,
            asset="inventory_position",
            description="ATP = on hand − reserved − safety stock − committed − rejected since "
            "(at least 0); open instructions are all committed against stock or supply; no "
            "more supply is free than is on its way unpromised.",
        )
    ],
)
def inventory_position(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        run_id = plan_run_id(con, context.run.run_id)
        position, days = compute_position(con, run_id)
        store_position(con, run_id, position, days)
    broken = position_breaks(position)
    totals = position.select(pl.selectors.integer().sum())
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": position.height,
            "totals": table(totals),
            "busiest_node_days": table(
                days.sort("unit_utilization", descending=True, nulls_last=True), limit=10
            ),
        }
    )
    yield dg.AssetCheckResult(
        check_name=POSITION_RECONCILES,
        passed=broken.is_empty(),
        metadata={"rows": position.height, "broken": table(broken)},
    )
