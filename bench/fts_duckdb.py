"""DuckDB's ``fts`` extension, for comparison with the tantivy index (docs/decisions/0004):
the time to build its index over N texts of 60 words and to look a rare word up.

DuckDB 2.0 cannot load ``fts`` here, so this runs on DuckDB 1.5.5, whose extension ships
as a wheel, in a virtualenv of its own:

    python3 -m venv /tmp/fts && /tmp/fts/bin/pip install duckdb==1.5.5 duckdb-extension-fts==1.5.5 pyarrow
    /tmp/fts/bin/python bench/fts_duckdb.py --texts 200000
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import duckdb
import duckdb_extension_fts  # type: ignore[import-not-found]
import pyarrow as pa

_VOCABULARY = """agent tool weather forecast city temperature search result document query answer model token
context plan step retry error latency user assistant summary report value table row column
invoice order customer refund policy shipping address payment status pending approved"""
WORDS = tuple(_VOCABULARY.split())  # bench/workload.py's, which this virtualenv cannot import


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=200_000)
    count = parser.parse_args().texts
    extension = Path(duckdb_extension_fts.__file__).parent / f"extensions/v{duckdb.__version__}/fts.duckdb_extension"
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as scratch:
        con = duckdb.connect(str(Path(scratch) / "fts.duckdb"))
        con.execute(f"LOAD '{extension}'")
        con.execute("CREATE TABLE docs (id BIGINT, text VARCHAR)")
        for start in range(0, count, 100_000):
            ids = list(range(start, min(count, start + 100_000)))
            texts = [" ".join(rng.choice(WORDS) for _ in range(60)) + f" w{i}" for i in ids]
            con.register("chunk", pa.table({"id": ids, "text": texts}))
            con.execute("INSERT INTO docs SELECT * FROM chunk")
            con.unregister("chunk")
        started = time.perf_counter()
        con.execute("PRAGMA create_fts_index('docs', 'id', 'text', stemmer='none', stopwords='none')")
        build = time.perf_counter() - started
        started = time.perf_counter()
        for i in range(20):
            con.execute(
                "SELECT id FROM (SELECT id, fts_main_docs.match_bm25(id, ?) AS s FROM docs) WHERE s IS NOT NULL",
                [f"w{i * 7}"],
            ).fetchall()
        lookup = (time.perf_counter() - started) / 20
    print(f"{count} texts: index built in {build:.1f} s, a rare word looked up in {lookup * 1000:.0f} ms")


if __name__ == "__main__":
    main()
