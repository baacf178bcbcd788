"""The rule-based baseline: what most OMS do today, as a first-class optimizer.

Each line in turn (ordered_at, order_id, line_no) goes to the nearest eligible node with
stock and capacity, splitting to the next nearest when needed, as long as the order stays
within its parcel limit and the node within its order capacity. A pickup line tries its own
store first (distance 0), then the nearest shipping node to the store (ship-to-store).
The walk is inherently sequential, so it loops over lines, but over plain Python lists
prepared by NumPy, with all eligibility and ordering decided upstream in ``Candidates``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from optimizers.candidates import Candidates
from optimizers.candidates.prepare import NO_LIMIT
from optimizers.model.objective import FILLS_SCHEMA


def baseline_fills(c: Candidates) -> pl.DataFrame:
    """The baseline plan as fills (cand_idx, quantity)."""
    cand = c.candidates.sort("line_idx", "rank")
    if cand.is_empty():
        return pl.DataFrame(schema=FILLS_SCHEMA)
    cols = {
        k: cand[k].to_list()
        for k in ("cand_idx", "atp_idx", "node_idx", "group_idx", "pair_idx", "order_idx")
    }
    ship = cand["is_ship"].to_list()
    line_of = cand["line_idx"].to_numpy()
    line_ids, starts = np.unique(line_of, return_index=True)
    ends = np.append(starts[1:], len(line_of))
    qty = c.lines.sort("line_idx")["quantity"].to_numpy()[line_ids].tolist()

    atp_rem = c.atp.sort("atp_idx")["available_to_promise"].to_list()
    nodes = c.nodes.sort("node_idx")
    cap_rem = nodes["cap_units"].to_list()
    orders_rem = nodes["cap_orders"].fill_null(NO_LIMIT).to_list()
    n_groups = int(c.groups["group_idx"].to_numpy().max(initial=0)) + 1
    n_pairs = int(c.pairs["pair_idx"].to_numpy().max(initial=0)) + 1
    group_open = [False] * n_groups
    pair_ships = [False] * n_pairs
    parcels: dict[int, int] = {}
    parcel_limit = c.parcel_limits().tolist()

    out_cand: list[int] = []
    out_qty: list[int] = []
    for need, s, e in zip(qty, starts.tolist(), ends.tolist(), strict=True):
        for k in range(s, e):
            if need <= 0:
                break
            a = cols["atp_idx"][k]
            take = min(need, atp_rem[a])
            if take <= 0:
                continue
            if ship[k]:
                n = cols["node_idx"][k]
                take = min(take, cap_rem[n])
                if take <= 0:
                    continue
                g, p, o = cols["group_idx"][k], cols["pair_idx"][k], cols["order_idx"][k]
                if not group_open[g]:
                    if parcels.get(o, 0) >= parcel_limit[o]:
                        continue
                    if not pair_ships[p]:
                        if orders_rem[n] <= 0:
                            continue
                        pair_ships[p] = True
                        orders_rem[n] -= 1
                    group_open[g] = True
                    parcels[o] = parcels.get(o, 0) + 1
                cap_rem[n] -= take
            atp_rem[a] -= take
            need -= take
            out_cand.append(cols["cand_idx"][k])
            out_qty.append(take)
    return pl.DataFrame({"cand_idx": out_cand, "quantity": out_qty}, schema=FILLS_SCHEMA)
