"""Print a short human-readable dump of captured OTLP request files.

    scripts/capture/.venv/bin/python scripts/capture/dump.py sample_traces/<case>/requests [--full] [--width N]

Spans are shown as a tree per trace (name, kind, ids, attributes, events); log records with
their event name, ids, attributes and body. Long values are cut to --width characters
unless --full is given.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

KINDS = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


def anyvalue(v: AnyValue) -> Any:
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [anyvalue(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return {kv.key: anyvalue(kv.value) for kv in v.kvlist_value.values}
    if which == "bytes_value":
        return v.bytes_value.hex()
    return getattr(v, which)


def attrs(kvs: Any) -> dict[str, Any]:
    return {kv.key: anyvalue(kv.value) for kv in kvs}


def short(v: Any, width: int) -> str:
    s = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
    s = s.replace("\n", "\\n")
    return s if width <= 0 or len(s) <= width else s[: width - 3] + "..."


def dump_traces(paths: list[Path], width: int) -> None:
    """All spans of all given trace files, as one tree per trace (parents may be in other files)."""
    spans = []
    for path in paths:
        req = ExportTraceServiceRequest()
        req.ParseFromString(path.read_bytes())
        n = 0
        for rs in req.resource_spans:
            res = attrs(rs.resource.attributes)
            for ss in rs.scope_spans:
                for sp in ss.spans:
                    spans.append((res, ss.scope.name, ss.scope.version, sp, path.name[:4]))
                    n += 1
        print(f"--- {path.name}: {n} span(s)")
    by_trace: dict[bytes, list] = defaultdict(list)
    for item in spans:
        by_trace[item[3].trace_id].append(item)
    for tid, items in by_trace.items():
        ids = {it[3].span_id for it in items}
        children: dict[bytes, list] = defaultdict(list)
        roots = []
        for it in items:
            (children[it[3].parent_span_id] if it[3].parent_span_id in ids else roots).append(it)
        print(f"  trace {tid.hex()}  spans={len(items)}  resource={json.dumps(items[0][0], sort_keys=True)}")

        def show(it: Any, depth: int, children: dict[bytes, list] = children) -> None:
            _res, scope, scope_v, sp, fileno = it
            pad = "    " + "  " * depth
            parent = sp.parent_span_id.hex() if sp.parent_span_id else "-"
            print(
                f"{pad}* {sp.name!r} [{KINDS.get(sp.kind, sp.kind)}] span={sp.span_id.hex()} parent={parent} "
                f"file={fileno} scope={scope} {scope_v}"
            )
            if sp.status.code:
                print(f"{pad}    status={sp.status.code} {sp.status.message}")
            for k, v in attrs(sp.attributes).items():
                print(f"{pad}    {k} = {short(v, width)}")
            for ev in sp.events:
                print(f"{pad}    event {ev.name!r}")
                for k, v in attrs(ev.attributes).items():
                    print(f"{pad}        {k} = {short(v, width)}")
            for ln in sp.links:
                print(f"{pad}    link trace={ln.trace_id.hex()} span={ln.span_id.hex()}")
            for ch in sorted(children.get(sp.span_id, []), key=lambda x: x[3].start_time_unix_nano):
                show(ch, depth + 1)

        for r in sorted(roots, key=lambda x: x[3].start_time_unix_nano):
            show(r, 0)


def dump_logs(path: Path, width: int) -> None:
    req = ExportLogsServiceRequest()
    req.ParseFromString(path.read_bytes())
    n = sum(len(sl.log_records) for rl in req.resource_logs for sl in rl.scope_logs)
    print(f"--- {path.name}: {n} log record(s)")
    for rl in req.resource_logs:
        for sl in rl.scope_logs:
            for lr in sl.log_records:
                name = lr.event_name or attrs(lr.attributes).get("event.name")
                print(
                    f"    * event={name!r} trace={lr.trace_id.hex() or '-'} span={lr.span_id.hex() or '-'} "
                    f"scope={sl.scope.name} severity={lr.severity_text or lr.severity_number}"
                )
                for k, v in attrs(lr.attributes).items():
                    print(f"        {k} = {short(v, width)}")
                if lr.HasField("body"):
                    print(f"        body = {short(anyvalue(lr.body), width)}")


def all_text(files: list[Path]) -> str:
    """Every attribute value (and span attribute ``key=value``), event attribute and log body
    of the files, as one string."""
    out: list[str] = []

    def add(v: Any) -> None:
        out.append(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))

    for f in files:
        if ".traces." in f.name and f.suffix == ".pb":
            req = ExportTraceServiceRequest()
            req.ParseFromString(f.read_bytes())
            for rs in req.resource_spans:
                for ss in rs.scope_spans:
                    for sp in ss.spans:
                        add(sp.name)
                        for k, v in attrs(sp.attributes).items():
                            add(f"{k}={json.dumps(v, ensure_ascii=False)}")  # so --expect can name a key
                            add(v)
                        for ev in sp.events:
                            add(ev.name)
                            for v in attrs(ev.attributes).values():
                                add(v)
        elif ".logs." in f.name and f.suffix == ".pb":
            lreq = ExportLogsServiceRequest()
            lreq.ParseFromString(f.read_bytes())
            for rl in lreq.resource_logs:
                for sl in rl.scope_logs:
                    for lr in sl.log_records:
                        add(lr.event_name)
                        for v in attrs(lr.attributes).values():
                            add(v)
                        add(anyvalue(lr.body))
    return "\n".join(out)


# What every case must contain somewhere (spans or logs): label -> regex.
CHECKS = {
    "tool call get_weather + arguments {city: Paris}": r'get_weather[\s\S]*"city"\s*:\s*"Paris"',
    "tool result": r'"temperature_c"\s*:\s*18',
    "final answer": r"It is currently sunny in Paris",
}


def check(files: list[Path], extra: list[str]) -> bool:
    # JSON inside JSON escapes quotes: compare on an unescaped view.
    text = all_text(files).replace('\\"', '"')
    checks = dict(CHECKS)
    for e in extra:
        checks[f"expected {e!r}"] = re.escape(e)
    ok = True
    for label, pattern in checks.items():
        found = re.search(pattern, text) is not None
        ok &= found
        print(f"  [{'ok' if found else 'MISSING'}] {label}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--width", type=int, default=160)
    ap.add_argument("--json", action="store_true", help="print each request as OTLP/JSON instead")
    ap.add_argument(
        "--check", action="store_true", help="only check that the tool call, its result and the answer are there"
    )
    ap.add_argument("--expect", action="append", default=[], help="with --check: another substring that must occur")
    args = ap.parse_args()
    width = 0 if args.full else args.width
    files: list[Path] = []
    for p in map(Path, args.paths):
        files.extend(sorted(p.iterdir()) if p.is_dir() else [p])
    if args.check:
        return 0 if check(files, args.expect) else 1
    if args.json:
        for f in files:
            if f.suffix == ".pb":
                msg = ExportTraceServiceRequest() if ".traces." in f.name else ExportLogsServiceRequest()
                msg.ParseFromString(f.read_bytes())
                print(json.dumps(MessageToDict(msg), indent=1))
        return 0
    trace_files = [f for f in files if ".traces." in f.name and f.suffix == ".pb"]
    if trace_files:
        dump_traces(trace_files, width)
    for f in files:
        if ".logs." in f.name and f.suffix == ".pb":
            dump_logs(f, width)
        elif f not in trace_files:
            print(f"--- {f.name}: skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
