"""Validation problems as partners read them: one line per problem, missing columns once."""

from __future__ import annotations

import polars as pl


def problem_lines(problems: pl.DataFrame, label: str | None = None) -> list[str]:
    """One line per problem: ``file: row N: column C: rule R: message (got 'value')``.

    label: how to name the file (e.g. the path the user typed); default its file name.
    """
    lines = []
    for row in problems.iter_rows(named=True):
        column = row["column"] or "(record)"
        got = f" (got {shown(row['value'])})" if row["value"] is not None else ""
        where = "every row" if row["row_number"] is None else f"row {row['row_number']}"
        lines.append(
            f"{label or row['source_file']}: {where}: column {column}: "
            f"rule {row['rule']}: {row['message']}{got}"
        )
    return lines


SHOWN_CHARACTERS = 80


def cut(value: str | None) -> str | None:
    """A cell cut to the characters a message quotes (``value_length`` says how long it was)."""
    return None if value is None else value[:SHOWN_CHARACTERS]


def shown(value: str) -> str:
    """A cell as a message quotes it: at most 80 characters, the length said when cut (a
    100 KB cell stays whole in quarantine, not in every line of a report)."""
    if len(value) <= SHOWN_CHARACTERS:
        return repr(value)
    return f"{value[:SHOWN_CHARACTERS]!r}... ({len(value):,} characters)"


def collapse_missing_columns(problems: pl.DataFrame) -> pl.DataFrame:
    """A missing column once per file (row null = every row), not once per row per column."""
    missing = pl.col("rule") == "missing_column"
    once = (
        problems.filter(missing)
        .unique(subset=["source_file", "column"], keep="first", maintain_order=True)
        .with_columns(
            pl.lit(None, pl.Int64).alias("row_number"),
            pl.col("message") + ": every row is rejected",
        )
    )
    return pl.concat([once, problems.filter(~missing)])
