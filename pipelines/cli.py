"""The ``omniroute`` command: ``run`` the job through Dagster, ``validate`` partner files,
generate a ``sample`` inbox. Exit codes are part of the interface (scripts and CI read them).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.intake import BatchReport, validate_paths
from contracts.report import collapse_missing_columns, problem_lines

ALLOCATION_ASSET = "allocation_plan"
BENEFIT_ASSET = "benefit_estimates"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``omniroute`` console script; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omniroute", description="Open order-sourcing engine (Dagster + DuckDB + PuLP)."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the allocation job through Dagster on an inbox")
    run.add_argument("--inbox", type=Path, help="partner inbox folder (default: bundled sample)")
    run.add_argument("--warehouse", type=Path, help="DuckDB warehouse file")
    run.add_argument("--outbox", type=Path, help="outbox folder")
    run.add_argument("--config", type=Path, help="run settings, YAML or JSON")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.add_argument(
        "--log-level", default="INFO", type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="Dagster's log level (stderr)",
    )  # fmt: skip
    run.set_defaults(handler=_run)

    validate = commands.add_parser(
        "validate", help="check partner files against the contract (loads nothing)"
    )
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.add_argument("--json", action="store_true", help="print one JSON object")
    validate.set_defaults(handler=_validate)

    sample = commands.add_parser("sample", help="write a deterministic sample inbox")
    sample.add_argument("--out", type=Path, required=True, help="folder to write into")
    sample.add_argument("--orders", type=int, default=1500)
    sample.add_argument("--seed", type=int, default=7)
    sample.add_argument("--format", choices=["csv", "parquet"], default="csv")
    sample.add_argument("--stores", type=int, default=40)
    sample.add_argument("--dcs", type=int, default=4)
    sample.add_argument("--skus", type=int, default=300)
    sample.set_defaults(handler=_sample)
    return parser


# --- validate -------------------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
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
                    {"file": str(f.path), "row": p["row_number"], "column": p["column"],
                     "rule": p["rule"], "message": p["message"], "value": p["value"]}
                    for p in collapse_missing_columns(v.problems).iter_rows(named=True)
                ],
            }  # fmt: skip
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


# --- sample ---------------------------------------------------------------------------------


def _sample(args: argparse.Namespace) -> int:
    from samples.generator import generate_inbox
    from samples.inbox import write_inbox

    try:
        frames = generate_inbox(
            orders=args.orders, seed=args.seed, stores=args.stores, dcs=args.dcs, skus=args.skus
        )
    except ValueError as error:
        print(f"omniroute sample: {error}", file=sys.stderr)
        return 2
    written = write_inbox(frames, args.out, args.format)
    lines = frames["orders"].height
    print(f"wrote {len(written)} files to {args.out} ({args.orders} orders, {lines} order lines)")
    for path in written:
        print(f"  {path.name}")
    return 0


# --- run ------------------------------------------------------------------------------------


@dataclass
class RunSummary:
    """What ``run`` reports (``--json`` prints these fields as one object)."""

    run_id: str
    status: str
    seconds: float
    inbox: str
    warehouse: str
    outbox: str | None = None
    objective: float | None = None
    best_bound: float | None = None
    gap: float | None = None
    plan_cost: float | None = None
    baseline_objective: float | None = None
    baseline_cost: float | None = None
    allocation_seconds: float | None = None
    solver: str | None = None
    solver_status: str | None = None
    lines: int | None = None
    units_allocated: int | None = None
    units_backordered: int | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    staging_rows: dict[str, int] = field(default_factory=dict)
    quarantined_rows: int = 0
    message: str = ""
    errors: list[str] = field(default_factory=list)


def _run(args: argparse.Namespace) -> int:
    """Run ``allocation_job`` in-process through Dagster (runs show in the UI)."""
    import dagster as dg

    from pipelines.definitions import ALLOCATION_JOB, build_definitions
    from pipelines.paths import ProjectPaths, ensure_dagster_home
    from pipelines.run_config import load_config_file

    for env, value in (("OMNIROUTE_INBOX", args.inbox), ("OMNIROUTE_WAREHOUSE", args.warehouse),
                       ("OMNIROUTE_OUTBOX", args.outbox)):  # fmt: skip
        if value is not None:
            os.environ[env] = str(value)
    paths = ProjectPaths.from_env()
    if not paths.inbox.is_dir():
        return _fail(f"inbox folder {paths.inbox} does not exist", args.json)
    try:
        settings = load_config_file(args.config) if args.config else {}
    except (OSError, ValueError) as error:
        return _fail(f"bad --config: {error}", args.json)
    os.environ["DAGSTER_HOME"] = str(ensure_dagster_home())

    defs = build_definitions(paths)
    job = defs.resolve_job_def(ALLOCATION_JOB)
    run_config: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": args.log_level}}}}
    if settings:
        run_config["ops"] = {
            ALLOCATION_ASSET: {"config": settings},
            BENEFIT_ASSET: {"config": {"allocation": settings}},
        }
    started = time.perf_counter()
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance, run_config=run_config, raise_on_error=False
        )
    summary = RunSummary(
        run_id=result.run_id,
        status="success" if result.success else "failure",
        seconds=round(time.perf_counter() - started, 3),
        inbox=str(paths.inbox),
        warehouse=str(paths.warehouse),
        errors=_step_errors(result),
    )
    _add_ingest_summary(summary, paths.warehouse)
    _add_plan_summary(summary, paths)
    if result.success and summary.objective is None:
        summary.status = "failure"
        summary.message = "the job finished without an allocation plan"
    _print_summary(summary, args.json)
    return 0 if summary.status == "success" else 1


def _fail(message: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"status": "error", "message": message}))
    print(f"omniroute run: {message}", file=sys.stderr)
    return 2


def _step_errors(result: Any) -> list[str]:
    """One line per failed step: which asset, what went wrong."""
    errors = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            cause = error.cause or error
            errors.append(f"{event.step_key}: {cause.message.strip()}")
    return errors


def _add_ingest_summary(summary: RunSummary, warehouse: Path) -> None:
    """This run's ledger rows, the staging sizes and the quarantine count, from the warehouse."""
    if not warehouse.exists():
        return
    from contracts.kinds import KINDS
    from contracts.warehouse import LEDGER, REJECTED
    from pipelines.resources import open_warehouse

    with open_warehouse(warehouse) as con:
        tables = {
            r[0]
            for r in con.sql(
                "SELECT schema_name || '.' || table_name FROM duckdb_tables()"
            ).fetchall()
        }
        if LEDGER not in tables:
            return
        ledger = con.sql(
            "SELECT file_name, kind, status, rows_read, rows_accepted, rows_rejected, "
            f"rows_duplicate, rows_amended, message FROM {LEDGER} WHERE run_id = ? "
            "ORDER BY ingested_at, file_name",
            params=[summary.run_id],
        ).pl()
        summary.files = ledger.to_dicts()
        summary.staging_rows = {
            kind: con.sql(f"SELECT count(*) FROM staging.{kind}").fetchall()[0][0] for kind in KINDS
        }
        summary.quarantined_rows = con.sql(
            f"SELECT count(*) FROM {REJECTED} WHERE run_id = ?", params=[summary.run_id]
        ).fetchall()[0][0]


def _add_plan_summary(summary: RunSummary, paths: Any) -> None:
    """The run's plan figures (optimizer and baseline) from ``plan.runs``."""
    if not paths.warehouse.exists():
        return
    from pipelines.plan_store import RUNS
    from pipelines.resources import open_warehouse

    with open_warehouse(paths.warehouse) as con:
        known = con.sql(
            "SELECT 1 FROM duckdb_tables() WHERE schema_name = 'plan' AND table_name = 'runs'"
        ).fetchall()
        if not known:
            return
        rows = con.sql(
            f"SELECT method, solver, status, objective, best_bound, gap, plan_cost, seconds, "
            f"objective_terms FROM {RUNS} WHERE run_id = ?",
            params=[summary.run_id],
        ).pl()
        lines = con.sql("SELECT count(*) FROM staging.orders").fetchall()[0][0]
    plans = {row["method"]: row for row in rows.iter_rows(named=True)}
    if "optimizer" not in plans:
        return
    plan, baseline = plans["optimizer"], plans.get("baseline", {})
    terms = json.loads(plan["objective_terms"])
    summary.objective, summary.best_bound, summary.gap = (
        plan["objective"],
        plan["best_bound"],
        plan["gap"],
    )
    summary.plan_cost, summary.allocation_seconds = plan["plan_cost"], plan["seconds"]
    summary.solver, summary.solver_status = plan["solver"], plan["status"]
    summary.baseline_objective = baseline.get("objective")
    summary.baseline_cost = baseline.get("plan_cost")
    summary.lines = lines
    summary.units_allocated = int(terms.get("units_allocated", 0))
    summary.units_backordered = int(terms.get("units_backordered", 0))
    summary.outbox = str(paths.outbox / summary.run_id)


def _print_summary(summary: RunSummary, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary.__dict__, indent=2, default=str))
        return
    print(f"run {summary.run_id}: {summary.status} in {summary.seconds:.1f} s")
    print(f"inbox {summary.inbox} -> warehouse {summary.warehouse}")
    if summary.files:
        print(f"{len(summary.files)} new file(s):")
        for f in summary.files:
            counts = (
                f"{f['rows_read']} read, {f['rows_accepted']} accepted, {f['rows_rejected']} "
                f"rejected, {f['rows_duplicate']} duplicate(s)"
                if f["status"] == "ok"
                else f["message"] or ""
            )
            print(f"  {f['file_name']:<34} {f['kind'] or '?':<10} {f['status']:<12} {counts}")
    else:
        print("no new files in the inbox (files already ingested are skipped)")
    staged = ", ".join(f"{k} {n}" for k, n in summary.staging_rows.items())
    print(f"staging rows: {staged}")
    print(f"rows quarantined this run: {summary.quarantined_rows}")
    if summary.objective is not None:
        _print_plan(summary)
    for error in summary.errors:
        print(f"error: {error}", file=sys.stderr)
    if summary.message:
        print(summary.message)


def _print_plan(s: RunSummary) -> None:
    gap = "n/a" if s.gap is None else f"{100 * s.gap:.3f} %"
    print(
        f"allocation: {s.lines} lines, {s.units_allocated} units allocated, "
        f"{s.units_backordered} backordered ({s.solver}, {s.solver_status}, "
        f"{s.allocation_seconds:.1f} s)"
    )
    print(f"objective {s.objective:,.2f} (bound {s.best_bound or 0:,.2f}, gap {gap}); "
          f"plan cost {s.plan_cost:,.2f}")  # fmt: skip
    if s.baseline_objective:
        saved = s.baseline_objective - s.objective
        print(
            f"rule-based baseline: objective {s.baseline_objective:,.2f}, plan cost "
            f"{s.baseline_cost:,.2f}; optimization saves {saved:,.2f} "
            f"({100 * saved / s.baseline_objective:.1f} %)"
        )
    print(f"outbox: {s.outbox} (instructions per node, backorders.csv, kpi_report.html)")


if __name__ == "__main__":
    sys.exit(main())
