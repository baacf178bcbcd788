"""The read-only SQL shell over a real warehouse: queries, errors, dot-commands, refusals, and
it never keeps the file open while it waits for input."""

from __future__ import annotations

import io
import os
import shutil
import threading
import time
from pathlib import Path

from warehouse.connection import open_warehouse
from warehouse.shell import PROMPT, run_shell


def _shell(path: Path, command: str | None = None, stdin: str = "", interactive: bool = False):
    out = io.StringIO()
    code = run_shell(path, command, io.StringIO(stdin), out, interactive)
    return code, out.getvalue()


def test_a_command_prints_each_statements_result_as_a_table(job_warehouse):
    code, out = _shell(
        job_warehouse,
        "SELECT count(*) AS runs FROM plan.runs; SELECT settings->>'mip_gap' AS gap, "
        "'a;b' AS text FROM marts.newest_wave",
    )
    assert code == 0, out
    assert "| runs |" in out and "| 4    |" in out  # a wave and a dry run, two methods each
    assert "| a;b  |" in out and out.count("(1 row)") == 2


def test_an_error_is_one_line_and_exit_1(job_warehouse):
    code, out = _shell(job_warehouse, "SELECT no_such_column FROM plan.runs")
    assert code == 1
    assert out.startswith("Error: Binder Error") and out.count("\n") == 1


def test_writes_are_refused_read_only(job_warehouse):
    before = job_warehouse.stat().st_mtime_ns
    code, out = _shell(job_warehouse, "INSERT INTO plan.runs (run_id) VALUES ('x')")
    assert code == 1 and "read-only" in out
    assert (
        _shell(job_warehouse, "SELECT count(*) AS n FROM plan.runs WHERE run_id = 'x'")[1].count(
            "| 0 |"
        )
        == 1
    )
    assert job_warehouse.stat().st_mtime_ns == before


def test_statements_and_dot_commands_from_input(job_warehouse):
    script = (
        ".tables\n"
        ".schema newest_wave\n"
        ".describe plan.runs\n"
        "SELECT run_id\n  FROM marts.newest_wave;\n"
        "SELECT nope;\n"
        ".quit\n"
        "SELECT 'after quit' AS never;\n"
    )
    code, out = _shell(job_warehouse, stdin=script)
    assert code == 1  # one statement failed (a script reports it)
    assert "| marts.newest_wave " in out and "| view  |" in out and "The newest published" in out
    assert "saved_pct" in out and "percent of the baseline" in out
    assert "| settings " in out and "| JSON " in out  # .describe plan.runs: types and comments
    assert "Error: Binder Error" in out and "after quit" not in out
    assert PROMPT not in out  # no prompt when not interactive


def test_interactive_prompts_and_an_unknown_table(job_warehouse):
    code, out = _shell(
        job_warehouse, stdin=".schema nowhere\nSELECT\n1 AS one;\n", interactive=True
    )
    assert code == 0
    assert out.count(PROMPT) == 3 and "...>" in out  # the statement's second line continues
    assert "Error: no table or view nowhere" in out and "| one |" in out


def test_a_missing_file_is_named(tmp_path):
    code, out = _shell(tmp_path / "none.duckdb", "SELECT 1")
    assert code == 1 and "no warehouse at" in out and not (tmp_path / "none.duckdb").exists()


def test_an_idle_shell_holds_no_connection_a_wave_would_wait_for(job_warehouse, tmp_path):
    copy = tmp_path / "w.duckdb"
    shutil.copy(job_warehouse, copy)
    read, write = os.pipe()
    out = io.StringIO()
    with os.fdopen(read) as stdin, os.fdopen(write, "w") as feed:
        shell = threading.Thread(target=run_shell, args=(copy, None, stdin, out, False))
        shell.start()
        feed.write("SELECT count(*) AS n FROM plan.runs;\n")
        feed.flush()
        deadline = time.monotonic() + 30
        while "(1 row)" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "(1 row)" in out.getvalue()
        # the shell now waits for its next line: a writer opens the file at once
        with open_warehouse(copy, lock_wait_s=0) as con:
            assert con.execute("SELECT count(*) FROM plan.runs").fetchall() == [(4,)]
        feed.write(".quit\n")
        feed.flush()
        shell.join(30)
    assert not shell.is_alive()
