"""The run as one small problem per order, in flat arrays the pricing kernel reads.

Dantzig-Wolfe splits the allocation where it couples orders: stock per (node, sku), shipped
units per node and orders shipped per node are the *master* rows; everything else (a line's
units, its parcels and their package, the per-order handling of a node, the order's parcel
limit) stays inside the order. An order's plan is a *pattern*: which groups (parcels, own-store
pickups) it opens and how many units each line takes from each. ``OrderProblems`` holds every
order's lines, candidates and groups as CSR-style runs (``*_ptr``), so a kernel can walk one
order without touching the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from optimizers.candidates import Candidates
from optimizers.candidates.prepare import NO_LIMIT
from optimizers.model.objective import backorder_cost
from optimizers.segments import run_starts


@dataclass(frozen=True)
class OrderProblems:
    """Orders (with at least one candidate) -> lines -> candidates; orders -> groups.

    Candidates are in (order, line, cand_idx) order; ``cand`` maps them back to ``cand_idx``.
    Groups and pairs are numbered densely in order; a candidate's ``group`` indexes the group
    arrays, a group's ``pair`` the pair arrays.
    """

    order_idx: np.ndarray  # per order: its order_idx in the candidates
    order_lines: np.ndarray  # ptr into the line arrays (n_orders + 1)
    order_groups: np.ndarray  # ptr into the group arrays (n_orders + 1)
    parcel_limit: np.ndarray  # per order: shipping groups it may open (large = no limit)
    line_idx: np.ndarray
    line_cands: np.ndarray  # ptr into the candidate arrays (n_lines + 1)
    qty: np.ndarray  # per line, int64
    backorder: np.ndarray  # per line: cost of one backordered unit
    cand: np.ndarray  # cand_idx
    group: np.ndarray  # per candidate: dense group
    node: np.ndarray
    atp: np.ndarray  # per candidate: atp_idx
    ship: np.ndarray  # per candidate: uses the node's shipping capacity
    unit_obj: np.ndarray
    ub: np.ndarray  # int64
    package: np.ndarray  # per group: its parcel's package cost (0 for a pickup)
    group_ship: np.ndarray  # per group: bool
    pair: np.ndarray  # per group: dense (order, node) pair
    handling: np.ndarray  # per pair: handling cost per order
    pair_node: np.ndarray  # per pair: node_idx
    offset: float  # backorder cost of lines without any candidate
    share: np.ndarray  # per candidate: its spread share of the fixed costs it can trigger
    floor: np.ndarray  # per line: price-free unit floor of its pruned candidates (inf: none)

    @property
    def n_orders(self) -> int:
        return len(self.order_idx)

    @property
    def n_cands(self) -> int:
        return len(self.cand)

    def order_of_cand(self) -> np.ndarray:
        """Per candidate: its position among the orders."""
        per_line = np.repeat(np.arange(len(self.line_idx)), np.diff(self.line_cands))
        line_order = np.repeat(np.arange(self.n_orders), np.diff(self.order_lines))
        return line_order[per_line]

    def positions(self, cand_idx: np.ndarray) -> np.ndarray:
        """Where candidates (by ``cand_idx``, all of them present) sit in these arrays."""
        by = np.argsort(self.cand)
        return by[np.searchsorted(self.cand[by], cand_idx)]

    def pruned_lower(self, rate: np.ndarray) -> np.ndarray:
        """Per order: a lower bound on its cheapest pattern over *all* its candidates, the
        ones pruned at generation included (inf for orders that lost none).

        Each unit at least pays its candidate's rate plus its spread share of the fixed costs
        (shares never add up to more than the fixed cost paid), a pruned one at least the
        line's floor, a backordered one its backorder cost."""
        lower = np.full(self.n_orders, np.inf)
        has = np.isfinite(self.floor)
        if not has.any():
            return lower
        per_unit = np.minimum.reduceat(rate + self.share, self.line_cands[:-1])
        per_unit = np.minimum(np.minimum(per_unit, self.floor), self.backorder)
        by_order = np.add.reduceat(self.qty * per_unit, self.order_lines[:-1])
        pruned = np.add.reduceat(has.astype(np.int64), self.order_lines[:-1]) > 0
        return np.where(pruned, by_order, lower)


def _ptr(sorted_keys: np.ndarray, n: int) -> np.ndarray:
    """CSR offsets of ``n`` consecutive keys 0..n-1 in a sorted key array."""
    return np.searchsorted(sorted_keys, np.arange(n + 1)).astype(np.int64)


def order_problems(c: Candidates) -> OrderProblems:
    """The per-order arrays of a run's candidates (orders without candidates left out)."""
    s = c.settings
    cand = c.candidates.sort("order_idx", "line_idx", "cand_idx")
    orders = np.unique(cand["order_idx"].to_numpy())
    # lines in (order, line) order: the runs of the sorted candidates
    cand_line = cand["line_idx"].to_numpy()
    starts = run_starts(cand_line)
    lines_used = cand_line[starts]
    line_pos = np.cumsum(starts) - 1
    lines = c.lines.sort("line_idx")
    at = np.searchsorted(lines["line_idx"].to_numpy(), lines_used)
    all_qty = lines["quantity"].to_numpy().astype(np.int64)
    all_bo = np.asarray(backorder_cost(s, lines["unit_price"].cast(pl.Float64).to_numpy()))
    line_qty, line_bo = all_qty[at], all_bo[at]
    modelled = np.zeros(lines.height, dtype=bool)
    modelled[at] = True
    offset = float((all_qty * all_bo)[~modelled].sum())
    line_order = np.searchsorted(orders, cand["order_idx"].to_numpy()[starts])

    groups = c.groups.join(cand.select("group_idx").unique(), on="group_idx", how="semi").sort(
        "order_idx", "group_idx"
    )
    group_ids = groups["group_idx"].to_numpy()
    top = c.groups["group_idx"].max()
    group_dense = np.full(int(top) + 1 if top is not None else 1, -1, dtype=np.int64)  # type: ignore[arg-type]
    group_dense[group_ids] = np.arange(len(group_ids))
    pair_ids, pair_dense = np.unique(groups["pair_idx"].to_numpy(), return_inverse=True)
    pairs = c.pairs.sort("pair_idx")
    pair_at = np.searchsorted(pairs["pair_idx"].to_numpy(), pair_ids)

    limit_all = c.parcel_limits()
    units = np.bincount(line_order, weights=line_qty, minlength=len(orders))
    limit = limit_all[orders]
    limit = np.where(units > limit, limit, NO_LIMIT).astype(np.int64)
    group_order = np.searchsorted(orders, groups["order_idx"].to_numpy())
    return OrderProblems(
        order_idx=orders,
        order_lines=_ptr(line_order, len(orders)),
        order_groups=_ptr(group_order, len(orders)),
        parcel_limit=limit,
        line_idx=lines_used,
        line_cands=_ptr(line_pos, len(lines_used)),
        qty=line_qty,
        backorder=line_bo,
        cand=cand["cand_idx"].to_numpy(),
        group=group_dense[cand["group_idx"].to_numpy()],
        node=cand["node_idx"].to_numpy(),
        atp=cand["atp_idx"].to_numpy(),
        ship=cand["is_ship"].to_numpy().astype(bool),
        unit_obj=cand["unit_obj"].to_numpy().astype(np.float64),
        ub=cand["ub"].to_numpy().astype(np.int64),
        package=np.where(
            groups["is_ship"].to_numpy(),
            groups["cost_per_package"].fill_null(0.0).fill_nan(0.0).to_numpy(),
            0.0,
        ),
        group_ship=groups["is_ship"].to_numpy().astype(bool),
        pair=pair_dense.reshape(-1).astype(np.int64),
        handling=pairs["handling_cost_per_order"].to_numpy().astype(np.float64)[pair_at],
        pair_node=pairs["node_idx"].to_numpy()[pair_at],
        offset=offset,
        share=cand["share_fixed"].fill_null(0.0).to_numpy().astype(np.float64),
        floor=_floors(lines, at),
    )


def _floors(lines: pl.DataFrame, at: np.ndarray) -> np.ndarray:
    """Per modelled line: the unit floor of its pruned candidates (inf if none was pruned)."""
    if "pruned_floor" not in lines.columns:
        return np.full(len(at), np.inf)
    return lines["pruned_floor"].cast(pl.Float64).fill_null(np.inf).to_numpy()[at]
