"""Property: whatever mix of good, bad, repeated and conflicting rows a file holds, every row
read is accounted for exactly once, and what is accepted is unique per key."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.contracts.partner_rows import check_rows, row

VARIANTS = [
    row("orders"),
    row("orders", quantity="3"),  # same key, other content
    row("orders", order_id="ORD-2"),
    row("orders", order_id="ORD-3", quantity="2.5"),
    row("orders", order_id="ORD-4", sku="SKU-404", channel="fax"),
    row("orders", order_id="ORD-5", line_no="2", ship_to_postal_code="10001"),
    row("orders", order_id="ORD-5", line_no="1"),
    row("orders", order_id="ORD-6", fulfillment_method="pickup", pickup_node_id="ST-1"),
]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from(range(len(VARIANTS))), max_size=12))
def test_rows_read_equal_accepted_plus_rejected_plus_duplicates(picks):
    with tempfile.TemporaryDirectory() as folder:
        result = check_rows(Path(folder), "orders", [VARIANTS[i] for i in picks])
    assert result.rows_read == len(picks)
    assert result.reconciles
    accepted = set(result.accepted["row_number"])
    rejected = set(result.rejected["row_number"])
    assert not accepted & rejected
    assert len(accepted) + len(rejected) + result.duplicates == len(picks)
    assert result.accepted.select("order_id", "line_no").is_unique().all()
