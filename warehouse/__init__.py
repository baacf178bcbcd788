"""The DuckDB warehouse: every SQL statement of the product, and nothing else.

``connection`` (the file, its lock, primitives) -> ``schema`` (ingestion tables) ->
``ingest`` (ledger, raw, staging, quarantine) and ``staging`` -> ``runs`` (per-run tables) ->
``plans`` (plan store, inputs) -> ``summary`` (what a run did).
"""
