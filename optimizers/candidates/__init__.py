"""Stage 1 of allocation: which node may fill which line, at what cost.

``prepare`` (inputs indexed and defaulted) -> ``eligibility`` (the contract's rules as joins,
with ``rates`` and ``geo``) -> ``groups`` (parcels and per-order handling) -> ``build``
(the ``Candidates`` every later stage reads).
"""

from optimizers.candidates.build import Candidates, build_candidates

__all__ = ["Candidates", "build_candidates"]
