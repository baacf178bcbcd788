"""Which kind of partner file a name stands for: the contract's file-name prefixes."""

from __future__ import annotations

from pathlib import Path

# Reference kinds first: later kinds are checked against them (unknown sku or node). Partner
# feedback last, facts before requests: what left a node (shipments) and what it could not
# fill (rejections) are applied before order amendments; cancellations after the orders.
FEEDBACK_KINDS: tuple[str, ...] = ("shipments", "rejections", "cancellations")
KINDS: tuple[str, ...] = (
    "nodes",
    "products",
    "rates",
    "stock",
    "supply",
    "lanes",
    "exclusions",
    "orders",
    *FEEDBACK_KINDS,
    "returns",
)
REFERENCE_KINDS: tuple[str, ...] = ("nodes", "products")
PARTNER_FILE_SUFFIXES: tuple[str, ...] = (".csv", ".parquet")


def kind_of(name: str | Path) -> str | None:
    """The kind named by the file's prefix (``orders_web.csv`` -> ``orders``), else None.

    Matching is case-insensitive on the base name; an unknown prefix is reported by the
    caller, never a crash.
    """
    base = Path(name).name.lower()
    for kind in KINDS:
        if base.startswith(kind):
            return kind
    return None


def processing_order(names: list[str]) -> list[str]:
    """Files in the order the contract takes them: reference kinds first, then by name.

    Files dropped together are taken in name order within a kind, so a later name amends
    an earlier one; unknown kinds come last.
    """
    rank = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(names, key=lambda n: (rank.get(kind_of(n) or "", len(KINDS)), Path(n).name))
