"""The product's words, spelled once: fulfillment modes, backorder reasons, statuses, kinds.

Every module that writes or compares one of these strings imports it from here, so a mode or
a reason is never retyped (and a typo is an AttributeError, not a silent mismatch). They are
``StrEnum`` members: they compare equal to, format as and are stored as their plain values,
so frames, SQL and partner files carry ordinary strings.
"""

from __future__ import annotations

from enum import StrEnum


class NodeType(StrEnum):
    """What a fulfillment node is (the nodes file's ``node_type``)."""

    DC = "dc"
    STORE = "store"


class OrderMethod(StrEnum):
    """How the customer wants the line (the orders file's ``fulfillment_method``)."""

    SHIP = "ship"
    PICKUP = "pickup"


class Mode(StrEnum):
    """How a node fills units of a line (allocation rows, instructions, KPIs)."""

    SHIP_FROM_DC = "ship_from_dc"
    SHIP_FROM_STORE = "ship_from_store"
    PICKUP_IN_STORE = "pickup_in_store"  # BOPIS: from the pickup store's own stock
    SHIP_TO_STORE = "ship_to_store"  # a parcel from another node to the pickup store


def values(*members: StrEnum) -> tuple[str, ...]:
    """Plain string values (a Polars frame built from enum members would get an Enum dtype)."""
    return tuple(m.value for m in members)


MODES = values(*Mode)
# Modes that ship a parcel and so use the node's ship capacity.
SHIPPING_MODES = values(Mode.SHIP_FROM_DC, Mode.SHIP_FROM_STORE, Mode.SHIP_TO_STORE)
# Modes that deliver to the customer's door.
HOME_DELIVERY_MODES = values(Mode.SHIP_FROM_DC, Mode.SHIP_FROM_STORE)
# Modes that bring the customer to a store.
PICKUP_MODES = values(Mode.PICKUP_IN_STORE, Mode.SHIP_TO_STORE)


class InstructionMethod(StrEnum):
    """Instruction rows that are not a fill of the node's own stock."""

    RECEIVE_FOR_PICKUP = "receive_for_pickup"  # a pickup store's incoming ship-to-store parcel
    CANCEL = "cancel"  # stop units an earlier wave instructed (quantity = units to stop)


class BackorderReason(StrEnum):
    """Why units of a line stay unfilled (``backorders.reason``)."""

    NO_STOCK = "no_stock"
    NO_CAPACITY = "no_capacity"
    NOT_SHIPPABLE = "not_shippable"
    EXCLUDED = "excluded"
    SPLIT_LIMIT = "split_limit"
    UNECONOMIC = "uneconomic"
    UNKNOWN_SKU = "unknown_sku"
    AWAITING_SUPPLY = "awaiting_supply"  # supply due after the horizon will cover it


class Binding(StrEnum):
    """What decided a line's source, as the explanations name it (besides backorder reasons)."""

    CHEAPEST = "cheapest"
    ONLY_OPTION = "only_option"
    STOCK = "stock"
    CAPACITY = "capacity"
    ORDER_CAPACITY = "order_capacity"
    SPLIT_LIMIT = "split_limit"
    CONSOLIDATION = "consolidation"
    NEAR_OPTIMAL = "near_optimal"
    RULE_BASED = "rule_based"


class LineState(StrEnum):
    """Where an order line stands (``plan.line_status.state``)."""

    OPEN = "open"  # nothing at a node yet (or no longer)
    PARTLY_INSTRUCTED = "partly_instructed"
    INSTRUCTED = "instructed"
    PARTLY_SHIPPED = "partly_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class LineEvent(StrEnum):
    """What happened to an order line (``plan.line_events.event``)."""

    RECEIVED = "received"
    AMENDED = "amended"
    INSTRUCTED = "instructed"
    BACKORDERED = "backordered"
    SHIPPED = "shipped"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    CANCEL_INSTRUCTED = "cancel_instructed"
    RETURNED = "returned"


class RunKind(StrEnum):
    """A published wave, or a what-if that changes nothing (``plan.runs.kind``)."""

    WAVE = "wave"
    SCENARIO = "scenario"


class FeedbackRule(StrEnum):
    """Why a partner's feedback row could not be applied (or only in part)."""

    NOT_INSTRUCTED = "not_instructed"  # the node has fewer instructed units open on the line
    ALREADY_SHIPPED = "already_shipped"  # shipped units cannot be cancelled (that is a return)
    UNKNOWN_LINE = "unknown_line"  # no such order line in the order book
    ALREADY_APPLIED = "already_applied"  # a row with this key was applied by an earlier wave


class IntakeStatus(StrEnum):
    """What became of a partner row, as the intake acknowledgement says."""

    FILE = "file"  # the summary row of a file
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    PARTLY_APPLIED = "partly_applied"


class PlanMethod(StrEnum):
    """Who made a plan (``plan.*.method``)."""

    OPTIMIZER = "optimizer"
    BASELINE = "baseline"


class RunStatus(StrEnum):
    """How an allocation ended (``plan.runs.status``)."""

    OPTIMAL = "optimal"  # proven within mip_gap
    TIME_LIMIT = "time_limit"  # stopped by the time limit; the best plan found is kept
    FEASIBLE = "feasible"  # a plan and a valid bound whose gap is above mip_gap
    FALLBACK_BASELINE = "fallback_baseline"  # the solver gave no usable plan
    EMPTY = "empty"  # nothing to decide
    HEURISTIC = "heuristic"  # the rule-based baseline's own status


class SolverStatus(StrEnum):
    """What one solver call returned, solver-independent."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"


class Solver(StrEnum):
    """MIP solvers a run may use."""

    HIGHS = "highs"  # HiGHS through PuLP (large models passed to highspy directly)
    CBC = "cbc"  # CBC through PuLP
    HIGHSPY = "highspy"  # HiGHS through highspy, always
    RULE_BASED = "rule-based"  # the baseline's "solver"


class SolveMethod(StrEnum):
    """How an allocation is solved (``AllocationSettings.method``)."""

    PATTERNS = "patterns"  # per-order patterns: plan and valid bound at every size
    WHOLE_MODEL = "whole_model"  # one MIP over every candidate (PuLP), for reference solves


class FileStatus(StrEnum):
    """A partner file's state in the ledger (``raw.file_ledger.status``)."""

    PENDING = "pending"  # recorded, not yet validated
    OK = "ok"  # validated: every row accepted, rejected or a duplicate
    UNREADABLE = "unreadable"
    UNKNOWN_KIND = "unknown_kind"
    REFUSED = "refused"  # refused at the inbox boundary (link, folder, too large, bad name)
