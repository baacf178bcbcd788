"""A business day of four waves (08:00, 11:00, 14:00, 17:00 UTC on the sample's day).

Wave 1 is the sample inbox (the last 24 hours' orders, the morning's stock count, the supply
on its way). Each later wave brings what partners send between two waves without waiting for
the outbox: the orders placed since the last wave (at the same rate), a supply amendment (a
purchase order delayed, one due after the horizon withdrawn) and a count of the node x SKUs
whose transfers arrived. The four waves share the day's ship and pickup capacities, so the
later ones find some nodes full. Feedback on the instructions (shipments, rejections) needs
the outbox: ``omniroute sample --next-wave`` adds it.

Every wave is drawn from its own Generator derived from the seed: the day is deterministic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np
import polars as pl

from samples.generator import START, generate_inbox
from samples.inbox import write_frame, write_inbox
from samples.next_wave import COUNTED_BEFORE, arrival_count, new_orders, supply_changes

WAVE_HOURS = (8, 11, 14, 17)
DAY_STREAM = 2  # wave n's Generator: np.random.default_rng([seed, DAY_STREAM, n])


@dataclass(frozen=True)
class DayWave:
    """One wave of the day: its number, its time and its files (name stem -> frame; wave 1
    holds the sample's kinds, written as ``write_inbox`` writes them)."""

    number: int
    at: datetime
    frames: dict[str, pl.DataFrame]

    @property
    def folder(self) -> str:
        return f"wave{self.number}"

    @property
    def config(self) -> dict[str, str]:
        """The run settings that make ``omniroute run`` plan as of the wave's time."""
        return {"wave_at": self.at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def day_waves(
    orders: int = 1500, later_orders: int | None = None, seed: int = 7, **sizes: int
) -> list[DayWave]:
    """The four waves' files; ``sizes`` (stores, dcs, skus) go to ``generate_inbox``. Wave 1
    has the night's ``orders`` (24 hours of them); each later wave ``later_orders``, by
    default as many as come in at that rate between two waves."""
    first = generate_inbox(orders=orders, seed=seed, **sizes)
    times = [START.replace(hour=h) for h in WAVE_HOURS]
    waves = [DayWave(1, times[0], first)]
    known = {k: first[k] for k in ("nodes", "products", "orders")}
    stock, supply = first["stock"], first["supply"]
    for number, (since, at) in enumerate(pairwise(times), start=2):
        rng = np.random.default_rng([seed, DAY_STREAM, number])
        count = later_orders or max(1, round(orders * ((at - since) / timedelta(days=1))))
        placed = new_orders(known, count, rng, number, at, since=since)
        changed = supply_changes(supply, at, rng)
        supply = pl.concat([supply, changed])
        counted = arrival_count(stock, supply, at - COUNTED_BEFORE)
        stock = pl.concat([stock, counted])
        known["orders"] = pl.concat([known["orders"], placed])
        frames = {
            f"orders_wave{number}": placed,
            f"supply_wave{number}": changed,
            f"stock_wave{number}": counted,
        }
        waves.append(DayWave(number, at, {k: v for k, v in frames.items() if v.height}))
    return waves


def write_day(waves: list[DayWave], out: Path, fmt: str = "csv") -> list[Path]:
    """Each wave's files in ``out/waveN/`` and its run settings in ``out/waveN.json``."""
    written: list[Path] = []
    for wave in waves:
        folder = out / wave.folder
        if wave.number == 1:
            written += write_inbox(wave.frames, folder, fmt)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            written += [
                write_frame(frame, folder / f"{name}.{fmt}", fmt)
                for name, frame in sorted(wave.frames.items())
            ]
        config = out / f"{wave.folder}.json"
        config.write_text(json.dumps(wave.config, indent=2) + "\n", encoding="utf-8")
        written.append(config)
    return written
