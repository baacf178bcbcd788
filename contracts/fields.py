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
    description: str = ""  # what the column means, in the partner contract document

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


def _money(name: str, description: str, max: float = MAX_FEE) -> Field:
    return Field(name, "number", min=0, max=max, description=description)


def _days(name: str, description: str, required: bool = True) -> Field:
    return Field(name, "int", required=required, min=0, max=MAX_DAYS, description=description)


def _units(name: str, description: str, required: bool = True, default: object = None) -> Field:
    return Field(
        name,
        "int",
        required=required,
        min=0,
        max=MAX_UNITS,
        default=default,
        description=description,
    )


def _line_units(name: str, description: str, required: bool = True) -> Field:
    return Field(
        name,
        "int",
        required=required,
        min=0,
        min_inclusive=False,
        max=MAX_LINE_UNITS,
        description=description,
    )


def _line_no(
    description: str = "the line's number within its order", required: bool = True
) -> Field:
    return Field(
        "line_no", "int", required=required, min=1, max=MAX_LINE_NO, description=description
    )


def _id(name: str, description: str, required: bool = True) -> Field:
    return Field(name, "id", required=required, description=description)


def _when(name: str, description: str) -> Field:
    return Field(name, "timestamp", description=description)


ORDER_ID = "the order the line belongs to"
NODE_ID = "the fulfillment node (a DC or a store) from the nodes file"
SKU = "the product, from the products file"
SERVICE = "the carrier service level"

CONTRACT: dict[str, tuple[Field, ...]] = {
    "nodes": (
        _id("node_id", "the node's id, unique in the nodes file"),
        Field(
            "node_type", "enum", values=NODE_TYPES, description="a distribution centre or a store"
        ),
        Field("name", "text", description="the node's name, for people"),
        Field(
            "latitude", "number", min=-90, max=90, description="where the node is (degrees north)"
        ),
        Field(
            "longitude", "number", min=-180, max=180, description="where the node is (degrees east)"
        ),
        _units("ship_capacity_units", "units the node can ship in one business day"),
        _units(
            "ship_capacity_orders",
            "orders the node can ship in one business day; empty = no limit",
            required=False,
        ),
        Field(
            "supports_ship",
            "bool",
            description="whether the node ships parcels (a store with false does no "
            "ship-from-store or ship-to-store)",
        ),
        Field(
            "supports_pickup",
            "bool",
            description="whether customers can pick orders up here (BOPIS)",
        ),
        _money("handling_cost_per_order", "cost of preparing one order at this node (pickups too)"),
        _money("handling_cost_per_unit", "cost of picking one unit at this node"),
        _days("processing_days", "days until a parcel leaves the node (or a pickup is ready)"),
        _units(
            "pickup_capacity_orders",
            "pickup orders the store can prepare in one business day; empty = no limit",
            required=False,
        ),
    ),
    "products": (
        _id("sku", "the product's id, unique in the products file"),
        Field("name", "text", description="the product's name, for people"),
        _money("unit_cost", "cost of goods of one unit (for the gross margin)", MAX_PRICE),
        Field(
            "weight_kg",
            "number",
            min=0,
            min_inclusive=False,
            max=MAX_WEIGHT_KG,
            description="weight of one unit in kilograms (parcel cost per kg)",
        ),
    ),
    "stock": (
        _id("node_id", NODE_ID),
        _id("sku", SKU),
        _units("on_hand", "units physically at the node when the snapshot was taken"),
        _units("reserved", "units held for demand outside omniroute (store holds, other systems)"),
        _units(
            "safety_stock",
            "units the node keeps back and never promises",
            required=False,
            default=0,
        ),
        _when(
            "snapshot_at",
            "when the stock was counted; the newest snapshot per node and sku wins",
        ),
    ),
    # Stock on its way to a node: a transfer in transit or a purchase order, with its ETA.
    "supply": (
        _id("supply_id", "the transfer's or purchase order's id"),
        _id("node_id", "the node the stock is on its way to"),
        _id("sku", SKU),
        _units("quantity", "units on their way; 0 withdraws the supply"),
        _when(
            "expected_at",
            "when the units are expected at the node (ETA); a later file moves it",
        ),
        Field(
            "kind",
            "enum",
            values=SUPPLY_KINDS,
            description="a transfer already in transit or a purchase order",
        ),
    ),
    "rates": (
        Field(
            "service_level",
            "enum",
            values=SERVICE_LEVELS,
            description="the service this band prices",
        ),
        Field(
            "max_distance_km",
            "number",
            min=0,
            min_inclusive=False,
            max=MAX_DISTANCE_KM,
            description="the band covers great-circle distances up to this; beyond the largest "
            "band a node cannot ship",
        ),
        _money("cost_per_package", "price of one parcel in this band"),
        _money("cost_per_kg", "price per kilogram of parcel weight in this band"),
        _days("transit_days", "days the carrier takes in this band"),
    ),
    "lanes": (
        _id("node_id", "the node that ships on this lane"),
        Field(
            "ship_to_zone",
            "text",
            description="the carrier zone the lane goes to (an order line's ship_to_zone)",
        ),
        Field("service_level", "enum", values=SERVICE_LEVELS, description=SERVICE),
        _money("cost_per_package", "price of one parcel on this lane (overrides the bands)"),
        _money("cost_per_kg", "price per kilogram of parcel weight on this lane"),
        _days("transit_days", "days the carrier takes on this lane"),
    ),
    "exclusions": (
        _id("node_id", "the node that may not fill the lines this row matches"),
        _id("sku", "only lines of this product; empty = any (may name a future sku)", False),
        _id("customer_id", "only lines of this customer; empty = any", False),
        Field(
            "channel",
            "enum",
            required=False,
            values=CHANNELS,
            description="only lines of this sales channel; empty = any",
        ),
        Field("reason", "text", required=False, description="why, for people"),
    ),
    "orders": (
        _id("order_id", "the order's id"),
        _line_no(),
        Field(
            "channel", "enum", values=CHANNELS, description="the sales channel the order came in on"
        ),
        _when("ordered_at", "when the customer placed the order"),
        _id("customer_id", "the customer's id (exclusions may name it)"),
        Field(
            "customer_email",
            "email",
            required=False,
            description="the customer's e-mail address; must be valid when given",
        ),
        _id("sku", SKU),
        _line_units("quantity", "units ordered on this line"),
        _money(
            "unit_price",
            "price of one unit to the customer (revenue, backorder penalty)",
            MAX_PRICE,
        ),
        Field(
            "fulfillment_method",
            "enum",
            values=METHODS,
            description="delivered to the customer's address or picked up at a store",
        ),
        _id(
            "pickup_node_id",
            "the store the customer picks up at: required on pickup lines, a node with "
            "supports_pickup",
            required=False,
        ),
        Field(
            "service_level",
            "enum",
            required=False,
            values=SERVICE_LEVELS,
            default="standard",
            description="the carrier service the customer chose (ship lines)",
        ),
        Field(
            "ship_to_latitude",
            "number",
            required=False,
            min=-90,
            max=90,
            description="delivery address (degrees north): required on a ship line without "
            "ship_to_zone",
        ),
        Field(
            "ship_to_longitude",
            "number",
            required=False,
            min=-180,
            max=180,
            description="delivery address (degrees east): required on a ship line without "
            "ship_to_zone",
        ),
        Field("ship_to_postal_code", "text", required=False, description="delivery postal code"),
        Field("ship_to_country", "text", required=False, description="delivery country"),
        Field(
            "ship_to_zone",
            "text",
            required=False,
            description="the carrier zone of the address, to use the lanes",
        ),
        _days(
            "promised_days",
            "the delivery promise in days; a unit delivered later is late",
            required=False,
        ),
    ),
}

CONTRACT |= {
    # A node confirms what left it.
    "shipments": (
        _id("shipment_id", "the node's id of the shipment"),
        _id("order_id", ORDER_ID),
        _line_no("the order line shipped"),
        _id("node_id", "the node that shipped the units"),
        _line_units("quantity", "units that left the node (at most those instructed and open)"),
        _when("shipped_at", "when the units left the node"),
        Field("tracking_id", "text", required=False, description="the carrier's tracking number"),
        Field("carrier", "text", required=False, description="the carrier's name"),
    ),
    # A node cannot fill what it was told (short pick, damage, store too busy).
    "rejections": (
        _id("order_id", ORDER_ID),
        _line_no("the order line the node cannot fill"),
        _id("node_id", "the node that cannot fill it (it never gets this line again)"),
        _line_units("quantity", "units the node cannot fill (at most those instructed and open)"),
        _when("rejected_at", "when the node refused them"),
        Field("reason", "text", required=False, description="why (short pick, damage, ...)"),
    ),
    # The customer or channel cancels: empty line_no = every line, empty quantity = all.
    "cancellations": (
        _id("order_id", ORDER_ID),
        _line_no("the order line cancelled; empty = every line of the order", required=False),
        _line_units(
            "quantity", "units to cancel; empty = all that can still be cancelled", required=False
        ),
        _when("cancelled_at", "when the customer or channel cancelled"),
        Field("reason", "text", required=False, description="why, for people"),
    ),
    # Units customers brought or sent back (they feed the BORIS estimate, not the stock).
    "returns": (
        _id("return_id", "the return's id"),
        _id("order_id", ORDER_ID),
        _line_no("the order line returned"),
        _line_units("quantity", "units returned"),
        _when("returned_at", "when the units came back"),
        Field(
            "return_channel",
            "enum",
            values=RETURN_CHANNELS,
            description="brought to a store or sent by mail",
        ),
        _id("node_id", "the node that received the return"),
        Field(
            "resellable",
            "bool",
            description="whether the units can be sold again (the next stock count adds them)",
        ),
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


def range_parts(f: Field) -> list[str]:
    """A field's bounds and format rules in words (``≥ 0``, ``≤ 1,000,000``, ``id format``);
    its allowed values are ``f.values``. The partner contract and the warehouse's column
    comments both state a field's range with these words."""
    parts = []
    if f.min is not None:
        parts.append(f"{'≥' if f.min_inclusive else '>'} {bound_text(f.min)}")
    if f.max is not None:
        parts.append(f"≤ {bound_text(f.max)}")
    if f.type == "id":
        parts.append("id format")
    if f.type in ("text", "email"):
        parts.append(f"at most {MAX_TEXT:,} characters")
    return parts


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
