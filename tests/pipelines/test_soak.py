"""A short soak in CI: consecutive waves with new files each, every check after every wave.

``benchmarks/soak.py --waves 50`` is the long one (its figures are in BENCHMARKS.md); this
runs the same driver for a few waves so that a regression in any wave-over-wave guarantee
(line identity, no double promise, no double instruction, balanced ledger, whole folders)
fails CI, not only the benchmark.
"""

from __future__ import annotations

from benchmarks.soak import soak, summary


def test_consecutive_waves_stay_consistent(tmp_path):
    rows = soak(tmp_path, waves=4, first_orders=80, orders=25)
    assert [r["wave"] for r in rows] == [1, 2, 3, 4]
    assert all(r["published_whole"] for r in rows)
    figures = summary(rows, window=1)
    assert figures["problems"] == 0 and figures["unpublished_waves"] == 0
    assert all(r["units_instructed"] > 0 for r in rows[1:])  # every wave had new work
