"""Content too large or too binary to inline: stored once (in the span that carries it) and
referenced as ``{trace_id}.{span_id}.{digest}``; ``GET /agents/traces/content/{ref}`` rebuilds
the trajectory and returns the bytes the reference names."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from tracechat.genai.types import Media

TEXT_LIMIT = 64 * 1024
PREVIEW_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Content:
    data: bytes
    media_type: str


@dataclass(slots=True)
class ContentRefs:
    trace_id: str
    found: dict[str, Content] = field(default_factory=dict)

    def add(self, span_id: str, data: bytes, media_type: str) -> str:
        ref = f"{self.trace_id}.{span_id}.{hashlib.sha256(data).hexdigest()[:32]}"
        self.found.setdefault(ref, Content(data, media_type))
        return ref

    def media(self, span_id: str, media: Media) -> str:
        if media.data is not None:
            return self.add(span_id, media.data, media.mime_type or "application/octet-stream")
        pointer = {"uri": media.uri, "file_id": media.file_id, "mime_type": media.mime_type, "modality": media.modality}
        document = json.dumps({k: v for k, v in pointer.items() if v is not None}, sort_keys=True).encode()
        return self.add(span_id, document, "application/json")

    def text(self, span_id: str, value: str | None, refs: list[str]) -> str | None:
        """``value``, or a preview of it with the whole text referenced when it is too large."""
        if value is None or len(value) <= TEXT_LIMIT:
            return value
        refs.append(self.add(span_id, value.encode(), "text/plain; charset=utf-8"))
        return value[:PREVIEW_CHARS] + f"… [{len(value)} characters; the whole text is in content_refs]"
