"""What every table, view and column of the warehouse means, written into the file itself.

Analysts open the warehouse with any DuckDB client; ``COMMENT ON`` puts the meaning beside
each object, where ``duckdb_tables()``, ``duckdb_columns()``, ``.tables`` and ``DESCRIBE``
show it. The texts come from the definitions: the partner contract's fields
(``contracts.fields.CONTRACT``, their ``description``), the vocabulary's values, and for the
tables the product writes one glossary entry per column name (a table overrides one where
the name means something else there). ``describe_warehouse`` also creates the analysts'
views of the newest wave. It only writes what differs from the file's comments, so calling it
after every writing step costs three catalog queries once the file is described.
"""

from __future__ import annotations

import duckdb

from contracts.fields import CONTRACT, Field, range_parts
from contracts.kinds import KINDS
from contracts.vocabulary import (
    BackorderReason,
    Binding,
    FeedbackRule,
    FileStatus,
    InstructionMethod,
    IntakeStatus,
    LineEvent,
    LineState,
    Mode,
    PlanMethod,
    RunKind,
    RunStatus,
    Solver,
    values,
)
from warehouse.connection import quote, transaction
from warehouse.schema import LEDGER, REJECTED, UNREADABLE


def _one_of(*members: str) -> str:
    return "one of " + ", ".join(members)


MODES = _one_of(*values(*Mode), *values(*InstructionMethod))
WAVE = RunKind.WAVE.value
OPTIMIZER, BASELINE = PlanMethod.OPTIMIZER.value, PlanMethod.BASELINE.value

# ---- views: the newest wave, as analysts ask for it -------------------------------------

NEWEST_WAVE, NEWEST_KPIS = "marts.newest_wave", "marts.newest_kpis"
NEWEST_INSTRUCTIONS, NEWEST_EXPLANATIONS = "plan.newest_instructions", "plan.newest_explanations"
SCENARIO_COMPARISON = "marts.scenario_comparison"  # created by warehouse.outbox


class View:
    """A view the catalog keeps: its query, the tables it needs, what it shows."""

    def __init__(self, name: str, needs: tuple[str, ...], description: str, query: str) -> None:
        self.name, self.needs, self.description, self.query = name, needs, description, query


VIEWS: tuple[View, ...] = (
    View(
        NEWEST_WAVE,
        ("plan.runs",),
        "The newest published wave (one row): its optimizer plan's figures beside the "
        "rule-based baseline's, the units it moved, its feedback and settings. Filter other "
        "tables with run_id = (SELECT run_id FROM marts.newest_wave).",
        f"""
SELECT o.run_id, o.wave_at, o.published_at, o.status, o.solver, o.objective, o.best_bound,
       o.gap, o.plan_cost, b.objective AS baseline_objective, b.plan_cost AS baseline_cost,
       round(100 * (b.objective - o.objective) / nullif(b.objective, 0), 1) AS saved_pct,
       o.seconds, o.units_open_before, o.units_instructed, o.units_from_supply,
       o.units_awaiting_supply, o.units_cancelled, o.units_open_after, o.feedback,
       o.objective_terms, o.settings
FROM plan.runs o
LEFT JOIN plan.runs b ON b.run_id = o.run_id AND b.method = '{BASELINE}'
WHERE o.method = '{OPTIMIZER}' AND o.kind = '{WAVE}' AND o.published_at IS NOT NULL
ORDER BY o.published_at DESC, o.run_id DESC
LIMIT 1""",
    ),
    View(
        NEWEST_KPIS,
        ("plan.runs", "marts.kpis"),
        "The KPIs of the newest published wave (marts.kpis of marts.newest_wave's run).",
        f"""
SELECT k.run_id, k.kpi, k.value, k.unit
FROM marts.kpis k JOIN {NEWEST_WAVE} w USING (run_id)""",
    ),
    View(
        NEWEST_INSTRUCTIONS,
        ("plan.runs", "plan.instructions"),
        "What the newest published wave told the nodes (its rows of plan.instructions; empty "
        "when that wave had nothing new to instruct).",
        f"""
SELECT i.*
FROM plan.instructions i JOIN {NEWEST_WAVE} w USING (run_id)""",
    ),
    View(
        NEWEST_EXPLANATIONS,
        ("plan.runs", "plan.explanations"),
        "Why each order line was sourced where it was: per line, the optimizer's explanation "
        "rows from the newest published wave that planned that line (a later wave that did not "
        "plan the line does not hide them).",
        f"""
SELECT e.* EXCLUDE (method), r.published_at
FROM plan.explanations e
JOIN plan.runs r ON r.run_id = e.run_id AND r.method = e.method
WHERE e.method = '{OPTIMIZER}' AND r.kind = '{WAVE}' AND r.published_at IS NOT NULL
QUALIFY r.published_at = max(r.published_at) OVER (PARTITION BY e.order_id, e.line_no)""",
    ),
)

# ---- tables ------------------------------------------------------------------------------

_RAW_KIND = "Every {kind} record as written in the partner's {kind}* files (text, unparsed)"
_STAGING_KIND = "The valid {kind} rows, typed; the current version per contract key"
TABLES: dict[str, str] = {
    **{f"raw.{k}": _RAW_KIND.format(kind=k) for k in KINDS},
    **{f"staging.{k}": _STAGING_KIND.format(kind=k) for k in KINDS},
    LEDGER: "One row per partner file seen: its content hash, kind, header, row counts (read = "
    "accepted + rejected + duplicates), status and physical line counts.",
    "staging.available_to_promise": "Available to promise per node x sku from the newest stock "
    "snapshot: max(0, on_hand - reserved - safety_stock), before commitments.",
    REJECTED: "Partner rows that were rejected, as written (JSON), with every reason.",
    UNREADABLE: "Partner files that could not be read at all (copied whole to quarantine).",
    "plan.runs": "One row per run and method (optimizer | baseline): the solve's statistics, "
    "objective and bound, the wave's unit figures, settings (JSON). kind = wave | scenario; a "
    "wave counts once published_at is set.",
    "plan.allocations": "Per run and method, the units each node fills of each order line.",
    "plan.backorders": "Per run and method, the units of each line left unfilled, with why.",
    "plan.parcels": "Per run and method, every parcel the plan sends.",
    "plan.explanations": "Per run and method, why each line was sourced where it was (or not).",
    "plan.line_status": "The order book: one row per order line, always ordered = cancelled + "
    "shipped + instructed_open + open.",
    "plan.commitments": "One row per published instruction: units a node was told to fill and "
    "what became of them (shipped, rejected, cancelled, open).",
    "plan.line_events": 'Append-only history of every order line (quote the "at" column).',
    "plan.feedback": "What became of each partner feedback row (shipments, rejections, "
    "cancellations) a wave took in.",
    "plan.instructions": "Every outbox row a wave published (instructions/<node>.csv), cancels "
    "included.",
    "plan.intake": "The per-row acknowledgements a wave sent back for each partner file.",
    "plan.intake_files": "The per-file acknowledgements a wave sent back (intake/summary.csv).",
    "plan.inventory": "Per wave, per node x sku: the newest snapshot, commitments against it, "
    "ATP and the supply on its way.",
    "plan.node_capacity": "Per wave, each node's daily capacities left when it planned.",
    "plan.line_exclusions": "Per wave, the nodes a line could no longer use (a node rejected it).",
    "plan.parcels_sent": "Per wave, parcels each order had been sent by earlier waves.",
    "plan.supply": "Per wave, supply it could promise per node x sku x arrival, net of "
    "commitments.",
    "plan.supply_capacity": "Per wave, the capacities left on the later days supply ships on.",
    "marts.kpis": "Per run, one row per KPI of its optimizer plan (long form: kpi, value, unit).",
    "marts.reports": "Per run, the rendered KPI report (Markdown and HTML).",
    "marts.line_margins": "Per run, revenue, cost and gross margin of each allocated row.",
    "marts.benefit_estimates": "Per run, what ship-from-store, BOPIS and BORIS are worth: the "
    "wave re-solved with and without the capability, plus estimated extra margin.",
    "marts.inventory_position": "Per run, node x sku after the wave: stock, commitments, ATP, "
    "supply and open demand.",
    "marts.daily_utilization": "Per run, every node-day's units, orders and pickups against its "
    "capacities.",
    SCENARIO_COMPARISON: "Dry runs (scenarios) beside the published waves: objective, baseline, "
    "units and the main KPIs, one row per run.",
    **{v.name: v.description for v in VIEWS},
}

# ---- columns -----------------------------------------------------------------------------

# What a column name means wherever it appears (a table may override it below).
GLOSSARY: dict[str, str] = {
    # identity and lineage
    "run_id": "the Dagster run (a wave or a scenario) the row belongs to",
    "method": f"who made the plan: {_one_of(OPTIMIZER, BASELINE)}",
    "order_id": "the order",
    "line_no": "the line's number within its order",
    "sku": "the product",
    "node_id": "the fulfillment node (a DC or a store)",
    "source_file": "the partner file the row came from",
    "file_sha256": "sha256 of that file's content",
    "sha256": "sha256 of the partner file's content",
    "row_number": "the record's number in its file (1 = first record after the header)",
    "file_name": "the partner file's name",
    "line_number": "the physical line in the file where the record starts (CSV)",
    "line_count": "physical lines the record spans (CSV; more than 1 for quoted newlines)",
    "read_error": "what was wrong with the record as read (null = nothing)",
    "overflow": "values beyond the header's columns (JSON list; null = none)",
    "extra_fields": "partner columns outside the contract (JSON object)",
    "kind": "the partner file kind (orders, stock, ...)",
    # partner contract columns (the contract's own description wins when it has one)
    "node_type": "dc or store",
    "name": "display name",
    "latitude": "latitude in degrees",
    "longitude": "longitude in degrees",
    "ship_capacity_units": "units the node can ship per business day",
    "ship_capacity_orders": "orders the node can ship per business day (null = no limit)",
    "pickup_capacity_orders": "pickup (BOPIS) orders the store prepares per day (null = no limit)",
    "supports_ship": "whether the node ships parcels",
    "supports_pickup": "whether customers can pick up at the node",
    "handling_cost_per_order": "handling cost per order the node fills",
    "handling_cost_per_unit": "handling cost per unit the node fills",
    "processing_days": "days the node needs before a parcel leaves",
    "unit_cost": "cost of one unit of the product",
    "weight_kg": "weight in kilograms",
    "on_hand": "units physically at the node per the snapshot",
    "reserved": "units held for other purposes per the snapshot",
    "safety_stock": "units the node keeps back",
    "snapshot_at": "when the stock was counted",
    "supply_id": "the transfer or purchase order",
    "expected_at": "when the supply is expected at the node",
    "service_level": "standard or express",
    "max_distance_km": "the rate applies up to this distance",
    "cost_per_package": "carrier cost per parcel",
    "cost_per_kg": "carrier cost per kilogram",
    "transit_days": "carrier days in transit",
    "ship_to_zone": "the destination zone",
    "customer_id": "the customer",
    "channel": "sales channel: web, mobile, call_center, store or marketplace",
    "ordered_at": "when the order was placed",
    "customer_email": "the customer's e-mail",
    "quantity": "units",
    "unit_price": "price of one unit to the customer",
    "fulfillment_method": MODES,
    "pickup_node_id": "the store the customer picks up at (pickup lines)",
    "ship_to_latitude": "delivery latitude",
    "ship_to_longitude": "delivery longitude",
    "ship_to_postal_code": "delivery postal code",
    "ship_to_country": "delivery country",
    "promised_days": "delivery days promised to the customer (null = no promise)",
    "shipment_id": "the node's shipment",
    "shipped_at": "when the units left the node",
    "tracking_id": "the carrier's tracking number",
    "carrier": "the carrier",
    "rejected_at": "when the node rejected the units",
    "cancelled_at": "when the order or line was cancelled",
    "reason": "why (free text from the partner)",
    "return_id": "the return",
    "returned_at": "when the units came back",
    "return_channel": "in_store or mail",
    "resellable": "whether the returned units can be sold again",
    # plans
    "parcel_id": "the parcel the units travel in (null for pickup from the store's own stock)",
    "destination_node_id": "the pickup store the units end at (ship-to-store and pickup rows; "
    "null for home delivery)",
    "parcel_cost": "this row's weight share of its parcel's cost",
    "handling_cost": "handling cost of this row",
    "expected_delivery_days": "days until the customer has the units (supply waits included)",
    "available_at": "ETA of the supply the units are promised from (null = stock on hand)",
    "late_units": "units expected after promised_days",
    "destination": "'customer' or the pickup node id",
    "cost": "the parcel's cost",
    "delivery_days": "days until the parcel arrives",
    "units": "units in the parcel",
    "chosen_cost": "cost of the chosen source for this line",
    "alternative_node_id": "the cheapest node not chosen",
    "alternative_cost": "what that node would have cost",
    "explanation": "one sentence for planners: why this source",
    "binding": "what decided it: "
    + _one_of(*values(*Binding), *values(*BackorderReason)).removeprefix("one of "),
    "chosen_parcel_cost": "parcel part of chosen_cost",
    "chosen_handling_cost": "handling part of chosen_cost",
    "chosen_days_cost": "days_weight x unit-days part of chosen_cost",
    "chosen_late_cost": "late_penalty part of chosen_cost",
    "backordered": "units of the line left unfilled",
    # plan.runs
    "solver": _one_of(*values(*Solver)),
    "status": "the row's status",
    "objective": "objective value (minimized: parcels, handling, days, late and backorder "
    "penalties)",
    "best_bound": "proven lower bound on the objective",
    "gap": "relative gap between objective and best_bound",
    "seconds": "wall-clock seconds of the allocation",
    "build_seconds": "seconds building the model",
    "solve_seconds": "seconds solving",
    "extract_seconds": "seconds extracting the plan",
    "fell_back": "whether the solver gave no usable plan and the baseline was kept",
    "message": "human-readable message",
    "plan_cost": "cost of the plan: parcels and handling",
    "objective_terms": "the objective split into its terms (JSON object)",
    "settings": "the run's allocation settings (JSON; e.g. settings->>'mip_gap')",
    "created_at": "when the row was written",
    "wave_at": "the time the wave planned as of",
    "published_at": "when the wave committed (null: a scenario, or a wave that did not publish)",
    "units_open_before": "open units the wave planned",
    "units_instructed": "units the wave instructed",
    "units_from_supply": "units instructed from supply on its way",
    "units_awaiting_supply": "units backordered until supply beyond the horizon arrives",
    "units_cancelled": "open or instructed units the wave cancelled",
    "units_open_after": "units still open after the wave",
    "feedback": "units shipped, rejected and cancelled the wave applied (JSON object)",
    "saved_pct": "percent of the baseline's objective the optimizer saved",
    "baseline_objective": "the rule-based baseline's objective under the same weights",
    "baseline_cost": "the rule-based baseline's plan cost",
    # order book
    "ordered": "units ordered",
    "cancelled": "units cancelled",
    "shipped": "units shipped",
    "rejected": "units the node rejected",
    "instructed_open": "units instructed to a node and not yet shipped, rejected or cancelled",
    "open": "units not at any node",
    "state": "the line's state: " + _one_of(*values(*LineState)).removeprefix("one of "),
    "updated_at": "when the row last changed",
    "order_version": "source_file#row_number of the order line applied",
    "content_key": "digest of the line's content except its quantity",
    "instructed_at": "when the wave instructed the units",
    "business_day": "the business day (business_timezone) the units ship",
    "at": "when it happened",
    "event": _one_of(*values(*LineEvent)),
    "feedback_key": "the feedback row's contract key (a key applied before is refused)",
    "quantity_applied": "units of the row that changed the book",
    "rule": "the rule that refused the row (null = none)",
    "column": "the column concerned (null = the whole row)",
    "rows_read": "records read from the file",
    "rows_accepted": "records accepted",
    "rows_rejected": "records rejected (in quarantine.rejected_rows)",
    "rows_duplicate": "records repeating an earlier one",
    "committed": "units instructed at the node and not shipped by the snapshot, rejected or "
    "cancelled",
    "rejected_since": "units the node rejected after the snapshot",
    "available_to_promise": "units a wave may still promise",
    "in_transit": "supply in transit no snapshot covers yet",
    "on_order": "supply on purchase orders no snapshot covers yet",
    "supply_committed": "units promised from supply (open or shipped)",
    "supply_available": "supply a wave may still promise (any horizon)",
    "wait_days": "whole days from the wave to the day the supply can ship (at least 1)",
    "parcels": "parcels already sent for the order",
    # marts
    "kpi": "the KPI's name (reporting.kpis; backordered_units.<reason> per reason)",
    "value": "the KPI's value",
    "unit": "the value's unit (ratio = fraction in [0, 1])",
    "markdown": "the report in Markdown",
    "page": "the report's file name without extension, in the run's outbox folder",
    "currency": "the currency the report's money figures are in",
    "cheapest_node_id": "uneconomic units: the cheapest node that could still fill them",
    "fill_cost": "uneconomic units: what filling them there would cost (objective terms)",
    "penalty": "uneconomic units: their backorder penalty (cheaper than fill_cost)",
    "html": "the report as one self-contained HTML page",
    "revenue": "quantity x unit_price",
    "cost_of_goods": "quantity x unit_cost",
    "gross_margin": "revenue - cost_of_goods - parcel_cost - handling_cost",
    "capability": "ship_from_store, bopis or boris",
    "objective_with": "objective with the capability",
    "objective_without": "objective without it",
    "plan_cost_with": "plan cost with the capability",
    "plan_cost_without": "plan cost without it",
    "gross_margin_with": "gross margin with the capability",
    "gross_margin_without": "gross margin without it",
    "deferred_margin_with": "margin of awaiting_supply units (a sale delayed) with it",
    "deferred_margin_without": "margin of awaiting_supply units without it",
    "units_filled_with": "units filled with the capability",
    "units_filled_without": "units filled without it",
    "units_filled_delta": "units_filled_with - units_filled_without",
    "plan_margin_delta": "measured: (gross + deferred margin) with - without",
    "extra_margin": "estimated: attach sales (BOPIS), BORIS resale (returns data or assumed)",
    "incremental_gross_margin": "plan_margin_delta + extra_margin",
    "status_with": "solve status with the capability",
    "status_without": "solve status without it",
    "return_rate": "share of home-delivered units returned",
    "return_rate_source": "data or assumption",
    "in_store_share": "share of returns brought to a store",
    "in_store_share_source": "data or assumption",
    "resale_rate": "share of returned units sold again",
    "resale_rate_source": "data or assumption",
    "returned_units": "returned units the rates were measured on",
    "assumptions": "the business assumptions used (JSON object)",
    "open_demand": "open units of the lines this node could fill, stock aside",
    "units_shipped": "units the node ships that day",
    "unit_utilization": "units_shipped / ship_capacity_units",
    "orders_shipped": "orders the node ships that day",
    "pickup_orders": "pickup orders the store prepares that day",
    "fill_rate_units": "units allocated / units ordered of the lines planned",
    "on_time_rate": "share of allocated units expected within promised_days",
    "cost_per_order": "plan cost per order planned",
    # ledger and quarantine
    "columns": "the file's header, normalized",
    "rows_amended": "records that replaced an earlier version of their key",
    "ingested_at": "when the file was recorded",
    "validated_at": "when its rows were validated",
    "duplicate_rows": "row numbers repeating an earlier record",
    "lines_read": "physical lines in the file (CSV)",
    "lines_outside_records": "physical lines no record accounts for (header, blank lines)",
    "record": "the record as written (JSON object of its columns)",
    "reasons": "every reason it was rejected: column, rule, message",
    "quarantined_at": "when it went to quarantine",
    "quarantined_path": "where the file was copied",
}

# Where a name means something particular in one table.
OVERRIDES: dict[str, dict[str, str]] = {
    "plan.runs": {
        "status": "how the allocation ended: " + _one_of(*values(*RunStatus)),
        "kind": f"{_one_of(*values(*RunKind))} (a scenario is a dry run: nothing published)",
        "message": "the solver's or fallback's message",
    },
    SCENARIO_COMPARISON: {"status": "how the allocation ended (plan.runs.status)"},
    NEWEST_WAVE: {"status": "how the allocation ended (plan.runs.status)"},
    LEDGER: {
        "status": "the file's state: " + _one_of(*values(*FileStatus)),
        "message": "why the file was refused or unreadable (null = fine)",
        "run_id": "the run that recorded the file",
    },
    REJECTED: {"run_id": "the run that rejected the row", "kind": "the partner file kind"},
    UNREADABLE: {"message": "why it could not be read", "run_id": "the run that found it"},
    "plan.feedback": {
        "status": "applied, partly_applied or rejected",
        "rule": "why not (wholly) applied: " + _one_of(*values(*FeedbackRule)),
        "message": "what the partner is told",
        "kind": "shipments, rejections or cancellations",
    },
    "plan.intake": {
        "status": _one_of(*values(*IntakeStatus)) + " (or the file's ledger status)",
        "message": "what the partner is told",
    },
    "plan.intake_files": {"status": "the file's ledger status"},
    "plan.backorders": {
        "quantity": "units left unfilled",
        "reason": _one_of(*values(*BackorderReason)),
        "expected_at": "awaiting_supply: when that supply is due",
    },
    "plan.line_exclusions": {"reason": "why the node may no longer fill the line"},
    "plan.allocations": {"quantity": "units the node fills"},
    "plan.instructions": {"quantity": "units to fill (a cancel row: units to stop)"},
    "plan.commitments": {
        "quantity": "units instructed",
        "open": "quantity - shipped - rejected - cancelled",
    },
    "plan.line_events": {
        "quantity": "units the event concerns",
        "source_file": "the partner file behind the event (null: the wave's own)",
    },
    "plan.parcels": {"weight_kg": "the parcel's weight", "units": "units in the parcel"},
    "plan.supply": {"available_to_promise": "units of this arrival a wave may still promise"},
    "plan.node_capacity": {
        "ship_capacity_units": "units the node could still ship that day",
        "ship_capacity_orders": "orders the node could still ship that day (null = no limit)",
        "pickup_capacity_orders": "pickup orders the store could still prepare (null = no limit)",
    },
    "plan.supply_capacity": {
        "ship_capacity_units": "units the node can still ship on that later day",
        "ship_capacity_orders": "orders it can still ship that day (null = no limit)",
        "pickup_capacity_orders": "pickup orders it can still prepare that day (null = no limit)",
    },
    "marts.line_margins": {"quantity": "units allocated"},
    "marts.benefit_estimates": {"method": "counterfactual (re-solved) or assumptions"},
    "staging.available_to_promise": {
        "available_to_promise": "max(0, on_hand - reserved - safety_stock) of the newest snapshot"
    },
    NEWEST_EXPLANATIONS: {"published_at": "when the wave that planned the line committed"},
}


def _field_text(field: Field) -> str:
    """The contract field's meaning (its description, else the glossary's) and its rules."""
    meaning = field.description or GLOSSARY.get(field.name, "")
    if not meaning:
        return ""
    rules = [field.type, "required" if field.required else "optional", *range_parts(field)]
    if field.values:
        rules.append("/".join(field.values))
    return f"{meaning} ({', '.join(rules)})"


CONTRACT_FIELDS: dict[str, dict[str, Field]] = {
    kind: {f.name: f for f in fields} for kind, fields in CONTRACT.items()
}


def column_description(table: str, column: str) -> str:
    """The comment of ``table.column`` ('' when nothing describes it)."""
    schema, name = table.split(".")
    special = OVERRIDES.get(table, {}).get(column)
    if special:
        return special
    field = CONTRACT_FIELDS.get(name, {}).get(column) if schema in ("raw", "staging") else None
    if field is not None:
        text = _field_text(field)
        return f"as written: {text}" if schema == "raw" and text else text
    return GLOSSARY.get(column, "")


def table_description(table: str) -> str:
    """The comment of a table or view ('' when nothing describes it)."""
    return TABLES.get(table, "")


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _exists(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND list_contains(?, schema_name || '.' || table_name)",
        [list(names)],
    ).fetchall()[0][0]
    return int(found) == len(names)


def _view_body(sql: str) -> str:
    """The normalized query DuckDB stored for a view ('CREATE VIEW x AS <query>;')."""
    return sql.split(" AS ", 1)[1].rstrip().rstrip(";") if " AS " in sql else sql


def _stale_views(con: duckdb.DuckDBPyConnection) -> list[View]:
    """Views missing or defined differently (an older version), whose tables exist."""
    stored = dict(
        con.execute(
            "SELECT schema_name || '.' || view_name, sql FROM duckdb_views() "
            "WHERE database_name = current_database() AND NOT internal"
        ).fetchall()
    )
    stale = []
    for view in VIEWS:
        if not _exists(con, view.needs):
            continue
        if view.name in stored:
            # DuckDB normalizes the text it stores: compare with the same normalization
            con.execute(f"CREATE OR REPLACE TEMP VIEW _catalog_probe AS {view.query}")
            probe = con.execute(
                "SELECT sql FROM duckdb_views() WHERE temporary AND view_name = '_catalog_probe'"
            ).fetchall()[0][0]
            con.execute("DROP VIEW _catalog_probe")
            if _view_body(probe) == _view_body(stored[view.name]):
                continue
        stale.append(view)
    return stale


def _objects(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str | None]]:
    """(TABLE | VIEW, schema.name, comment) of every user table and view."""
    return con.execute(
        "SELECT 'TABLE', schema_name || '.' || table_name, comment FROM duckdb_tables() "
        "WHERE database_name = current_database() AND NOT internal AND NOT temporary "
        "UNION ALL SELECT 'VIEW', schema_name || '.' || view_name, comment FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT internal"
    ).fetchall()


def _columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str | None]]:
    """(schema.name, column, comment) of every column of a user table or view."""
    return con.execute(
        "SELECT schema_name || '.' || table_name, column_name, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND NOT internal"
    ).fetchall()


def _pending(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The COMMENT statements whose text differs from the file's comment."""
    statements = []
    for kind, table, comment in _objects(con):
        text = table_description(table)
        if text and text != comment:
            statements.append(f"COMMENT ON {kind} {table} IS {_sql_literal(text)}")
    for table, column, comment in _columns(con):
        text = column_description(table, column)
        if text and text != comment:
            target = f"{table}.{quote(column)}"
            statements.append(f"COMMENT ON COLUMN {target} IS {_sql_literal(text)}")
    return statements


def describe_warehouse(con: duckdb.DuckDBPyConnection) -> int:
    """Create the analysts' views whose tables exist and comment every table, view and column
    the catalog describes, in one transaction; returns the statements it ran (0 = nothing
    differed, the usual case after the first step of a run)."""
    views = _stale_views(con)
    pending = [] if views else _pending(con)
    if not views and not pending:
        return 0
    with transaction(con):
        for view in views:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {view.name.split('.')[0]}")
            con.execute(f"CREATE OR REPLACE VIEW {view.name} AS {view.query}")
        if views:  # a replaced view lost its comments; new views have none yet
            pending = _pending(con)
        for statement in pending:
            con.execute(statement)
    return len(views) + len(pending)


def undescribed(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every user table, view and column without a comment (``schema.table[.column]``)."""
    missing = [table for _, table, comment in _objects(con) if not comment]
    missing += [f"{table}.{column}" for table, column, comment in _columns(con) if not comment]
    return sorted(missing)
