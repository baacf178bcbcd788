"""``omniroute sample``: write a deterministic sample inbox (partner files) to a folder."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from samples.day import WAVE_HOURS, day_waves, write_day
from samples.generator import generate_inbox
from samples.inbox import write_inbox
from samples.next_wave import next_wave_inbox, write_next_wave

DEFAULT_ORDERS = 1500


class FileFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


@dataclass(frozen=True)
class SampleArgs:
    out: Path
    orders: int
    seed: int
    format: str
    stores: int
    dcs: int
    skus: int
    inbox: Path | None
    outbox: Path | None
    wave: int


HELP = """Write a deterministic sample inbox (partner files) to a folder.

The same seed gives the same files. With --next-wave, the next wave's files from a published
wave; with --day, a business day of four waves.
"""


def sample(
    out: Annotated[Path, typer.Option(help="Folder to write into.")],
    orders: Annotated[int, typer.Option(help="Orders to generate.")] = DEFAULT_ORDERS,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 7,
    file_format: Annotated[
        FileFormat, typer.Option("--format", help="File format of the partner files.")
    ] = FileFormat.CSV,
    stores: Annotated[int, typer.Option(help="Stores.")] = 40,
    dcs: Annotated[int, typer.Option(help="Distribution centres.")] = 4,
    skus: Annotated[int, typer.Option(help="SKUs.")] = 300,
    next_wave: Annotated[
        bool,
        typer.Option(
            help="Write the next wave's files instead: new orders (--orders, default 300), "
            "shipments, a rejection, a cancellation and an amendment, from --inbox and the "
            "last wave in --outbox."
        ),
    ] = False,
    day: Annotated[
        bool,
        typer.Option(
            help="Write a business day of four waves instead: OUT/wave1 (the sample inbox) to "
            "OUT/wave4, each later wave with the orders placed since the last (at --orders per "
            "24 h), a supply amendment and a stock count of arrived supply, and OUT/waveN.json "
            "with its wave_at."
        ),
    ] = False,
    inbox: Annotated[Path | None, typer.Option(help="With --next-wave: the waves' inbox.")] = None,
    outbox: Annotated[
        Path | None, typer.Option(help="With --next-wave: the waves' outbox.")
    ] = None,
    wave: Annotated[int, typer.Option(help="With --next-wave: its number.")] = 2,
) -> int:
    """Exit 0 written, 2 for impossible sizes or missing folders."""
    args = SampleArgs(out, orders, seed, file_format.value, stores, dcs, skus, inbox, outbox, wave)
    if next_wave:
        return _next_wave(args)
    if day:
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


def _sizes(args: SampleArgs) -> dict[str, int]:
    return {"stores": args.stores, "dcs": args.dcs, "skus": args.skus}


def _next_wave(args: SampleArgs) -> int:
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


def _day(args: SampleArgs) -> int:
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
