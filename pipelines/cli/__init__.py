"""The ``omniroute`` command (Typer): one module per subcommand, thin over the product.

``run`` executes the allocation job through Dagster (``pipelines.runner``), ``validate``
checks partner files (``contracts.intake``), ``sample`` writes a generated inbox
(``samples``), ``sql`` opens the warehouse in a SQL shell, ``contract`` prints the partner
contract. Exit codes are part of the interface (scripts and CI read them): every command
returns its code, and a bad argument is exit 2 with Click's usage message.
"""

from __future__ import annotations

import typer

from pipelines.cli import contract, run, sample, sql, validate

app = typer.Typer(
    name="omniroute",
    help="Open order-sourcing engine: decides which node fulfills which order line "
    "(Dagster + DuckDB + PuLP/HiGHS).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
app.command("run", help=run.HELP, epilog=run.EPILOG)(run.run)
app.command("validate", help=validate.HELP, epilog=validate.EPILOG)(validate.validate)
app.command("sample", help=sample.HELP)(sample.sample)
app.command("sql", help=sql.HELP, epilog=sql.EPILOG)(sql.sql)
app.command("contract", help=contract.HELP)(contract.contract)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``omniroute`` console script; returns the exit code."""
    try:
        code = app(args=argv, prog_name="omniroute", standalone_mode=False)
    except typer.Exit as done:  # --help
        return int(done.exit_code)
    except typer.Abort:
        return 130
    except Exception as error:  # a bad argument (Typer's usage errors): usage, exit 2
        show = getattr(error, "show", None)
        if show is None:
            raise
        show()
        return int(getattr(error, "exit_code", 2))
    return int(code or 0)
