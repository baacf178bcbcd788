"""The order book in the warehouse: loaded for a wave, published with it in one transaction.

Tables (``plan`` schema): ``line_status`` (current, one row per line), ``commitments``
(current, one row per published instruction), ``line_events`` (append-only history),
``feedback`` (what became of each partner feedback row), ``instructions`` (every outbox row a
wave published), ``intake`` / ``intake_files`` (the per-file acknowledgements), ``inventory``
(per wave: snapshot, commitments and ATP per node x sku). A wave's plan, its state changes
and its acknowledgements commit together or not at all; the outbox is written from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import polars as pl

from contracts.faults import crash_point
from contracts.kinds import FEEDBACK_KINDS, KINDS
from contracts.results import (
    COMMITMENT_SCHEMA,
    FEEDBACK_SCHEMA,
    INSTRUCTION_SCHEMA,
    INTAKE_SCHEMA,
    INTAKE_SUMMARY_SCHEMA,
    INVENTORY_SCHEMA,
    LINE_EVENT_SCHEMA,
    LINE_STATUS_SCHEMA,
)
from contracts.vocabulary import LineEvent, RunKind
from optimizers.settings import AllocationSettings
from optimizers.types import (
    LINE_EXCLUSION_SCHEMA,
    PARCELS_SENT_SCHEMA,
    SUPPLY_CAPACITY_SCHEMA,
    SUPPLY_INPUT_SCHEMA,
    AllocationInputs,
    AllocationResult,
)
from orderbook.state import LINE, OrderBook
from orderbook.wave import Staged
from warehouse.connection import insert_frame, read_table, table_exists, transaction
from warehouse.plans import RUNS, prepare_plans, write_plan
from warehouse.schema import LEDGER, REJECTED, create_table
from warehouse.staging import load_staging

LINE_STATUS, COMMITMENTS, EVENTS = "plan.line_status", "plan.commitments", "plan.line_events"
FEEDBACK, INSTRUCTIONS = "plan.feedback", "plan.instructions"
INTAKE, INTAKE_FILES, INVENTORY = "plan.intake", "plan.intake_files", "plan.inventory"
# What a wave planned against besides stock: its nodes' capacity left, the nodes each line
# may no longer use, the parcels each order had sent (so a wave's problem can be rebuilt).
NODE_CAPACITY, LINE_EXCLUSIONS, PARCELS_SENT, SUPPLY, SUPPLY_CAPACITY = (
    "plan.node_capacity",
    "plan.line_exclusions",
    "plan.parcels_sent",
    "plan.supply",
    "plan.supply_capacity",
)
NODE_CAPACITY_SCHEMA = pl.Schema(
    {
        "node_id": pl.String(),
        "ship_capacity_units": pl.Int64(),
        "ship_capacity_orders": pl.Int64(),
        "pickup_capacity_orders": pl.Int64(),
    }
)
COMMITMENT_KEY = ["run_id", "order_id", "line_no", "node_id", "fulfillment_method", "available_at"]
RUN_ID = {"run_id": pl.String()}
BOOK_TABLES: dict[str, Mapping[str, pl.DataType]] = {
    LINE_STATUS: LINE_STATUS_SCHEMA,
    COMMITMENTS: COMMITMENT_SCHEMA,
    EVENTS: LINE_EVENT_SCHEMA,
    FEEDBACK: {**RUN_ID, **FEEDBACK_SCHEMA},
    INSTRUCTIONS: INSTRUCTION_SCHEMA,
    INTAKE: {**RUN_ID, "file_name": pl.String(), "sha256": pl.String(), **INTAKE_SCHEMA},
    INTAKE_FILES: {**RUN_ID, "sha256": pl.String(), **INTAKE_SUMMARY_SCHEMA},
    INVENTORY: {**RUN_ID, **INVENTORY_SCHEMA},
    NODE_CAPACITY: {**RUN_ID, **NODE_CAPACITY_SCHEMA},
    LINE_EXCLUSIONS: {**RUN_ID, **LINE_EXCLUSION_SCHEMA},
    PARCELS_SENT: {**RUN_ID, **PARCELS_SENT_SCHEMA},
    SUPPLY: {**RUN_ID, **SUPPLY_INPUT_SCHEMA},
    SUPPLY_CAPACITY: {**RUN_ID, **SUPPLY_CAPACITY_SCHEMA},
}
WAVE_INPUT_TABLES = (
    INVENTORY,
    NODE_CAPACITY,
    LINE_EXCLUSIONS,
    PARCELS_SENT,
    SUPPLY,
    SUPPLY_CAPACITY,
)


def prepare_book(con: duckdb.DuckDBPyConnection) -> None:
    """Create the plan tables and the book's (idempotent, older ones completed)."""
    prepare_plans(con)
    for table, schema in BOOK_TABLES.items():
        create_table(con, table, schema)


def load_book(con: duckdb.DuckDBPyConnection) -> OrderBook:
    """The published book."""
    prepare_book(con)
    lines = read_table(con, f"SELECT * FROM {LINE_STATUS} ORDER BY order_id, line_no")
    commitments = read_table(con, f"SELECT * FROM {COMMITMENTS} ORDER BY ALL")
    return OrderBook(
        lines.select(list(LINE_STATUS_SCHEMA)).cast(LINE_STATUS_SCHEMA),
        commitments.select(list(COMMITMENT_SCHEMA)).cast(COMMITMENT_SCHEMA),
    )


def load_staged(con: duckdb.DuckDBPyConnection) -> Staged:
    """Every staging table, the feedback rows no published wave applied yet (in the order
    partners sent them), the keys applied before, and the shipped and rejected events the
    stock netting needs (those after the oldest newest-snapshot)."""
    prepare_book(con)
    frames = {kind: load_staging(con, kind) for kind in KINDS}
    applied = read_table(
        con, f"SELECT kind, source_file, row_number, feedback_key, status FROM {FEEDBACK}"
    )
    order = read_table(
        con,
        f"SELECT sha256 AS file_sha256, row_number() OVER (ORDER BY ingested_at, file_name) AS "
        f"file_order FROM {LEDGER}",
    )
    unapplied = {}
    for kind in FEEDBACK_KINDS:
        done = applied.filter(pl.col("kind") == kind).select("source_file", "row_number")
        rows = frames[kind].join(done, on=["source_file", "row_number"], how="anti")
        unapplied[kind] = (
            rows.join(order, on="file_sha256", how="left")
            .sort("file_order", "row_number", nulls_last=True)
            .drop("file_order")
        )
    keys = {  # a key applied before is refused again; a refused one may come back corrected
        kind: applied.filter((pl.col("kind") == kind) & (pl.col("status") != "rejected"))[
            "feedback_key"
        ]
        for kind in FEEDBACK_KINDS
    }
    events = read_table(
        con,
        f'SELECT * FROM {EVENTS} WHERE event IN (?, ?) AND "at" > coalesce('
        "(SELECT min(snapshot_at) FROM staging.stock), TIMESTAMPTZ '1970-01-01')",
        [LineEvent.SHIPPED.value, LineEvent.REJECTED.value],
    ).cast(LINE_EVENT_SCHEMA)
    return Staged(frames, unapplied, keys, events.select(list(LINE_EVENT_SCHEMA)))


@dataclass(frozen=True)
class PlanRows:
    """A run's plans (optimizer and baseline) and what they were made with."""

    plans: dict[str, AllocationResult]
    settings: AllocationSettings
    wave_at: datetime
    figures: dict[str, object] = field(default_factory=dict)  # the wave's unit figures


@dataclass(frozen=True)
class Publication:
    """Everything a wave commits besides its plan rows."""

    run_id: str
    book_before: OrderBook
    book_after: OrderBook
    events: pl.DataFrame
    feedback: pl.DataFrame  # FEEDBACK_SCHEMA (with the staged rows' sha in ``file_sha256``)
    instructions: pl.DataFrame  # INSTRUCTION_SCHEMA
    inventory: pl.DataFrame  # INVENTORY_SCHEMA
    inputs: AllocationInputs  # the optimizer's inputs (net capacities, exclusions, parcels)
    intake: pl.DataFrame  # file_name, sha256 + INTAKE_SCHEMA
    intake_files: pl.DataFrame  # sha256 + INTAKE_SUMMARY_SCHEMA


def _changed(before: pl.DataFrame, after: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Rows of ``after`` that are new or differ from ``before``."""
    return after.join(before, on=list(after.columns), how="anti", nulls_equal=True).unique(keys)


def _replace_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: pl.DataFrame, keys: list[str]
) -> None:
    """Upsert by key: the table's rows with the keys of ``rows`` go, ``rows`` come in."""
    if rows.is_empty():
        return
    con.register("_keys", rows.select(keys))
    try:
        match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM k.{k}" for k in keys)
        con.execute(f"DELETE FROM {table} AS t USING _keys AS k WHERE {match}")
    finally:
        con.unregister("_keys")
    insert_frame(con, table, rows)


def _tagged(run_id: str, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.lit(run_id, pl.String).alias("run_id"))


def _state_rejections(con: duckdb.DuckDBPyConnection, p: Publication, now: datetime) -> None:
    """Feedback the book refused: into quarantine with its reason, and out of the files'
    accepted rows into their rejected rows (the ledger keeps balancing)."""
    refused = p.feedback.filter(pl.col("status") == "rejected")
    if refused.is_empty():
        return
    rows = refused.select(
        "source_file",
        "file_sha256",
        "kind",
        "row_number",
        "record",
        pl.concat_list(
            pl.struct(
                pl.lit(None, pl.String).alias("column"), "rule", pl.col("message").alias("message")
            )
        ).alias("reasons"),
        pl.lit(p.run_id).alias("run_id"),
        pl.lit(now).alias("quarantined_at"),
    )
    insert_frame(con, REJECTED, rows)
    per_file = refused.group_by("file_sha256").agg(n=pl.len())
    for sha, n in per_file.iter_rows():
        con.execute(
            f"UPDATE {LEDGER} SET rows_accepted = rows_accepted - ?, "
            "rows_rejected = rows_rejected + ? WHERE sha256 = ?",
            [n, n, sha],
        )


def publish_wave(con: duckdb.DuckDBPyConnection, p: Publication, plans: PlanRows) -> None:
    """One transaction: the plan rows, the book's changes, the feedback outcomes and refusals,
    the instructions, the acknowledgements, the inventory, then ``published_at``."""
    now = datetime.now(UTC)
    prepare_book(con)
    with transaction(con):
        for table in (FEEDBACK, INSTRUCTIONS, INTAKE, INTAKE_FILES, *WAVE_INPUT_TABLES):
            con.execute(f"DELETE FROM {table} WHERE run_id = ?", [p.run_id])
        con.execute(f"DELETE FROM {EVENTS} WHERE run_id = ?", [p.run_id])
        write_plan(
            con, p.run_id, plans.settings, plans.plans, RunKind.WAVE, plans.wave_at, plans.figures
        )
        _replace_rows(
            con, LINE_STATUS, _changed(p.book_before.lines, p.book_after.lines, LINE), LINE
        )
        _replace_rows(
            con,
            COMMITMENTS,
            _changed(p.book_before.commitments, p.book_after.commitments, COMMITMENT_KEY),
            COMMITMENT_KEY,
        )
        insert_frame(con, EVENTS, p.events.select(list(LINE_EVENT_SCHEMA)))
        insert_frame(con, FEEDBACK, _tagged(p.run_id, p.feedback.select(list(FEEDBACK_SCHEMA))))
        _state_rejections(con, p, now)
        insert_frame(con, INSTRUCTIONS, p.instructions)
        insert_frame(con, INTAKE, _tagged(p.run_id, p.intake))
        insert_frame(con, INTAKE_FILES, _tagged(p.run_id, p.intake_files))
        _write_wave_inputs(con, p.run_id, p.inventory, p.inputs)
        con.execute(
            f"UPDATE {RUNS} SET published_at = ? WHERE run_id = ? AND kind = ?",
            [now, p.run_id, RunKind.WAVE.value],
        )
        crash_point("publish.before_commit")


def store_scenario(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    inventory: pl.DataFrame,
    inputs: AllocationInputs,
    plans: PlanRows,
) -> None:
    """A dry run: its plan and what it planned against, in one transaction; the book is
    untouched."""
    prepare_book(con)
    with transaction(con):
        write_plan(
            con, run_id, plans.settings, plans.plans, RunKind.SCENARIO, plans.wave_at, plans.figures
        )
        for table in WAVE_INPUT_TABLES:
            con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
        _write_wave_inputs(con, run_id, inventory, inputs)


def _write_wave_inputs(
    con: duckdb.DuckDBPyConnection, run_id: str, inventory: pl.DataFrame, inputs: AllocationInputs
) -> None:
    insert_frame(con, INVENTORY, _tagged(run_id, inventory))
    nodes = inputs.nodes.select(list(NODE_CAPACITY_SCHEMA))
    insert_frame(con, NODE_CAPACITY, _tagged(run_id, nodes))
    insert_frame(con, LINE_EXCLUSIONS, _tagged(run_id, inputs.line_exclusions))
    insert_frame(con, PARCELS_SENT, _tagged(run_id, inputs.parcels_sent))
    insert_frame(con, SUPPLY, _tagged(run_id, inputs.supply.select(list(SUPPLY_INPUT_SCHEMA))))
    insert_frame(
        con,
        SUPPLY_CAPACITY,
        _tagged(run_id, inputs.supply_capacity.select(list(SUPPLY_CAPACITY_SCHEMA))),
    )


def wave_inputs_of(
    con: duckdb.DuckDBPyConnection, run_id: str, staged: AllocationInputs, orders: pl.DataFrame
) -> AllocationInputs:
    """The problem a stored run planned: ``orders`` (its planned lines), the ATP, capacities,
    exclusions and parcels it was netted to, the rest as staged."""
    prepare_book(con)

    def rows(table: str, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
        frame = read_table(
            con, f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = ?", [run_id]
        )
        return frame.select(list(schema)).cast(pl.Schema(schema))

    capacity = rows(NODE_CAPACITY, NODE_CAPACITY_SCHEMA)
    nodes = staged.nodes.drop(*NODE_CAPACITY_SCHEMA.names()[1:]).join(
        capacity, on="node_id", how="left"
    )
    atp = rows(INVENTORY, INVENTORY_SCHEMA).select("node_id", "sku", "available_to_promise")
    return AllocationInputs(
        orders=orders,
        available_to_promise=atp,
        nodes=nodes.select(staged.nodes.columns),
        products=staged.products,
        rates=staged.rates,
        lanes=staged.lanes,
        exclusions=staged.exclusions,
        line_exclusions=rows(LINE_EXCLUSIONS, LINE_EXCLUSION_SCHEMA),
        parcels_sent=rows(PARCELS_SENT, PARCELS_SENT_SCHEMA),
        supply=rows(SUPPLY, SUPPLY_INPUT_SCHEMA),
        supply_capacity=rows(SUPPLY_CAPACITY, SUPPLY_CAPACITY_SCHEMA),
    )


def unacknowledged_files(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Ledger rows no published wave has acknowledged yet (every file the wave takes in)."""
    prepare_book(con)
    return read_table(
        con,
        f"SELECT file_name, sha256, kind, status, rows_read, rows_accepted, rows_rejected, "
        f"rows_duplicate, message FROM {LEDGER} l WHERE NOT EXISTS "
        f"(SELECT 1 FROM {INTAKE_FILES} a WHERE a.sha256 = l.sha256) "
        "ORDER BY ingested_at, file_name",
    )


def rejected_rows(con: duckdb.DuckDBPyConnection, shas: list[str]) -> pl.DataFrame:
    """The quarantined rows of these files: sha256, row_number, each reason."""
    if not shas:
        return pl.DataFrame(
            schema={
                "sha256": pl.String(),
                "row_number": pl.Int64(),
                "column": pl.String(),
                "rule": pl.String(),
                "message": pl.String(),
            }
        )
    return read_table(
        con,
        f'SELECT file_sha256 AS sha256, row_number, r.column AS "column", r.rule, r.message '
        f"FROM (SELECT file_sha256, row_number, unnest(reasons) AS r FROM {REJECTED} "
        f"WHERE file_sha256 IN (SELECT unnest(?))) ORDER BY ALL",
        [shas],
    )


def published_waves(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Run ids of the published waves, oldest first."""
    if not table_exists(con, RUNS):
        return []
    rows = con.execute(
        f"SELECT DISTINCT run_id, published_at FROM {RUNS} WHERE kind = ? "
        "AND published_at IS NOT NULL ORDER BY published_at, run_id",
        [RunKind.WAVE.value],
    ).fetchall()
    return [r[0] for r in rows]


def wave_rows(con: duckdb.DuckDBPyConnection, table: str, run_id: str) -> pl.DataFrame:
    """One run's rows of a per-run table, without the run_id column."""
    return read_table(con, f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = ?", [run_id])
