"""Available to promise per node x sku, from the newest stock snapshot."""

import dagster as dg
import polars as pl

from assets.resources import WarehouseResource
from contracts.atp import available_to_promise as compute_atp
from contracts.tables import ATP_SCHEMA
from warehouse.schema import ATP_TABLE
from warehouse.staging import load_staging, replace_table


@dg.asset(
    group_name="inventory",
    kinds={"duckdb", "polars"},
    deps=["staging_stock"],
    description=(
        "staging.available_to_promise: per node and sku, max(0, on_hand - reserved - "
        "safety_stock) of the newest snapshot. What the allocation may take."
    ),
)
def available_to_promise(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Recomputed whole from staging.stock each run (cheap, and never stale)."""
    with warehouse.connect() as con:
        atp = compute_atp(load_staging(con, "stock"))
        replace_table(con, ATP_TABLE, atp)
    units = pl.col("available_to_promise")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": atp.height,
            "nodes": atp["node_id"].n_unique(),
            "skus": atp["sku"].n_unique(),
            "units_available": int(atp.select(units.sum()).item() or 0),
            "pairs_with_zero_atp": atp.filter(units == 0).height,
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(n, str(t)) for n, t in ATP_SCHEMA.items()]
            ),
        }
    )
