"""The order book of the waves: line states, commitments and partner feedback (pure Polars).

``state`` (the book and its identity) -> ``intake`` (new and amended lines) and ``feedback``
(shipments, rejections, cancellations), built on ``commitments`` -> ``netting`` (ATP,
capacity, parcels net of the book) -> ``record`` (a plan into the book); ``wave`` runs them.
No Dagster, no SQL: the warehouse loads and publishes the book (``warehouse.book``).
"""
