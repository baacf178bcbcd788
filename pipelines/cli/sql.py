"""``omniroute sql``: the warehouse in a read-only SQL shell, on any machine ``uv`` runs on.

It uses the project's own ``duckdb`` module, so its storage version is always the one that
wrote the file (a separately installed DuckDB shell may be older and refuse the file).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pipelines.paths import ProjectPaths
from warehouse.shell import run_shell

HELP = """Open the warehouse in a read-only SQL shell (DuckDB SQL; statements end with ;).

Dot-commands: .tables (every table and view with its description), .describe TABLE (columns,
types and descriptions), .quit. With -c, run the statements and exit.
"""
EPILOG = (
    'Examples: `omniroute sql -c "SELECT * FROM marts.newest_wave"`; '
    "`omniroute sql < queries.sql`. Exit codes: 0 done, 1 a statement failed, 2 no warehouse."
)


def sql(
    warehouse: Annotated[
        Path | None, typer.Option(help="DuckDB warehouse file (default: the project's).")
    ] = None,
    command: Annotated[
        str | None, typer.Option("-c", "--command", help="Run these statements and exit.")
    ] = None,
) -> int:
    """Exit 0 done, 1 a statement failed, 2 the warehouse file does not exist."""
    path = ProjectPaths.from_env().with_(warehouse=warehouse).warehouse
    if not path.exists():
        print(f"omniroute sql: no warehouse at {path} (run `omniroute run` first)", file=sys.stderr)
        return 2
    return run_shell(path, command, sys.stdin, sys.stdout, interactive=sys.stdin.isatty())
