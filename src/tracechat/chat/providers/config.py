"""Which models are available, from the environment:

- ``TRACECHAT_OPENAI_BASE_URL`` (default https://api.openai.com/v1 when a key is set),
  ``TRACECHAT_OPENAI_API_KEY``, ``TRACECHAT_OPENAI_MODELS`` (comma-separated; an
  OpenAI-compatible server such as vLLM, Ollama or llama.cpp needs only the URL and models);
- ``TRACECHAT_ANTHROPIC_API_KEY``, ``TRACECHAT_ANTHROPIC_MODELS``, ``TRACECHAT_ANTHROPIC_BASE_URL``.

The built-in offline analyst is always there and is the default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from tracechat.chat.models import ChatModel
from tracechat.chat.providers.anthropic import Anthropic
from tracechat.chat.providers.openai_compatible import OpenAICompatible

OPENAI_URL = "https://api.openai.com/v1"


def _names(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip()]


def models_from_environment(environ: Mapping[str, str] | None = None) -> list[ChatModel]:
    env = os.environ if environ is None else environ
    found: list[ChatModel] = []
    openai_key = env.get("TRACECHAT_OPENAI_API_KEY")
    openai_url = env.get("TRACECHAT_OPENAI_BASE_URL") or (OPENAI_URL if openai_key else None)
    if openai_url:
        provider = "openai" if openai_url.startswith(OPENAI_URL) else "openai-compatible"
        found += [
            OpenAICompatible(n, openai_url, openai_key, provider) for n in _names(env.get("TRACECHAT_OPENAI_MODELS"))
        ]
    anthropic_key = env.get("TRACECHAT_ANTHROPIC_API_KEY")
    if anthropic_key:
        url = env.get("TRACECHAT_ANTHROPIC_BASE_URL") or "https://api.anthropic.com"
        found += [Anthropic(n, anthropic_key, url) for n in _names(env.get("TRACECHAT_ANTHROPIC_MODELS"))]
    return found
