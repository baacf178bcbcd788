"""``omniroute sample``: write a deterministic sample inbox (partner files) to a folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from samples.generator import generate_inbox
from samples.inbox import write_inbox


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("sample", help="write a deterministic sample inbox")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--orders", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--stores", type=int, default=40)
    parser.add_argument("--dcs", type=int, default=4)
    parser.add_argument("--skus", type=int, default=300)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Exit 0 written, 2 for impossible sizes."""
    try:
        frames = generate_inbox(
            orders=args.orders, seed=args.seed, stores=args.stores, dcs=args.dcs, skus=args.skus
        )
    except ValueError as error:
        print(f"omniroute sample: {error}", file=sys.stderr)
        return 2
    written = write_inbox(frames, args.out, args.format)
    lines = frames["orders"].height
    print(f"wrote {len(written)} files to {args.out} ({args.orders} orders, {lines} order lines)")
    for path in written:
        print(f"  {path.name}")
    return 0
