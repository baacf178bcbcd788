"""Markdown tables: the Dagster UI's metadata and the KPI report share one renderer."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import polars as pl


def md_cell(text: str, html: bool = True) -> str:
    """A table cell: pipes and line breaks neutralised, HTML escaped unless ``html`` is off."""
    text = escape(text) if html else text
    return text.replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def md_table(header: Sequence[str], rows: list[list[str]], html: bool = True) -> str:
    """A GitHub-flavoured Markdown table of text cells."""
    lines = [
        "| " + " | ".join(md_cell(h, html) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(md_cell(c, html) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_table(frame: pl.DataFrame, limit: int = 20, width: int = 80) -> str:
    """The first ``limit`` rows of a frame as a Markdown table (long cells cut to ``width``)."""
    if frame.is_empty():
        return "_none_"
    shown = frame.head(limit)
    rows = [[_short(v, width) for v in row] for row in shown.iter_rows()]
    table = md_table(shown.columns, rows, html=False)
    if frame.height > limit:
        table += f"\n\n_… {frame.height - limit} more_"
    return table


def _short(value: object, width: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
