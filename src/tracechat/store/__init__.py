"""The span store: the only package that imports duckdb or pyarrow.

``protocol.SpanStore`` says what every store guarantees; ``duck.DuckDBStore`` is the
embedded implementation (one DuckDB file, one writer thread, a cursor per reader thread).
"""
