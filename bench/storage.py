"""Bytes stored per span: tracechat's store against storing every span's history verbatim,
on the same traces.

    .venv/bin/python bench/storage.py [--spans 50000]

- ``verbatim``: each span's attributes as sent, uncompressed (what a row-per-span store
  with a JSON attributes column keeps, as Phoenix does);
- ``bodies once``: the lower bound of content addressing, every distinct message body once
  (Laminar's approach; DESIGN.md decision 4);
- ``tracechat``: the DuckDB file after ingest (columnar zstd over whole row groups, where a
  history repeated from span to span compresses to almost nothing).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.workload import requests
from tracechat.ingest.flatten import flatten_traces
from tracechat.ingest.wire import span_slices
from tracechat.store.duck import DuckDBStore

MESSAGE_KEYS = ("gen_ai.input.messages", "gen_ai.output.messages")


def measure(total: int) -> dict[str, object]:
    verbatim = 0
    bodies: set[str] = set()
    other = 0
    spans = 0
    with tempfile.TemporaryDirectory() as scratch:
        store = DuckDBStore(Path(scratch) / "s.duckdb")
        pending = []
        for request in requests(total, 512, turns=8, message_words=66):
            body = request.SerializeToString()
            pending.append(store.submit(flatten_traces(request, lambda resource: "p", span_slices(body)).batch))
            for span in request.resource_spans[0].scope_spans[0].spans:
                spans += 1
                verbatim += span.ByteSize()
                for kv in span.attributes:
                    if kv.key in MESSAGE_KEYS:
                        for message in json.loads(kv.value.string_value):
                            bodies.add(json.dumps(message, sort_keys=True))
                    else:
                        other += kv.ByteSize()
                other += span.ByteSize() - sum(a.ByteSize() for a in span.attributes)
        for future in pending:
            future.result()
        store.close()
        stored = sum(p.stat().st_size for p in Path(scratch).glob("s.duckdb*"))
    once = other + sum(len(b) for b in bodies)
    return {
        "spans": spans,
        "verbatim_bytes_per_span": round(verbatim / spans),
        "bodies_once_bytes_per_span": round(once / spans),
        "tracechat_bytes_per_span": round(stored / spans),
        "verbatim_over_tracechat": round(verbatim / stored, 1),
        "verbatim_over_bodies_once": round(verbatim / once, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=50_000)
    print(json.dumps(measure(parser.parse_args().spans), indent=2))


if __name__ == "__main__":
    main()
