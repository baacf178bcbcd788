"""A wave's outbox folder: the nodes' instructions, the backorders, the intake replies,
``_SUCCESS``; ``LATEST`` beside the folders; and the planners' KPI report pages.

Layout: ``<outbox>/<run_id>/instructions/<node file name>.csv|.parquet`` (this wave's new
instructions, receipts at pickup stores, and cancels), ``backorders.csv`` (every line's
still-open units), ``intake/<file>.csv`` and ``intake/summary.csv``, ``_SUCCESS`` (written
last: the folder is complete). The wave folder holds what partners need and nothing else:
the KPI report is a planner artifact, written after the marts as
``<outbox>/reports/<YYYY-MM-DD>_wave<N>_<run>.html|.md`` (a dry run: ``_whatif_``), each file
atomically, with ``reports/LATEST`` naming the newest page. Node ids and partner file names are
percent-encoded where Windows or POSIX would refuse them (``files.safe_file_stem``). Rows are
sorted, so the same plan always gives byte-identical CSVs; files are readable by partners
(0644).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from contracts.faults import crash_point
from contracts.results import BACKORDER_SCHEMA, INSTRUCTION_SCHEMA, INTAKE_SCHEMA
from contracts.vocabulary import InstructionMethod, Mode
from fulfillment.files import (
    atomic_write_text,
    csv_bytes,
    fsync_dir,
    fsync_tree,
    parquet_bytes,
    unique_filenames,
    write_file,
)

if TYPE_CHECKING:
    from optimizers.types import AllocationResult

ROW_ORDER = ["node_id", "order_id", "line_no", "fulfillment_method", "parcel_id", "sku"]
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class OutboxFile:
    path: Path
    kind: str  # instructions_csv | instructions_parquet | backorders | intake | intake_summary
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
    method = pl.col("fulfillment_method")
    work = _parcel_shares(result, products).with_columns(
        run_id=pl.lit(run_id),
        # the pickup store the units end at: a BOPIS fill's own store, a leg's pickup store
        destination_node_id=pl.when(method == Mode.PICKUP_IN_STORE)
        .then("node_id")
        .when(method == Mode.SHIP_TO_STORE)
        .then("destination_node_id"),
    )
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


def backorder_rows(backorders: pl.DataFrame) -> pl.DataFrame:
    """Backorders in their partner shape and a stable order."""
    return (
        backorders.select(list(BACKORDER_SCHEMA))
        .cast(BACKORDER_SCHEMA)
        .sort(["order_id", "line_no", "sku", "reason"])
    )


def cancel_rows(cancelled: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """Cancel rows for instructed units a wave stops (``cancelled``: commitments with the
    units taken, ``take``): one at the node told to fill them and, for a ship-to-store leg,
    one at the pickup store that was to receive them."""
    if cancelled.is_empty():
        return pl.DataFrame(schema=INSTRUCTION_SCHEMA)
    source = cancelled.select(
        pl.lit(run_id).alias("run_id"), "order_id", "line_no", "sku",
        pl.col("take").alias("quantity"), "node_id",
        pl.lit(InstructionMethod.CANCEL.value).alias("fulfillment_method"), "parcel_id",
        "service_level", pl.lit(0.0).alias("parcel_cost"),
        pl.lit(None, pl.Int64).alias("expected_delivery_days"), "available_at",
        "destination_node_id",
    )  # fmt: skip
    legs = cancelled.filter(pl.col("fulfillment_method") == Mode.SHIP_TO_STORE)
    receiving = source.join(
        legs.select("order_id", "line_no", "node_id", "parcel_id"),
        on=["order_id", "line_no", "node_id", "parcel_id"],
    ).with_columns(node_id=pl.col("destination_node_id"))
    return pl.concat([source, receiving]).cast(INSTRUCTION_SCHEMA).sort(ROW_ORDER)


@dataclass(frozen=True)
class WaveFolder:
    """Everything one wave's outbox folder holds, as frames and text."""

    run_id: str
    instructions: pl.DataFrame  # INSTRUCTION_SCHEMA: fills, receipts and cancels
    backorders: pl.DataFrame  # BACKORDER_SCHEMA: every line's still-open units
    acknowledgements: pl.DataFrame  # fulfillment.intake.ACK_SCHEMA
    intake_summary: pl.DataFrame  # sha256 + INTAKE_SUMMARY_SCHEMA


SUCCESS = "_SUCCESS"
LATEST = "LATEST"
SUMMARY_STEM = "summary"  # intake/summary.csv


def _node_files(folder: Path, rows: pl.DataFrame) -> list[OutboxFile]:
    """One CSV and one Parquet file per node with rows this wave, named by its node id
    (``safe_file_stem``: ``CON`` is ``%43ON.csv``, ``A:B`` is ``A%3AB.csv``)."""
    files: list[OutboxFile] = []
    names = unique_filenames(rows["node_id"].unique().to_list())
    for node_id, stem in sorted(names.items()):
        node_rows = rows.filter(pl.col("node_id") == node_id)
        for suffix, kind, data in (
            (".csv", "instructions_csv", csv_bytes(node_rows)),
            (".parquet", "instructions_parquet", parquet_bytes(node_rows)),
        ):
            path = folder / "instructions" / f"{stem}{suffix}"
            write_file(path, data)
            files.append(OutboxFile(path, kind, node_rows.height, node_id))
    return files


def _intake_files(folder: Path, content: WaveFolder) -> list[OutboxFile]:
    """``intake/<file name>.csv`` per file (a name sent twice: ``-<sha>`` added; a partner
    file called ``summary`` never takes the summary's name), ``intake/summary.csv``."""
    acks, summary = content.acknowledgements, content.intake_summary
    files: list[OutboxFile] = []
    repeated = set(summary.filter(pl.col("file_name").is_duplicated())["file_name"])
    keyed = {
        (name, sha): f"{name}-{sha[:8]}" if name in repeated else name
        for name, sha in summary.select("file_name", "sha256").iter_rows()
    }
    stems = unique_filenames(list(keyed.values()), taken=[SUMMARY_STEM])
    for (_, sha), label in keyed.items():
        rows = acks.filter(pl.col("sha256") == sha).select(list(INTAKE_SCHEMA))
        path = folder / "intake" / f"{stems[label]}.csv"
        write_file(path, csv_bytes(rows))
        files.append(OutboxFile(path, "intake", rows.height))
    path = folder / "intake" / f"{SUMMARY_STEM}.csv"
    write_file(path, csv_bytes(summary.drop("sha256")))
    files.append(OutboxFile(path, "intake_summary", summary.height))
    return files


def publish_folder(outbox: Path, content: WaveFolder) -> OutboxManifest:
    """Write the wave's folder whole or not at all: every file into a hidden partial folder,
    ``_SUCCESS`` last, then one rename into ``outbox/<run_id>`` (a partner polling the outbox
    never sees half a folder, and a folder with ``_SUCCESS`` is complete)."""
    final = run_dir(outbox, content.run_id)
    partial = outbox / f".partial-{content.run_id}"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True, mode=0o755)
    files = _node_files(partial, content.instructions)
    crash_point("outbox.after_first_file")
    backorders = backorder_rows(content.backorders)
    write_file(partial / "backorders.csv", csv_bytes(backorders))
    files.append(OutboxFile(partial / "backorders.csv", "backorders", backorders.height))
    files += _intake_files(partial, content)
    write_file(partial / SUCCESS, f"{content.run_id}\n".encode())
    fsync_tree(partial)
    crash_point("outbox.before_rename")
    if final.exists():  # a folder left by an earlier, interrupted attempt: replace it whole
        shutil.rmtree(final)
    os.rename(partial, final)
    fsync_dir(outbox)
    moved = tuple(OutboxFile(final / f.path.relative_to(partial), f.kind, f.rows, f.node_id)
                  for f in files)  # fmt: skip
    return OutboxManifest(final, moved)


def is_published(outbox: Path, run_id: str) -> bool:
    """The wave's folder is complete (its ``_SUCCESS`` is there)."""
    return (outbox / run_id / SUCCESS).is_file()


def point_latest(outbox: Path, run_id: str) -> None:
    """``outbox/LATEST`` names the newest published wave (written atomically)."""
    atomic_write_text(outbox / LATEST, f"{run_id}\n")


def clear_partials(outbox: Path) -> list[str]:
    """Remove hidden partial folders an interrupted write left; their waves are rewritten
    from the warehouse. Returns the run ids they belonged to."""
    if not outbox.is_dir():
        return []
    found = []
    for partial in outbox.glob(".partial-*"):
        found.append(partial.name.removeprefix(".partial-"))
        shutil.rmtree(partial, ignore_errors=True)
    return found


REPORTS = "reports"  # outbox/reports/: the KPI report pages, one pair per run


@dataclass(frozen=True)
class ReportFiles:
    """Where a run's report was written."""

    html: Path
    markdown: Path


def report_files(outbox: Path, stem: str) -> ReportFiles:
    """The page and the Markdown of ``stem`` (a name that could act as a path is refused)."""
    if not _RUN_ID.fullmatch(stem):  # the same rule as a run folder's name
        raise ValueError(f"report name {stem!r} is not a safe file name")
    folder = outbox / REPORTS
    return ReportFiles(folder / f"{stem}.html", folder / f"{stem}.md")


def publish_report(outbox: Path, stem: str, markdown: str, html: str) -> ReportFiles:
    """Write a run's report, each file atomically (temp file, fsync, rename): the Markdown
    first, the page last, so a page that is there is whole and has its Markdown beside it."""
    files = report_files(outbox, stem)
    atomic_write_text(files.markdown, markdown)
    crash_point("report.before_page")
    atomic_write_text(files.html, html)
    return files


def has_report(outbox: Path, stem: str) -> bool:
    return report_files(outbox, stem).html.is_file()


def point_latest_report(outbox: Path, stem: str) -> None:
    """``outbox/reports/LATEST`` names the newest page (``<stem>.html``, written atomically)."""
    atomic_write_text(outbox / REPORTS / LATEST, f"{stem}.html\n")


def clear_report_temps(outbox: Path) -> int:
    """Remove temp files an interrupted report write left (``.<name>.<random>.tmp``)."""
    folder = outbox / REPORTS
    found = list(folder.glob(".*.tmp")) if folder.is_dir() else []
    for temp in found:
        temp.unlink(missing_ok=True)
    return len(found)
