"""Every SQL query of README.md runs against a real warehouse after a real wave and dry run,
and returns rows; the newest-run queries answer for the newest published wave only."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)


def _statements() -> list[str]:
    """Each statement of each ```sql block, with the comment line that names it."""
    blocks = BLOCK.findall(README.read_text(encoding="utf-8"))
    parser = duckdb.connect()
    statements = [s.query.strip() for block in blocks for s in parser.extract_statements(block)]
    parser.close()
    return statements


STATEMENTS = _statements()


def _name(sql: str) -> str:
    comment = next((line for line in sql.splitlines() if line.startswith("--")), "")
    return (comment.removeprefix("--").strip() or sql.splitlines()[0])[:60]


def test_the_readme_has_its_analyst_queries():
    assert len(STATEMENTS) >= 9


@pytest.mark.parametrize("sql", STATEMENTS, ids=[_name(s) for s in STATEMENTS])
def test_each_readme_query_runs_and_returns_rows(job_warehouse, sql):
    with duckdb.connect(str(job_warehouse), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    assert rows, sql


def test_why_this_line_answers_for_one_wave_not_every_run(job_warehouse):
    sql = next(s for s in STATEMENTS if "Why was this line" in s)
    order_id = re.search(r"order_id = '([^']+)'", sql).group(1)  # type: ignore[union-attr]
    with duckdb.connect(str(job_warehouse), read_only=True) as con:
        rows = con.execute(sql).fetchall()
        runs_planning_it = con.execute(
            "SELECT count(DISTINCT run_id) FROM plan.explanations "
            "WHERE method = 'optimizer' AND order_id = ?",
            [order_id],
        ).fetchall()[0][0]
        newest = con.execute(
            "SELECT count(*) FROM plan.explanations e JOIN marts.newest_wave w USING (run_id) "
            "WHERE e.method = 'optimizer' AND e.order_id = ?",
            [order_id],
        ).fetchall()[0][0]
    assert runs_planning_it == 2  # the wave and the dry run both planned it
    assert len(rows) == newest > 0
