"""Patterns as columns: their fills, their true cost, their use of each coupling row.

A pattern is one order's plan. ``Patterns`` stores many of them as CSR runs of fills
(candidate position in ``OrderProblems``, units). Its cost is the objective of
``optimizers.model.objective`` restricted to the order (units, packages of the groups it
opens, handling of the pairs it opens, backorders of its lines), so the master's objective
of any integer selection is exactly the plan's objective less the constant ``offset``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from optimizers.candidates.prepare import NO_LIMIT
from optimizers.model.objective import FILLS_SCHEMA
from optimizers.patterns.problem import OrderProblems


@dataclass(frozen=True)
class CouplingRows:
    """The master's capacity rows that can bind; -1 where a key has no row."""

    atp_row: np.ndarray  # per atp key
    unit_row: np.ndarray  # per node
    order_row: np.ndarray  # per node
    cap: np.ndarray  # per row: its capacity

    @property
    def n(self) -> int:
        return len(self.cap)


@dataclass(frozen=True)
class Prices:
    """Prices (>= 0) of the coupling rows, per key (zero where a key has no row)."""

    atp: np.ndarray
    units: np.ndarray
    orders: np.ndarray

    @staticmethod
    def of_rows(rows: CouplingRows, row_price: np.ndarray) -> Prices:
        def per_key(row_of_key: np.ndarray) -> np.ndarray:
            if len(row_price) == 0:  # no row can bind
                return np.zeros(len(row_of_key))
            return np.where(row_of_key >= 0, row_price[np.maximum(row_of_key, 0)], 0.0)

        return Prices(per_key(rows.atp_row), per_key(rows.unit_row), per_key(rows.order_row))

    def rate(self, op: OrderProblems) -> np.ndarray:
        """Per candidate: its unit objective plus the prices one of its units pays."""
        return op.unit_obj + self.atp[op.atp] + np.where(op.ship, self.units[op.node], 0.0)

    def pair_ship(self, op: OrderProblems) -> np.ndarray:
        """Per pair: the price of one more order shipped from its node."""
        return self.orders[op.pair_node]

    def charge(self, rows: CouplingRows) -> float:
        """Σ price × capacity over the rows (what the Lagrangian bound subtracts)."""
        return float(
            _finite_dot(self.atp, rows.atp_row, rows.cap)
            + _finite_dot(self.units, rows.unit_row, rows.cap)
            + _finite_dot(self.orders, rows.order_row, rows.cap)
        )


def _finite_dot(price: np.ndarray, row_of_key: np.ndarray, cap: np.ndarray) -> float:
    has = row_of_key >= 0
    return float(price[has] @ cap[row_of_key[has]])


def potential_use(
    op: OrderProblems, n_atp: int, n_nodes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The most the candidates could take of each key: stock, shipped units, shipped orders."""
    ship = op.ship
    atp = np.bincount(op.atp, weights=op.ub, minlength=n_atp)
    units = np.bincount(op.node[ship], weights=op.ub[ship], minlength=n_nodes)
    pairs = np.unique(op.pair[op.group][ship])
    orders = np.bincount(op.pair_node[pairs], minlength=n_nodes).astype(np.float64)
    return atp, units, orders


def coupling_rows(
    op: OrderProblems, atp_value: np.ndarray, cap_units: np.ndarray, cap_orders: np.ndarray
) -> CouplingRows:
    """Rows for the keys whose candidates could exceed the capacity together."""
    n_atp, n_nodes = len(atp_value), len(cap_units)
    most_atp, most_units, most_orders = potential_use(op, n_atp, n_nodes)
    units_cap = np.where(cap_units >= NO_LIMIT, np.inf, cap_units.astype(np.float64))
    rows = [
        np.flatnonzero(most_atp > atp_value),
        np.flatnonzero(most_units > units_cap),
        np.flatnonzero(most_orders > cap_orders),
    ]
    sizes = np.cumsum([0, *(len(r) for r in rows)])
    row_of = []
    for keys, n, start in zip(rows, (n_atp, n_nodes, n_nodes), sizes[:-1], strict=True):
        of = np.full(n, -1, dtype=np.int64)
        of[keys] = start + np.arange(len(keys))
        row_of.append(of)
    cap = np.concatenate([atp_value[rows[0]], units_cap[rows[1]], cap_orders[rows[2]]])
    return CouplingRows(row_of[0], row_of[1], row_of[2], cap.astype(np.float64))


@dataclass(frozen=True)
class Patterns:
    """Patterns as CSR runs of fills: pattern p fills ``cand[ptr[p]:ptr[p+1]]``."""

    order: np.ndarray  # per pattern: position of its order in OrderProblems
    ptr: np.ndarray
    cand: np.ndarray  # candidate positions in OrderProblems
    qty: np.ndarray

    @property
    def n(self) -> int:
        return len(self.order)

    def fill_pattern(self) -> np.ndarray:
        return np.repeat(np.arange(self.n), np.diff(self.ptr))

    @staticmethod
    def concat(parts: list[Patterns]) -> Patterns:
        sizes = np.cumsum([0, *(len(p.cand) for p in parts)])
        return Patterns(
            np.concatenate([p.order for p in parts]),
            np.concatenate([[0], *(p.ptr[1:] + s for p, s in zip(parts, sizes, strict=False))]),
            np.concatenate([p.cand for p in parts]),
            np.concatenate([p.qty for p in parts]),
        )

    def units(self, n_cands: int) -> np.ndarray:
        """Per candidate: the units these patterns (one per order at most) take."""
        take = np.zeros(n_cands, dtype=np.int64)
        take[self.cand] = self.qty
        return take

    def take(self, idx: np.ndarray) -> Patterns:
        """The patterns at positions ``idx``, in that order."""
        counts = np.diff(self.ptr)[idx]
        ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        fills = np.repeat(self.ptr[idx] - ptr[:-1], counts) + np.arange(ptr[-1])
        return Patterns(self.order[idx], ptr, self.cand[fills], self.qty[fills])


def patterns_from_take(op: OrderProblems, take: np.ndarray, orders: np.ndarray) -> Patterns:
    """One pattern per listed order (positions, ascending) from per-candidate units."""
    order_of = op.order_of_cand()
    chosen = np.zeros(op.n_orders, dtype=bool)
    chosen[orders] = True
    cand = np.flatnonzero((take > 0) & chosen[order_of])
    per_order = np.bincount(order_of[cand], minlength=op.n_orders)[orders]
    ptr = np.concatenate([[0], np.cumsum(per_order)]).astype(np.int64)
    return Patterns(orders.astype(np.int64), ptr, cand, take[cand].astype(np.int64))


def empty_patterns(op: OrderProblems) -> Patterns:
    """Every order backordered whole: the master is feasible from the first round."""
    n = op.n_orders
    e = np.zeros(0, dtype=np.int64)
    return Patterns(np.arange(n, dtype=np.int64), np.zeros(n + 1, dtype=np.int64), e, e)


def pattern_costs(op: OrderProblems, pats: Patterns) -> np.ndarray:
    """Each pattern's objective: units, packages, handling, its order's backorders."""
    fp = pats.fill_pattern()
    units = np.bincount(fp, weights=op.unit_obj[pats.cand] * pats.qty, minlength=pats.n)
    groups = np.unique(np.stack([fp, op.group[pats.cand]]), axis=1)
    package = np.bincount(groups[0], weights=op.package[groups[1]], minlength=pats.n)
    pairs = np.unique(np.stack([fp, op.pair[op.group[pats.cand]]]), axis=1)
    handling = np.bincount(pairs[0], weights=op.handling[pairs[1]], minlength=pats.n)
    line_of = np.repeat(np.arange(len(op.line_idx)), np.diff(op.line_cands))[pats.cand]
    filled_value = np.bincount(fp, weights=op.backorder[line_of] * pats.qty, minlength=pats.n)
    line_order = np.repeat(np.arange(op.n_orders), np.diff(op.order_lines))
    whole = np.bincount(line_order, weights=op.backorder * op.qty, minlength=op.n_orders)
    return units + package + handling + whole[pats.order] - filled_value


def coefficients(
    op: OrderProblems, rows: CouplingRows, pats: Patterns
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pattern, row, value) triplets of the patterns' use of the coupling rows, summed."""
    fp = pats.fill_pattern()
    j, q = pats.cand, pats.qty.astype(np.float64)
    atp_r = rows.atp_row[op.atp[j]]
    unit_r = np.where(op.ship[j], rows.unit_row[op.node[j]], -1)
    ship_pairs = np.unique(np.stack([fp[op.ship[j]], op.pair[op.group[j]][op.ship[j]]]), axis=1)
    order_r = rows.order_row[op.pair_node[ship_pairs[1]]]
    pat = np.concatenate([fp, fp, ship_pairs[0]])
    row = np.concatenate([atp_r, unit_r, order_r])
    val = np.concatenate([q, q, np.ones(len(order_r))])
    keep = row >= 0
    pat, row, val = pat[keep], row[keep], val[keep]
    key = pat * max(rows.n, 1) + row
    uniq, inv = np.unique(key, return_inverse=True)
    return uniq // max(rows.n, 1), uniq % max(rows.n, 1), np.bincount(inv, weights=val)


def fills_of(op: OrderProblems, pats: Patterns) -> pl.DataFrame:
    """The patterns' fills as a plan (cand_idx, quantity), summed per candidate."""
    frame = pl.DataFrame(
        {"cand_idx": op.cand[pats.cand], "quantity": pats.qty}, schema=FILLS_SCHEMA
    )
    return frame.group_by("cand_idx").agg(pl.col("quantity").sum()).sort("cand_idx")
