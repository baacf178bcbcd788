"""What happened to each partner file a wave took in, as the partner reads it.

``intake/<file name>.csv``: a first summary row (the file's status and counts), then one row
per problem of a rejected row (every reason), per duplicate, and per feedback row the order
book refused or applied in part. ``intake/summary.csv``: one row per file.
"""

from __future__ import annotations

import polars as pl

from contracts.results import INTAKE_SCHEMA, INTAKE_SUMMARY_SCHEMA
from contracts.vocabulary import IntakeStatus

ACK_SCHEMA = pl.Schema({"file_name": pl.String(), "sha256": pl.String(), **INTAKE_SCHEMA})


def _summary_message() -> pl.Expr:
    counts = pl.format(
        "{} rows read, {} accepted, {} rejected, {} duplicate(s)",
        pl.col("rows_read").fill_null(0),
        pl.col("rows_accepted").fill_null(0),
        pl.col("rows_rejected").fill_null(0),
        pl.col("rows_duplicate").fill_null(0),
    )
    return pl.when(pl.col("rows_read").is_null()).then(pl.col("message")).otherwise(counts)


def acknowledgements(
    files: pl.DataFrame,
    rejected: pl.DataFrame,
    duplicates: pl.DataFrame,
    feedback: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per-file acknowledgement rows ``ACK_SCHEMA``, the summary: sha256 and
    ``INTAKE_SUMMARY_SCHEMA``).

    files: ledger rows (file_name, sha256, kind, status, rows_read, rows_accepted,
    rows_rejected, rows_duplicate, message), the state refusals already counted in.
    rejected: sha256, row_number, column, rule, message (one row per reason).
    duplicates: sha256, row_number. feedback: the order book's outcomes (file_sha256,
    row_number, status, rule, message) of rows applied in part.
    """
    names = files.select("file_name", "sha256")
    summary = files.select(
        "file_name",
        "sha256",
        pl.lit(None, pl.Int64).alias("row_number"),
        pl.lit(IntakeStatus.FILE.value).alias("status"),
        pl.col("status").alias("rule"),
        pl.lit(None, pl.String).alias("column"),
        _summary_message().alias("message"),
    )
    problems = rejected.join(names, on="sha256").select(
        "file_name", "sha256", "row_number", pl.lit(IntakeStatus.REJECTED.value).alias("status"),
        "rule", "column", "message",
    )  # fmt: skip
    repeats = duplicates.join(names, on="sha256").select(
        "file_name", "sha256", "row_number", pl.lit(IntakeStatus.DUPLICATE.value).alias("status"),
        pl.lit("duplicate").alias("rule"), pl.lit(None, pl.String).alias("column"),
        pl.lit("an exact repeat of a row already taken in: nothing changed").alias("message"),
    )  # fmt: skip
    partly = (
        feedback.filter(pl.col("status") == IntakeStatus.PARTLY_APPLIED.value)
        .rename({"file_sha256": "sha256"})
        .join(names, on="sha256")
        .select(
            "file_name",
            "sha256",
            "row_number",
            pl.lit(IntakeStatus.PARTLY_APPLIED.value).alias("status"),
            "rule",
            pl.lit(None, pl.String).alias("column"),
            "message",
        )  # fmt: skip
    )
    rows = pl.concat([summary, problems, repeats, partly]).cast(ACK_SCHEMA)
    order = {name: i for i, name in enumerate(files["sha256"])}
    rows = rows.with_columns(
        _file=pl.col("sha256").replace_strict(order, default=len(order), return_dtype=pl.Int64)
    ).sort("_file", "row_number", "status", nulls_last=False)
    summary_rows = files.select("sha256", *INTAKE_SUMMARY_SCHEMA).cast(
        pl.Schema({"sha256": pl.String(), **INTAKE_SUMMARY_SCHEMA})
    )
    return rows.drop("_file"), summary_rows
