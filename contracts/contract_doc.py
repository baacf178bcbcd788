"""The partner contract as a Markdown document, rendered from the contract's own tables.

``docs/partner_contract.md`` is this module's output (a test keeps them equal), so the
document partners read cannot drift from what validation enforces: columns, types, ranges
and defaults come from ``CONTRACT``, keys from ``KEYS``, file names from ``KINDS``, the rules
across rows and files from the Pandera schemas' own checks, the outbox columns from the
result shapes. Regenerate:
``uv run python -m contracts.contract_doc > docs/partner_contract.md``.
"""

from __future__ import annotations

import polars as pl

from contracts.csv_records import MAX_RECORD_LINES
from contracts.fields import (
    CONTRACT,
    ID_PATTERN,
    MAX_TEXT,
    SHIP_TO_FIELDS,
    Field,
    range_parts,
)
from contracts.hints import OTHER_DELIMITERS
from contracts.inbox import DEFAULT_MAX_FILE_MB, DEFAULT_QUIET_SECONDS, IN_PROGRESS_SUFFIXES
from contracts.kinds import FEEDBACK_KINDS, KINDS, PARTNER_FILE_SUFFIXES, REFERENCE_KINDS
from contracts.money import CSV_MONEY_DECIMALS, MONEY_COLUMNS
from contracts.results import (
    BACKORDER_SCHEMA,
    INSTRUCTION_SCHEMA,
    INTAKE_SCHEMA,
    INTAKE_SUMMARY_SCHEMA,
)
from contracts.schemas import TYPE_RULES, Reference, contract_schema
from contracts.tables import KEYS
from contracts.vocabulary import (
    BackorderReason,
    FeedbackRule,
    FileStatus,
    InstructionMethod,
    IntakeStatus,
    Mode,
    values,
)

REGENERATE = "uv run python -m contracts.contract_doc > docs/partner_contract.md"

KIND_MEANINGS: dict[str, str] = {
    "nodes": "One row per fulfillment node: the DCs and stores that can ship or hand out orders.",
    "products": "One row per product (sku): its cost of goods and its weight.",
    "rates": "The carrier rate card as distance bands. A parcel goes in the smallest band whose "
    "`max_distance_km` covers the great-circle distance; parcel cost = `cost_per_package` + "
    "`cost_per_kg` x parcel weight. An inbox needs rates, lanes or both.",
    "stock": "Stock snapshots per node and sku. Available to promise = max(0, on_hand - reserved "
    "- safety_stock - what omniroute has committed there and not shipped by the snapshot's time "
    "- units the node rejected since).",
    "supply": "Stock on its way to a node (transfers in transit, purchase orders) with its ETA. "
    "A supply row counts until a stock snapshot of its node and sku at or after `expected_at` "
    "arrives; a later file with the same key moves the ETA or, with quantity 0, withdraws it.",
    "lanes": "Negotiated or zone-based rates that override the bands: an order line with "
    "`ship_to_zone` uses the lane for (node, zone, service level) where there is one.",
    "exclusions": "Business rules that keep a node from lines: a row excludes the node for "
    "every line that matches all its non-empty fields (no filter at all: the node fills "
    "nothing).",
    "orders": "One row per order line, from every sales channel. A later file that repeats a "
    "line's key with other content amends the line (instructed units are cancelled at their "
    "node and the line is sourced anew; a lower quantity cancels only the difference).",
    "shipments": "A node confirms what left it (shipping advice).",
    "rejections": "A node cannot fill what it was told (short pick, damage, store too busy): "
    "the units are sourced again, never from that node, and its stock of the sku counts them "
    "as gone until its next snapshot.",
    "cancellations": "The customer or channel cancels: open units first, then instructed ones "
    "(the node gets a `cancel` instruction). Shipped units cannot be cancelled (that is a "
    "return).",
    "returns": "Units customers brought or sent back. They add no stock (the next snapshot "
    "does); they feed the BORIS estimate with the business's own return rates.",
}

# Rules beyond a column's own type and range, by the name partners see in messages.
RULE_MEANINGS: dict[str, str] = {
    "duplicate_key": "rows of one file that share the key but not their content are all "
    "rejected (an exact repeat is a duplicate, not an error)",
    "unknown_node": "the node must be in the nodes (of the same drop or taken in before)",
    "unknown_sku": "the sku must be in the products (of the same drop or taken in before)",
    "pickup_not_supported": "the pickup node must have `supports_pickup` true",
    "pickup_node_required": "a pickup line needs `pickup_node_id`",
    "ship_to_required": "a ship line needs `ship_to_latitude` and `ship_to_longitude` unless "
    "`ship_to_zone` is given, and never only one of them",
    "ship_to_mismatch": "the ship lines of one order (those already taken in too) must agree on "
    f"{', '.join(f'`{c}`' for c in SHIP_TO_FIELDS)}; otherwise every line of the order is "
    "rejected (pickup lines are not compared)",
}
FEEDBACK_RULE_MEANINGS: dict[FeedbackRule, str] = {
    FeedbackRule.NOT_INSTRUCTED: "refused: the node has fewer instructed, open units on the "
    "line than the row names",
    FeedbackRule.UNKNOWN_LINE: "refused: no such order line in the order book",
    FeedbackRule.ALREADY_APPLIED: "refused: a row with this key was applied by an earlier wave",
    FeedbackRule.ALREADY_SHIPPED: "applied in part: shipped units cannot be cancelled",
}
FEEDBACK_RULES_OF: dict[str, tuple[FeedbackRule, ...]] = {
    "shipments": (
        FeedbackRule.NOT_INSTRUCTED,
        FeedbackRule.UNKNOWN_LINE,
        FeedbackRule.ALREADY_APPLIED,
    ),
    "rejections": (
        FeedbackRule.NOT_INSTRUCTED,
        FeedbackRule.UNKNOWN_LINE,
        FeedbackRule.ALREADY_APPLIED,
    ),
    "cancellations": (
        FeedbackRule.UNKNOWN_LINE,
        FeedbackRule.ALREADY_APPLIED,
        FeedbackRule.ALREADY_SHIPPED,
    ),
}
# Rules of one value, shown in each kind's table rather than listed again.
VALUE_RULES = frozenset(
    {"required", "id_format", "max_length", "email_format", "enum", "min", "max"}
    | {rule for rule, _ in TYPE_RULES.values()}
)
RECORD_RULES: dict[str, str] = {
    "field_count": "a record with more or fewer fields than the header",
    "unclosed_quote": "a quote that never closes (within the record's lines): that line alone is "
    "rejected and the next line is read as the next record",
    "bare_cr": "a carriage return outside quotes",
    "nul_byte": "a NUL byte in the record",
    "misplaced_quote": "a quote inside an unquoted field",
    "missing_column": "the header lacks a required column: every row of the file is rejected "
    "(the message says so when the header looks separated by another delimiter)",
}
TYPE_NAMES: dict[str, str] = {
    "id": "id",
    "text": "text",
    "email": "e-mail",
    "int": "integer",
    "number": "number",
    "bool": "boolean",
    "enum": "one of",
    "timestamp": "timestamp",
}

OUTBOX_MEANINGS: dict[str, str] = {
    "run_id": "the wave that sent the row",
    "order_id": "the order",
    "line_no": "the order line",
    "sku": "the product",
    "quantity": "units (for `cancel`: units to stop)",
    "node_id": "the node the file is for",
    "fulfillment_method": "what to do: "
    + ", ".join(f"`{m}`" for m in (*values(*Mode), *values(*InstructionMethod))),
    "parcel_id": "the parcel the units travel in (empty for `pickup_in_store`); a "
    "`receive_for_pickup` row names the incoming parcel",
    "service_level": "the carrier service",
    "parcel_cost": "the row's share of its parcel's cost, by weight (the shares of a parcel add "
    "up to its cost)",
    "expected_delivery_days": "days until the customer has the units",
    "available_at": "the ETA of the supply the row waits for; empty = stock on hand",
    "destination_node_id": "the pickup store the units end at: for `ship_to_store` the store "
    "the parcel goes to, for `pickup_in_store` and `receive_for_pickup` the store itself; "
    "empty for home delivery (`ship_from_dc`, `ship_from_store`); a `cancel` row carries the "
    "destination of the instruction it stops",
    "reason": "why the units are still open: "
    + ", ".join(f"`{r}`" for r in values(*BackorderReason)),
    "expected_at": "for `awaiting_supply`: when the supply that will cover them is due",
    "cheapest_node_id": "for `uneconomic`: the cheapest node that could still fill the units",
    "fill_cost": "for `uneconomic`: what filling them there would have cost (parcel, handling "
    "and delivery-day weights, as the optimizer counts cost)",
    "penalty": "for `uneconomic`: the backorder penalty they cost instead (unit price × "
    "`backorder_penalty`); filling cost more than this, so they wait",
    "row_number": "the data row of the partner's file (1-based, header not counted); empty on "
    "the summary row",
    "status": ", ".join(f"`{s}`" for s in values(*IntakeStatus)) + " (`file`: the summary row)",
    "rule": "the rule (on the summary row: the file's status)",
    "column": "the column the problem is in (empty: the whole record)",
    "message": "what is wrong, in words (on the summary row: the counts)",
    "file_name": "the partner file",
    "kind": "its kind",
    "rows_read": "data rows read",
    "rows_accepted": "rows taken in (new or amending)",
    "rows_rejected": "rows quarantined",
    "rows_duplicate": "exact repeats of rows already taken in",
}


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _range(f: Field) -> str:
    """A field's range or allowed values, as partners read them."""
    if f.values:
        return ", ".join(f"`{v}`" for v in f.values)
    return ", ".join(range_parts(f))


def _default(f: Field) -> str:
    if f.default is not None:
        return f"`{f.default}`"
    return "" if f.required else "empty = absent"


def _kind_table(kind: str) -> list[str]:
    lines = [
        "| column | type | required | range / allowed values | default | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for f in CONTRACT[kind]:
        cells = (
            f"`{f.name}`",
            TYPE_NAMES[f.type],
            "yes" if f.required else "no",
            _range(f),
            _default(f),
            f.description,
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def cross_row_rules(kind: str) -> dict[str, list[str]]:
    """Rules beyond one value that validation enforces on ``kind``: rule -> its columns, read
    from the schema with every cross-file reference known."""
    known = pl.Series([], dtype=pl.String)
    schema = contract_schema(
        kind, Reference(node_ids=known, pickup_node_ids=known, skus=known, staged_ship_to=None)
    )
    rules: dict[str, list[str]] = {}
    for name, column in schema.columns.items():
        for check in column.checks:
            if check.name not in VALUE_RULES:
                rules.setdefault(str(check.name), []).append(name)
    for check in schema.checks:
        rules.setdefault(str(check.name), []).extend(KEYS[kind])
    return rules


def _kind_section(kind: str) -> list[str]:
    key = ", ".join(f"`{k}`" for k in KEYS[kind])
    names = " or ".join(f"`{kind}*{s}`" for s in PARTNER_FILE_SUFFIXES)
    lines = [
        f"## {kind}",
        "",
        KIND_MEANINGS[kind],
        "",
        f"- File name: {names} (for example `{kind}_2025-03-03{PARTNER_FILE_SUFFIXES[0]}`).",
        f"- Key: {key}.",
        "",
        *_kind_table(kind),
        "",
        "Rules across columns, rows and files:",
        "",
    ]
    for rule, columns in cross_row_rules(kind).items():
        where = ", ".join(f"`{c}`" for c in dict.fromkeys(columns))
        lines.append(f"- `{rule}` ({where}): {RULE_MEANINGS[rule]}.")
    for rule in FEEDBACK_RULES_OF.get(kind, ()):
        lines.append(f"- `{rule}` (when a wave applies the row): {FEEDBACK_RULE_MEANINGS[rule]}.")
    return [*lines, ""]


def _intro() -> list[str]:
    kinds = ", ".join(f"`{k}`" for k in KINDS)
    others = ", ".join(f"{name} (`{d!r}`)" for d, name in OTHER_DELIMITERS.items())
    record_rules = [f"- `{rule}`: {meaning}." for rule, meaning in RECORD_RULES.items()]
    return [
        "# Partner contract",
        "",
        f"<!-- Generated by contracts/contract_doc.py; do not edit. Regenerate: {REGENERATE} -->",
        "",
        "What omniroute takes in from channels, stores, DCs and 3PLs (the inbox), what it tells",
        "them back (the outbox), and every rule a file is checked against. Check a file before",
        "sending it: `uv run omniroute validate FILE...` (give the nodes and products files",
        "alongside, so the rules across files run too).",
        "",
        "## Files and names",
        "",
        f"- The file name's prefix says the kind, case-insensitively: {kinds}. "
        "`orders_web.csv` is an orders file, `Stock-DC01.parquet` a stock file. A name with "
        "no known prefix is not taken in (`unknown_kind`).",
        f"- Files end in {' or '.join(f'`{s}`' for s in PARTNER_FILE_SUFFIXES)}. Names ending "
        f"in {', '.join(f'`{s}`' for s in IN_PROGRESS_SUFFIXES)} and hidden names (`.name`) "
        "are never read: write `orders_web.csv.part` and rename it when it is complete. A file "
        f"is taken once it has not changed for {DEFAULT_QUIET_SECONDS:g} s.",
        "- Only regular files directly in the inbox are read: links, folders, devices and pipes "
        f"are refused, and so are files above {DEFAULT_MAX_FILE_MB} MB (split larger files).",
        f"- Files dropped together are taken reference kinds first "
        f"({', '.join(f'`{k}`' for k in REFERENCE_KINDS)}), then in the order above, and "
        "within a kind in name order, so a later name amends an earlier one. A wave applies "
        f"the feedback ({', '.join(f'`{k}`' for k in FEEDBACK_KINDS)}) in this order: "
        "shipments, rejections, orders (new and amended), cancellations.",
        "",
        "## CSV and Parquet",
        "",
        "- CSV: UTF-8 (a byte-order mark is accepted), comma-separated, one header row with the "
        "column names (case and surrounding spaces do not matter), LF or CRLF line ends.",
        '- Quoting as RFC 4180: a field in double quotes may hold commas, quotes (written `""`) '
        f"and line breaks (up to {MAX_RECORD_LINES} lines).",
        f"- Other delimiters ({others}) and other encodings (Latin-1, Windows-1252, UTF-16) are "
        "not accepted; the message names what the file looks like.",
        "- Parquet is accepted with the same column names; its typed values are read as the "
        "text a CSV would carry (timestamps in ISO 8601, UTC).",
        "- Columns the contract does not name are kept as received and otherwise ignored.",
        "",
        "## Values",
        "",
        f"- Ids match `{ID_PATTERN}`: nothing that could act as a path.",
        f"- Text is at most {MAX_TEXT:,} characters; surrounding spaces are dropped; an empty "
        "cell is absent (and takes the column's default, if it has one).",
        "- An integer may be written `3` or `3.0`, never `3.5`. Numbers must be finite. "
        "Booleans: `true`/`false`, `1`/`0`, `yes`/`no`. Allowed values (enums) are "
        "case-insensitive and stored lower-case.",
        "- Timestamps are ISO 8601 dates or date-times (`2025-03-03`, `2025-03-03T09:00:00Z`, "
        "`2025-03-03 09:00+01:00`); one without a zone is UTC.",
        "- Every amount has a plausible upper bound (rule `max`): larger values are typing or "
        "unit errors.",
        "",
        "## Bad rows, keys and amendments",
        "",
        "- A row that breaks a rule is rejected with every reason (file, row, column, rule, "
        "message) and kept in quarantine; the file's good rows are taken in. Row numbers count "
        "data records from 1 (the header and blank lines are not rows).",
        "- Nothing is lost: per file, rows read = accepted + rejected + duplicates.",
        "- A file that cannot be read at all (not UTF-8, empty, corrupt Parquet) is kept whole "
        "in quarantine and reported as unreadable.",
        "- Every wave's outbox has `intake/<file name>.csv` for each file it took in: a first "
        "summary row (status and counts), then one row per rejected, duplicate or partly "
        "applied row. `intake/summary.csv` has one row per file.",
        "- Each kind has a key (below). Within one file, rows sharing a key but not their "
        "content are all rejected (`duplicate_key`). An exact repeat of a row already taken in "
        "is a duplicate and changes nothing, so re-sending a file changes nothing. A later "
        "file that repeats a key with other content amends that row (the file taken in last "
        "wins).",
        "",
        "Rules about a record as written (CSV):",
        "",
        *record_rules,
        "",
    ]


def _outbox_table(schema: pl.Schema, overrides: dict[str, str] | None = None) -> list[str]:
    meanings = OUTBOX_MEANINGS | (overrides or {})
    lines = ["| column | meaning |", "|---|---|"]
    lines += [f"| `{c}` | {_cell(meanings[c])} |" for c in schema]
    return lines


def _outbox() -> list[str]:
    money = ", ".join(f"`{c}`" for c in sorted(MONEY_COLUMNS))
    return [
        "## The outbox",
        "",
        "Each wave publishes `outbox/<run_id>/` whole or not at all (`_SUCCESS` is written "
        "last; `outbox/LATEST` names the newest wave). File names are node ids and partner "
        "file names, percent-encoded (`%XX`) where Windows or POSIX would not accept them.",
        "",
        "`instructions/<node_id>.csv` and `.parquet`: this wave's new work for the node.",
        "",
        *_outbox_table(INSTRUCTION_SCHEMA),
        "",
        "`backorders.csv`: every line's still-open units after the wave.",
        "",
        *_outbox_table(BACKORDER_SCHEMA, {"quantity": "units still open"}),
        "",
        "`intake/<file name>.csv`: what became of each partner file.",
        "",
        *_outbox_table(INTAKE_SCHEMA),
        "",
        "`intake/summary.csv`: one row per file.",
        "",
        *_outbox_table(
            INTAKE_SUMMARY_SCHEMA,
            {"status": "the file's status: " + ", ".join(f"`{s}`" for s in values(*FileStatus))},
        ),
        "",
        f"Money ({money}) is rounded to {CSV_MONEY_DECIMALS} decimals in CSV files, so that "
        "the rounded shares of a parcel still add up to its rounded cost; the Parquet files "
        "keep full precision. CSV text cells that a spreadsheet would run as a formula start "
        "with `'`.",
        "",
    ]


def render_contract() -> str:
    """The whole partner contract as Markdown (``docs/partner_contract.md``)."""
    lines = _intro()
    for kind in KINDS:
        lines += _kind_section(kind)
    lines += _outbox()
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    print(render_contract(), end="")
