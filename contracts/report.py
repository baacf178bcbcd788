"""Small text renderings of validation results, for the Dagster UI and the command line."""

from __future__ import annotations

import polars as pl


def markdown_table(frame: pl.DataFrame, limit: int = 20) -> str:
    """The first ``limit`` rows as a Markdown table (cells escaped, long ones cut)."""
    if frame.is_empty():
        return "_none_"
    shown = frame.head(limit)
    lines = [
        "| " + " | ".join(shown.columns) + " |",
        "|" + "---|" * len(shown.columns),
    ]
    for row in shown.iter_rows():
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if frame.height > limit:
        lines.append(f"\n_… {frame.height - limit} more_")
    return "\n".join(lines)


def _cell(value: object, width: int = 80) -> str:
    text = "" if value is None else str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def problem_lines(problems: pl.DataFrame, label: str | None = None) -> list[str]:
    """One line per problem: ``file: row N: column C: rule R: message (got 'value')``.

    label: how to name the file (e.g. the path the user typed); default its file name.
    """
    lines = []
    for row in problems.iter_rows(named=True):
        column = row["column"] or "(record)"
        got = f" (got {row['value']!r})" if row["value"] is not None else ""
        where = "every row" if row["row_number"] is None else f"row {row['row_number']}"
        lines.append(
            f"{label or row['source_file']}: {where}: column {column}: "
            f"rule {row['rule']}: {row['message']}{got}"
        )
    return lines


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
