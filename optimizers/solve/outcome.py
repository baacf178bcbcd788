"""What a solver call returns, solver-independent, and keeping HiGHS off stdout."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

# HiGHS's enumeration presolve spends ~20 s on sample-sized models (2.5k lines x 44 nodes)
# before the root LP and removes little; measured, so switched off.
HIGHS_OPTIONS = {"presolve_rule_off": 1 << 16}


@dataclass(frozen=True)
class SolveOutcome:
    """What a solver returned, in solver-independent terms."""

    solver: str
    status: str  # vocabulary.SolverStatus
    values: np.ndarray | None  # column values when a plan was found
    objective: float | None
    best_bound: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float
    message: str = ""
    # False when the solver reported another objective than its plan costs (HiGHS's presolve
    # can mistake a start for a better solution of its reduced model): then neither its status
    # nor its bound can be believed.
    consistent: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "solver", str(self.solver))
        object.__setattr__(self, "status", str(self.status))


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null (HiGHS prints a banner from C++ on first use)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
