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
  parcels   Σ shipping groups of order <= max_parcels_per_order (only where it can bind)
  z_link    group - z <= 0,  w_link  group - w <= 0
  cap_order Σ_p ships(p) <= ship_capacity_orders               (only where it can bind)
Objective: unit_obj·x + backorder_penalty·unit_price·b + cost_per_package per group
  (+ handling_cost_per_order on the group or z), plus a constant for lines with no candidate.
z and w may be continuous: the binaries they dominate push them to 1, nothing pushes higher.
A group column at 1 with no units is never better (costs are >= 0); plans are read from x.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from optimizers.candidates import Candidates


@dataclass(frozen=True)
class ModelArrays:
    """A MIP in CSR form plus the maps from columns back to candidates, lines, groups, pairs."""

    cost: np.ndarray
    col_lb: np.ndarray
    col_ub: np.ndarray
    integer: np.ndarray  # bool per column
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    row_lb: np.ndarray  # -inf where none
    row_ub: np.ndarray  # +inf where none
    row_kind: np.ndarray  # str per row, for diagnostics
    row_key: np.ndarray  # per row: its line, atp key, node, order or x column (link)
    x_cand: np.ndarray  # cand_idx of x columns [0, nx)
    x_line: np.ndarray  # line_idx of x columns
    b_line: np.ndarray  # line_idx of b columns
    group_ids: np.ndarray  # every group the model knows ...
    group_col: np.ndarray  # ... and the column that says it is used (a y, or its only x)
    z_pair: np.ndarray
    w_pair: np.ndarray
    offsets: dict[str, int] = field(default_factory=dict)  # first column of each block
    objective_offset: float = 0.0  # backorder cost of lines without any candidate

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return len(self.row_lb)


class _Rows:
    """Collects constraint blocks as COO triplets, then emits CSR."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.n = 0

    def add(self, kind: str, rows, cols, vals, lb, ub, n_rows: int, keys=-1) -> None:
        if n_rows == 0:
            return
        self.parts.append((
            np.asarray(rows, dtype=np.int64) + self.n,
            np.asarray(cols, dtype=np.int64),
            np.asarray(vals, dtype=np.float64),
            np.broadcast_to(np.asarray(lb, dtype=np.float64), n_rows),
            np.broadcast_to(np.asarray(ub, dtype=np.float64), n_rows),
            np.full(n_rows, kind, dtype=object),
            np.broadcast_to(np.asarray(keys, dtype=np.int64), n_rows),
        ))  # fmt: skip
        self.n += n_rows

    def csr(self) -> tuple[np.ndarray, ...]:
        if not self.parts:
            e = np.zeros(0)
            i = e.astype(np.int64)
            return np.zeros(1, np.int64), i, e, e, e, e.astype(object), i
        r, c, v, lb, ub, kind, key = (np.concatenate(a) for a in zip(*self.parts, strict=True))
        order = np.lexsort((c, r))
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=self.n), out=indptr[1:])
        return indptr, c[order], v[order], lb, ub, kind, key


def _dense(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique sorted keys and each element's position among them."""
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, inv.reshape(-1)


def _sum_rows(
    rows: _Rows,
    kind: str,
    keys: np.ndarray,
    cols: np.ndarray,
    weights: np.ndarray,
    cap_of_key,
    lhs_of_key: np.ndarray | None = None,
) -> None:
    """Σ cols grouped by key <= cap(key), emitted only for keys where the sum can exceed it.

    ``lhs_of_key`` is the most the grouped sum can reach (defaults to Σ weights)."""
    if len(keys) == 0:
        return
    uniq, pos = _dense(keys)
    most = np.bincount(pos, weights=weights) if lhs_of_key is None else lhs_of_key
    cap = np.asarray(cap_of_key(uniq), dtype=np.float64)
    binding = np.flatnonzero(most > cap)
    row_of = np.full(len(uniq), -1)
    row_of[binding] = np.arange(len(binding))
    sel = np.flatnonzero(row_of[pos] >= 0)
    rows.add(
        kind, row_of[pos[sel]], cols[sel], np.ones(len(sel)), -np.inf, cap[binding], len(binding),
        uniq[binding],
    )


def build_model_arrays(c: Candidates) -> ModelArrays:
    """The formulation in the module docstring, built with NumPy group operations."""
    s = c.settings
    cand = c.candidates.sort("cand_idx")
    nx = cand.height
    col = {
        k: cand[k].to_numpy()
        for k in ("cand_idx", "line_idx", "group_idx", "atp_idx", "node_idx", "ub", "unit_obj")
    }
    is_ship = cand["is_ship"].to_numpy().astype(bool)
    ub_x = col["ub"].astype(np.float64)

    lines = c.lines.sort("line_idx")  # line_idx is the row position
    b_line, x_brow = _dense(col["line_idx"])
    qty = lines["quantity"].to_numpy()[b_line].astype(np.float64)
    price = lines["unit_price"].to_numpy()[b_line].astype(np.float64)
    nb = len(b_line)

    g = c.groups.sort("group_idx")  # group_idx is the row position
    group_ids, x_g = _dense(col["group_idx"])
    ng = len(group_ids)
    g_pair = g["pair_idx"].to_numpy()[group_ids]
    g_ship = g["is_ship"].to_numpy().astype(bool)[group_ids]
    g_order = g["order_idx"].to_numpy()[group_ids]
    g_pkg = np.nan_to_num(g["cost_per_package"].to_numpy()[group_ids].astype(np.float64))
    g_count = np.bincount(x_g, minlength=ng)
    g_ubmax = np.zeros(ng)
    np.maximum.at(g_ubmax, x_g, ub_x)
    aliased = (g_count == 1) & (g_ubmax <= 1)  # its only x is 0/1: x itself says "used"
    ny = int((~aliased).sum())

    pairs_used, g_p = _dense(g_pair)
    pr = c.pairs.sort("pair_idx")
    p_handling = pr["handling_cost_per_order"].to_numpy()[pairs_used].astype(np.float64)
    p_node = pr["node_idx"].to_numpy()[pairs_used]
    n_groups = np.bincount(g_p, minlength=len(pairs_used))
    n_ship = np.bincount(g_p, weights=g_ship, minlength=len(pairs_used)).astype(np.int64)
    has_z = n_groups > 1
    z_pos = np.flatnonzero(has_z)
    nz = len(z_pos)

    nodes = c.nodes.sort("node_idx")
    cap_orders = nodes["cap_orders"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    capped = ~np.isnan(cap_orders[p_node]) & (n_ship > 0)
    needs_w = capped & (n_ship > 1) & (n_groups > n_ship)
    w_pos = np.flatnonzero(needs_w)
    nw = len(w_pos)

    off_b = nx
    off_y = off_b + nb
    off_z = off_y + ny
    off_w = off_z + nz
    n_cols = off_w + nw
    first_x = np.full(ng, -1, dtype=np.int64)
    first_x[x_g[::-1]] = np.arange(nx)[::-1]
    group_col = np.where(aliased, first_x, 0)
    group_col[~aliased] = off_y + np.arange(ny)
    z_col = np.full(len(pairs_used), -1, dtype=np.int64)
    z_col[z_pos] = off_z + np.arange(nz)
    w_col = np.full(len(pairs_used), -1, dtype=np.int64)
    w_col[w_pos] = off_w + np.arange(nw)

    group_cost = g_pkg + np.where(has_z[g_p], 0.0, p_handling[g_p])
    cost = np.zeros(n_cols)
    cost[:nx] = col["unit_obj"]
    cost[off_b:off_y] = s.backorder_penalty * price
    np.add.at(cost, group_col, group_cost)
    cost[off_z:off_w] = p_handling[z_pos]
    col_lb = np.zeros(n_cols)
    col_ub = np.concatenate([ub_x, qty, np.ones(ny + nz + nw)])
    integer = np.zeros(n_cols, dtype=bool)
    integer[:nx] = True
    integer[off_y:off_z] = True

    rows = _Rows()
    rows.add("line", np.concatenate([x_brow, np.arange(nb)]),
             np.concatenate([np.arange(nx), off_b + np.arange(nb)]), np.ones(nx + nb), qty, qty,
             nb, b_line)  # fmt: skip
    atp_val = c.atp.sort("atp_idx")["available_to_promise"].to_numpy()
    _sum_rows(rows, "atp", col["atp_idx"], np.arange(nx), ub_x, lambda k: atp_val[k])
    ship_x = np.flatnonzero(is_ship)
    cap_units = nodes["cap_units"].to_numpy()
    _sum_rows(rows, "cap_units", col["node_idx"][ship_x], ship_x, ub_x[ship_x],
              lambda k: cap_units[k])  # fmt: skip
    linked = np.flatnonzero(~aliased[x_g])
    k = len(linked)
    rows.add("link", np.tile(np.arange(k), 2),
             np.concatenate([linked, group_col[x_g[linked]]]),
             np.concatenate([np.ones(k), -ub_x[linked]]), -np.inf, 0.0, k, linked)  # fmt: skip
    # Parcels per order: only orders that have more units than the limit can split that far.
    ship_g = np.flatnonzero(g_ship)
    order_units = np.bincount(
        c.lines["order_idx"].to_numpy(), weights=c.lines["quantity"].to_numpy()
    )
    g_units = order_units[g_order[ship_g]]
    limit = float(s.max_parcels_per_order)
    parcel_g = ship_g[g_units > limit]
    _sum_rows(rows, "parcels", g_order[parcel_g], group_col[parcel_g], np.ones(len(parcel_g)),
              lambda k: np.full(len(k), limit))  # fmt: skip
    for kind, cols_of_pair, mask in (
        ("z_link", z_col, np.ones(ng, bool)),
        ("w_link", w_col, g_ship),
    ):
        sel = np.flatnonzero((cols_of_pair[g_p] >= 0) & mask)
        k = len(sel)
        rows.add(kind, np.tile(np.arange(k), 2),
                 np.concatenate([group_col[sel], cols_of_pair[g_p[sel]]]),
                 np.concatenate([np.ones(k), -np.ones(k)]), -np.inf, 0.0, k,
                 group_ids[sel])  # fmt: skip
    # Orders shipped per capped node: one indicator column per pair (a group's, z or w).
    cp = np.flatnonzero(capped)
    ship_col = np.full(len(pairs_used), -1, dtype=np.int64)
    ship_col[g_p[ship_g]] = group_col[ship_g]  # exact where the pair has one shipping group
    ind = np.where(n_ship[cp] == 1, ship_col[cp], np.where(needs_w[cp], w_col[cp], z_col[cp]))
    _sum_rows(rows, "cap_orders", p_node[cp], ind, np.ones(len(cp)), lambda k: cap_orders[k])

    indptr, indices, data, row_lb, row_ub, kind, row_key = rows.csr()
    unmodelled = np.ones(lines.height, dtype=bool)
    unmodelled[b_line] = False
    offset = s.backorder_penalty * float(
        (lines["quantity"].to_numpy() * lines["unit_price"].to_numpy())[unmodelled].sum()
    )
    return ModelArrays(
        cost=cost, col_lb=col_lb, col_ub=col_ub, integer=integer, indptr=indptr,
        indices=indices, data=data, row_lb=row_lb, row_ub=row_ub, row_kind=kind,
        row_key=row_key,
        x_cand=col["cand_idx"], x_line=col["line_idx"], b_line=b_line, group_ids=group_ids,
        group_col=group_col,
        z_pair=pairs_used[z_pos], w_pair=pairs_used[w_pos],
        offsets={"x": 0, "b": off_b, "y": off_y, "z": off_z, "w": off_w, "end": n_cols},
        objective_offset=offset,
    )  # fmt: skip


def row_subset(arrays: ModelArrays, keep: np.ndarray) -> ModelArrays:
    """The same columns with only the rows where ``keep`` is true (CSR sliced with NumPy)."""
    counts = np.diff(arrays.indptr)
    nz = np.repeat(keep, counts)
    indptr = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
    np.cumsum(counts[keep], out=indptr[1:])
    return replace(
        arrays, indptr=indptr, indices=arrays.indices[nz], data=arrays.data[nz],
        row_lb=arrays.row_lb[keep], row_ub=arrays.row_ub[keep], row_kind=arrays.row_kind[keep],
        row_key=arrays.row_key[keep],
    )  # fmt: skip


def start_vector(arrays: ModelArrays, c: Candidates, fills: pl.DataFrame) -> np.ndarray | None:
    """Column values of a known feasible plan (e.g. the baseline), or None if the plan uses a
    candidate the model does not have. Gives the solver an incumbent from the start."""
    o = arrays.offsets
    nx = len(arrays.x_cand)
    x = np.zeros(nx)
    if fills.height:
        ids = fills["cand_idx"].to_numpy()
        pos = np.clip(np.searchsorted(arrays.x_cand, ids), 0, max(nx - 1, 0))
        if nx == 0 or np.any(arrays.x_cand[pos] != ids):
            return None
        np.add.at(x, pos, fills["quantity"].to_numpy().astype(np.float64))
    values = np.zeros(arrays.n_cols)
    values[:nx] = x
    cand = c.candidates.sort("cand_idx")
    at = np.searchsorted(cand["cand_idx"].to_numpy(), arrays.x_cand)
    x_group = cand["group_idx"].to_numpy()[at]
    x_line = cand["line_idx"].to_numpy()[at]
    used_groups = np.unique(x_group[x > 0])
    g_used = np.isin(arrays.group_ids, used_groups)
    real = arrays.group_col >= o["y"]
    values[arrays.group_col[real]] = g_used[real].astype(np.float64)
    g = c.groups.sort("group_idx")
    g_pair = g["pair_idx"].to_numpy()[arrays.group_ids]
    g_ship = g["is_ship"].to_numpy().astype(bool)[arrays.group_ids]
    values[o["z"] : o["w"]] = np.isin(arrays.z_pair, g_pair[g_used])
    values[o["w"] : o["end"]] = np.isin(arrays.w_pair, g_pair[g_used & g_ship])
    filled = np.bincount(np.searchsorted(arrays.b_line, x_line), weights=x,
                         minlength=len(arrays.b_line))  # fmt: skip
    values[o["b"] : o["y"]] = arrays.col_ub[o["b"] : o["y"]] - filled
    return values
