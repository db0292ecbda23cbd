"""Traces carrying hostile attachments: documents that, shown in tracechat's origin, would
read the API key the viewer keeps in ``localStorage``."""

from __future__ import annotations

import base64

from tests.traces import TraceBuilder, as_json

HTML_ATTACK = b"<html><body><script>console.log('attack ran: ' + localStorage.getItem('tracechat.key'));document.title = 'pwned'</script>hello</body></html>"
SVG_ATTACK = (
    b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"console.log('attack ran: ' + localStorage.getItem('tracechat.key'))\">"
    b"<script>console.log('attack ran: ' + localStorage.getItem('tracechat.key'))</script>"
    b'<rect width="10" height="10"/></svg>'
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ATTACHMENTS = {"text/html": HTML_ATTACK, "image/svg+xml": SVG_ATTACK, "image/png": PNG}


def hostile_trace(base_ns: int | None = None) -> TraceBuilder:
    """One model call whose user message attaches each of ``ATTACHMENTS`` (in that order)."""
    trace = TraceBuilder() if base_ns is None else TraceBuilder(base_ns=base_ns)
    agent = trace.span("invoke_agent mallory", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=50)
    parts = [{"type": "text", "content": "Look at these."}]
    for media_type, data in ATTACHMENTS.items():
        parts.append(
            {
                "type": "blob",
                "modality": "image" if media_type.startswith("image/") else "document",
                "mime_type": media_type,
                "content": base64.b64encode(data).decode(),
            }
        )
    trace.span(
        "chat gpt-4o",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": as_json([{"role": "user", "parts": parts}]),
            "gen_ai.output.messages": as_json([{"role": "assistant", "parts": [{"type": "text", "content": "ok"}]}]),
        },
        parent=agent,
        start_ms=1,
    )
    return trace
