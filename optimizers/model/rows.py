"""The model's rows, one builder per family, each named for what it enforces.

Every builder appends its block to a ``Rows`` collector and emits only rows that can bind
(a stock row whose candidates cannot exceed the stock is left out): the model stays as small
as the instance allows. ``Layout`` (``optimizers.model.build``) says which column is which.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from optimizers.model.arrays import Rows, dense

if TYPE_CHECKING:
    from optimizers.model.build import Layout


def _sum_rows(
    rows: Rows,
    kind: str,
    keys: np.ndarray,
    cols: np.ndarray,
    weights: np.ndarray,
    cap_of_key: Callable[[np.ndarray], np.ndarray],
    lhs_of_key: np.ndarray | None = None,
) -> None:
    """Σ cols grouped by key <= cap(key), emitted only for keys where the sum can exceed it.

    ``lhs_of_key`` is the most the grouped sum can reach (defaults to Σ weights)."""
    if len(keys) == 0:
        return
    uniq, pos = dense(keys)
    most = np.bincount(pos, weights=weights) if lhs_of_key is None else lhs_of_key
    cap = np.asarray(cap_of_key(uniq), dtype=np.float64)
    binding = np.flatnonzero(most > cap)
    row_of = np.full(len(uniq), -1)
    row_of[binding] = np.arange(len(binding))
    sel = np.flatnonzero(row_of[pos] >= 0)
    rows.add(
        kind,
        row_of[pos[sel]],
        cols[sel],
        np.ones(len(sel)),
        -np.inf,
        cap[binding],
        len(binding),
        uniq[binding],
    )


def define_line_rows(rows: Rows, lay: Layout) -> None:
    """line: Σ_c x + b = qty for every line with candidates (filled or backordered)."""
    nx, nb = lay.nx, len(lay.b_line)
    rows.add(
        "line",
        np.concatenate([lay.x_brow, np.arange(nb)]),
        np.concatenate([np.arange(nx), lay.off["b"] + np.arange(nb)]),
        np.ones(nx + nb),
        lay.qty,
        lay.qty,
        nb,
        lay.b_line,
    )


def define_stock_rows(rows: Rows, lay: Layout, atp: np.ndarray) -> None:
    """atp: Σ x over a (node, sku) <= its available to promise."""
    _sum_rows(rows, "atp", lay.x_atp, np.arange(lay.nx), lay.ub_x, lambda k: atp[k])


def define_unit_capacity_rows(rows: Rows, lay: Layout, cap_units: np.ndarray) -> None:
    """cap_units: Σ shipping x of a node <= its ship_capacity_units."""
    ship_x = np.flatnonzero(lay.x_ship)
    _sum_rows(
        rows, "cap_units", lay.x_node[ship_x], ship_x, lay.ub_x[ship_x], lambda k: cap_units[k]
    )


def define_link_rows(rows: Rows, lay: Layout) -> None:
    """link: x - ub·y <= 0, a unit travels only in an opened group (parcel or pickup)."""
    linked = np.flatnonzero(~lay.aliased[lay.x_g])
    k = len(linked)
    rows.add(
        "link",
        np.tile(np.arange(k), 2),
        np.concatenate([linked, lay.group_col[lay.x_g[linked]]]),
        np.concatenate([np.ones(k), -lay.ub_x[linked]]),
        -np.inf,
        0.0,
        k,
        linked,
    )


def define_parcel_rows(rows: Rows, lay: Layout, order_units: np.ndarray, limit: np.ndarray) -> None:
    """parcels: Σ shipping groups of an order <= the parcels it may still open (only orders
    with more units than that can split that far)."""
    ship_g = np.flatnonzero(lay.g_ship)
    g_order = lay.g_order[ship_g]
    parcel_g = ship_g[order_units[g_order] > limit[g_order]]
    _sum_rows(
        rows,
        "parcels",
        lay.g_order[parcel_g],
        lay.group_col[parcel_g],
        np.ones(len(parcel_g)),
        lambda k: limit[k].astype(np.float64),
    )


def define_indicator_links(rows: Rows, lay: Layout) -> None:
    """z_link / w_link: group - z <= 0 (the pair pays handling), shipping group - w <= 0 (the
    order ships from the node)."""
    for kind, cols_of_pair, mask in (
        ("z_link", lay.z_col, np.ones(len(lay.group_ids), bool)),
        ("w_link", lay.w_col, lay.g_ship),
    ):
        sel = np.flatnonzero((cols_of_pair[lay.g_p] >= 0) & mask)
        k = len(sel)
        rows.add(
            kind,
            np.tile(np.arange(k), 2),
            np.concatenate([lay.group_col[sel], cols_of_pair[lay.g_p[sel]]]),
            np.concatenate([np.ones(k), -np.ones(k)]),
            -np.inf,
            0.0,
            k,
            lay.group_ids[sel],
        )


def define_order_capacity_rows(rows: Rows, lay: Layout, cap_orders: np.ndarray) -> None:
    """cap_order: Σ orders shipped from a capped node <= ship_capacity_orders, one indicator
    column per pair (its single shipping group's, else w, else z)."""
    cp = np.flatnonzero(lay.capped)
    ship_g = np.flatnonzero(lay.g_ship)
    ship_col = np.full(len(lay.pairs_used), -1, dtype=np.int64)
    ship_col[lay.g_p[ship_g]] = lay.group_col[ship_g]  # exact where the pair has one
    ind = np.where(
        lay.n_ship[cp] == 1, ship_col[cp], np.where(lay.needs_w[cp], lay.w_col[cp], lay.z_col[cp])
    )
    _sum_rows(rows, "cap_orders", lay.p_node[cp], ind, np.ones(len(cp)), lambda k: cap_orders[k])
