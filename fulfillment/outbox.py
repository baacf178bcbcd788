"""A run's outbox: one instruction file per node, the backorders, the KPI report.

Layout: ``<outbox>/<run_id>/instructions/<node file name>.csv|.parquet``,
``<outbox>/<run_id>/backorders.csv``, ``<outbox>/<run_id>/kpi_report.md|.html``.
Rows are sorted, so the same plan always gives byte-identical CSVs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from contracts.results import BACKORDER_SCHEMA, INSTRUCTION_SCHEMA
from contracts.vocabulary import InstructionMethod, Mode
from fulfillment.files import (
    atomic_write_bytes,
    atomic_write_text,
    csv_bytes,
    parquet_bytes,
    unique_filenames,
)

if TYPE_CHECKING:
    from optimizers.types import AllocationResult

ROW_ORDER = ["node_id", "order_id", "line_no", "fulfillment_method", "parcel_id", "sku"]
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class OutboxFile:
    path: Path
    kind: str  # instructions_csv | instructions_parquet | backorders | report_md | report_html
    rows: int | None = None
    node_id: str | None = None


@dataclass(frozen=True)
class OutboxManifest:
    """What a write produced: for asset metadata and for tests."""

    run_dir: Path
    files: tuple[OutboxFile, ...]

    def rows_by_node(self) -> dict[str, int]:
        return {
            f.node_id: f.rows or 0
            for f in self.files
            if f.kind == "instructions_csv" and f.node_id is not None
        }

    def to_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            [(str(f.path), f.kind, f.node_id, f.rows) for f in self.files],
            schema={"path": pl.String, "kind": pl.String, "node_id": pl.String, "rows": pl.Int64},
            orient="row",
        )

    def as_metadata(self) -> dict[str, int | str]:
        """Plain values for ``dg.MaterializeResult(metadata=...)``."""
        by_node = self.rows_by_node()
        return {
            "outbox": str(self.run_dir),
            "files": len(self.files),
            "nodes": len(by_node),
            "instruction_rows": sum(by_node.values()),
            "backorder_rows": sum(f.rows or 0 for f in self.files if f.kind == "backorders"),
        }


def run_dir(outbox: Path, run_id: str) -> Path:
    """The run's folder; a run id that could act as a path is refused."""
    if not _RUN_ID.fullmatch(run_id):
        raise ValueError(f"run id {run_id!r} is not a safe folder name")
    return outbox / run_id


def _parcel_shares(result: AllocationResult, products: pl.DataFrame) -> pl.DataFrame:
    """Each parcel row's share of its parcel's cost, by weight (quantity × sku weight).

    The last row of a parcel takes the rounding remainder, so a parcel's shares add up to its
    cost; a parcel of zero weight is shared by quantity.
    """
    rows = (
        result.allocations.join(products.select("sku", "weight_kg"), on="sku", how="left")
        .join(result.parcels.select("parcel_id", "cost"), on="parcel_id", how="left")
        .sort(ROW_ORDER, nulls_last=False)
    )
    parcel = "parcel_id"
    rows = rows.with_columns(
        weight=pl.col("quantity") * pl.col("weight_kg").fill_null(0.0),
        position=pl.int_range(pl.len()).over(parcel),
        rows_in_parcel=pl.len().over(parcel),
    ).with_columns(
        ratio=pl.when(pl.col("weight").sum().over(parcel) > 0)
        .then(pl.col("weight") / pl.col("weight").sum().over(parcel))
        .otherwise(pl.col("quantity") / pl.col("quantity").sum().over(parcel))
    )
    rows = rows.with_columns(share=pl.col("cost") * pl.col("ratio"))
    rows = rows.with_columns(others=pl.col("share").sum().over(parcel) - pl.col("share"))
    priced = (
        pl.when(pl.col(parcel).is_null())
        .then(0.0)
        .when(pl.col("cost").is_null())  # parcel missing from the parcels frame: keep the plan's
        .then(pl.col("parcel_cost"))
        .when(pl.col("position") == pl.col("rows_in_parcel") - 1)
        .then(pl.col("cost") - pl.col("others"))
        .otherwise(pl.col("share"))
    )
    return rows.with_columns(parcel_cost=priced.cast(pl.Float64))


def instruction_rows(result: AllocationResult, products: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """Every node's work: fills plus, at pickup stores, the ship-to-store parcels to receive."""
    work = _parcel_shares(result, products).with_columns(run_id=pl.lit(run_id))
    receive = work.filter(pl.col("fulfillment_method") == Mode.SHIP_TO_STORE).with_columns(
        node_id=pl.col("destination_node_id"),
        fulfillment_method=pl.lit(InstructionMethod.RECEIVE_FOR_PICKUP),
        parcel_cost=pl.lit(0.0),  # the source's row carries the cost; receiving takes no stock
    )
    columns = list(INSTRUCTION_SCHEMA)
    return (
        pl.concat([work.select(columns), receive.select(columns)])
        .cast(INSTRUCTION_SCHEMA)
        .sort(ROW_ORDER, nulls_last=False)
    )


def backorder_rows(result: AllocationResult) -> pl.DataFrame:
    return (
        result.backorders.select(list(BACKORDER_SCHEMA))
        .cast(BACKORDER_SCHEMA)
        .sort(["order_id", "line_no", "sku", "reason"])
    )


def write_instructions(
    outbox: Path,
    run_id: str,
    result: AllocationResult,
    products: pl.DataFrame,
    node_ids: Iterable[str] = (),
) -> OutboxManifest:
    """Write one CSV + Parquet per node with work (and per ``node_ids``, even if empty).

    Files left from an earlier attempt of the same run that this plan no longer has are
    removed, so the folder always holds exactly this plan.
    """
    folder = run_dir(outbox, run_id)
    instructions = folder / "instructions"
    rows = instruction_rows(result, products, run_id)
    names = unique_filenames([*rows["node_id"].unique().to_list(), *node_ids])
    files: list[OutboxFile] = []
    for node_id, stem in sorted(names.items()):
        node_rows = rows.filter(pl.col("node_id") == node_id)
        for suffix, kind, data in (
            (".csv", "instructions_csv", csv_bytes(node_rows)),
            (".parquet", "instructions_parquet", parquet_bytes(node_rows)),
        ):
            path = instructions / f"{stem}{suffix}"
            atomic_write_bytes(path, data)
            files.append(OutboxFile(path, kind, node_rows.height, node_id))
    keep = {f.path.name for f in files}
    for stale in instructions.glob("*"):
        if stale.suffix in {".csv", ".parquet"} and stale.name not in keep:
            stale.unlink()
    return OutboxManifest(folder, tuple(files))


def write_backorders(outbox: Path, run_id: str, result: AllocationResult) -> OutboxManifest:
    """``<run>/backorders.csv``: every unit the plan could not fill, with its reason."""
    folder = run_dir(outbox, run_id)
    backorders = backorder_rows(result)
    atomic_write_bytes(folder / "backorders.csv", csv_bytes(backorders))
    return OutboxManifest(
        folder, (OutboxFile(folder / "backorders.csv", "backorders", backorders.height),)
    )


def write_reports(outbox: Path, run_id: str, markdown: str, html: str) -> OutboxManifest:
    """Write the rendered KPI report (reporting.report) beside the run's instructions."""
    folder = run_dir(outbox, run_id)
    files = []
    for name, kind, text in (
        ("kpi_report.md", "report_md", markdown),
        ("kpi_report.html", "report_html", html),
    ):
        atomic_write_text(folder / name, text)
        files.append(OutboxFile(folder / name, kind))
    return OutboxManifest(folder, tuple(files))
