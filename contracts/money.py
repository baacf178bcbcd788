"""Which partner-facing columns hold money, and how many decimals a CSV gives them.

Spreadsheets and partners' systems read cents: a CSV carries money rounded to the cent, while
Parquet keeps the full precision the plan was computed with.
"""

from __future__ import annotations

CSV_MONEY_DECIMALS = 2
# Money columns of the outbox files (instructions, backorders, intake replies).
# fill_cost and penalty (uneconomic backorders) are objective values in the same currency.
MONEY_COLUMNS: frozenset[str] = frozenset({"parcel_cost", "fill_cost", "penalty"})
