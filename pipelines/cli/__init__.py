"""The ``omniroute`` command: one module per subcommand, thin over the product's functions.

``run`` executes the allocation job through Dagster (``pipelines.runner``), ``validate``
checks partner files (``contracts.intake``), ``sample`` writes a generated inbox
(``samples``). Exit codes are part of the interface (scripts and CI read them).
"""

from __future__ import annotations

import argparse

from pipelines.cli import run, sample, validate


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``omniroute`` console script; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="omniroute", description="Open order-sourcing engine (Dagster + DuckDB + PuLP)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (run, validate, sample):
        module.add_parser(commands)
    args = parser.parse_args(argv)
    return args.handler(args)
