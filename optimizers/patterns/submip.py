"""The contest as a small MIP: the free orders' patterns, at what the fixed orders leave.

Built for highspy directly (a set-partitioning model with capacity rows: one binary per
pattern, one row per free order, one per coupling row the free patterns use). Node-limited
and single-threaded, so it stops at the same place every time; the empty pattern of every
order is among the columns, so it is always feasible.
"""

from __future__ import annotations

import numpy as np

from optimizers.patterns.master import Master
from optimizers.solve.outcome import quiet_stdout

MAX_NODES = 1  # the root: its heuristics find the plan; branching was measured not to pay


def solve_contest(
    master: Master,
    free: np.ndarray,
    fixed_cols: list[int],
    abs_gap: float,
    start_cols: np.ndarray | None = None,
    max_nodes: int = MAX_NODES,
    time_limit: float = np.inf,
) -> np.ndarray | None:
    """One column per free order, the cheapest combination HiGHS finds within ``abs_gap``
    (None if it found none within its node limit). ``start_cols`` (one per free order) is
    an incumbent to start from; ``time_limit`` only a safety net."""
    import highspy

    col, row, val = master.coupling()
    order = master.column_orders()
    _, cost = master.all_patterns()
    fixed = np.zeros(master.n_cols, dtype=bool)
    fixed[np.asarray(fixed_cols, dtype=np.int64)] = True
    left = master.rows.cap - np.bincount(row, weights=val * fixed[col], minlength=master.rows.n)
    cols = np.flatnonzero(free[order])
    local = np.full(master.n_cols, -1)
    local[cols] = np.arange(len(cols))
    mine = local[col] >= 0
    rows_used, row_local = np.unique(row[mine], return_inverse=True)
    free_orders = np.flatnonzero(free)
    order_local = np.full(len(free), -1)
    order_local[free_orders] = np.arange(len(free_orders))
    n_orders = len(free_orders)
    c = np.concatenate([np.arange(len(cols)), local[col[mine]]])
    r = np.concatenate([order_local[order[cols]], n_orders + row_local])
    v = np.concatenate([np.ones(len(cols)), val[mine]])
    by = np.lexsort((r, c))
    c, r, v = c[by], r[by], v[by]
    with quiet_stdout():
        highs = highspy.Highs()
    options: tuple[tuple[str, bool | int | float | str], ...] = (
        ("output_flag", False),
        ("threads", 1),
        ("random_seed", 0),
        ("presolve", "off"),  # measured: the root is 2-3x faster on these models without it
        ("mip_abs_gap", float(abs_gap)),
        ("mip_rel_gap", 0.0),
        ("mip_max_nodes", int(max_nodes)),
        ("time_limit", float(time_limit)),
    )
    for name, setting in options:
        highs.setOptionValue(name, setting)
    n_rows = n_orders + len(rows_used)
    highs.addRows(
        n_rows,
        np.concatenate([np.ones(n_orders), np.full(len(rows_used), -np.inf)]),
        np.concatenate([np.ones(n_orders), left[rows_used]]),
        0,
        np.zeros(0, np.int32),
        np.zeros(0, np.int32),
        np.zeros(0),
    )
    n = len(cols)
    highs.addCols(
        n,
        cost[cols],
        np.zeros(n),
        np.ones(n),
        len(v),
        np.searchsorted(c, np.arange(n)).astype(np.int32),
        r.astype(np.int32),
        v,
    )
    highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.ones(n, dtype=np.uint8))
    if start_cols is not None:
        at = local[start_cols]
        highs.setSolution(len(at), at.astype(np.int32), np.ones(len(at)))
    with quiet_stdout():
        highs.run()
    value = np.asarray(highs.getSolution().col_value)
    chosen = cols[value > 0.5]
    if len(np.unique(order[chosen])) != n_orders:  # no plan within the node limit
        return None
    return chosen
