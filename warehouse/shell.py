"""A small read-only SQL shell over the warehouse, with the project's own DuckDB.

The DuckDB shell an analyst installs may be older than the DuckDB that wrote the file (a file
in a newer storage format does not open in an older shell); this one always matches. It opens
the file read-only, and only while it runs statements: between statements (while it waits for
the next one) the file is closed, so a wave never waits for an idle shell. While a statement
runs, DuckDB's own rule holds: the wave waits for it (``open_warehouse``), and a shell started
while a wave writes says so in one line instead of waiting. Each statement read from input gets
a fresh connection (temporary views and ``SET`` do not carry over); the statements of one
``command`` share one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import duckdb

PROMPT, MORE = "omniroute> ", "      ...> "
MAX_ROWS = 1000  # rows printed per result; the rest are counted
MAX_CELL = 120  # characters printed per value
HELP = """\
.tables              tables and views, with what they hold
.schema TABLE        columns of a table or view: type and meaning (also .describe)
.help                this text
.quit                leave (also .exit, or end of input)
SQL statements end with ';'. The warehouse is opened read-only."""


class ShellError(Exception):
    """A statement or command that failed; its message is one line."""


def _one_line(error: BaseException) -> str:
    """The error's first line (DuckDB adds the query and a caret below it)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@contextmanager
def _read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the file, closed on exit."""
    if not path.is_file():
        raise ShellError(f"no warehouse at {path} (run `omniroute run` first, or pass --warehouse)")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise ShellError(
                f"the warehouse {path} is being written (a wave is running): try again when it "
                f"ends ({_one_line(error)})"
            ) from error
        raise ShellError(_one_line(error)) from error
    try:
        con.execute("SET TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def _cell(value: object) -> str:
    text = "NULL" if value is None else str(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def format_table(columns: Sequence[str], rows: Sequence[Sequence[object]], total: int) -> str:
    """Rows as an aligned text table with a header and a row count."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def row_text(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    out = [line, row_text(list(columns)), line, *(row_text(r) for r in cells), line]
    shown = f", first {len(rows)} shown" if total > len(rows) else ""
    out.append(f"({total} row{'s' if total != 1 else ''}{shown})")
    return "\n".join(out)


def _run_sql(con: duckdb.DuckDBPyConnection, sql: str, out: TextIO) -> None:
    """Every statement of ``sql``, each result printed; raises ShellError at the first error."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as error:
        raise ShellError(_one_line(error)) from error
    for statement in statements:
        try:
            result = con.execute(statement.query)
            if result.description is None:
                out.write("OK\n")
                continue
            columns = [d[0] for d in result.description]
            rows = result.fetchmany(MAX_ROWS)
            total = len(rows) + sum(1 for _ in iter(result.fetchone, None))
        except duckdb.Error as error:
            raise ShellError(_one_line(error)) from error
        out.write(format_table(columns, rows, total) + "\n")


def _tables(con: duckdb.DuckDBPyConnection, out: TextIO) -> None:
    rows = con.execute(
        "SELECT schema_name || '.' || table_name, 'table', coalesce(comment, '') "
        "FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal "
        "UNION ALL SELECT schema_name || '.' || view_name, 'view', coalesce(comment, '') "
        "FROM duckdb_views() WHERE database_name = current_database() AND NOT internal "
        "ORDER BY 1"
    ).fetchall()
    out.write(format_table(["name", "type", "comment"], rows, len(rows)) + "\n")


def _schema(con: duckdb.DuckDBPyConnection, name: str, out: TextIO) -> None:
    """Columns of ``schema.table`` (or a table name alone when it is unique)."""
    wanted = name.strip().strip(";").strip().strip('"')
    if not wanted:
        raise ShellError("usage: .schema TABLE (for example .schema plan.runs)")
    rows = con.execute(
        "SELECT schema_name || '.' || table_name, column_name, data_type, "
        "coalesce(comment, '') FROM duckdb_columns() "
        "WHERE database_name = current_database() AND NOT internal "
        "AND (schema_name || '.' || table_name = ? OR table_name = ?) "
        "ORDER BY schema_name, table_name, column_index",
        [wanted, wanted],
    ).fetchall()
    tables = sorted({r[0] for r in rows})
    if not tables:
        raise ShellError(f"no table or view {wanted} (.tables lists them)")
    if len(tables) > 1:
        raise ShellError(f"{wanted} is in several schemas: {', '.join(tables)}")
    comment = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE schema_name || '.' || table_name = ? "
        "AND database_name = current_database() UNION ALL SELECT comment FROM duckdb_views() "
        "WHERE schema_name || '.' || view_name = ? AND database_name = current_database()",
        [tables[0], tables[0]],
    ).fetchall()
    if comment and comment[0][0]:
        out.write(f"{tables[0]}: {comment[0][0]}\n")
    columns = [r[1:] for r in rows]
    out.write(format_table(["column", "type", "comment"], columns, len(columns)) + "\n")


def _dot_command(path: Path, line: str, out: TextIO) -> bool:
    """Run a dot-command; False when it asks to leave."""
    word, _, argument = line.strip().partition(" ")
    if word in (".quit", ".exit", ".q"):
        return False
    if word == ".help":
        out.write(HELP + "\n")
    elif word == ".tables":
        with _read_only(path) as con:
            _tables(con, out)
    elif word in (".schema", ".describe"):
        with _read_only(path) as con:
            _schema(con, argument, out)
    else:
        raise ShellError(f"unknown command {word} (.help lists them)")
    return True


def _statements(stdin: TextIO, out: TextIO, interactive: bool) -> Iterator[str]:
    """Dot-command lines and ';'-terminated SQL statements read from input."""
    buffer: list[str] = []
    while True:
        if interactive:
            out.write(MORE if buffer else PROMPT)
            out.flush()
        line = stdin.readline()
        if not line:
            if "".join(buffer).strip():
                yield "".join(buffer)
            return
        if not buffer and line.lstrip().startswith("."):
            yield line.strip()
            continue
        if not buffer and not line.strip():
            continue
        buffer.append(line)
        if line.rstrip().endswith(";"):
            yield "".join(buffer)
            buffer = []


def run_shell(
    path: Path, command: str | None, stdin: TextIO, stdout: TextIO, interactive: bool
) -> int:
    """``command`` (one or more ';'-separated statements) run and printed, else statements and
    dot-commands read from ``stdin`` (a prompt when ``interactive``). Errors print as one line
    (``Error: ...``); returns 0, or 1 when something failed (an interactive session returns 0:
    its errors were seen)."""
    failed = False
    if command is not None:
        try:
            if command.strip().startswith("."):
                _dot_command(path, command, stdout)
            else:
                with _read_only(path) as con:
                    _run_sql(con, command, stdout)
        except ShellError as error:
            stdout.write(f"Error: {error}\n")
            return 1
        return 0
    if interactive:
        stdout.write(f"omniroute SQL shell on {path} (read-only, DuckDB {duckdb.__version__}); "
                     ".help for help\n")  # fmt: skip
    for text in _statements(stdin, stdout, interactive):
        try:
            if text.startswith("."):
                if not _dot_command(path, text, stdout):
                    break
            else:
                with _read_only(path) as con:
                    _run_sql(con, text, stdout)
        except ShellError as error:
            stdout.write(f"Error: {error}\n")
            failed = True
    return 1 if failed and not interactive else 0
