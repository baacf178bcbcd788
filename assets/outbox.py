"""Instruct: each node's work and the backorders, written atomically to the partner outbox."""

from pathlib import Path

import dagster as dg
import polars as pl

from assets.resources import OutboxResource, WarehouseResource
from contracts.vocabulary import PlanMethod
from fulfillment.outbox import write_backorders, write_instructions
from reporting.markdown import markdown_table
from warehouse.plans import load_inputs, load_plan, plan_run_id


def _plan_of_this_run(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """The plan this run made (or, materialized alone, the newest plan) and its inputs."""
    with warehouse.connect() as con:
        run_id = plan_run_id(con, context.run.run_id)
        return run_id, load_plan(con, run_id, PlanMethod.OPTIMIZER), load_inputs(con)


@dg.asset(
    group_name="instruct",
    kinds={"csv", "parquet"},
    deps=["allocation_plan"],
    description=(
        "outbox/<run_id>/instructions/<node_id>.csv and .parquet: what each node ships, picks "
        "or receives for pickup, with parcel ids, cost shares and expected delivery days."
    ),
)
def fulfillment_instructions(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, outbox: OutboxResource
) -> dg.MaterializeResult:
    run_id, plan, inputs = _plan_of_this_run(context, warehouse)
    manifest = write_instructions(Path(outbox.path), run_id, plan, inputs.products)
    per_node = pl.DataFrame(
        sorted(manifest.rows_by_node().items()), schema=["node_id", "rows"], orient="row"
    ).sort("rows", descending=True)
    return dg.MaterializeResult(
        metadata={
            **manifest.as_metadata(),
            "dagster/row_count": int(per_node["rows"].sum()),
            "folder": dg.MetadataValue.path(str(manifest.run_dir / "instructions")),
            "rows_by_node": dg.MetadataValue.md(markdown_table(per_node)),
        }
    )


@dg.asset(
    group_name="instruct",
    kinds={"csv"},
    deps=["allocation_plan"],
    description="outbox/<run_id>/backorders.csv: units no node could fill, with the reason.",
)
def backorders(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, outbox: OutboxResource
) -> dg.MaterializeResult:
    run_id, plan, _ = _plan_of_this_run(context, warehouse)
    manifest = write_backorders(Path(outbox.path), run_id, plan)
    by_reason = (
        plan.backorders.group_by("reason")
        .agg(lines=pl.len(), units=pl.col("quantity").sum())
        .sort("units", "reason", descending=[True, False])
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": plan.backorders.height,
            "units_backordered": int(plan.backorders["quantity"].sum()),
            "path": dg.MetadataValue.path(str(manifest.files[0].path)),
            "by_reason": dg.MetadataValue.md(markdown_table(by_reason)),
        }
    )
