"""Pandera (Polars API) schemas of the partner contract, one per file kind, built from ``CONTRACT``.

``contract_schema`` validates a parsed partner file: each contract column typed, with its
``<name>__raw`` text beside it, so a rule can tell "absent" from "does not parse". Check
names are the rule names partners see (``integer``, ``min``, ``unknown_sku``, ...); check
errors are the messages. ``staging_schema`` states what the staging tables guarantee
downstream (types, ranges, unique keys, ship-to agreement) and backs an asset check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from contracts.fields import (
    CONTRACT,
    EMAIL_PATTERN,
    ID_PATTERN,
    MAX_TEXT,
    SHIP_TO_FIELDS,
    Field,
    bound_text,
)
from contracts.tables import KEYS, STAGING_SCHEMAS

TYPE_RULES: dict[str, tuple[str, str]] = {
    "int": ("integer", "must be a whole number (3 or 3.0, not 3.5)"),
    "number": ("number", "must be a finite number"),
    "bool": ("boolean", "must be true/false, 1/0 or yes/no"),
    "timestamp": ("timestamp", "must be an ISO 8601 date or date-time"),
}
ID_MESSAGE = "must be 1-64 of A-Z a-z 0-9 . _ : - starting with a letter or digit"


@dataclass(frozen=True)
class Reference:
    """What the cross-file rules check against; a None part is unknown and its rule is skipped.

    node_ids / pickup_node_ids / skus: the known nodes, those with supports_pickup, the known
    products. staged_ship_to: ship lines already in staging (order_id, line_no and the ship-to
    fields), so an amended line must still agree with the rest of its order.
    """

    node_ids: pl.Series | None = None
    pickup_node_ids: pl.Series | None = None
    skus: pl.Series | None = None
    staged_ship_to: pl.DataFrame | None = None

    @classmethod
    def from_staging(
        cls,
        nodes: pl.DataFrame | None = None,
        products: pl.DataFrame | None = None,
        orders: pl.DataFrame | None = None,
    ) -> Reference:
        """Reference data from staging frames (None = that kind is unknown)."""
        staged = None
        if orders is not None:
            staged = orders.filter(pl.col("fulfillment_method") == "ship").select(
                "order_id", "line_no", *SHIP_TO_FIELDS
            )
        return cls(
            node_ids=None if nodes is None else nodes["node_id"],
            pickup_node_ids=None if nodes is None else nodes.filter("supports_pickup")["node_id"],
            skus=None if products is None else products["sku"],
            staged_ship_to=staged,
        )


CheckFn = Callable[[PolarsData], pl.LazyFrame]


def _row_check(expr_of: Callable[[str], pl.Expr]) -> CheckFn:
    """A check whose row result is an expression of the checked column's name (null = pass)."""

    def check(data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(expr_of(data.key).fill_null(True))

    return check


def _check(name: str, message: str, expr_of: Callable[[str], pl.Expr]) -> pa.Check:
    return pa.Check(_row_check(expr_of), name=name, error=message)


def _value_checks(f: Field) -> list[pa.Check]:
    """Format, enum and range rules on the typed value (absent values pass)."""
    checks: list[pa.Check] = []
    if f.type == "id":
        checks.append(pa.Check.str_matches(ID_PATTERN, name="id_format", error=ID_MESSAGE))
    if f.type in ("text", "email"):
        checks.append(
            pa.Check.str_length(
                max_value=MAX_TEXT,
                name="max_length",
                error=f"must be at most {MAX_TEXT} characters",
            )
        )
    if f.type == "email":
        checks.append(
            pa.Check.str_matches(
                EMAIL_PATTERN, name="email_format", error="must be an e-mail address"
            )
        )
    if f.type == "enum":
        allowed = ", ".join(f.values)
        checks.append(pa.Check.isin(list(f.values), name="enum", error=f"must be one of {allowed}"))
    if f.min is not None:
        bound = pa.Check.ge if f.min_inclusive else pa.Check.gt
        sign = ">=" if f.min_inclusive else ">"
        checks.append(bound(f.min, name="min", error=f"must be {sign} {bound_text(f.min)}"))
    if f.max is not None:
        error = f"must be <= {bound_text(f.max)}"
        checks.append(pa.Check.le(f.max, name="max", error=error))
    return checks


def _text_checks(f: Field) -> list[pa.Check]:
    """Rules on the text as written: present when required, parses to its type."""
    raw = f.raw
    checks: list[pa.Check] = []
    if f.required:
        checks.append(
            _check("required", "a value is required", lambda _: pl.col(raw).is_not_null())
        )
    if f.type in TYPE_RULES:
        rule, message = TYPE_RULES[f.type]
        checks.append(
            _check(rule, message, lambda key: pl.col(raw).is_null() | pl.col(key).is_not_null())
        )
    return checks


def _known(values: pl.Series, rule: str, message: str) -> pa.Check:
    return _check(rule, message, lambda key: pl.col(key).is_in(values.implode()))


def _reference_checks(kind: str, name: str, reference: Reference) -> list[pa.Check]:
    """Cross-file rules: ids must exist in nodes / products (exclusions may name future skus)."""
    checks: list[pa.Check] = []
    node_column = name == "pickup_node_id" or (name == "node_id" and kind != "nodes")
    if node_column and reference.node_ids is not None:
        checks.append(_known(reference.node_ids, "unknown_node", "no such node_id in nodes"))
    if (
        name == "pickup_node_id"
        and reference.node_ids is not None
        and reference.pickup_node_ids is not None
    ):
        known, pickup = reference.node_ids.implode(), reference.pickup_node_ids.implode()
        checks.append(
            _check(
                "pickup_not_supported",
                "this node does not support pickup (supports_pickup is false)",
                lambda key: ~pl.col(key).is_in(known) | pl.col(key).is_in(pickup),
            )
        )
    if name == "sku" and kind in ("orders", "stock", "supply") and reference.skus is not None:
        checks.append(_known(reference.skus, "unknown_sku", "no such sku in products"))
    return checks


def _order_line_checks(name: str) -> list[pa.Check]:
    """Rules linking the columns of one order line (pickup node, ship-to coordinates)."""
    pickup = pl.col("fulfillment_method") == "pickup"
    ship = pl.col("fulfillment_method") == "ship"
    if name == "pickup_node_id":
        return [
            _check(
                "pickup_node_required",
                "a pickup line needs pickup_node_id",
                lambda key: ~pickup | pl.col(key).is_not_null(),
            )
        ]
    if name in ("ship_to_latitude", "ship_to_longitude"):
        has_none = pl.col("ship_to_latitude").is_null() & pl.col("ship_to_longitude").is_null()
        return [
            _check(
                "ship_to_required",
                "a ship line needs ship_to_latitude and ship_to_longitude unless ship_to_zone "
                "is given, and never only one of them",
                lambda key: (
                    ~ship
                    | pl.col(key).is_not_null()
                    | (pl.col("ship_to_zone").is_not_null() & has_none)
                ),
            )
        ]
    return []


def _ship_to_agrees(column: str, staged: pl.DataFrame | None) -> pa.Check:
    """Reject every line of an order whose ship lines (staged ones too) disagree on column."""

    def check(data: PolarsData) -> pl.LazyFrame:
        lines = data.lazyframe
        ship = lines.filter(pl.col("fulfillment_method") == "ship")
        together = ship.select("order_id", "line_no", column)
        if staged is not None and staged.height:
            others = (
                staged.lazy()
                .select("order_id", "line_no", column)
                .join(lines.select("order_id", "line_no"), on=["order_id", "line_no"], how="anti")
                .join(lines.select("order_id").unique(), on="order_id", how="semi")
            )
            together = pl.concat([together, others])
        conflicted = (
            together.group_by("order_id")
            .agg(pl.col(column).n_unique().alias("__values"))
            .filter(pl.col("__values") > 1)
        )
        return lines.join(conflicted, on="order_id", how="left", maintain_order="left").select(
            pl.col("__values").is_null()
        )

    return pa.Check(
        check,
        name="ship_to_mismatch",
        error=f"the ship lines of this order disagree on {column}: every line is rejected",
    )


def _key_content_unique(kind: str) -> pa.Check:
    """Rows sharing a key must share their content (exact repeats are duplicates, not errors)."""
    fields = CONTRACT[kind]

    def value(name: str) -> pl.Expr:
        f = next(f for f in fields if f.name == name)
        return pl.struct(pl.col(name), pl.when(pl.col(name).is_null()).then(pl.col(f.raw)))

    keys = [value(k).alias(k) for k in KEYS[kind]]
    content = pl.struct([value(f.name).alias(f.name) for f in fields]).hash()

    def check(data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((content.n_unique().over(keys) == 1).alias("unique"))

    key_text = ", ".join(KEYS[kind])
    return pa.Check(
        check,
        name="duplicate_key",
        error=f"other rows of this file have the same key ({key_text}) with different content",
    )


def contract_schema(kind: str, reference: Reference | None = None) -> pa.DataFrameSchema:
    """The contract's rules for one file kind, as a lazily validated Pandera schema.

    With ``reference`` the cross-file rules run too (unknown sku or node, pickup support,
    ship-to agreement with already staged lines of the same order).
    """
    columns: dict[str, pa.Column] = {}
    for f in CONTRACT[kind]:
        checks = _text_checks(f) + _value_checks(f)
        if kind == "orders":
            checks += _order_line_checks(f.name)
            if f.name in SHIP_TO_FIELDS:
                staged = reference.staged_ship_to if reference else None
                checks.append(_ship_to_agrees(f.name, staged))
        if reference is not None:
            checks += _reference_checks(kind, f.name, reference)
        columns[f.name] = pa.Column(STAGING_SCHEMAS[kind][f.name], nullable=True, checks=checks)
    return pa.DataFrameSchema(
        columns,
        checks=[_key_content_unique(kind)],
        name=f"{kind}_contract",
        metadata={"check_columns": {"duplicate_key": ",".join(KEYS[kind])}},
    )


def staging_schema(kind: str) -> pa.DataFrameSchema:
    """What a staging table guarantees: exact types, values in range, unique keys, agreement."""
    columns: dict[str, pa.Column] = {}
    for f in CONTRACT[kind]:
        checks = _value_checks(f)
        if kind == "orders":
            checks += _order_line_checks(f.name)
            if f.name in SHIP_TO_FIELDS:
                checks.append(_ship_to_agrees(f.name, None))
        nullable = not f.required and f.default is None
        columns[f.name] = pa.Column(STAGING_SCHEMAS[kind][f.name], nullable=nullable, checks=checks)
    return pa.DataFrameSchema(columns, unique=list(KEYS[kind]), name=f"staging_{kind}")
