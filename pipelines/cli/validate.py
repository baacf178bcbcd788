"""``omniroute validate FILE...``: check partner files against the contract, load nothing."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from contracts.intake import BatchReport, validate_paths
from contracts.messages import collapse_missing_columns, cut, problem_lines


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "validate", help="check partner files against the contract (loads nothing)"
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Exit 0 clean, 1 some row rejected, 2 some file unreadable."""
    report = validate_paths(args.files)
    if args.json:
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
