"""The plan's end state and the reason of every backordered unit.

Backorder reasons and the explanations (``optimizers.plan.why``) read the plan's end state
(stock, capacity, open parcels left after the plan), so a reason is what a planner could
check: the stock was gone, the node was full, the order was at its parcel limit, or the
optimizer found filling costlier than the backorder penalty.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from contracts.results import BACKORDER_SCHEMA
from contracts.vocabulary import BackorderReason as Reason
from optimizers.candidates import Candidates
from optimizers.candidates.prepare import NO_LIMIT

# Order in which a backordered unit's reason is taken: a unit some node could still fill
# is "uneconomic" (or blocked by the parcel limit) before it is "no_capacity"/"no_stock".
REASON_ORDER = (Reason.UNECONOMIC, Reason.SPLIT_LIMIT, Reason.NO_CAPACITY, Reason.NO_STOCK)
SORT_ORDER = (*REASON_ORDER, Reason.AWAITING_SUPPLY)
REASON_TEXT = {
    Reason.NO_STOCK: "no eligible node has stock left",
    Reason.NO_CAPACITY: "the nodes with stock have no ship capacity left",
    Reason.NOT_SHIPPABLE: "no node can ship or hand it over (no rate, lane, capability or switch)",
    Reason.EXCLUDED: "every node that could ship it is excluded by a business rule",
    Reason.SPLIT_LIMIT: "another parcel would break the order's parcel limit",
    Reason.UNECONOMIC: "filling it would cost more than the backorder penalty",
    Reason.UNKNOWN_SKU: "the SKU is not in the product master",
    Reason.AWAITING_SUPPLY: "supply due after the supply horizon will cover it",
}


@dataclass(frozen=True)
class PlanState:
    """What is left and what is open once the plan is applied."""

    atp: pl.DataFrame  # atp_idx, rem_atp
    nodes: pl.DataFrame  # node_idx, rem_cap, rem_orders (null = no limit)
    groups: pl.DataFrame  # group_idx, line_count
    pairs: pl.DataFrame  # pair_idx, ships
    orders: pl.DataFrame  # order_idx, n_parcels
    lines: pl.DataFrame  # line_idx, filled


def plan_state(c: Candidates, rows: pl.DataFrame) -> PlanState:
    """Remaining ATP and capacity, open groups/pairs and parcels per order, from filled rows."""
    q = pl.col("quantity")
    used_atp = rows.group_by("atp_idx").agg(used=q.sum())
    atp = c.atp.join(used_atp, on="atp_idx", how="left").select(
        "atp_idx", rem_atp=pl.col("available_to_promise") - pl.col("used").fill_null(0)
    )
    ship = rows.filter(pl.col("is_ship"))
    pairs = ship.select("pair_idx").unique().with_columns(ships=pl.lit(True))
    used_node = ship.group_by("node_idx").agg(used=q.sum(), orders=pl.col("pair_idx").n_unique())
    nodes = c.nodes.join(used_node, on="node_idx", how="left").select(
        "node_idx",
        rem_cap=pl.col("cap_units") - pl.col("used").fill_null(0),
        rem_orders=pl.col("cap_orders") - pl.col("orders").fill_null(0),
    )
    groups = rows.group_by("group_idx").agg(line_count=pl.col("line_idx").n_unique())
    orders = ship.group_by("order_idx").agg(n_parcels=pl.col("group_idx").n_unique())
    lines = rows.group_by("line_idx").agg(filled=q.sum())
    return PlanState(atp, nodes, groups, pairs, orders, lines)


def candidate_status(c: Candidates, state: PlanState, line_idx: pl.DataFrame) -> pl.DataFrame:
    """Each candidate of the given lines against the end state: what it could still take,
    what stops it, and its marginal cost for the whole line."""
    s = c.settings
    ship = pl.col("is_ship")
    cand = (
        c.candidates.join(line_idx, on="line_idx", how="semi")
        .join(c.lines.select("line_idx", "quantity", "parcels_sent"), on="line_idx")
        .join(state.atp, on="atp_idx", how="left")
        .join(state.nodes, on="node_idx", how="left")
        .join(state.groups, on="group_idx", how="left")
        .join(state.pairs, on="pair_idx", how="left")
        .join(state.orders, on="order_idx", how="left")
        .join(open_pairs(c, state), on="pair_idx", how="left")
        .join(c.pairs.select("pair_idx", "handling_cost_per_order"), on="pair_idx")
        .with_columns(
            rem_atp=pl.col("rem_atp").fill_null(0),
            group_open=pl.col("line_count").is_not_null(),
            ships=pl.col("ships").fill_null(False),
            n_parcels=pl.col("n_parcels").fill_null(0),
            pair_open=pl.col("pair_open").fill_null(False),
        )
    )
    return cand.with_columns(
        cap_left=pl.when(ship).then("rem_cap").otherwise(pl.lit(NO_LIMIT)),
        orders_ok=~ship
        | pl.col("ships")
        | pl.col("rem_orders").is_null()
        | (pl.col("rem_orders") > 0),
        split_blocked=ship
        & ~pl.col("group_open")
        & (pl.col("n_parcels") + pl.col("parcels_sent") >= s.max_parcels_per_order),
    ).with_columns(
        avail=pl.min_horizontal("rem_atp", "cap_left").clip(lower_bound=0),
        marginal=pl.when(ship & ~pl.col("group_open")).then("cost_per_package").otherwise(0.0)
        + pl.when(pl.col("pair_open")).then(0.0).otherwise(pl.col("handling_cost_per_order"))
        + pl.col("quantity") * pl.col("unit_obj"),
        blocker=pl.when(pl.col("rem_atp") <= 0)
        .then(pl.lit(Reason.NO_STOCK))
        .when(ship & (pl.col("rem_cap") <= 0))
        .then(pl.lit(Reason.NO_CAPACITY))
        .when(~pl.col("orders_ok"))
        .then(pl.lit(Reason.NO_CAPACITY))
        .when(pl.col("split_blocked"))
        .then(pl.lit(Reason.SPLIT_LIMIT))
        .otherwise(pl.lit(Reason.UNECONOMIC)),
    )


def open_pairs(c: Candidates, state: PlanState) -> pl.DataFrame:
    """Pairs (order, node) that fill any unit, pickups included (they pay handling)."""
    open_groups = state.groups.select("group_idx")
    return (
        c.groups.join(open_groups, on="group_idx", how="semi")
        .select("pair_idx")
        .unique()
        .with_columns(pair_open=pl.lit(True))
    )


def backorders_frame(c: Candidates, rows: pl.DataFrame, state: PlanState) -> pl.DataFrame:
    """One row per (line, reason) with the units backordered for that reason."""
    lines = (
        c.lines.join(state.lines, on="line_idx", how="left")
        .with_columns(backordered=pl.col("quantity") - pl.col("filled").fill_null(0))
        .filter(pl.col("backordered") > 0)
    )
    if lines.is_empty():
        return pl.DataFrame(schema=BACKORDER_SCHEMA)
    keys = ["line_idx", "order_id", "line_no", "sku"]
    none = lines.filter(pl.col("n_candidates") == 0).select(
        *keys, quantity="backordered", reason="no_candidate_reason"
    )
    some = lines.filter(pl.col("n_candidates") > 0)
    status = candidate_status(c, state, some.select("line_idx"))
    by_line = status.group_by("line_idx").agg(
        uneconomic=pl.col("avail").filter(pl.col("blocker") == Reason.UNECONOMIC).sum(),
        split_limit=pl.col("avail").filter(pl.col("blocker") == Reason.SPLIT_LIMIT).sum(),
        no_capacity=pl.col("rem_atp").filter(pl.col("blocker") == Reason.NO_CAPACITY).sum(),
    )
    some = some.join(by_line, on="line_idx", how="left").with_columns(
        pl.col("uneconomic", "split_limit", "no_capacity").fill_null(0)
    )
    left = pl.col("backordered")
    parts = []
    taken = pl.lit(0, dtype=pl.Int64)
    for reason in REASON_ORDER:
        cap = pl.col(reason) if reason != Reason.NO_STOCK else left
        amount = pl.min_horizontal(cap, left - taken).clip(lower_bound=0)
        parts.append(amount.alias(f"q_{reason}"))
        taken = taken + amount
    some = some.with_columns(parts)
    melted = pl.concat(
        [
            some.select(*keys, quantity=pl.col(f"q_{r}").cast(pl.Int64), reason=pl.lit(r.value))
            for r in REASON_ORDER
        ]
    )
    out = pl.concat([none.with_columns(pl.col("quantity").cast(pl.Int64)), melted])
    return (
        priced_uneconomic(c, status, awaiting_supply(c, out.filter(pl.col("quantity") > 0)))
        .with_columns(
            _r=pl.col("reason").replace_strict(
                {r.value: i for i, r in enumerate(SORT_ORDER)},
                default=len(SORT_ORDER),
                return_dtype=pl.Int64,
            )
        )
        .sort("order_id", "line_no", "_r")
        .select(list(BACKORDER_SCHEMA))
    )


def priced_uneconomic(c: Candidates, status: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """``uneconomic`` rows get what filling those units would have cost and the backorder
    penalty it lost to: the planner's "why not filled", in numbers. The units go to the nodes
    that could still take them, cheapest per unit first, each as much as it can (its fixed
    parcel and handling counted once, if no parcel of the order is open there yet);
    ``cheapest_node_id`` is the first of them."""
    reason = pl.col("reason") == Reason.UNECONOMIC
    options = status.filter(pl.col("blocker") == Reason.UNECONOMIC).select(
        "line_idx",
        "node_idx",
        "unit_obj",
        "avail",
        fixed=pl.col("marginal") - pl.col("quantity") * pl.col("unit_obj"),
    )
    taken = pl.min_horizontal("avail", (pl.col("units") - pl.col("before")).clip(lower_bound=0))
    filled = (
        rows.filter(reason)
        .select("line_idx", units="quantity")
        .join(options, on="line_idx")
        .with_columns(per_unit=pl.col("unit_obj") + pl.col("fixed") / pl.col("avail"))
        .sort("line_idx", "per_unit", "node_idx")
        .with_columns(before=pl.col("avail").cum_sum().over("line_idx") - pl.col("avail"))
        .with_columns(taken=taken)
        .filter(pl.col("taken") > 0)
        .join(c.nodes.select("node_idx", "node_id"), on="node_idx")
        .group_by("line_idx", maintain_order=True)
        .agg(
            cheapest_node_id=pl.col("node_id").first(),
            fill_cost=(pl.col("fixed") + pl.col("taken") * pl.col("unit_obj")).sum().round(2),
        )
    )
    price = c.lines.select("line_idx", "unit_price")
    return (
        rows.join(price, on="line_idx", how="left")
        .join(filled, on="line_idx", how="left")
        .with_columns(
            cheapest_node_id=pl.when(reason).then("cheapest_node_id"),
            fill_cost=pl.when(reason).then("fill_cost"),
            penalty=pl.when(reason).then(
                (pl.col("quantity") * pl.col("unit_price") * c.settings.backorder_penalty).round(2)
            ),
        )
    )


def awaiting_supply(c: Candidates, rows: pl.DataFrame) -> pl.DataFrame:
    """``no_stock`` units that supply due after the horizon will cover become
    ``awaiting_supply`` with that supply's ``expected_at``: each line waits for the earliest
    supply a node that could fill it expects, lines take it in processing order, and what
    it does not cover stays ``no_stock``."""
    rows = rows.with_columns(expected_at=pl.lit(None, BACKORDER_SCHEMA["expected_at"]))
    waiting = rows.filter(pl.col("reason") == Reason.NO_STOCK)
    if c.later_supply.is_empty() or waiting.is_empty():
        return rows
    supply_key = ["node_id", "sku", "expected_at"]
    first = (
        c.later_supply.join(waiting.select("line_idx"), on="line_idx", how="semi")
        .sort("line_idx", "expected_at", "node_id")
        .unique("line_idx", keep="first", maintain_order=True)
    )
    covered = (
        waiting.drop("expected_at")
        .join(first, on=["line_idx", "sku"])
        .sort("line_idx")
        .with_columns(before=pl.col("quantity").cum_sum().over(supply_key) - pl.col("quantity"))
        .with_columns(
            covered=pl.min_horizontal(
                "quantity", (pl.col("available_to_promise") - pl.col("before")).clip(lower_bound=0)
            )
        )
        .filter(pl.col("covered") > 0)
        .select("line_idx", "covered", "expected_at")
    )
    split = (
        waiting.drop("expected_at")
        .join(covered, on="line_idx", how="left")
        .with_columns(pl.col("covered").fill_null(0))
    )
    return pl.concat(
        [
            rows.filter(pl.col("reason") != Reason.NO_STOCK),
            split.with_columns(
                quantity=pl.col("covered"), reason=pl.lit(Reason.AWAITING_SUPPLY.value)
            ).select(rows.columns),
            split.with_columns(
                quantity=pl.col("quantity") - pl.col("covered"),
                expected_at=pl.lit(None, BACKORDER_SCHEMA["expected_at"]),
            ).select(rows.columns),
        ]
    ).filter(pl.col("quantity") > 0)
