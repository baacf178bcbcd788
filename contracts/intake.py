"""Taking a batch of partner files in contract order: reference kinds first, then by name.

The same steps serve ingestion (staging comes from the warehouse) and ``omniroute validate``
(staging starts empty, in memory): each file is validated against the staging so far and
merged into it, so a later file amends an earlier one and cross-file rules see the nodes and
products of the same batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from contracts.kinds import FEEDBACK_KINDS, KINDS, REFERENCE_KINDS, kind_of, processing_order
from contracts.reading import RawFile, UnreadableFileError, read_partner_file
from contracts.schemas import Reference
from contracts.validation import (
    FileValidation,
    empty_staged,
    merge_into_staging,
    validate_records,
)


@dataclass(frozen=True)
class KindBatch:
    """One kind's files validated in order, and the staging table they leave behind."""

    kind: str
    results: list[FileValidation]
    staging: pl.DataFrame


def validate_kind(
    kind: str,
    files: list[tuple[str, pl.DataFrame, tuple[str, ...]]],
    current: pl.DataFrame,
    nodes: pl.DataFrame | None = None,
    products: pl.DataFrame | None = None,
) -> KindBatch:
    """Validate raw files (name, frame, header columns) of one kind, in the order given.

    nodes / products: the staged reference kinds (None = unknown: cross-file rules skipped).
    """
    results: list[FileValidation] = []
    for name, frame, columns in files:
        reference = Reference.from_staging(
            nodes=nodes, products=products, orders=current if kind == "orders" else None
        )
        result = validate_records(kind, frame, columns, reference, current, source_file=name)
        current = merge_into_staging(kind, current, result.accepted)
        if kind == "nodes":
            nodes = current
        results.append(result)
    return KindBatch(kind, results, current)


@dataclass(frozen=True)
class FileReport:
    """What ``validate`` says about one file: its status and, if read, its verdict."""

    path: Path
    kind: str | None
    status: str  # ok | rejected | unreadable | unknown_kind
    message: str = ""
    validation: FileValidation | None = None


@dataclass
class BatchReport:
    """Reports in processing order, plus notes about rules that could not run."""

    files: list[FileReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 clean, 1 some row rejected, 2 some file unreadable (or of unknown kind)."""
        if any(f.status in ("unreadable", "unknown_kind") for f in self.files):
            return 2
        return 1 if any(f.status == "rejected" for f in self.files) else 0


def validate_paths(paths: list[Path]) -> BatchReport:
    """Validate partner files without a warehouse: nodes/products given alongside are the
    reference; without them the unknown-node / unknown-sku rules are skipped (and noted)."""
    report = BatchReport()
    readable: dict[str, list[RawFile]] = {kind: [] for kind in KINDS}
    by_name = {str(p): Path(p) for p in paths}
    for name in processing_order(list(by_name)):
        path = by_name[name]
        kind = kind_of(path)
        if kind is None:
            report.files.append(
                FileReport(
                    path, None, "unknown_kind", f"name must start with one of {', '.join(KINDS)}"
                )
            )
            continue
        try:
            readable[kind].append(read_partner_file(path))
        except (UnreadableFileError, OSError) as error:
            report.files.append(FileReport(path, kind, "unreadable", str(error)))
    staged: dict[str, pl.DataFrame | None] = {"nodes": None, "products": None}
    for kind in KINDS:
        if not readable[kind]:
            continue
        batch = validate_kind(
            kind,
            [(raw.name, raw.frame, raw.columns) for raw in readable[kind]],
            empty_staged(kind),
            nodes=staged["nodes"],
            products=staged["products"],
        )
        if kind in staged:
            staged[kind] = batch.staging
        for raw, result in zip(readable[kind], batch.results, strict=True):
            status = "rejected" if result.rows_rejected else "ok"
            report.files.append(FileReport(raw.path, kind, status, validation=result))
    report.notes.extend(_skipped_rules(readable, staged))
    order = {name: i for i, name in enumerate(processing_order(list(by_name)))}
    report.files.sort(key=lambda f: order[str(f.path)])
    return report


def _skipped_rules(
    readable: dict[str, list[RawFile]], staged: dict[str, pl.DataFrame | None]
) -> list[str]:
    """Say which cross-file rules did not run for lack of reference files."""
    notes = []
    needs_nodes = any(readable[k] for k in KINDS if k not in REFERENCE_KINDS + ("cancellations",))
    if needs_nodes and staged["nodes"] is None:
        notes.append("no nodes file given: unknown-node and pickup-support checks skipped")
    if any(readable[k] for k in ("stock", "supply", "orders")) and staged["products"] is None:
        notes.append("no products file given: unknown-sku checks skipped")
    if any(readable[k] for k in FEEDBACK_KINDS):
        notes.append(
            "feedback files are also checked against the order book when a wave applies them "
            "(not_instructed, unknown_line, already_applied, already_shipped)"
        )
    return notes
