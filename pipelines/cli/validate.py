"""``omniroute validate FILE...``: check partner files against the contract, load nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from contracts.intake import BatchReport, validate_paths
from contracts.kinds import KINDS
from contracts.messages import collapse_missing_columns, cut, problem_lines
from contracts.tables import STAGING_SCHEMAS

HELP = """Check partner files against the contract; loads nothing into the warehouse.

Each file's kind comes from its name (orders*.csv, stock*.parquet, ...). Files are CSV
(comma-separated, UTF-8, one header row) or Parquet. Every problem is printed as
`file: row N: column: rule: message`; nothing is written anywhere.
"""
EPILOG = (
    "Kinds and their file names: "
    + ", ".join(f"{kind}*" for kind in KINDS)
    + " (.csv or .parquet; the name's prefix picks the kind). Columns per kind: "
    + "; ".join(f"{kind}: {', '.join(STAGING_SCHEMAS[kind])}" for kind in KINDS)
    + ". The whole contract, column by column: docs/partner_contract.md (or `omniroute "
    "contract`).\n\n"
    "Exit codes: 0 every file clean, 1 some row rejected (the rest would load), 2 some file "
    "unreadable (wrong format, encoding or header) or not a partner file."
)


def validate(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Partner files to check.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (files, problems, exit_code).")
    ] = False,
) -> int:
    """Exit 0 clean, 1 some row rejected, 2 some file unreadable."""
    report = validate_paths(files)
    if as_json:
        print(json.dumps(validation_json(report), indent=2))
    else:
        print("\n".join(validation_lines(report)))
    return report.exit_code


def validation_json(report: BatchReport) -> dict[str, Any]:
    """The report as one JSON-able object (files, problems, notes, exit_code)."""
    files = []
    for f in report.files:
        entry: dict[str, Any] = {"file": str(f.path), "kind": f.kind, "status": f.status}
        entry["message"] = f.message or None
        v = f.validation
        if v is not None:
            entry |= {
                "rows_read": v.rows_read,
                "rows_accepted": v.rows_accepted,
                "rows_rejected": v.rows_rejected,
                "rows_duplicate": v.duplicates,
                "rows_amended": v.amended,
                "problems": [
                    {
                        "file": str(f.path),
                        "row": p["row_number"],
                        "column": p["column"],
                        "rule": p["rule"],
                        "message": p["message"],
                        "value": cut(p["value"]),
                        "value_length": None if p["value"] is None else len(p["value"]),
                    }
                    for p in collapse_missing_columns(v.problems).iter_rows(named=True)
                ],
            }
        files.append(entry)
    return {"files": files, "notes": report.notes, "exit_code": report.exit_code}


def validation_lines(report: BatchReport) -> list[str]:
    """Human output: a line per file, then every problem as ``file: row: column: rule: message``."""
    lines: list[str] = []
    for f in report.files:
        v = f.validation
        if v is None:
            lines.append(f"{f.path}: {f.status.upper().replace('_', ' ')}: {f.message}")
            continue
        lines.append(
            f"{f.path} ({f.kind}): {v.rows_read} rows read, {v.rows_accepted} accepted, "
            f"{v.rows_rejected} rejected, {v.duplicates} duplicate(s)"
            + (f", {v.amended} amending" if v.amended else "")
        )
        problems = collapse_missing_columns(v.problems)
        lines.extend("  " + line for line in problem_lines(problems, label=str(f.path)))
    lines.extend(f"note: {note}" for note in report.notes)
    troubled = sum(1 for f in report.files if f.status != "ok")
    verdict = {0: "clean", 1: "rows rejected", 2: "unreadable file(s)"}[report.exit_code]
    lines.append(f"{len(report.files)} file(s), {troubled} with problems: {verdict}")
    return lines
