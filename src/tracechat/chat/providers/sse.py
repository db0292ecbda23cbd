"""Reading a provider's Server-Sent Events response, line by line, with clear errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from tracechat.errors import TracechatError


class ProviderError(TracechatError):
    """The model provider failed or answered something unusable (502 to our client)."""

    http_status = 502
    code = "provider_error"


def post_events(
    url: str, body: dict[str, Any], headers: dict[str, str], timeout: float, provider: str
) -> Iterator[tuple[str | None, Any]]:
    """POST ``body`` and yield the SSE events of the answer; an error status or a transport
    failure becomes a ``ProviderError`` naming ``provider``."""
    try:
        with (
            httpx.Client(timeout=timeout) as client,
            client.stream("POST", url, json=body, headers=headers) as response,
        ):
            check(response, provider)
            yield from events(response)
    except httpx.HTTPError as exc:
        raise ProviderError(f"{provider} at {url} failed: {exc}") from None


def events(response: httpx.Response) -> Iterator[tuple[str | None, Any]]:
    """(event name, parsed data) of each SSE event; ``[DONE]`` ends the stream."""
    name: str | None = None
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                return
            try:
                yield name, json.loads(data)
            except ValueError:
                raise ProviderError(f"the provider sent data that is not JSON: {data[:200]!r}") from None
        elif not line:
            name = None


def check(response: httpx.Response, provider: str) -> None:
    if response.status_code < 400:
        return
    body = response.read().decode(errors="replace")
    try:
        detail = json.loads(body).get("error", body)
        if isinstance(detail, dict):
            detail = detail.get("message", detail)
    except ValueError:
        detail = body
    raise ProviderError(f"{provider} answered {response.status_code}: {str(detail)[:500]}")
