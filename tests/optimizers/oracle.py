"""An independent referee for plans: eligibility, feasibility and the objective, recomputed
from the raw input frames with plain Python (no code shared with ``optimizers``), plus a
brute-force optimum for tiny instances."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import polars as pl

from optimizers.settings import AllocationSettings
from optimizers.types import AllocationInputs, AllocationResult

TOL = 1e-6


@dataclass(frozen=True)
class Option:
    node_id: str
    mode: str
    package: float
    per_kg: float
    days: int
    parcel_key: tuple | None  # (node, service, destination) for shipping modes


def _km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


class Referee:
    """Reads an instance once; answers eligibility, feasibility and objective questions."""

    def __init__(self, inputs: AllocationInputs, settings: AllocationSettings) -> None:
        self.s = settings
        self.nodes = {r["node_id"]: r for r in inputs.nodes.to_dicts()}
        self.weight = {r["sku"]: r["weight_kg"] for r in inputs.products.to_dicts()}
        self.atp: dict[tuple[str, str], int] = {}
        for r in inputs.available_to_promise.to_dicts():
            key = (r["node_id"], r["sku"])
            self.atp[key] = max(self.atp.get(key, 0), max(0, r["available_to_promise"] or 0))
        self.bands: dict[str, list[tuple]] = {}
        for r in inputs.rates.to_dicts():
            self.bands.setdefault(r["service_level"], []).append(
                (r["max_distance_km"], r["cost_per_package"], r["cost_per_kg"], r["transit_days"])
            )
        for b in self.bands.values():
            b.sort()
        self.lanes = {
            (r["node_id"], r["ship_to_zone"], r["service_level"]): r
            for r in inputs.lanes.to_dicts()
        }
        self.exclusions = inputs.exclusions.to_dicts()
        self.lines = {(r["order_id"], r["line_no"]): r for r in inputs.orders.to_dicts()}

    # -- eligibility ---------------------------------------------------------------------
    def _band(self, service: str, km: float):
        for max_km, pkg, kg, transit in self.bands.get(service, []):
            if max_km >= km:
                return pkg, kg, transit
        return None

    def _excluded(self, node_id: str, line: dict) -> bool:
        for e in self.exclusions:
            if e["node_id"] != node_id:
                continue
            if all(e[f] is None or e[f] == line[f] for f in ("sku", "customer_id", "channel")):
                return True
        return False

    def _can_ship(self, n: dict) -> bool:
        return bool(n["supports_ship"]) and (n["node_type"] != "store" or self.s.ship_from_store)

    def options(self, key: tuple[str, int]) -> list[Option]:
        """Every (node, mode) that may fill the line, with its rate and days."""
        line = self.lines[key]
        service = line["service_level"] or "standard"
        out = []
        for node_id, n in sorted(self.nodes.items()):
            if self._excluded(node_id, line):
                continue
            if line["fulfillment_method"] == "ship":
                if not self._can_ship(n):
                    continue
                lane = self.lanes.get((node_id, line["ship_to_zone"], service))
                if line["ship_to_zone"] is not None and lane is not None:
                    rate = (lane["cost_per_package"], lane["cost_per_kg"], lane["transit_days"])
                elif line["ship_to_latitude"] is not None and line["ship_to_longitude"] is not None:
                    rate = self._band(
                        service,
                        _km(
                            n["latitude"],
                            n["longitude"],
                            line["ship_to_latitude"],
                            line["ship_to_longitude"],
                        ),
                    )
                else:
                    rate = None
                if rate is None:
                    continue
                mode = "ship_from_store" if n["node_type"] == "store" else "ship_from_dc"
                dest = (
                    "customer",
                    line["ship_to_latitude"],
                    line["ship_to_longitude"],
                    line["ship_to_zone"],
                )
                out.append(
                    Option(
                        node_id,
                        mode,
                        rate[0],
                        rate[1],
                        n["processing_days"] + rate[2],
                        (node_id, service, dest),
                    )
                )
                continue
            store = self.nodes.get(line["pickup_node_id"])
            if store is None or not store["supports_pickup"]:
                continue
            if node_id == line["pickup_node_id"]:
                if self.s.pickup_in_store:
                    out.append(
                        Option(node_id, "pickup_in_store", 0.0, 0.0, n["processing_days"], None)
                    )
            elif self.s.ship_to_store and self._can_ship(n):
                rate = self._band(
                    service,
                    _km(n["latitude"], n["longitude"], store["latitude"], store["longitude"]),
                )
                if rate is not None:
                    out.append(
                        Option(
                            node_id,
                            "ship_to_store",
                            rate[0],
                            rate[1],
                            n["processing_days"] + rate[2],
                            (node_id, service, ("store", store["node_id"])),
                        )
                    )
        return out

    # -- a plan --------------------------------------------------------------------------
    def objective(self, fills: dict[tuple, int]) -> float:
        """fills: {(order_id, line_no, node_id, mode): units}; checks every rule (asserts)."""
        s = self.s
        filled: dict[tuple, int] = {}
        used_atp: dict[tuple, int] = {}
        ship_units: dict[str, int] = {}
        ship_orders: dict[str, set] = {}
        parcels: dict[tuple, float] = {}  # (order, parcel key) -> weight
        parcel_rate: dict[tuple, tuple] = {}
        pairs: set[tuple] = set()
        total = 0.0
        for (order_id, line_no, node_id, mode), q in fills.items():
            if q == 0:
                continue
            assert q > 0, "negative fill"
            line = self.lines[(order_id, line_no)]
            found = [
                o
                for o in self.options((order_id, line_no))
                if o.node_id == node_id and o.mode == mode
            ]
            assert found, f"{order_id}/{line_no} may not be filled by {node_id} ({mode})"
            o = found[0]
            filled[(order_id, line_no)] = filled.get((order_id, line_no), 0) + q
            k = (node_id, line["sku"])
            used_atp[k] = used_atp.get(k, 0) + q
            n = self.nodes[node_id]
            pairs.add((order_id, node_id))
            total += q * n["handling_cost_per_unit"]
            total += s.days_weight * q * o.days
            promised = line["promised_days"]
            if promised is not None and o.days > promised:
                total += s.late_penalty * q
            if o.parcel_key is not None:
                ship_units[node_id] = ship_units.get(node_id, 0) + q
                ship_orders.setdefault(node_id, set()).add(order_id)
                pk = (order_id, o.parcel_key)
                parcels[pk] = parcels.get(pk, 0.0) + q * self.weight[line["sku"]]
                parcel_rate[pk] = (o.package, o.per_kg)
        for pk, kg in parcels.items():
            total += parcel_rate[pk][0] + parcel_rate[pk][1] * kg
        for _order_id, node_id in pairs:
            total += self.nodes[node_id]["handling_cost_per_order"]
        for key, line in self.lines.items():
            got = filled.get(key, 0)
            assert got <= line["quantity"], f"{key} overfilled"
            total += s.backorder_penalty * (line["quantity"] - got) * line["unit_price"]
        for k, q in used_atp.items():
            assert q <= self.atp.get(k, 0), f"ATP exceeded at {k}"
        for node_id, q in ship_units.items():
            cap = self.nodes[node_id]["ship_capacity_units"]
            assert cap is None or q <= cap, f"unit capacity exceeded at {node_id}"
        for node_id, orders in ship_orders.items():
            cap = self.nodes[node_id]["ship_capacity_orders"]
            assert cap is None or len(orders) <= cap, f"order capacity exceeded at {node_id}"
        per_order: dict[str, int] = {}
        for order_id, _ in parcels:
            per_order[order_id] = per_order.get(order_id, 0) + 1
        assert all(v <= s.max_parcels_per_order for v in per_order.values()), "parcel limit"
        return total

    def check(self, result: AllocationResult) -> float:
        """Asserts the result is a feasible, consistent plan; returns its recomputed objective."""
        fills: dict[tuple, int] = {}
        for r in result.allocations.iter_rows(named=True):
            k = (r["order_id"], r["line_no"], r["node_id"], r["fulfillment_method"])
            fills[k] = fills.get(k, 0) + r["quantity"]
        objective = self.objective(fills)
        back: dict[tuple, int] = {}
        for r in result.backorders.iter_rows(named=True):
            assert r["quantity"] > 0 and r["reason"]
            back[(r["order_id"], r["line_no"])] = (
                back.get((r["order_id"], r["line_no"]), 0) + (r["quantity"])
            )
        for key, line in self.lines.items():
            got = sum(q for (o, n, _, _), q in fills.items() if (o, n) == key)
            assert got + back.get(key, 0) == line["quantity"], f"{key}: filled + backordered"
        assert abs(objective - result.stats.objective) <= TOL * max(1.0, abs(objective)), (
            objective,
            result.stats.objective,
        )
        # parcel shares add up to parcel costs; parcel ids are consistent
        if result.parcels.height:
            shares = result.allocations.group_by("parcel_id").agg(c=pl.col("parcel_cost").sum())
            joined = result.parcels.join(shares, on="parcel_id")
            assert joined.height == result.parcels.height
            assert (joined["cost"] - joined["c"]).abs().max() <= 1e-6
        return objective

    def brute_force(self) -> float:
        """The optimum by enumerating every fill vector (tiny instances only)."""
        keys = sorted(self.lines)
        per_line = []
        for key in keys:
            opts = self.options(key)
            q = self.lines[key]["quantity"]
            vectors = [v for v in itertools.product(range(q + 1), repeat=len(opts)) if sum(v) <= q]
            per_line.append([(key, opts, v) for v in vectors])
        best = math.inf
        for combo in itertools.product(*per_line):
            fills = {}
            for (order_id, line_no), opts, v in combo:
                for o, q in zip(opts, v, strict=True):
                    if q:
                        fills[(order_id, line_no, o.node_id, o.mode)] = q
            try:
                best = min(best, self.objective(fills))
            except AssertionError:
                continue
        return best
