"""Why each line was sourced where it was: one sentence per line for planners.

Per line: the node that fills most of it and its cost breakdown, the cheapest alternative it
beat (priced at the plan's end state), or the constraint that kept the plan from a cheaper
one (stock, capacity, order capacity, the parcel limit, consolidation with other lines).
Backordered lines say why, with what filling would have cost against the penalty.
"""

from __future__ import annotations

import polars as pl

from contracts.results import EXPLANATION_SCHEMA
from contracts.vocabulary import BackorderReason as Reason
from contracts.vocabulary import Binding, PlanMethod, values
from optimizers.candidates import Candidates
from optimizers.model.objective import days_cost, late_cost
from optimizers.plan.backorders import REASON_TEXT, PlanState, candidate_status

BINDING_TEXT = {
    Binding.STOCK: "its stock of the SKU went to other lines",
    Binding.CAPACITY: "its ship capacity is used up",
    Binding.ORDER_CAPACITY: "it has reached its order capacity",
    Binding.SPLIT_LIMIT: "another parcel would break the order's parcel limit",
    Binding.CONSOLIDATION: "this line shares a parcel or handling with other lines of the order",
    Binding.NEAR_OPTIMAL: "the solver stopped within its gap tolerance",
    Binding.RULE_BASED: "the rule-based baseline takes the nearest node with stock",
}


def _money(col: str) -> pl.Expr:
    return pl.col(col).round(2).cast(pl.String)


def _chosen(c: Candidates, rows: pl.DataFrame, state: PlanState) -> pl.DataFrame:
    """Per filled line: its main node, the nodes it uses and its cost by objective term."""
    s = c.settings
    q = pl.col("quantity")
    attributed = rows.with_columns(
        days_cost=days_cost(s, pl.col("days"), q),
        late_cost=late_cost(s, pl.col("late"), q),
    ).with_columns(
        total=pl.sum_horizontal("parcel_cost", "handling_cost", "days_cost", "late_cost")
    )
    return (
        attributed.join(state.groups, on="group_idx", how="left")
        .sort("line_idx", "quantity", "total", descending=[False, True, False])
        .group_by("line_idx", maintain_order=True)
        .agg(
            node_idx=pl.col("node_idx").first(),
            node_id=pl.col("node_id").first(),
            nodes_used=pl.col("node_id").n_unique(),  # a node's supply source is that node
            shipments=pl.col("node_idx").n_unique(),
            used_nodes=pl.col("node_idx"),
            chosen_cost=pl.col("total").sum(),
            chosen_parcel_cost=pl.col("parcel_cost").sum(),
            chosen_handling_cost=pl.col("handling_cost").sum(),
            chosen_days_cost=pl.col("days_cost").sum(),
            chosen_late_cost=pl.col("late_cost").sum(),
            shared=(pl.col("line_count") > 1).any(),
        )
    )


def _alternatives(c: Candidates, state: PlanState, chosen: pl.DataFrame) -> pl.DataFrame:
    """Per line: the cheapest node it does not use, at the end state, and what stops it (the
    supply sources of a node it uses are that node, not alternatives to it)."""
    status = candidate_status(c, state, c.lines.select("line_idx"))
    names = c.nodes.select("node_idx", "node_id")
    used = (
        chosen.select("line_idx", "used_nodes")
        .explode("used_nodes")
        .rename({"used_nodes": "node_idx"})
        .join(names, on="node_idx")
        .select("line_idx", "node_id")
    )
    return (
        status.join(names, on="node_idx")
        .join(used, on=["line_idx", "node_id"], how="anti")
        .sort("line_idx", "marginal", "rank")
        .group_by("line_idx", maintain_order=True)
        .first()
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


def _binding(method: str) -> pl.Expr:
    """What kept the line from its cheapest alternative (or that there was none)."""
    cheaper = pl.col("alternative_cost") < pl.col("chosen_cost") - 1e-9
    return (
        pl.when(pl.col("node_idx").is_null())
        .then(pl.col("bo_reason"))
        .when(pl.col("alternative_node_id").is_null())
        .then(pl.lit(Binding.ONLY_OPTION))
        .when(~cheaper)
        .then(pl.lit(Binding.CHEAPEST))
        .when(pl.lit(method == PlanMethod.BASELINE))
        .then(pl.lit(Binding.RULE_BASED))
        .when(pl.col("alt_rem_atp") < pl.col("alt_need"))
        .then(pl.lit(Binding.STOCK))
        .when(pl.col("alt_blocker") == Reason.NO_CAPACITY)
        .then(
            pl.when(pl.col("alt_avail") > 0)
            .then(pl.lit(Binding.ORDER_CAPACITY))
            .otherwise(pl.lit(Binding.CAPACITY))
        )
        .when(pl.col("alt_avail") < pl.col("alt_need"))
        .then(pl.lit(Binding.CAPACITY))
        .when(pl.col("alt_blocker") == Reason.SPLIT_LIMIT)
        .then(pl.lit(Binding.SPLIT_LIMIT))
        .when(pl.col("shared"))
        .then(pl.lit(Binding.CONSOLIDATION))
        .otherwise(pl.lit(Binding.NEAR_OPTIMAL))
    )


def _filled_sentence() -> pl.Expr:
    """A filled line: where, at what cost, against which alternative, split, partly short."""
    breakdown = pl.format(
        "{} at {} (parcel {}, handling {}, days {}, late {})",
        "node_id",
        _money("chosen_cost"),
        _money("chosen_parcel_cost"),
        _money("chosen_handling_cost"),
        _money("chosen_days_cost"),
        _money("chosen_late_cost"),
    )
    alt_cost = _money("alternative_cost")
    why = pl.col("binding").replace_strict(BINDING_TEXT, default="", return_dtype=pl.String)
    filled_text = (
        pl.when(pl.col("binding") == Binding.ONLY_OPTION)
        .then(pl.concat_str([breakdown, pl.lit(": no other eligible node could fill it.")]))
        .when(pl.col("binding") == Binding.CHEAPEST)
        .then(pl.format("{}; it beat {} ({}).", breakdown, "alternative_node_id", alt_cost))
        .otherwise(
            pl.format(
                "{}; {} would cost {} but {}.", breakdown, "alternative_node_id", alt_cost, why
            )
        )
    )
    split = (
        pl.when(pl.col("nodes_used") > 1)
        .then(pl.format(" Split across {} nodes.", "nodes_used"))
        .when(pl.col("shipments") > 1)
        .then(
            pl.format(" Ships in {} parts: stock on hand now, the rest from supply.", "shipments")
        )
        .otherwise(pl.lit(""))
    )
    waits = (
        pl.when(pl.col("wait_days") > 0)
        .then(pl.format(" It waits {} day(s) for supply on its way to {}.", "wait_days", "node_id"))
        .otherwise(pl.lit(""))
    )
    partial = (
        pl.when(pl.col("backordered") > 0)
        .then(pl.format(" {} {} backordered: {}.", "backordered", _units(), _reason_text()))
        .otherwise(pl.lit(""))
    )
    return pl.concat_str([filled_text, waits, split, partial, _uneconomic_price()])


def _uneconomic_price() -> pl.Expr:
    """What filling the uneconomic units would have cost, against their penalty."""
    return (
        pl.when(pl.col("uneconomic_fill").is_not_null())
        .then(
            pl.format(
                " Filling its {} uneconomic unit(s), cheapest first at {}, would cost {} "
                "against a penalty of {}.",
                "uneconomic_units",
                "uneconomic_node",
                _money("uneconomic_fill"),
                _money("uneconomic_penalty"),
            )
        )
        .otherwise(pl.lit(""))
    )


def _units() -> pl.Expr:
    return pl.when(pl.col("backordered") == 1).then(pl.lit("unit")).otherwise(pl.lit("units"))


def _reason_text() -> pl.Expr:
    return pl.col("bo_reason").replace_strict(
        REASON_TEXT, default=pl.col("bo_reason"), return_dtype=pl.String
    )


def _unfilled_sentence(backorder_penalty: float) -> pl.Expr:
    """A line with no unit filled: why, and what its cheapest option would have cost."""
    penalty = (pl.col("unit_price") * pl.col("quantity") * backorder_penalty).round(2)
    priced = (
        pl.col("binding").is_in(values(Reason.UNECONOMIC, Reason.SPLIT_LIMIT))
        & pl.col("alternative_node_id").is_not_null()
        & pl.col("uneconomic_fill").is_null()  # the backorder's own figures say it better
    )
    return pl.concat_str(
        [
            pl.format("Backordered {} {}: {}.", "backordered", _units(), _reason_text()),
            pl.when(priced)
            .then(
                pl.format(
                    " Cheapest option {} would cost {} against a penalty of {}.",
                    "alternative_node_id",
                    _money("alternative_cost"),
                    penalty.cast(pl.String),
                )
            )
            .otherwise(_uneconomic_price()),
        ]
    )


def explanations_frame(
    c: Candidates, rows: pl.DataFrame, state: PlanState, backorders: pl.DataFrame, method: str
) -> pl.DataFrame:
    """One row per line (``contracts.results.EXPLANATION_SCHEMA``)."""
    chosen = _chosen(c, rows, state)
    uneconomic = pl.col("reason") == Reason.UNECONOMIC
    bo = backorders.group_by("order_id", "line_no", maintain_order=True).agg(
        backordered=pl.col("quantity").sum(),
        bo_reason=pl.col("reason").first(),
        uneconomic_units=pl.col("quantity").filter(uneconomic).sum(),
        uneconomic_node=pl.col("cheapest_node_id").filter(uneconomic).first(),
        uneconomic_fill=pl.col("fill_cost").filter(uneconomic).first(),
        uneconomic_penalty=pl.col("penalty").filter(uneconomic).first(),
    )
    lines = (
        c.lines.select("line_idx", "order_id", "line_no", "sku", "quantity", "unit_price")
        .join(chosen.drop("used_nodes"), on="line_idx", how="left")
        .join(_alternatives(c, state, chosen), on="line_idx", how="left")
        .join(bo, on=["order_id", "line_no"], how="left")
        .join(c.nodes.select("node_idx", "wait_days"), on="node_idx", how="left")
        .with_columns(backordered=pl.col("backordered").fill_null(0))
        .with_columns(binding=_binding(method))
    )
    explanation = (
        pl.when(pl.col("node_idx").is_null())
        .then(_unfilled_sentence(c.settings.backorder_penalty))
        .otherwise(_filled_sentence())
    )
    return (
        lines.with_columns(explanation=explanation)
        .select(list(EXPLANATION_SCHEMA))
        .cast(EXPLANATION_SCHEMA)
        .sort("order_id", "line_no")
    )
