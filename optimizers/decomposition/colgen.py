"""Column generation: the LP over every candidate, solved over the few that matter.

Start from each line's cheapest candidates (and the rule-based plan's), solve the LP, price
*all* candidates with its duals through the Lagrangian relaxation
(``optimizers.decomposition.lagrange``: one vectorised knapsack per line), add the ones the
relaxation would fill from, and re-solve from the previous basis. Each round's relaxation
value is a valid lower bound for the full problem; the rounds stop when no candidate is worth
adding (the restricted LP is then the full LP), when the bound meets the restricted LP, or
when the time is up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from optimizers.candidates import Candidates
from optimizers.decomposition.lagrange import (
    Evaluation,
    Prices,
    Relaxation,
    evaluate,
    prices_from_lp,
)
from optimizers.model.arrays import ModelArrays
from optimizers.model.build import build_model_arrays
from optimizers.segments import rank_in_runs
from optimizers.settings import AllocationSettings
from optimizers.solve.relaxation import LPSolution, solve_relaxation

MAX_ROUNDS = 40
PER_LINE = 1  # candidates added per line and round


@dataclass(frozen=True)
class ColumnGeneration:
    """The last restricted model, its LP, and the best valid bound met on the way."""

    candidates: Candidates
    arrays: ModelArrays
    lp: LPSolution | None
    bound: float | None
    prices: Prices | None
    evaluation: Evaluation | None
    rounds: int
    added: list[int]
    seconds: float


def _col_keys(a: ModelArrays) -> np.ndarray:
    """A key per column that survives rebuilding the model with more candidates."""
    o = a.offsets
    keys = np.empty(a.n_cols, dtype=object)
    keys[: o["b"]] = [("x", int(k)) for k in a.x_cand]
    keys[o["b"] : o["y"]] = [("b", int(k)) for k in a.b_line]
    real = a.group_col >= o["y"]
    keys[a.group_col[real]] = [("y", int(k)) for k in a.group_ids[real]]
    keys[o["z"] : o["w"]] = [("z", int(k)) for k in a.z_pair]
    keys[o["w"] : o["end"]] = [("w", int(k)) for k in a.w_pair]
    return keys


def _row_keys(a: ModelArrays) -> list[tuple[str, int]]:
    key = a.row_key.copy()
    link = a.row_kind == "link"
    key[link] = a.x_cand[key[link]]  # link rows are keyed by their x column: use its cand
    return list(zip(a.row_kind.tolist(), key.tolist(), strict=True))


def _mapped_basis(old_basis, old: ModelArrays, old_rows: np.ndarray, new: ModelArrays):
    """The previous basis carried over by key; new columns at 0, new rows' slacks basic."""
    import highspy

    lower, basic = highspy.HighsBasisStatus.kLower, highspy.HighsBasisStatus.kBasic
    col_status = dict(zip(_col_keys(old).tolist(), old_basis.col_status, strict=True))
    keys_old = _row_keys(old)
    row_status = dict(zip([keys_old[i] for i in old_rows], old_basis.row_status, strict=True))
    basis = highspy.HighsBasis()
    basis.col_status = [col_status.get(k, lower) for k in _col_keys(new).tolist()]
    basis.row_status = [row_status.get(k, basic) for k in _row_keys(new)]
    basis.alien = True
    return basis


def _attractive(r: Relaxation, ev: Evaluation, chosen: np.ndarray) -> np.ndarray:
    """For each line the relaxation fills from outside the model: its PER_LINE cheapest
    candidates outside the model (at the current prices)."""
    outside = ~np.isin(r.cand, chosen)
    lines = np.zeros(r.n_lines, dtype=bool)
    lines[r.line[outside & (ev.take > 0)]] = True
    idx = np.flatnonzero(outside & lines[r.line])
    if len(idx) == 0:
        return idx
    order = idx[np.lexsort((ev.rate[idx], r.line[idx]))]
    return np.sort(r.cand[order[rank_in_runs(r.line[order]) < PER_LINE]])


def starting_set(r: Relaxation, per_line: int, keep: np.ndarray) -> np.ndarray:
    """cand_idx of each line's ``per_line`` lowest price-free rates (fixed costs spread over the
    lines that can share them, as the relaxation sees them) plus ``keep``."""
    rate = r.unit_obj + r.fshare
    order = np.lexsort((r.cand, rate, r.line))
    return np.union1d(r.cand[order[rank_in_runs(r.line[order]) < per_line]], keep)


def _restricted(c: Candidates, chosen: np.ndarray) -> Candidates:
    kept = c.candidates.filter(pl.col("cand_idx").is_in(pl.Series(chosen).implode()))
    return replace(c, candidates=kept)


def column_generation(
    c: Candidates,
    r: Relaxation,
    start: np.ndarray,
    settings: AllocationSettings,
    time_limit: float,
) -> ColumnGeneration:
    """Rounds of restricted LP + pricing over all candidates, from the cand_idx in ``start``."""
    t0 = time.perf_counter()
    chosen = np.unique(start)
    model_c = _restricted(c, chosen)
    arrays = build_model_arrays(model_c)
    best = None
    lp = basis = prices = evaluation = None
    added: list[int] = []
    last_round = 0.0  # seconds the last LP solve took
    rounds = 0
    while rounds < MAX_ROUNDS:
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0 or left < 1.2 * last_round:
            break  # a round rarely takes less than the last one: it would not finish
        t_lp = time.perf_counter()
        highs, round_lp, order, dual = solve_relaxation(arrays, settings, left, basis)
        last_round = round(time.perf_counter() - t_lp, 2)
        if round_lp is None:
            if dual is not None and (best is None or lp is None):
                p = prices_from_lp(r, arrays, dual)
                ev = evaluate(r, p)
                if best is None or ev.bound > best:
                    best, prices, evaluation = ev.bound, p, ev
            break
        rounds += 1
        lp, model_c_done, arrays_done = round_lp, model_c, arrays
        p = prices_from_lp(r, arrays, lp.row_dual)
        ev = evaluate(r, p)
        if best is None or ev.bound > best:
            best, prices, evaluation = ev.bound, p, ev
        if best >= lp.bound - 1e-7 * max(1.0, abs(lp.bound)):
            break  # the restricted LP is proven to be the full LP
        new = _attractive(r, ev, chosen)
        if len(new) == 0:
            break
        added.append(len(new))
        chosen = np.union1d(chosen, new)
        old_basis, old_arrays = highs.getBasis(), arrays
        model_c = _restricted(c, chosen)
        arrays = build_model_arrays(model_c)
        basis = _mapped_basis(old_basis, old_arrays, order, arrays)
    if lp is None:
        return ColumnGeneration(
            model_c, arrays, None, best, prices, evaluation, 0, added, time.perf_counter() - t0
        )
    return ColumnGeneration(
        model_c_done,
        arrays_done,
        lp,
        best,
        prices,
        evaluation,
        rounds,
        added,
        time.perf_counter() - t0,
    )
