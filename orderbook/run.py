"""A whole wave as one plain function: intake, netting, the plan, the book after it, and what
the outbox and the warehouse will hold. The assets read and write around it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from contracts.faults import crash_point
from contracts.vocabulary import BackorderReason
from fulfillment.intake import acknowledgements
from fulfillment.outbox import cancel_rows, instruction_rows
from optimizers import allocate
from optimizers.settings import AllocationSettings
from optimizers.types import AllocationResult
from orderbook.record import Recorded, record_plan
from orderbook.state import OrderBook, commitment_breaks, identity_breaks
from orderbook.wave import Staged, TakenIn, WaveInputs, take_in, wave_inputs


@dataclass(frozen=True)
class Intake:
    """What the warehouse knows of the files this wave takes in (for the acknowledgements)."""

    files: pl.DataFrame  # ledger rows not yet acknowledged by a published wave
    rejected: pl.DataFrame  # sha256, row_number, column, rule, message (quarantined reasons)
    duplicates: pl.DataFrame  # sha256, row_number


@dataclass(frozen=True)
class Wave:
    """Everything one wave decided."""

    run_id: str
    at: datetime
    taken: TakenIn
    inputs: WaveInputs
    plan: AllocationResult  # with wave-unique parcel ids; .baseline the rule-based plan
    recorded: Recorded
    instructions: pl.DataFrame  # INSTRUCTION_SCHEMA: fills, receipts, cancels
    acknowledgements: pl.DataFrame  # fulfillment.intake.ACK_SCHEMA
    intake_summary: pl.DataFrame  # sha256 + INTAKE_SUMMARY_SCHEMA

    @property
    def book(self) -> OrderBook:
        return self.recorded.book

    @property
    def events(self) -> pl.DataFrame:
        return pl.concat([self.taken.events, self.recorded.events])

    def figures(self) -> dict[str, Any]:
        """The wave's headline figures (the command line's ``--json`` fields)."""
        units = self.plan.allocations["quantity"].sum() if self.plan.allocations.height else 0
        cancelled = self.taken.events.filter(
            pl.col("event").is_in(["cancelled", "cancel_instructed"])
        )["quantity"].sum()
        applied = self.taken.feedback.filter(pl.col("status") != "rejected")
        feedback = {
            name: int(applied.filter(pl.col("kind") == kind)["quantity_applied"].sum() or 0)
            for name, kind in (("shipped", "shipments"), ("rejected", "rejections"),
                               ("cancelled", "cancellations"))
        }  # fmt: skip
        allocations, backorders = self.plan.allocations, self.plan.backorders
        from_supply = allocations.filter(pl.col("available_at").is_not_null())["quantity"].sum()
        awaiting = backorders.filter(pl.col("reason") == BackorderReason.AWAITING_SUPPLY)
        return {
            "units_open_before": self.inputs.units_open,
            "units_instructed": int(units or 0),
            "units_from_supply": int(from_supply or 0),
            "units_awaiting_supply": int(awaiting["quantity"].sum() or 0),
            "units_cancelled": int(cancelled or 0),
            "units_open_after": self.book.open_units(),
            "feedback": feedback,
        }


def _intake(intake: Intake, taken: TakenIn) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The acknowledgements, the book's refusals counted into their files."""
    refused = taken.feedback.filter(pl.col("status") == "rejected")
    extra = refused.group_by("file_sha256").agg(n=pl.len()).rename({"file_sha256": "sha256"})
    files = (
        intake.files.join(extra, on="sha256", how="left")
        .with_columns(pl.col("n").fill_null(0))
        .with_columns(
            rows_accepted=pl.col("rows_accepted") - pl.col("n"),
            rows_rejected=pl.col("rows_rejected") + pl.col("n"),
        )
        .drop("n")
    )
    reasons = pl.concat(
        [
            intake.rejected,
            refused.select(
                pl.col("file_sha256").alias("sha256"),
                "row_number",
                pl.lit(None, pl.String).alias("column"),
                "rule",
                "message",
            ),  # fmt: skip
        ]
    )
    if files.is_empty():
        return acknowledgements(files, reasons, intake.duplicates, taken.feedback)
    return acknowledgements(files, reasons, intake.duplicates, taken.feedback)


def run_wave(
    book: OrderBook,
    staged: Staged,
    intake: Intake,
    settings: AllocationSettings,
    run_id: str,
    at: datetime,
) -> Wave:
    """The wave from the published book and what staging holds. Raises ValueError if the
    book would break its identity (then nothing may be published)."""
    taken = take_in(book, staged, run_id, at)
    day = settings.business_day(at)
    inputs = wave_inputs(taken, staged, day, settings.business_timezone)
    crash_point("solve.started")
    plan = allocate(inputs.inputs, settings)
    recorded = record_plan(taken.book, plan, run_id, at, day, settings.business_timezone)
    broken, bad_commitments = (
        identity_breaks(recorded.book),
        commitment_breaks(recorded.book.commitments),
    )
    if broken.height or bad_commitments.height:
        raise ValueError(
            f"the order book would break its identity on {broken.height} line(s) and "
            f"{bad_commitments.height} commitment(s), e.g. {broken.head(3).to_dicts()}"
        )
    products = staged.frames["products"]
    instructions = pl.concat(
        [instruction_rows(recorded.plan, products, run_id), cancel_rows(taken.cancelled, run_id)]
    )
    acks, summary = _intake(intake, taken)
    return Wave(run_id, at, taken, inputs, recorded.plan, recorded, instructions, acks, summary)
