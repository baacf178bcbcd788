"""The bound of a large run: the best Lagrangian bound found in the time given.

Auction rounds (``clearing``) move prices fast towards market-clearing values; projected
subgradient steps (``lagrange.ascend``) polish them. Every price vector gives a valid lower
bound, so the search only ever keeps the best one it met.
"""

from __future__ import annotations

import time
from dataclasses import replace

from optimizers.decomposition.clearing import auction
from optimizers.decomposition.lagrange import Ascent, Prices, Relaxation, ascend


def full_bound(r: Relaxation, start: Prices | None, target: float, time_limit: float) -> Ascent:
    """The best valid bound found within ``time_limit``: auction rounds, then subgradient
    steps, from ``start`` (e.g. a restricted LP's prices) or from zero."""
    t0 = time.perf_counter()
    cleared = auction(r, rounds=100, time_limit=0.5 * time_limit, start=start)
    left = max(0.0, time_limit - (time.perf_counter() - t0))
    ascent = ascend(r, target, iterations=300, time_limit=left, start=cleared.prices)
    return replace(
        ascent, iterations=cleared.iterations + ascent.iterations, seconds=time.perf_counter() - t0
    )
