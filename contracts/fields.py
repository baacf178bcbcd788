"""The partner contract v1 as data: every column of every file kind, its type and its range.

One table the schemas, the parser, the docs and the tests all read, so a rule is stated
once. Parsing is vectorized: each field's text becomes its typed value with a non-strict
cast; a non-empty text whose typed value is null failed to parse.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from contracts.tables import STAGING_SCHEMAS
from contracts.vocabulary import NodeType, OrderMethod, values

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
MAX_TEXT = 1000

NODE_TYPES = values(*NodeType)
SERVICE_LEVELS = ("standard", "express")
CHANNELS = ("web", "mobile", "call_center", "store", "marketplace")
METHODS = values(*OrderMethod)
SUPPLY_KINDS = ("in_transit", "purchase_order")
RETURN_CHANNELS = ("in_store", "mail")
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")

RAW_SUFFIX = "__raw"  # the stripped text a typed value was parsed from


@dataclass(frozen=True)
class Field:
    """One contract column: type, whether a value is required, range, allowed values."""

    name: str
    type: str  # id | text | email | int | number | bool | enum | timestamp
    required: bool = True
    min: float | None = None
    min_inclusive: bool = True
    max: float | None = None
    values: tuple[str, ...] = ()
    default: object = None  # typed value an empty cell stands for

    @property
    def raw(self) -> str:
        """Name of the text column beside the typed one."""
        return self.name + RAW_SUFFIX


# Plausible upper bounds: values above them are typing or unit errors (cents for dollars, grams
# for kilograms, 9e18), and they would wreck the solver's numerics (a 1e308 cost makes every
# other cost vanish beside it). Generous on purpose: no real business is near any of them.
MAX_UNITS = 1_000_000_000  # stock and capacity of one node
# units of one order line, shipment, rejection or cancellation: B2B lines are large (the real
# dataset's, docs/realdata.md, reach 561,847 units)
MAX_LINE_UNITS = 10_000_000
MAX_LINE_NO = 100_000
MAX_PRICE = 1_000_000.0  # one unit's price or cost
MAX_FEE = 10_000.0  # a handling or parcel fee, a per-kg rate
MAX_WEIGHT_KG = 10_000.0  # one unit
MAX_DAYS = 365
MAX_DISTANCE_KM = 20_040.0  # half the equator: no two places on Earth are farther apart


def _money(name: str, max: float = MAX_FEE) -> Field:
    return Field(name, "number", min=0, max=max)


def _days(name: str, required: bool = True) -> Field:
    return Field(name, "int", required=required, min=0, max=MAX_DAYS)


def _units(name: str, required: bool = True, default: object = None) -> Field:
    return Field(name, "int", required=required, min=0, max=MAX_UNITS, default=default)


def _line_units(name: str, required: bool = True) -> Field:
    return Field(name, "int", required=required, min=0, min_inclusive=False, max=MAX_LINE_UNITS)


def _line_no(required: bool = True) -> Field:
    return Field("line_no", "int", required=required, min=1, max=MAX_LINE_NO)


CONTRACT: dict[str, tuple[Field, ...]] = {
    "nodes": (
        Field("node_id", "id"),
        Field("node_type", "enum", values=NODE_TYPES),
        Field("name", "text"),
        Field("latitude", "number", min=-90, max=90),
        Field("longitude", "number", min=-180, max=180),
        _units("ship_capacity_units"),
        _units("ship_capacity_orders", required=False),
        Field("supports_ship", "bool"),
        Field("supports_pickup", "bool"),
        _money("handling_cost_per_order"),
        _money("handling_cost_per_unit"),
        _days("processing_days"),
        _units("pickup_capacity_orders", required=False),
    ),
    "products": (
        Field("sku", "id"),
        Field("name", "text"),
        _money("unit_cost", MAX_PRICE),
        Field("weight_kg", "number", min=0, min_inclusive=False, max=MAX_WEIGHT_KG),
    ),
    "stock": (
        Field("node_id", "id"),
        Field("sku", "id"),
        _units("on_hand"),
        _units("reserved"),
        _units("safety_stock", required=False, default=0),
        Field("snapshot_at", "timestamp"),
    ),
    # Stock on its way to a node: a transfer in transit or a purchase order, with its ETA.
    "supply": (
        Field("supply_id", "id"),
        Field("node_id", "id"),
        Field("sku", "id"),
        _units("quantity"),
        Field("expected_at", "timestamp"),
        Field("kind", "enum", values=SUPPLY_KINDS),
    ),
    "rates": (
        Field("service_level", "enum", values=SERVICE_LEVELS),
        Field("max_distance_km", "number", min=0, min_inclusive=False, max=MAX_DISTANCE_KM),
        _money("cost_per_package"),
        _money("cost_per_kg"),
        _days("transit_days"),
    ),
    "lanes": (
        Field("node_id", "id"),
        Field("ship_to_zone", "text"),
        Field("service_level", "enum", values=SERVICE_LEVELS),
        _money("cost_per_package"),
        _money("cost_per_kg"),
        _days("transit_days"),
    ),
    "exclusions": (
        Field("node_id", "id"),
        Field("sku", "id", required=False),
        Field("customer_id", "id", required=False),
        Field("channel", "enum", required=False, values=CHANNELS),
        Field("reason", "text", required=False),
    ),
    "orders": (
        Field("order_id", "id"),
        _line_no(),
        Field("channel", "enum", values=CHANNELS),
        Field("ordered_at", "timestamp"),
        Field("customer_id", "id"),
        Field("customer_email", "email", required=False),
        Field("sku", "id"),
        _line_units("quantity"),
        _money("unit_price", MAX_PRICE),
        Field("fulfillment_method", "enum", values=METHODS),
        Field("pickup_node_id", "id", required=False),  # required on pickup lines
        Field("service_level", "enum", required=False, values=SERVICE_LEVELS, default="standard"),
        Field("ship_to_latitude", "number", required=False, min=-90, max=90),
        Field("ship_to_longitude", "number", required=False, min=-180, max=180),
        Field("ship_to_postal_code", "text", required=False),
        Field("ship_to_country", "text", required=False),
        Field("ship_to_zone", "text", required=False),
        _days("promised_days", required=False),
    ),
}

CONTRACT |= {
    # A node confirms what left it.
    "shipments": (
        Field("shipment_id", "id"),
        Field("order_id", "id"),
        _line_no(),
        Field("node_id", "id"),
        _line_units("quantity"),
        Field("shipped_at", "timestamp"),
        Field("tracking_id", "text", required=False),
        Field("carrier", "text", required=False),
    ),
    # A node cannot fill what it was told (short pick, damage, store too busy).
    "rejections": (
        Field("order_id", "id"),
        _line_no(),
        Field("node_id", "id"),
        _line_units("quantity"),
        Field("rejected_at", "timestamp"),
        Field("reason", "text", required=False),
    ),
    # The customer or channel cancels: empty line_no = every line, empty quantity = all.
    "cancellations": (
        Field("order_id", "id"),
        _line_no(required=False),
        _line_units("quantity", required=False),
        Field("cancelled_at", "timestamp"),
        Field("reason", "text", required=False),
    ),
    # Units customers brought or sent back (they feed the BORIS estimate, not the stock).
    "returns": (
        Field("return_id", "id"),
        Field("order_id", "id"),
        _line_no(),
        _line_units("quantity"),
        Field("returned_at", "timestamp"),
        Field("return_channel", "enum", values=RETURN_CHANNELS),
        Field("node_id", "id"),
        Field("resellable", "bool"),
    ),
}

# Ship-to fields every ship line of one order must agree on.
SHIP_TO_FIELDS = (
    "ship_to_latitude",
    "ship_to_longitude",
    "ship_to_postal_code",
    "ship_to_country",
    "ship_to_zone",
    "service_level",
)


_DTYPES: dict[str, pl.DataType] = {
    "int": pl.Int64(),
    "number": pl.Float64(),
    "bool": pl.Boolean(),
    "timestamp": STAGING_SCHEMAS["stock"]["snapshot_at"],
}


def bound_text(value: float) -> str:
    """A bound as partners read it: ``10,000,000``, ``0.5``, ``-90``."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def upper_bounds_markdown() -> str:
    """The contract's plausible upper bounds as the README's table (a test keeps them equal)."""
    rows: dict[tuple[str, float], list[str]] = {}
    for kind, fields in CONTRACT.items():
        for f in fields:
            if f.max is not None and f.min is not None and f.min >= 0:
                rows.setdefault((f.name, f.max), []).append(kind)
    lines = ["| column | in | at most |", "|---|---|---|"]
    lines += [f"| `{n}` | {', '.join(k)} | {bound_text(m)} |" for (n, m), k in rows.items()]
    return "\n".join(lines)


def field(kind: str, name: str) -> Field:
    """The contract's field ``name`` of ``kind``."""
    return next(f for f in CONTRACT[kind] if f.name == name)


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Surrounding whitespace dropped; an empty cell is absent (null)."""
    stripped = expr.cast(pl.String).str.strip_chars()
    return pl.when(stripped.str.len_bytes() > 0).then(stripped)


def parse(f: Field, text: pl.Expr) -> pl.Expr:
    """The typed value of cleaned text (null where it does not parse), defaults applied."""
    dtype = _DTYPES.get(f.type)
    if f.type == "int":
        value = text.str.replace(r"^([+-]?\d+)\.0*$", "${1}").cast(pl.Int64, strict=False)
    elif f.type == "number":
        number = text.cast(pl.Float64, strict=False)
        value = pl.when(number.is_finite()).then(number)
    elif f.type == "bool":
        lower = text.str.to_lowercase()
        value = (
            pl.when(lower.is_in(TRUE_WORDS)).then(True).when(lower.is_in(FALSE_WORDS)).then(False)
        )
    elif f.type == "enum":
        value = text.str.to_lowercase()
    elif f.type == "timestamp":
        value = parse_timestamp(text)
    else:
        value = text
    if dtype is not None:
        value = value.cast(dtype)
    if f.default is not None:
        value = pl.when(text.is_null()).then(pl.lit(f.default)).otherwise(value)
    return value


def parse_timestamp(text: pl.Expr) -> pl.Expr:
    """ISO 8601 date or date-time, with or without seconds, fraction and zone; no zone = UTC."""
    s = text.str.replace(r"[zZ]$", "+00:00").str.replace(r"^(\d{4}-\d{1,2}-\d{1,2})[ t]", "${1}T")

    def zoned(fmt: str) -> pl.Expr:
        return s.str.to_datetime(fmt, strict=False, time_unit="us", time_zone="UTC")

    def naive(fmt: str) -> pl.Expr:
        parsed = s.str.to_datetime(fmt, strict=False, time_unit="us", time_zone=None)
        return parsed.dt.replace_time_zone("UTC")

    return pl.coalesce(
        zoned("%Y-%m-%dT%H:%M:%S%.f%#z"),
        naive("%Y-%m-%dT%H:%M:%S%.f"),
        zoned("%Y-%m-%dT%H:%M%#z"),
        naive("%Y-%m-%dT%H:%M"),
        s.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
    )


def text_columns(kind: str, present: set[str] | frozenset[str]) -> list[pl.Expr]:
    """Each contract field's cleaned text as ``<name>__raw``.

    A column the file lacks is all-absent text, so its rules see nulls; the caller reports
    a missing required column once per row as ``missing_column``.
    """
    return [
        (clean_text(pl.col(f.name)) if f.name in present else pl.lit(None, pl.String)).alias(f.raw)
        for f in CONTRACT[kind]
    ]


def typed_columns(kind: str) -> list[pl.Expr]:
    """Each contract field's typed value, parsed from the ``<name>__raw`` text columns."""
    return [parse(f, pl.col(f.raw)).alias(f.name) for f in CONTRACT[kind]]
