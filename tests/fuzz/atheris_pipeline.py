"""Coverage-guided fuzzing (atheris / libFuzzer) of the whole read path of one request:
OTLP bytes (protobuf or JSON) → decode → flatten → normalize → trajectory, in memory.

    python tests/fuzz/atheris_pipeline.py -runs=5000 CORPUS_DIR      # a short run
    python tests/fuzz/atheris_pipeline.py -max_total_time=600 CORPUS  # ``make fuzz-long``

The first input byte picks the encoding; the rest is the request. Any exception other than
``InvalidInput`` (the receiver's 400) is a finding: libFuzzer stops and saves the input.
``python tests/fuzz/atheris_pipeline.py --seed CORPUS_DIR`` fills a corpus from sample_traces/."""

from __future__ import annotations

import contextlib
import sys
from collections import defaultdict
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["tracechat"]):
    from tracechat.errors import InvalidInput
    from tracechat.ingest.flatten import flatten_traces
    from tracechat.ingest.otlp import Encoding, decode_trace_request
    from tracechat.ingest.wire import WireFormatError, span_slices
    from tracechat.model.records import IngestBatch, SpanFields
    from tracechat.model.stored import StoredSpan
    from tracechat.query.service import trace_facts
    from tracechat.query.trajectory import build_trajectory

SAMPLES = Path(__file__).resolve().parents[2] / "sample_traces"
ENCODINGS = (Encoding.PROTOBUF, Encoding.JSON)


def one_input(data: bytes) -> None:
    if not data:
        return
    encoding, body = ENCODINGS[data[0] % 2], data[1:]
    try:
        request = decode_trace_request(body, encoding)
    except InvalidInput:
        return
    slices = None
    if encoding is Encoding.PROTOBUF:
        with contextlib.suppress(WireFormatError):  # flatten re-encodes the spans instead
            slices = span_slices(body)
    flattened = flatten_traces(request, lambda resource: "fuzz", slices)
    for trace_id, spans in _traces(flattened.batch).items():
        facts, _ = trace_facts(spans, [])
        trajectory = build_trajectory(trace_id, facts, spans[0].fields.name)
        trajectory.model_dump_json()


def _traces(batch: IngestBatch) -> dict[str, list[StoredSpan]]:
    """The batch's span rows as the store would give them back, trace by trace."""
    columns, traces = batch.spans, defaultdict[str, list[StoredSpan]](list)
    for i, trace_id in enumerate(columns.trace_id):
        scope = batch.scopes[columns.scope_id[i]]
        traces[trace_id].append(
            StoredSpan(
                project=columns.project[i],
                trace_id=trace_id,
                fields=SpanFields(
                    span_id=columns.span_id[i],
                    parent_span_id=columns.parent_span_id[i],
                    name=columns.name[i],
                    kind=columns.kind[i],
                    start_ns=columns.start_ns[i],
                    end_ns=columns.end_ns[i],
                    status_code=columns.status_code[i],
                    status_message=columns.status_message[i],
                    operation=columns.operation[i],
                    agent_name=columns.agent_name[i],
                    request_model=columns.request_model[i],
                    response_model=columns.response_model[i],
                    provider=columns.provider[i],
                    tool_name=columns.tool_name[i],
                    conversation_id=columns.conversation_id[i],
                    response_id=columns.response_id[i],
                    input_tokens=columns.input_tokens[i],
                    output_tokens=columns.output_tokens[i],
                ),
                raw=columns.raw[i],
                resource=scope.resource,
                scope=scope.scope,
            )
        )
    for spans in traces.values():
        spans.sort(key=lambda span: span.fields.start_ns)
    return traces


def seed(corpus: Path) -> None:
    """Every captured request, as protobuf (first byte 0) and OTLP/JSON (first byte 1)."""
    corpus.mkdir(parents=True, exist_ok=True)
    for path in sorted(SAMPLES.glob("*/requests/*.traces.pb")):
        (corpus / f"{path.parent.parent.name}-{path.stem}.pb").write_bytes(b"\x00" + path.read_bytes())
    for path in sorted(SAMPLES.glob("*/requests/*.traces.json")):
        (corpus / f"{path.parent.parent.name}-{path.stem}.json").write_bytes(b"\x01" + path.read_bytes())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--seed"]:
        seed(Path(sys.argv[2]))
    else:
        atheris.Setup(sys.argv, one_input)
        atheris.Fuzz()
