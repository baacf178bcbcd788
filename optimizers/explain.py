"""Why a plan looks the way it does: backorder reasons per unit and one sentence per line.

Both read the plan's end state (stock, capacity, open parcels left after the plan) so a reason
is what a planner could check: the stock was gone, the node was full, the order was at its
parcel limit, or the optimizer found filling costlier than the backorder penalty.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from optimizers.candidates import Candidates
from optimizers.prepare import NO_LIMIT

BACKORDER_SCHEMA = {
    "order_id": pl.String, "line_no": pl.Int64, "sku": pl.String, "quantity": pl.Int64,
    "reason": pl.String,
}  # fmt: skip
# Order in which a backordered unit's reason is taken: a unit some node could still fill
# is "uneconomic" (or blocked by the parcel limit) before it is "no_capacity"/"no_stock".
REASON_ORDER = ("uneconomic", "split_limit", "no_capacity", "no_stock")
BINDING_TEXT = {
    "stock": "its stock of the SKU went to other lines",
    "capacity": "its ship capacity is used up",
    "order_capacity": "it has reached its order capacity",
    "split_limit": "another parcel would break the order's parcel limit",
    "consolidation": "this line shares a parcel or handling with other lines of the order",
    "near_optimal": "the solver stopped within its gap tolerance",
    "rule_based": "the rule-based baseline takes the nearest node with stock",
}
REASON_TEXT = {
    "no_stock": "no eligible node has stock left",
    "no_capacity": "the nodes with stock have no ship capacity left",
    "not_shippable": "no node can ship or hand it over (no rate, lane, capability or switch)",
    "excluded": "every node that could ship it is excluded by a business rule",
    "split_limit": "another parcel would break the order's parcel limit",
    "uneconomic": "filling it would cost more than the backorder penalty",
    "unknown_sku": "the SKU is not in the product master",
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
        .join(c.lines.select("line_idx", "quantity"), on="line_idx")
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
        & (pl.col("n_parcels") >= s.max_parcels_per_order),
    ).with_columns(
        avail=pl.min_horizontal("rem_atp", "cap_left").clip(lower_bound=0),
        marginal=pl.when(ship & ~pl.col("group_open")).then("cost_per_package").otherwise(0.0)
        + pl.when(pl.col("pair_open")).then(0.0).otherwise(pl.col("handling_cost_per_order"))
        + pl.col("quantity") * pl.col("unit_obj"),
        blocker=pl.when(pl.col("rem_atp") <= 0)
        .then(pl.lit("no_stock"))
        .when(ship & (pl.col("rem_cap") <= 0))
        .then(pl.lit("no_capacity"))
        .when(~pl.col("orders_ok"))
        .then(pl.lit("no_capacity"))
        .when(pl.col("split_blocked"))
        .then(pl.lit("split_limit"))
        .otherwise(pl.lit("uneconomic")),
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
        uneconomic=pl.col("avail").filter(pl.col("blocker") == "uneconomic").sum(),
        split_limit=pl.col("avail").filter(pl.col("blocker") == "split_limit").sum(),
        no_capacity=pl.col("rem_atp").filter(pl.col("blocker") == "no_capacity").sum(),
    )
    some = some.join(by_line, on="line_idx", how="left").with_columns(
        pl.col("uneconomic", "split_limit", "no_capacity").fill_null(0)
    )
    left = pl.col("backordered")
    parts = []
    taken = pl.lit(0, dtype=pl.Int64)
    for reason in REASON_ORDER:
        cap = pl.col(reason) if reason != "no_stock" else left
        amount = pl.min_horizontal(cap, left - taken).clip(lower_bound=0)
        parts.append(amount.alias(f"q_{reason}"))
        taken = taken + amount
    some = some.with_columns(parts)
    melted = pl.concat(
        [
            some.select(*keys, quantity=pl.col(f"q_{r}").cast(pl.Int64), reason=pl.lit(r))
            for r in REASON_ORDER
        ]
    )
    out = pl.concat([none.with_columns(pl.col("quantity").cast(pl.Int64)), melted])
    return (
        out.filter(pl.col("quantity") > 0)
        .with_columns(
            _r=pl.col("reason").replace_strict(
                {r: i for i, r in enumerate(REASON_ORDER)},
                default=len(REASON_ORDER),
                return_dtype=pl.Int64,
            )
        )
        .sort("order_id", "line_no", "_r")
        .select(list(BACKORDER_SCHEMA))
    )


def _money(col: str) -> pl.Expr:
    return pl.col(col).round(2).cast(pl.String)


def explanations_frame(
    c: Candidates, rows: pl.DataFrame, state: PlanState, backorders: pl.DataFrame, method: str
) -> pl.DataFrame:
    """Per line: the chosen node and its cost breakdown, the best alternative it beat, or the
    constraint that kept the plan from a cheaper one."""
    s = c.settings
    q = pl.col("quantity")
    attributed = rows.with_columns(
        days_cost=s.days_weight * pl.col("days") * q,
        late_cost=s.late_penalty * pl.col("late").cast(pl.Float64) * q,
    ).with_columns(
        total=pl.sum_horizontal("parcel_cost", "handling_cost", "days_cost", "late_cost")
    )
    per_line = (
        attributed.join(state.groups, on="group_idx", how="left")
        .sort("line_idx", "quantity", "total", descending=[False, True, False])
        .group_by("line_idx", maintain_order=True)
        .agg(
            node_idx=pl.col("node_idx").first(),
            node_id=pl.col("node_id").first(),
            nodes_used=pl.col("node_idx").n_unique(),
            used_nodes=pl.col("node_idx"),
            chosen_cost=pl.col("total").sum(),
            chosen_parcel_cost=pl.col("parcel_cost").sum(),
            chosen_handling_cost=pl.col("handling_cost").sum(),
            chosen_days_cost=pl.col("days_cost").sum(),
            chosen_late_cost=pl.col("late_cost").sum(),
            shared=(pl.col("line_count") > 1).any(),
        )
    )
    status = candidate_status(c, state, c.lines.select("line_idx"))
    used = (
        per_line.select("line_idx", "used_nodes")
        .explode("used_nodes")
        .rename({"used_nodes": "node_idx"})
    )
    alt = (
        status.join(used, on=["line_idx", "node_idx"], how="anti")
        .sort("line_idx", "marginal", "rank")
        .group_by("line_idx", maintain_order=True)
        .first()
        .join(c.nodes.select("node_idx", "node_id"), on="node_idx")
        .select(
            "line_idx",
            alternative_node_id="node_id",
            alternative_cost="marginal",
            alt_need="quantity",
            alt_blocker="blocker",
            alt_avail="avail",
            alt_rem_atp="rem_atp",
        )
    )
    bo = backorders.group_by("order_id", "line_no", maintain_order=True).agg(
        backordered=pl.col("quantity").sum(), bo_reason=pl.col("reason").first()
    )
    lines = (
        c.lines.select("line_idx", "order_id", "line_no", "sku", "quantity", "unit_price")
        .join(per_line.drop("used_nodes"), on="line_idx", how="left")
        .join(alt, on="line_idx", how="left")
        .join(bo, on=["order_id", "line_no"], how="left")
        .with_columns(backordered=pl.col("backordered").fill_null(0))
    )
    cheaper = pl.col("alternative_cost") < pl.col("chosen_cost") - 1e-9
    binding = (
        pl.when(pl.col("node_idx").is_null())
        .then(pl.col("bo_reason"))
        .when(pl.col("alternative_node_id").is_null())
        .then(pl.lit("only_option"))
        .when(~cheaper)
        .then(pl.lit("cheapest"))
        .when(pl.lit(method == "baseline"))
        .then(pl.lit("rule_based"))
        .when(pl.col("alt_rem_atp") < pl.col("alt_need"))
        .then(pl.lit("stock"))
        .when(pl.col("alt_blocker") == "no_capacity")
        .then(
            pl.when(pl.col("alt_avail") > 0)
            .then(pl.lit("order_capacity"))
            .otherwise(pl.lit("capacity"))
        )
        .when(pl.col("alt_avail") < pl.col("alt_need"))
        .then(pl.lit("capacity"))
        .when(pl.col("alt_blocker") == "split_limit")
        .then(pl.lit("split_limit"))
        .when(pl.col("shared"))
        .then(pl.lit("consolidation"))
        .otherwise(pl.lit("near_optimal"))
    )
    lines = lines.with_columns(binding=binding)
    breakdown = pl.format(
        "{} at {} (parcel {}, handling {}, days {}, late {})",
        "node_id", _money("chosen_cost"), _money("chosen_parcel_cost"),
        _money("chosen_handling_cost"), _money("chosen_days_cost"), _money("chosen_late_cost"),
    )  # fmt: skip
    alt_cost = _money("alternative_cost")
    why = pl.col("binding").replace_strict(BINDING_TEXT, default="", return_dtype=pl.String)
    reason_text = pl.col("bo_reason").replace_strict(
        REASON_TEXT, default=pl.col("bo_reason"), return_dtype=pl.String
    )
    units = pl.when(pl.col("backordered") == 1).then(pl.lit("unit")).otherwise(pl.lit("units"))
    filled_text = (
        pl.when(pl.col("binding") == "only_option")
        .then(pl.concat_str([breakdown, pl.lit(": no other eligible node could fill it.")]))
        .when(pl.col("binding") == "cheapest")
        .then(pl.format("{}; it beat {} ({}).", breakdown, "alternative_node_id", alt_cost))
        .otherwise(
            pl.format(
                "{}; {} would cost {} but {}.", breakdown, "alternative_node_id", alt_cost, why
            )  # fmt: skip
        )
    )
    split = (
        pl.when(pl.col("nodes_used") > 1)
        .then(pl.format(" Split across {} nodes.", "nodes_used"))
        .otherwise(pl.lit(""))
    )
    partial = (
        pl.when(pl.col("backordered") > 0)
        .then(pl.format(" {} {} backordered: {}.", "backordered", units, reason_text))
        .otherwise(pl.lit(""))
    )
    penalty = (pl.col("unit_price") * pl.col("quantity") * s.backorder_penalty).round(2)
    unfilled = pl.concat_str(
        [
            pl.format("Backordered {} {}: {}.", "backordered", units, reason_text),
            pl.when(pl.col("binding").is_in(["uneconomic", "split_limit"])
                    & pl.col("alternative_node_id").is_not_null())
            .then(
                pl.format(" Cheapest option {} would cost {} against a penalty of {}.",
                          "alternative_node_id", alt_cost, penalty.cast(pl.String))
            )
            .otherwise(pl.lit("")),
        ]
    )  # fmt: skip
    explanation = (
        pl.when(pl.col("node_idx").is_null())
        .then(unfilled)
        .otherwise(pl.concat_str([filled_text, split, partial]))
    )
    return lines.select(
        "order_id", "line_no", "node_id", "chosen_cost", "alternative_node_id",
        "alternative_cost", explanation.alias("explanation"), "binding",
        "chosen_parcel_cost", "chosen_handling_cost", "chosen_days_cost", "chosen_late_cost",
        pl.col("backordered").cast(pl.Int64),
    ).sort("order_id", "line_no")  # fmt: skip
