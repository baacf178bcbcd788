"""Validate: each kind's pending files checked against the contract into staging.<kind>.

Reference kinds (nodes, products) come first, so unknown sku / node rules see this run's
reference files too. Checks beside each asset: the ledger balances (rows read = accepted +
rejected + duplicates, matching raw and quarantine) and the staging table keeps its promises.
Both block downstream assets when they fail: allocation never runs on unbalanced books.
"""

from typing import Any

import dagster as dg
import polars as pl

from assets.metadata import table
from assets.resources import WarehouseResource
from contracts.tables import STAGING_SCHEMAS
from contracts.validation import staging_violations
from warehouse.ingest import StageOutcome, ledger_discrepancies, stage_kind
from warehouse.staging import load_staging

LEDGER_RECONCILES = "ledger_reconciles"
STAGING_CONFORMS = "staging_conforms"
REFERENCE_ASSETS = ["staging_nodes", "staging_products"]


def _staging_asset(kind: str, deps: list[str]) -> dg.AssetsDefinition:
    name = f"staging_{kind}"

    @dg.asset(
        name=name,
        group_name="validate",
        kinds={"duckdb", "pandera"},
        deps=["partner_files", *deps],
        description=(
            f"Valid {kind} rows, last version per key, in staging.{kind}; rejected rows with "
            "every reason in quarantine.rejected_rows."
        ),
        check_specs=[
            dg.AssetCheckSpec(
                LEDGER_RECONCILES,
                asset=name,
                blocking=True,
                description="Every row read is accepted, rejected or a duplicate, per file.",
            ),
            dg.AssetCheckSpec(
                STAGING_CONFORMS,
                asset=name,
                blocking=True,
                description="The staging table meets its Pandera schema (types, ranges, keys).",
            ),
        ],
    )
    def staging(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            outcome = stage_kind(con, kind, context.run.run_id)
            discrepancies = ledger_discrepancies(con, kind)
            violations = staging_violations(kind, load_staging(con, kind))
        context.log.info(
            f"{kind}: {len(outcome.results)} file(s), {outcome.total('rows_accepted')} accepted, "
            f"{outcome.total('rows_rejected')} rejected, {outcome.total('duplicates')} duplicates"
        )
        return dg.MaterializeResult(
            metadata=_metadata(kind, outcome),
            check_results=[
                dg.AssetCheckResult(
                    check_name=LEDGER_RECONCILES,
                    passed=discrepancies.is_empty(),
                    metadata={"unbalanced_files": table(discrepancies)},
                ),
                dg.AssetCheckResult(
                    check_name=STAGING_CONFORMS,
                    passed=violations.is_empty(),
                    metadata={"violations": table(violations)},
                ),
            ],
        )

    return staging


def _metadata(kind: str, outcome: StageOutcome) -> dict[str, Any]:
    """Counts of this run, the files, the first rejects, rules broken, the table's columns."""
    problems = pl.concat([r.problems for r in outcome.results]) if outcome.results else None
    files = pl.DataFrame(
        [
            (r.source_file, r.rows_read, r.rows_accepted, r.rows_rejected, r.duplicates, r.amended)
            for r in outcome.results
        ],
        schema=["file", "read", "accepted", "rejected", "duplicates", "amended"],
        orient="row",
    )
    rules = (
        problems.group_by("column", "rule").len("rows").sort("rows", descending=True)
        if problems is not None
        else pl.DataFrame()
    )
    return {
        "dagster/row_count": outcome.staging_rows,
        "files_validated": len(outcome.results),
        "rows_read": outcome.total("rows_read"),
        "rows_accepted": outcome.total("rows_accepted"),
        "rows_rejected": outcome.total("rows_rejected"),
        "rows_duplicate": outcome.total("duplicates"),
        "rows_amended": outcome.total("amended"),
        "files": table(files),
        "rejects": table(problems if problems is not None else pl.DataFrame(), limit=20),
        "rules_broken": table(rules),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(n, str(t)) for n, t in STAGING_SCHEMAS[kind].items()]
        ),
    }


staging_nodes = _staging_asset("nodes", [])
staging_products = _staging_asset("products", [])
staging_rates = _staging_asset("rates", [])
staging_stock = _staging_asset("stock", REFERENCE_ASSETS)
staging_supply = _staging_asset("supply", REFERENCE_ASSETS)
staging_lanes = _staging_asset("lanes", ["staging_nodes"])
staging_exclusions = _staging_asset("exclusions", ["staging_nodes"])
staging_orders = _staging_asset("orders", REFERENCE_ASSETS)
# Partner feedback: checked against the contract here, against the order book when a wave
# applies it (allocation_plan), after the orders of the same wave.
staging_shipments = _staging_asset("shipments", ["staging_nodes", "staging_orders"])
staging_rejections = _staging_asset("rejections", ["staging_nodes", "staging_orders"])
staging_cancellations = _staging_asset("cancellations", ["staging_orders"])
# Returns feed the BORIS estimate (they add no stock: the next snapshot does).
staging_returns = _staging_asset("returns", ["staging_nodes", "staging_orders"])
