"""Raw partner rows -> typed staging rows, rejected rows with every reason, and duplicates.

Nothing is lost: for every file ``rows_read = accepted + rejected + duplicates``. A row is
rejected for every rule it breaks (Pandera lazy validation); an exact repeat of a valid row,
in the same file or already staged, is a duplicate; a valid row whose key is staged with
other content amends it (the caller merges files in order, so the last one wins).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from contracts.fields import CONTRACT, text_columns, typed_columns
from contracts.hints import delimiter_hint
from contracts.reading import FILE_SHA256, OVERFLOW, READ_ERROR, ROW_NUMBER, SOURCE_FILE, RawFile
from contracts.schemas import Reference, contract_schema, staging_schema
from contracts.tables import KEYS, STAGING_SCHEMAS

# Staging rows carry their lineage: which file (name and content hash) and row supplied the
# current version; the hash tells apart two files of the same name sent on different days.
LINEAGE = (SOURCE_FILE, FILE_SHA256, ROW_NUMBER)
PROBLEM_SCHEMA = pl.Schema(
    {
        SOURCE_FILE: pl.String(),
        ROW_NUMBER: pl.Int64(),
        "column": pl.String(),
        "rule": pl.String(),
        "message": pl.String(),
        "value": pl.String(),
    }
)
REASON = pl.Struct({"column": pl.String(), "rule": pl.String(), "message": pl.String()})
REJECTED_SCHEMA = pl.Schema(
    {
        SOURCE_FILE: pl.String(),
        "kind": pl.String(),
        ROW_NUMBER: pl.Int64(),
        "record": pl.String(),
        "reasons": pl.List(REASON),
    }
)


def staged_columns(kind: str) -> list[str]:
    """Columns of ``staging.<kind>``: the staging shape, then the lineage columns."""
    return [*STAGING_SCHEMAS[kind], *LINEAGE]


def empty_staged(kind: str) -> pl.DataFrame:
    """An empty staging table (staging shape plus lineage)."""
    return pl.DataFrame(
        schema={
            **STAGING_SCHEMAS[kind],
            SOURCE_FILE: pl.String(),
            FILE_SHA256: pl.String(),
            ROW_NUMBER: pl.Int64(),
        }
    )


@dataclass(frozen=True)
class FileValidation:
    """One file's verdict.

    accepted: rows to stage (staging shape + lineage), new or amending. rejected: one row per
    rejected record with its raw JSON and every reason. problems: one row per reason (file,
    row, column, rule, message, value), what partners read.
    """

    source_file: str
    kind: str
    rows_read: int
    accepted: pl.DataFrame
    rejected: pl.DataFrame
    problems: pl.DataFrame
    duplicates: int
    amended: int
    duplicate_rows: tuple[int, ...] = ()  # row numbers of the duplicates

    @property
    def rows_accepted(self) -> int:
        """Rows new to staging or amending a staged row."""
        return self.accepted.height

    @property
    def rows_rejected(self) -> int:
        """Rows quarantined (each with at least one reason)."""
        return self.rejected.height

    @property
    def reconciles(self) -> bool:
        """The ledger's promise: every row read is accounted for exactly once."""
        return self.rows_read == self.rows_accepted + self.rows_rejected + self.duplicates


def validate_file(
    raw: RawFile, reference: Reference | None = None, current: pl.DataFrame | None = None
) -> FileValidation:
    """Validate a file as read (see ``validate_records``)."""
    if raw.kind is None:
        raise ValueError(f"{raw.name}: unknown file kind")
    return validate_records(raw.kind, raw.frame, raw.columns, reference, current, raw.name)


def validate_records(
    kind: str,
    frame: pl.DataFrame,
    columns: tuple[str, ...] | list[str],
    reference: Reference | None = None,
    current: pl.DataFrame | None = None,
    source_file: str | None = None,
) -> FileValidation:
    """Validate one file's raw records (reading.RawFile.frame shape) of a kind.

    reference: known nodes/products for the cross-file rules (None = skip them).
    current: the staging table so far (staging shape), to tell duplicates and amendments.
    source_file: the file's name (default: taken from the records).
    """
    source = source_file or (frame[SOURCE_FILE][0] if frame.height else "")
    present = frozenset(columns)
    missing = [f.name for f in CONTRACT[kind] if f.required and f.name not in present]
    well_formed = frame.filter(pl.col(READ_ERROR).is_null())
    prepared = well_formed.select(*LINEAGE, *text_columns(kind, present))
    prepared = prepared.with_columns(typed_columns(kind))

    problems = _schema_problems(contract_schema(kind, reference), prepared)
    problems = pl.concat(
        [
            _drop_missing(problems, missing),
            _missing_column_problems(frame, missing, delimiter_hint(kind, columns)),
            _ragged_problems(frame),
        ]
    ).sort(ROW_NUMBER, maintain_order=True)

    valid = prepared.join(problems.select(ROW_NUMBER).unique(), on=ROW_NUMBER, how="anti")
    staged = valid.select(staged_columns(kind))
    accepted, duplicates, amended = _drop_duplicates(kind, staged, current)
    repeats = duplicate_rows(staged, accepted)
    return FileValidation(
        source_file=source,
        kind=kind,
        rows_read=frame.height,
        accepted=accepted,
        rejected=_rejected_rows(kind, frame, columns, problems),
        problems=problems,
        duplicates=duplicates,
        amended=amended,
        duplicate_rows=tuple(repeats),
    )


def merge_into_staging(kind: str, current: pl.DataFrame, accepted: pl.DataFrame) -> pl.DataFrame:
    """Staging after a file: its accepted rows replace staged rows with the same key."""
    keys = list(KEYS[kind])
    kept = current.join(accepted.select(keys), on=keys, how="anti", nulls_equal=True)
    return pl.concat([kept.select(staged_columns(kind)), accepted.select(staged_columns(kind))])


def _schema_problems(schema: pa.DataFrameSchema, prepared: pl.DataFrame) -> pl.DataFrame:
    """Every failed check of every row, as problems (row, column, rule, message, value)."""
    try:
        schema.validate(prepared, lazy=True)
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    except pa.errors.SchemaErrors as errors:
        failures = errors.failure_cases
    if failures["index"].null_count():
        # Column or dtype errors: our parser built the frame, so this is a bug, not bad data.
        raise RuntimeError(f"schema {schema.name} failed structurally:\n{failures}")
    lookup = _check_lookup(schema)
    rows = failures.select(
        # Frame-wide checks report the schema's name as their column.
        pl.when(pl.col("schema_context") == "Column").then(pl.col("column")).otherwise(pl.lit("")),
        pl.col("check_number").cast(pl.Int64),
        pl.col("index").cast(pl.Int64),
    ).join(lookup, on=["column", "check_number"], how="left", maintain_order="left")
    numbered = prepared.select(SOURCE_FILE, ROW_NUMBER)[rows["index"]]
    found = pl.concat([numbered, rows.select("reason_column", "rule", "message")], how="horizontal")
    composite = list((schema.metadata or {}).get("check_columns", {}).values())
    values = _raw_values(prepared, found, composite)
    return (
        found.rename({"reason_column": "column"})
        .join(values, on=[ROW_NUMBER, "column"], how="left", maintain_order="left")
        .select(list(PROBLEM_SCHEMA))
    )


def _check_lookup(schema: pa.DataFrameSchema) -> pl.DataFrame:
    """(column, check_number) of a failure case -> the rule, message and reported column."""
    frame_columns = (schema.metadata or {}).get("check_columns", {})
    entries = [
        (name, number, name, check.name, check.error)
        for name, column in schema.columns.items()
        for number, check in enumerate(column.checks)
    ] + [
        ("", number, frame_columns.get(check.name, ""), check.name, check.error)
        for number, check in enumerate(schema.checks)
    ]
    return pl.DataFrame(
        entries,
        schema=["column", "check_number", "reason_column", "rule", "message"],
        orient="row",
    ).with_columns(pl.col("check_number").cast(pl.Int64))


def _raw_values(prepared: pl.DataFrame, found: pl.DataFrame, composite: list[str]) -> pl.DataFrame:
    """The text each failing cell held (a key's cells joined), to quote it back to the partner."""
    rows = prepared.join(found.select(ROW_NUMBER).unique(), on=ROW_NUMBER, how="semi")
    raw_columns = [c for c in prepared.columns if c.endswith("__raw")]
    keys = [
        pl.concat_str(
            [pl.col(f"{c}__raw").fill_null("") for c in columns.split(",")], separator=", "
        ).alias(columns + "__raw")
        for columns in composite
        if "," in columns  # a one-column key is quoted like any other cell
    ]
    return (
        rows.select(ROW_NUMBER, *raw_columns, *keys)
        .unpivot(index=ROW_NUMBER, variable_name="column", value_name="value")
        .with_columns(pl.col("column").str.strip_suffix("__raw"))
    )


def _drop_missing(problems: pl.DataFrame, missing: list[str]) -> pl.DataFrame:
    """A missing column is reported once per row as missing_column, not as each of its rules."""
    if not missing:
        return problems
    involved = pl.col("column").str.split(",").list.set_intersection(pl.lit(missing)).list.len()
    return problems.filter(involved == 0)


def _missing_column_problems(
    frame: pl.DataFrame, missing: list[str], hint: str | None = None
) -> pl.DataFrame:
    """Every row of a file without a required column is rejected for it; ``hint`` says why the
    columns may be missing (a header split on another delimiter)."""
    cause = f"; {hint}" if hint else ""
    parts = [
        frame.select(
            SOURCE_FILE,
            ROW_NUMBER,
            pl.lit(name).alias("column"),
            pl.lit("missing_column").alias("rule"),
            pl.lit(f"the file has no {name} column (required){cause}").alias("message"),
            pl.lit(None, pl.String).alias("value"),
        )
        for name in missing
    ]
    return pl.concat([pl.DataFrame(schema=PROBLEM_SCHEMA), *parts])


def _ragged_problems(frame: pl.DataFrame) -> pl.DataFrame:
    """A broken record (field count, stray quote, bare CR, NUL): no value can be trusted to a
    column. ``read_error`` is ``rule: message``."""
    parts = pl.col(READ_ERROR).str.splitn(": ", 2)
    return frame.filter(pl.col(READ_ERROR).is_not_null()).select(
        SOURCE_FILE,
        ROW_NUMBER,
        pl.lit(None, pl.String).alias("column"),
        parts.struct.field("field_0").alias("rule"),
        parts.struct.field("field_1").alias("message"),
        pl.col(OVERFLOW).alias("value"),
    )


def _rejected_rows(
    kind: str, frame: pl.DataFrame, columns: tuple[str, ...] | list[str], problems: pl.DataFrame
) -> pl.DataFrame:
    """One row per rejected record: the record as written (JSON) and all its reasons."""
    if problems.is_empty():
        return pl.DataFrame(schema=REJECTED_SCHEMA)
    reasons = problems.group_by(ROW_NUMBER, maintain_order=True).agg(
        pl.struct("column", "rule", "message").alias("reasons")
    )
    fields = [pl.col(c) for c in columns]
    if frame[OVERFLOW].null_count() < frame.height:
        fields.append(pl.col(OVERFLOW).str.json_decode(pl.List(pl.String)))
    record = pl.struct(fields).struct.json_encode() if fields else pl.lit("{}")
    records = frame.join(reasons, on=ROW_NUMBER, how="semi").select(
        SOURCE_FILE, ROW_NUMBER, record.alias("record")
    )
    return (
        records.join(reasons, on=ROW_NUMBER, how="left")
        .select(
            SOURCE_FILE,
            pl.lit(kind).alias("kind"),
            ROW_NUMBER,
            "record",
            pl.col("reasons").cast(pl.List(REASON)),
        )
        .sort(ROW_NUMBER)
    )


def _drop_duplicates(
    kind: str, staged: pl.DataFrame, current: pl.DataFrame | None
) -> tuple[pl.DataFrame, int, int]:
    """Valid rows minus exact repeats (within the file, or of staged rows); count amendments."""
    keys = list(KEYS[kind])
    first = staged.unique(subset=keys, keep="first", maintain_order=True)
    duplicates = staged.height - first.height
    if current is None or current.is_empty():
        return first, duplicates, 0
    content = list(STAGING_SCHEMAS[kind])
    known = current.select(content)
    fresh = first.join(known, on=content, how="anti", nulls_equal=True, maintain_order="left")
    amended = fresh.join(known.select(keys), on=keys, how="semi", nulls_equal=True).height
    return fresh, duplicates + first.height - fresh.height, amended


def duplicate_rows(staged: pl.DataFrame, accepted: pl.DataFrame) -> list[int]:
    """Row numbers of valid rows that were not staged: the duplicates."""
    return sorted(
        staged.join(accepted.select(ROW_NUMBER), on=ROW_NUMBER, how="anti")[ROW_NUMBER].to_list()
    )


def staging_violations(kind: str, staging: pl.DataFrame) -> pl.DataFrame:
    """Broken guarantees of a staging table (rule, column, failing rows); empty when it conforms."""
    try:
        staging_schema(kind).validate(staging.select(list(STAGING_SCHEMAS[kind])), lazy=True)
    except pa.errors.SchemaErrors as errors:
        return (
            errors.failure_cases.group_by("column", "check")
            .agg(pl.len().alias("rows"))
            .sort("column", "check", nulls_last=True)
        )
    return pl.DataFrame(schema={"column": pl.String(), "check": pl.String(), "rows": pl.UInt32()})
