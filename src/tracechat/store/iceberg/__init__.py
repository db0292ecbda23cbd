"""The scale-out store: Iceberg tables in a shared warehouse, a PostgreSQL catalog as the
commit point, and the trace index, feedback and batch ledger in the same PostgreSQL
(docs/scale-out.md)."""
