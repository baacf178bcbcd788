"""``omniroute sample``: write a deterministic sample inbox (partner files) to a folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from samples.day import WAVE_HOURS, day_waves, write_day
from samples.generator import generate_inbox
from samples.inbox import write_inbox
from samples.next_wave import next_wave_inbox, write_next_wave

DEFAULT_ORDERS = 1500


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("sample", help="write a deterministic sample inbox")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--stores", type=int, default=40)
    parser.add_argument("--dcs", type=int, default=4)
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument(
        "--next-wave",
        action="store_true",
        help="write the next wave's files instead: new orders (--orders, default 300), "
        "shipments, a rejection, a cancellation and an amendment, from --inbox and the last "
        "wave in --outbox",
    )
    parser.add_argument(
        "--day",
        action="store_true",
        help="write a business day of four waves instead: OUT/wave1 (the sample inbox) to "
        "OUT/wave4, each later wave with the orders placed since the last (at --orders per "
        "24 h), a supply amendment and a stock count of arrived supply, and OUT/waveN.json "
        "with its wave_at",
    )
    parser.add_argument("--inbox", type=Path, help="with --next-wave: the inbox of the waves")
    parser.add_argument("--outbox", type=Path, help="with --next-wave: the outbox of the waves")
    parser.add_argument("--wave", type=int, default=2, help="with --next-wave: its number")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Exit 0 written, 2 for impossible sizes or missing folders."""
    if args.next_wave:
        return _next_wave(args)
    if args.day:
        return _day(args)
    try:
        frames = generate_inbox(orders=args.orders, seed=args.seed, **_sizes(args))
    except ValueError as error:
        print(f"omniroute sample: {error}", file=sys.stderr)
        return 2
    written = write_inbox(frames, args.out, args.format)
    lines = frames["orders"].height
    print(f"wrote {len(written)} files to {args.out} ({args.orders} orders, {lines} order lines)")
    for path in written:
        print(f"  {path.name}")
    return 0


def _sizes(args: argparse.Namespace) -> dict[str, int]:
    return {"stores": args.stores, "dcs": args.dcs, "skus": args.skus}


def _next_wave(args: argparse.Namespace) -> int:
    inbox, outbox = args.inbox, args.outbox
    if inbox is None or outbox is None or not inbox.is_dir() or not (outbox / "LATEST").is_file():
        print(
            "omniroute sample --next-wave: give --inbox (the waves' inbox) and --outbox "
            "(an outbox with a published wave: outbox/LATEST)",
            file=sys.stderr,
        )
        return 2
    orders = 300 if args.orders == DEFAULT_ORDERS else args.orders
    frames = next_wave_inbox(inbox, outbox, orders=orders, seed=args.seed + 1, wave=args.wave)
    written = write_next_wave(frames, args.out)
    print(f"wrote {len(written)} files for wave {args.wave} to {args.out}")
    for path in written:
        print(f"  {path.name}")
    return 0


def _day(args: argparse.Namespace) -> int:
    try:
        waves = day_waves(orders=args.orders, seed=args.seed, **_sizes(args))
    except ValueError as error:
        print(f"omniroute sample --day: {error}", file=sys.stderr)
        return 2
    written = write_day(waves, args.out, args.format)
    hours = ", ".join(f"{h:02d}:00" for h in WAVE_HOURS)
    print(f"wrote {len(written)} files for a day of {len(waves)} waves ({hours} UTC) to {args.out}")
    out = args.out
    print("run them in order on one warehouse and outbox:")
    for wave in waves:
        print(
            f"  omniroute run --inbox {out / wave.folder} --config {out / wave.folder}.json "
            f"--warehouse {out / 'warehouse.duckdb'} --outbox {out / 'outbox'}"
        )
    return 0
