"""The restricted master: choose a convex combination of patterns per order within the
coupling rows' capacities. An LP in highspy, grown by columns and rows, re-solved from its
basis each time.

    min Σ cost_p λ_p   s.t.  Σ_{p of o} λ_p = 1 (every order)   Σ_p A_rp λ_p <= cap_r   λ >= 0

Rows 0..n_orders-1 are the orders' convexity rows. A coupling row enters only once the
master's solution would break it (``separate``): where stock is plentiful most rows never
do, and the LP stays small. The empty pattern of every order is in from the start, so the
master is always feasible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizers.patterns.columns import CouplingRows, Patterns, coefficients
from optimizers.patterns.problem import OrderProblems
from optimizers.solve.outcome import HIGHS_OPTIONS, quiet_stdout

TOLERANCE = 1e-7


@dataclass(frozen=True)
class MasterSolution:
    objective: float  # of the restricted master LP (without the offset)
    value: np.ndarray  # per column
    order_dual: np.ndarray  # per order
    row_price: np.ndarray  # per coupling row (all of them; 0 for rows not in the LP), >= 0
    iterations: int


class Master:
    """The master LP over the patterns and coupling rows added so far."""

    def __init__(self, op: OrderProblems, rows: CouplingRows, threads: int = 1) -> None:
        import highspy

        self.op, self.rows = op, rows
        with quiet_stdout():
            self.highs = highspy.Highs()
        for name, value in (
            ("output_flag", False),
            ("threads", int(threads)),
            ("random_seed", 0),
            *HIGHS_OPTIONS.items(),
        ):
            self.highs.setOptionValue(name, value)
        n = op.n_orders
        self.highs.addRows(
            n, np.ones(n), np.ones(n), 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0)
        )
        self.lp_row = np.full(rows.n, -1, dtype=np.int64)  # coupling row -> LP row
        self.n_lp_rows = n
        self.patterns: list[Patterns] = []
        self.costs: list[np.ndarray] = []
        self.triplets: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.n_cols = 0
        self.iterations = 0
        self.interior()

    def interior(self) -> None:
        """Solve by interior point without crossover: fast on a big master, duals central
        (which steadies column generation), values not at a vertex."""
        self.basic = False
        self.highs.setOptionValue("solver", "ipm")
        self.highs.setOptionValue("run_crossover", "off")

    def vertex(self) -> None:
        """Solve to basic solutions: interior point with crossover once, then dual simplex
        from the basis; the dive reads integral orders from these."""
        self.basic = True
        self.highs.setOptionValue("solver", "ipm")
        self.highs.setOptionValue("run_crossover", "on")

    def fix(self, cols: np.ndarray) -> None:
        """Force columns to 1 (their orders' other columns drop to 0 by convexity)."""
        n = len(cols)
        self.highs.changeColsBounds(n, cols.astype(np.int32), np.ones(n), np.ones(n))

    def add(self, pats: Patterns, costs: np.ndarray) -> None:
        """Append patterns as columns (their convexity row and coupling coefficients)."""
        if pats.n == 0:
            return
        pat, row, val = coefficients(self.op, self.rows, pats)
        self.triplets.append((pat + self.n_cols, row, val))
        in_lp = self.lp_row[row] >= 0
        col = np.concatenate([np.arange(pats.n), pat[in_lp]])
        rows = np.concatenate([pats.order, self.lp_row[row[in_lp]]])
        vals = np.concatenate([np.ones(pats.n), val[in_lp]])
        order = np.lexsort((rows, col))
        col, rows, vals = col[order], rows[order], vals[order]
        starts = np.searchsorted(col, np.arange(pats.n)).astype(np.int32)
        self.highs.addCols(
            pats.n,
            costs.astype(np.float64),
            np.zeros(pats.n),
            np.full(pats.n, np.inf),
            len(vals),
            starts,
            rows.astype(np.int32),
            vals,
        )
        self.patterns.append(pats)
        self.costs.append(costs)
        self.n_cols += pats.n

    def coupling(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(column, coupling row, value) of every column's use of the coupling rows."""
        if len(self.triplets) > 1:
            col, row, val = (np.concatenate(a) for a in zip(*self.triplets, strict=True))
            self.triplets = [(col, row, val)]
        return self.triplets[0]

    def column_orders(self) -> np.ndarray:
        """Per column: its order."""
        if len(self.patterns) > 1:
            self.patterns = [Patterns.concat(self.patterns)]
            self.costs = [np.concatenate(self.costs)]
        return self.patterns[0].order

    def separate(self, value: np.ndarray) -> int:
        """Add the coupling rows the column values break; returns how many were added."""
        col, row, val = self.coupling()
        activity = np.bincount(row, weights=val * value[col], minlength=self.rows.n)
        broken = np.flatnonzero(
            (activity > self.rows.cap + TOLERANCE * np.maximum(1.0, self.rows.cap))
            & (self.lp_row < 0)
        )
        if len(broken) == 0:
            return 0
        self.lp_row[broken] = self.n_lp_rows + np.arange(len(broken))
        self.n_lp_rows += len(broken)
        pos = np.full(self.rows.n, -1, dtype=np.int64)
        pos[broken] = np.arange(len(broken))
        sel = np.flatnonzero(pos[row] >= 0)
        r, c, v = pos[row[sel]], col[sel], val[sel]
        order = np.lexsort((c, r))
        r, c, v = r[order], c[order], v[order]
        starts = np.searchsorted(r, np.arange(len(broken))).astype(np.int32)
        self.highs.addRows(
            len(broken),
            np.full(len(broken), -np.inf),
            self.rows.cap[broken],
            len(v),
            starts,
            c.astype(np.int32),
            v,
        )
        return len(broken)

    def separate_by(self, n_new: int, value: np.ndarray | None = None) -> int:
        """Add the rows that the last ``n_new`` columns, each taken whole, would break on top
        of ``value`` (the previous solution): most rows the next LP needs, in one go."""
        full = np.zeros(self.n_cols)
        if value is not None:
            full[: len(value)] = value
        full[self.n_cols - n_new :] += 1.0
        return self.separate(full)

    def reduced_costs(self, sol: MasterSolution) -> np.ndarray:
        """Per column: cost + Σ row price × use - its order's dual."""
        col, row, val = self.coupling()
        use = np.bincount(col, weights=val * sol.row_price[row], minlength=self.n_cols)
        order = self.column_orders()
        return self.costs[0] + use - sol.order_dual[order]

    def reduced_costs_of(
        self, pats: Patterns, costs: np.ndarray, sol: MasterSolution
    ) -> np.ndarray:
        """Reduced costs of patterns not (yet) in the master, at its duals."""
        pat, row, val = coefficients(self.op, self.rows, pats)
        use = np.bincount(pat, weights=val * sol.row_price[row], minlength=pats.n)
        return costs + use - sol.order_dual[pats.order]

    def all_patterns(self) -> tuple[Patterns, np.ndarray]:
        """Every column's pattern and cost, in column order."""
        self.column_orders()
        return self.patterns[0], self.costs[0]

    def _run(self) -> np.ndarray:
        if self.basic and self.highs.getBasis().valid:
            self.highs.setOptionValue("solver", "simplex")
        with quiet_stdout():
            self.highs.run()
        self.iterations += int(self.highs.getInfo().simplex_iteration_count)
        return np.asarray(self.highs.getSolution().col_value)

    def solve(self) -> MasterSolution:
        """Solve, adding broken coupling rows until none is."""
        start = self.iterations
        value = self._run()
        while self.separate(value):
            value = self._run()
        sol = self.highs.getSolution()
        dual = np.asarray(sol.row_dual)
        n = self.op.n_orders
        price = np.zeros(self.rows.n)
        present = np.flatnonzero(self.lp_row >= 0)
        price[present] = np.maximum(-dual[self.lp_row[present]], 0.0)
        self.last = MasterSolution(
            objective=float(self.highs.getInfo().objective_function_value),
            value=value,
            order_dual=dual[:n],
            row_price=price,
            iterations=self.iterations - start,
        )
        return self.last
