"""Stage by stage: distances and bands, the candidate set, the model arrays."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from optimizers.candidates import build_candidates
from optimizers.candidates.geo import band_index, haversine_km
from optimizers.heuristics.baseline import baseline_fills
from optimizers.model.arrays import start_vector
from optimizers.model.build import build_model_arrays
from optimizers.settings import AllocationSettings
from samples.synthetic import synthetic_inputs
from tests.optimizers.builders import EXACT, KM_PER_DEGREE, line, make_inputs, node, store


def test_great_circle_distance_uses_radius_6371():
    d = haversine_km(
        np.array([0.0, 40.7128]),
        np.array([0.0, -74.0060]),
        np.array([0.0, 34.0522]),
        np.array([1.0, -118.2437]),
    )
    assert d[0] == pytest.approx(KM_PER_DEGREE)
    assert d[1] == pytest.approx(3935.7, abs=1.0)  # New York - Los Angeles
    assert np.isnan(haversine_km(np.array([np.nan]), np.zeros(1), np.zeros(1), np.zeros(1)))[0]


def test_band_is_the_smallest_covering_one():
    bands = np.array([200.0, 1000.0, 3000.0])
    got = band_index(bands, np.array([0.0, 200.0, 200.01, 2999.0, 3000.0, 3000.5, np.nan]))
    assert got.tolist() == [0, 0, 1, 2, 2, -1, -1]


def _cands(inputs, settings=EXACT) -> pl.DataFrame:
    c = build_candidates(inputs, settings)
    return c.candidates.join(c.nodes.select("node_idx", "node_id"), on="node_idx")


def test_candidates_carry_mode_bound_days_and_unit_objective():
    inputs = make_inputs(
        [node("A", 1.0, cap=2, h_unit=0.5, proc=1), store("S", 0.0, cap=0), store("T", 8.0)],
        [
            line("O1", 1, "X", qty=3, promised=2),
            line("O2", 1, "X", qty=1, method="pickup", pickup="S"),
        ],
        {("A", "X"): 5, ("S", "X"): 1, ("T", "X"): 4},
    )
    settings = EXACT.with_(days_weight=0.1, late_penalty=1.0)
    c = _cands(inputs, settings).sort("line_idx", "node_id")
    rows = {(r["line_idx"], r["node_id"]): r for r in c.iter_rows(named=True)}
    a = rows[(0, "A")]
    assert (a["mode"], a["ub"], a["days"], a["late"]) == ("ship_from_dc", 2, 2, False)
    assert a["unit_obj"] == pytest.approx(0.5 + 0.1 * 2)
    t = rows[(0, "T")]  # 1000 km band: 8.0, 2 days; store with stock 4, capacity 100
    assert (t["mode"], t["ub"], t["cost_per_package"]) == ("ship_from_store", 3, 8.0)
    assert (0, "S") not in rows  # S has no ship capacity
    own = rows[(1, "S")]
    assert (own["mode"], own["ub"], own["cost_per_package"], own["is_ship"]) == (
        "pickup_in_store",
        1,
        0.0,
        False,
    )
    assert rows[(1, "A")]["mode"] == "ship_to_store"
    assert rows[(1, "A")]["destination"] == "S"


def test_lines_without_candidates_get_the_furthest_funnel_stage():
    inputs = make_inputs(
        [node("A", 1.0, cap=0), node("B", 40.0)],
        [
            line("O1", 1, "X"),  # A has stock but no capacity; B is too far
            line("O2", 1, "Y"),  # nobody has Y
            line("O3", 1, "X", lon=None, lat=None, zone="Z"),  # no lane, no coordinates
            line("O4", 1, "W"),  # excluded everywhere it could ship from
            line("O5", 1, "Q"),  # not in the product master
        ],
        {("A", "X"): 1, ("A", "W"): 1},
        exclusions=[{"node_id": "A", "sku": "W", "reason": "r"}],
    )
    inputs = replace(inputs, products=inputs.products.filter(pl.col("sku") != "Q"))
    c = build_candidates(inputs, EXACT)
    got = dict(zip(c.lines["order_id"], c.lines["no_candidate_reason"], strict=True))
    assert got == {
        "O1": "no_capacity",
        "O2": "no_stock",
        "O3": "not_shippable",
        "O4": "excluded",
        "O5": "unknown_sku",
    }


def _activity(arrays, values):
    out = np.zeros(arrays.n_rows)
    rows = np.repeat(np.arange(arrays.n_rows), np.diff(arrays.indptr))
    np.add.at(out, rows, arrays.data * values[arrays.indices])
    return out


def test_model_arrays_accept_the_baseline_as_a_start_at_its_objective():
    inputs = synthetic_inputs(300, 15, seed=4)
    settings = AllocationSettings()
    c = build_candidates(inputs, settings)
    arrays = build_model_arrays(c)
    assert arrays.indptr[-1] == len(arrays.indices) == len(arrays.data)
    assert {"line", "link", "atp"} <= set(arrays.row_kind)
    fills = baseline_fills(c)
    start = start_vector(arrays, c, fills)
    act = _activity(arrays, start)
    assert np.all(act <= arrays.row_ub + 1e-9) and np.all(act >= arrays.row_lb - 1e-9)
    assert np.all(start >= arrays.col_lb) and np.all(start <= arrays.col_ub + 1e-9)
    from optimizers.model.objective import objective_terms

    priced = objective_terms(c, fills)["objective"]
    assert arrays.cost @ start + arrays.objective_offset == pytest.approx(priced)
