"""Instruct: the wave's outbox folder, written whole from the warehouse once it committed."""

from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from assets.resources import OutboxResource, WarehouseResource
from contracts.faults import crash_point
from fulfillment.outbox import clear_partials, is_published, point_latest
from reporting.markdown import markdown_table
from warehouse.book import published_waves
from warehouse.outbox import write_wave_folder
from warehouse.plans import plan_run_id


@dg.asset(
    group_name="instruct",
    kinds={"csv", "parquet"},
    deps=["allocation_plan"],
    description=(
        "outbox/<run_id>/: what each node fills, receives for pickup or must stop (cancel), the "
        "still-open backorders, one intake reply per partner file, and _SUCCESS last; "
        "outbox/LATEST names the newest wave. Written whole from the warehouse right after the "
        "wave committed (it waits for no report or mart); a committed wave whose folder is "
        "missing is written again."
    ),
)
def wave_outbox(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, outbox: OutboxResource
) -> dg.MaterializeResult:
    folder = Path(outbox.path)
    folder.mkdir(parents=True, exist_ok=True)
    cleared = clear_partials(folder)
    with warehouse.connect() as con:
        waves = published_waves(con)
        run_id = plan_run_id(con, context.run.run_id)
        repaired = [w for w in waves if w != run_id and not is_published(folder, w)]
        for wave in repaired:
            write_wave_folder(con, folder, wave)
        if run_id not in waves:  # a dry run publishes nothing
            return dg.MaterializeResult(metadata={"kind": "scenario", "written": False})
        manifest = write_wave_folder(con, folder, run_id)
    crash_point("outbox.before_latest")
    if waves:
        point_latest(folder, waves[-1])
    if repaired or cleared:
        context.log.warning(f"wrote again the folders of waves {repaired} (partials: {cleared})")
    return dg.MaterializeResult(metadata=_metadata(manifest, repaired))


def _metadata(manifest, repaired: list[str]) -> dict[str, Any]:
    files = manifest.to_frame()
    per_node = (
        files.filter(pl.col("kind") == "instructions_csv")
        .select("node_id", "rows")
        .sort("rows", "node_id", descending=[True, False])
    )
    return {
        **manifest.as_metadata(),
        "dagster/row_count": int(per_node["rows"].sum() or 0),
        "folder": dg.MetadataValue.path(str(manifest.run_dir)),
        "rows_by_node": dg.MetadataValue.md(markdown_table(per_node)),
        "repaired_waves": ", ".join(repaired) or "none",
    }
