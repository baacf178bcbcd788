"""The entry of the solve path: one master for a run that fits, parts for one that does not.

candidates -> per-order problems -> column generation (prices, bound)
           -> dive (settle, contest MIP) -> local search -> plan
"""

from __future__ import annotations

import time

import numpy as np
import polars as pl

from optimizers.candidates import Candidates
from optimizers.patterns import parts
from optimizers.patterns.columns import fills_of, patterns_from_take
from optimizers.patterns.problem import order_problems
from optimizers.patterns.solve import PatternRun, _take_of, capacities_of, solve_problems
from optimizers.settings import AllocationSettings


def solve_patterns(c: Candidates, start: pl.DataFrame, settings: AllocationSettings) -> PatternRun:
    """The plan of the candidates, from a feasible ``start`` plan (the baseline's fills);
    above PART_ORDERS orders in parts that share the stock and capacities (``parts``)."""
    t0 = time.perf_counter()
    op = order_problems(c)
    caps = capacities_of(c)
    start_take = _take_of(op, start)
    t1 = time.perf_counter()
    if op.n_orders > parts.PART_ORDERS:
        return parts.solve_in_parts(c, op, caps, start_take, settings, t1 - t0)
    solved = solve_problems(op, caps, start_take, settings, settings.time_limit_s)
    take = solved.take
    return PatternRun(
        fills=fills_of(op, patterns_from_take(op, take, np.arange(op.n_orders))),
        bound=solved.generation.bound,
        lp=solved.generation.lp,
        seconds={"problems": t1 - t0, **solved.seconds},
        figures={**solved.figures, "parts": 1},
    )
