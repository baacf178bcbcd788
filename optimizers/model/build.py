"""Stage 2: the one MIP formulation, as NumPy arrays (objective, bounds, integrality, CSR rows).

Columns, in this order:
  x[c]  integer units filled by candidate c, 0 <= x <= ub[c] = min(qty, ATP, unit capacity)
  b[l]  backordered units of line l (continuous; integral because x and qty are)
  y[g]  binary: group g is used (a parcel for shipping modes; an own-store pickup otherwise).
        A group with a single candidate of ub 1 needs no y: that x (0/1) stands in for it.
  z[p]  handling indicator of (order, node) pair p, only where p has several groups
        (a pair with one group folds its handling_cost_per_order into that group's column)
  w[p]  "order ships from node" indicator, only for nodes with a finite order capacity where
        neither a single group column nor z can stand in for it
Rows:
  line      Σ_c x + b = qty                                   (every line with candidates)
  atp       Σ x over (node, sku) <= ATP                        (only where it can bind)
  cap_units Σ shipping x of node <= ship_capacity_units        (only where it can bind)
  link      x - ub·y <= 0                                      (per candidate with a real y)
  parcels   Σ shipping groups of order <= parcels it may open    (only where it can bind)
  z_link    group - z <= 0,  w_link  group - w <= 0
  cap_order Σ_p ships(p) <= ship_capacity_orders               (only where it can bind)
Objective: unit_obj·x + backorder_penalty·unit_price·b + cost_per_package per group
  (+ handling_cost_per_order on the group or z), plus a constant for lines with no candidate.
z and w may be continuous: the binaries they dominate push them to 1, nothing pushes higher.
A group column at 1 with no units is never better (costs are >= 0); plans are read from x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from optimizers.candidates import Candidates
from optimizers.model import rows as define
from optimizers.model.arrays import ModelArrays, Rows, dense
from optimizers.model.objective import backorder_cost


@dataclass(frozen=True)
class Layout:
    """Which column is which: candidates (x), backorders (b), groups (y), pairs (z, w)."""

    nx: int
    ub_x: np.ndarray  # per x: its upper bound
    x_atp: np.ndarray  # per x: its stock key
    x_node: np.ndarray
    x_ship: np.ndarray  # per x: uses ship capacity
    x_g: np.ndarray  # per x: position of its group in group_ids
    x_brow: np.ndarray  # per x: position of its line in b_line
    b_line: np.ndarray  # line_idx of each b column
    qty: np.ndarray  # per b: the line's quantity
    price: np.ndarray  # per b: the line's unit price
    group_ids: np.ndarray
    g_ship: np.ndarray
    g_order: np.ndarray
    g_pkg: np.ndarray
    g_p: np.ndarray  # per group: position of its pair in pairs_used
    aliased: np.ndarray  # per group: its only x (0/1) stands in for the y
    group_col: np.ndarray  # per group: the column that says it is used
    pairs_used: np.ndarray
    p_handling: np.ndarray
    p_node: np.ndarray
    n_ship: np.ndarray  # per pair: its shipping groups
    has_z: np.ndarray
    z_pos: np.ndarray
    z_col: np.ndarray  # per pair: its z column or -1
    capped: np.ndarray  # per pair: ships from a node with an order capacity
    needs_w: np.ndarray
    w_pos: np.ndarray
    w_col: np.ndarray  # per pair: its w column or -1
    off: dict[str, int]


def layout(c: Candidates) -> Layout:
    """Number the columns of the formulation in the module docstring."""
    cand = c.candidates.sort("cand_idx")
    nx = cand.height
    x_line, x_group = cand["line_idx"].to_numpy(), cand["group_idx"].to_numpy()
    ub_x = cand["ub"].to_numpy().astype(np.float64)

    lines = c.lines.sort("line_idx")  # line_idx is the row position
    b_line, x_brow = dense(x_line)

    g = c.groups.sort("group_idx")  # group_idx is the row position
    group_ids, x_g = dense(x_group)
    ng = len(group_ids)
    g_ship = g["is_ship"].to_numpy().astype(bool)[group_ids]
    g_count = np.bincount(x_g, minlength=ng)
    g_ubmax = np.zeros(ng)
    np.maximum.at(g_ubmax, x_g, ub_x)
    aliased = (g_count == 1) & (g_ubmax <= 1)  # its only x is 0/1: x itself says "used"
    ny = int((~aliased).sum())

    pairs_used, g_p = dense(g["pair_idx"].to_numpy()[group_ids])
    pr = c.pairs.sort("pair_idx")
    p_node = pr["node_idx"].to_numpy()[pairs_used]
    n_groups = np.bincount(g_p, minlength=len(pairs_used))
    n_ship = np.bincount(g_p, weights=g_ship, minlength=len(pairs_used)).astype(np.int64)
    has_z = n_groups > 1
    z_pos = np.flatnonzero(has_z)

    cap_orders = c.nodes.sort("node_idx")["cap_orders"].cast(pl.Float64).fill_null(np.nan)
    capped = ~np.isnan(cap_orders.to_numpy()[p_node]) & (n_ship > 0)
    needs_w = capped & (n_ship > 1) & (n_groups > n_ship)
    w_pos = np.flatnonzero(needs_w)

    off = {"x": 0, "b": nx, "y": nx + len(b_line)}
    off["z"] = off["y"] + ny
    off["w"] = off["z"] + len(z_pos)
    off["end"] = off["w"] + len(w_pos)
    first_x = np.full(ng, -1, dtype=np.int64)
    first_x[x_g[::-1]] = np.arange(nx)[::-1]
    group_col = np.where(aliased, first_x, 0)
    group_col[~aliased] = off["y"] + np.arange(ny)
    z_col = np.full(len(pairs_used), -1, dtype=np.int64)
    z_col[z_pos] = off["z"] + np.arange(len(z_pos))
    w_col = np.full(len(pairs_used), -1, dtype=np.int64)
    w_col[w_pos] = off["w"] + np.arange(len(w_pos))
    return Layout(
        nx=nx,
        ub_x=ub_x,
        x_atp=cand["atp_idx"].to_numpy(),
        x_node=cand["node_idx"].to_numpy(),
        x_ship=cand["is_ship"].to_numpy().astype(bool),
        x_g=x_g,
        x_brow=x_brow,
        b_line=b_line,
        qty=lines["quantity"].to_numpy()[b_line].astype(np.float64),
        price=lines["unit_price"].to_numpy()[b_line].astype(np.float64),
        group_ids=group_ids,
        g_ship=g_ship,
        g_order=g["order_idx"].to_numpy()[group_ids],
        g_pkg=np.nan_to_num(g["cost_per_package"].to_numpy()[group_ids].astype(np.float64)),
        g_p=g_p,
        aliased=aliased,
        group_col=group_col,
        pairs_used=pairs_used,
        p_handling=pr["handling_cost_per_order"].to_numpy()[pairs_used].astype(np.float64),
        p_node=p_node,
        n_ship=n_ship,
        has_z=has_z,
        z_pos=z_pos,
        z_col=z_col,
        capped=capped,
        needs_w=needs_w,
        w_pos=w_pos,
        w_col=w_col,
        off=off,
    )


def _costs_and_bounds(c: Candidates, lay: Layout) -> tuple[np.ndarray, ...]:
    """Objective (``optimizers.model.objective``), column bounds and integrality."""
    off, nx = lay.off, lay.nx
    n_cols = off["end"]
    group_cost = lay.g_pkg + np.where(lay.has_z[lay.g_p], 0.0, lay.p_handling[lay.g_p])
    cost = np.zeros(n_cols)
    cost[:nx] = c.candidates.sort("cand_idx")["unit_obj"].to_numpy()
    cost[off["b"] : off["y"]] = backorder_cost(c.settings, lay.price)
    np.add.at(cost, lay.group_col, group_cost)
    cost[off["z"] : off["w"]] = lay.p_handling[lay.z_pos]
    col_lb = np.zeros(n_cols)
    col_ub = np.concatenate([lay.ub_x, lay.qty, np.ones(n_cols - off["y"])])
    integer = np.zeros(n_cols, dtype=bool)
    integer[:nx] = True
    integer[off["y"] : off["z"]] = True
    return cost, col_lb, col_ub, integer


def build_model_arrays(c: Candidates) -> ModelArrays:
    """The formulation in the module docstring, built with NumPy group operations."""
    s = c.settings
    lay = layout(c)
    cost, col_lb, col_ub, integer = _costs_and_bounds(c, lay)
    nodes = c.nodes.sort("node_idx")
    order_units = np.bincount(
        c.lines["order_idx"].to_numpy(), weights=c.lines["quantity"].to_numpy()
    )
    rows = Rows()
    define.define_line_rows(rows, lay)
    define.define_stock_rows(rows, lay, c.atp.sort("atp_idx")["available_to_promise"].to_numpy())
    define.define_unit_capacity_rows(rows, lay, nodes["cap_units"].to_numpy())
    define.define_link_rows(rows, lay)
    define.define_parcel_rows(rows, lay, order_units, c.parcel_limits())
    define.define_indicator_links(rows, lay)
    define.define_order_capacity_rows(
        rows, lay, nodes["cap_orders"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    )
    indptr, indices, data, row_lb, row_ub, kind, row_key = rows.csr()

    lines = c.lines.sort("line_idx")
    unmodelled = np.ones(lines.height, dtype=bool)
    unmodelled[lay.b_line] = False
    unfilled = lines["quantity"].to_numpy() * lines["unit_price"].to_numpy()
    offset = float(backorder_cost(s, unfilled[unmodelled].sum()))
    x_cand = c.candidates.sort("cand_idx")["cand_idx"].to_numpy()
    return ModelArrays(
        cost=cost,
        col_lb=col_lb,
        col_ub=col_ub,
        integer=integer,
        indptr=indptr,
        indices=indices,
        data=data,
        row_lb=row_lb,
        row_ub=row_ub,
        row_kind=kind,
        row_key=row_key,
        x_cand=x_cand,
        x_line=c.candidates.sort("cand_idx")["line_idx"].to_numpy(),
        b_line=lay.b_line,
        group_ids=lay.group_ids,
        group_col=lay.group_col,
        z_pair=lay.pairs_used[lay.z_pos],
        w_pair=lay.pairs_used[lay.w_pos],
        offsets=lay.off,
        objective_offset=offset,
    )
