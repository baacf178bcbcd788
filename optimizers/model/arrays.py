"""The model as arrays: a MIP in CSR form and the maps from its columns back to the plan.

``ModelArrays`` is what the solvers read (``optimizers.solve``) and what the plan is read
from; the formulation itself is built in ``optimizers.model.build`` (columns, costs) and
``optimizers.model.rows`` (one builder per family of rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from optimizers.model.objective import FILLS_SCHEMA

if TYPE_CHECKING:
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


class Rows:
    """Collects constraint blocks as COO triplets, then emits CSR."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.n = 0

    def add(self, kind: str, rows, cols, vals, lb, ub, n_rows: int, keys=-1) -> None:
        if n_rows == 0:
            return
        self.parts.append(
            (
                np.asarray(rows, dtype=np.int64) + self.n,
                np.asarray(cols, dtype=np.int64),
                np.asarray(vals, dtype=np.float64),
                np.broadcast_to(np.asarray(lb, dtype=np.float64), n_rows),
                np.broadcast_to(np.asarray(ub, dtype=np.float64), n_rows),
                np.full(n_rows, kind, dtype=object),
                np.broadcast_to(np.asarray(keys, dtype=np.int64), n_rows),
            )
        )
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


def dense(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique sorted keys and each element's position among them."""
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, inv.reshape(-1)


def fills_from_values(arrays: ModelArrays, values: np.ndarray) -> pl.DataFrame:
    """Whole units per candidate from solver column values (rounded: x is integer)."""
    x = np.rint(values[: len(arrays.x_cand)]).astype(np.int64)
    keep = x > 0
    return pl.DataFrame({"cand_idx": arrays.x_cand[keep], "quantity": x[keep]}, schema=FILLS_SCHEMA)


def row_subset(arrays: ModelArrays, keep: np.ndarray) -> ModelArrays:
    """The same columns with only the rows where ``keep`` is true (CSR sliced with NumPy)."""
    counts = np.diff(arrays.indptr)
    nz = np.repeat(keep, counts)
    indptr = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
    np.cumsum(counts[keep], out=indptr[1:])
    return replace(
        arrays,
        indptr=indptr,
        indices=arrays.indices[nz],
        data=arrays.data[nz],
        row_lb=arrays.row_lb[keep],
        row_ub=arrays.row_ub[keep],
        row_kind=arrays.row_kind[keep],
        row_key=arrays.row_key[keep],
    )


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
    filled = np.bincount(
        np.searchsorted(arrays.b_line, x_line), weights=x, minlength=len(arrays.b_line)
    )
    values[o["b"] : o["y"]] = arrays.col_ub[o["b"] : o["y"]] - filled
    return values


def feasible(arrays: ModelArrays, values: np.ndarray) -> bool:
    """Every column and row bound of the model holds for ``values`` (within 1e-6)."""
    tol = 1e-6
    if np.any(values < arrays.col_lb - tol) or np.any(values > arrays.col_ub + tol):
        return False
    rows = np.repeat(np.arange(arrays.n_rows), np.diff(arrays.indptr))
    act = np.bincount(rows, weights=arrays.data * values[arrays.indices], minlength=arrays.n_rows)
    return bool(np.all(act <= arrays.row_ub + tol) and np.all(act >= arrays.row_lb - tol))
