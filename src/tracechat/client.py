"""A small client of a running server's HTTP API, for the commands that work through it."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from tracechat.errors import TracechatError


class Api:
    def __init__(self, base: str, token: str | None, timeout: float = 60) -> None:
        self.base = base.rstrip("/")
        self._token = token
        self._timeout = timeout

    def get(self, path: str, params: Mapping[str, str | int]) -> bytes:
        query = "?" + urllib.parse.urlencode(params) if params else ""
        return self._send(urllib.request.Request(self.base + path + query, headers=self._headers()))

    def post(self, path: str, body: Any) -> Any:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode(),
            headers={**self._headers(), "Content-Type": "application/json"},
            method="POST",
        )
        return json.loads(self._send(request))

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def _send(self, request: urllib.request.Request) -> bytes:
        url = request.full_url
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read())["error"]["message"]
            except (ValueError, KeyError, TypeError):
                detail = exc.reason
            raise TracechatError(f"{url} answered {exc.code}: {detail}") from None
        except urllib.error.URLError as exc:
            raise TracechatError(f"cannot reach {url}: {exc.reason}; is 'tracechat serve' running?") from None
