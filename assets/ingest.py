"""Ingest: every new file in the partner inbox into the ledger and the raw tables."""

from pathlib import Path

import dagster as dg
import polars as pl

from assets.metadata import table
from assets.resources import InboxResource, WarehouseResource
from warehouse.ingest import QUARANTINE_FOLDER, ingest_inbox

FILES_READABLE = "inbox_files_readable"


@dg.asset(
    group_name="ingest",
    kinds={"duckdb"},
    description=(
        "Every new partner file (by sha256) recorded in raw.file_ledger, its records in "
        "raw.<kind> with file and row number; unreadable files kept whole in quarantine."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            FILES_READABLE,
            asset="partner_files",
            description=(
                "Warns when a new inbox file is refused at the boundary, unreadable or of an "
                "unknown kind."
            ),
        )
    ],
)
def partner_files(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, inbox: InboxResource
) -> dg.MaterializeResult:
    """Scan the inbox once; a file already in the ledger (same sha256) is skipped."""
    quarantine = Path(warehouse.path).parent / QUARANTINE_FOLDER
    with warehouse.connect() as con:
        scan = ingest_inbox(con, Path(inbox.path), quarantine, context.run.run_id, inbox.rules())
    files = pl.DataFrame(
        [(f.name, f.kind, f.status, f.rows_read, f.message) for f in scan.recorded],
        schema=["file", "kind", "status", "rows_read", "message"],
        orient="row",
    )
    troubled = files.filter(pl.col("status") != "pending")
    context.log.info(
        f"{len(scan.recorded)} new file(s), {len(scan.skipped)} already ingested, "
        f"{troubled.height} refused, unreadable or of unknown kind, "
        f"{len(scan.deferred)} still being written (left for the next run)"
    )
    deferred = pl.DataFrame(scan.deferred, schema=["file", "why"], orient="row")
    for name, why in scan.deferred:
        context.log.warning(f"{name}: {why}; a later run takes it")
    return dg.MaterializeResult(
        metadata={
            "new_files": len(scan.recorded),
            "skipped_already_ingested": len(scan.skipped),
            "unreadable": scan.count("unreadable"),
            "unknown_kind": scan.count("unknown_kind"),
            "refused": scan.count("refused"),
            "still_being_written": len(scan.deferred),
            "rows_read": int(files["rows_read"].sum() or 0),
            "files": table(files),
            "deferred_files": table(deferred),
            "inbox": dg.MetadataValue.path(inbox.path),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=FILES_READABLE,
                passed=troubled.is_empty(),
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"files": table(troubled)},
            )
        ],
    )
