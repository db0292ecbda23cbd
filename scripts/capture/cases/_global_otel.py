"""What the cases share whose library sets up the global OTel providers itself (OpenLIT's
`openlit.init`, OpenLLMetry's `Traceloop.init`): the init call as they make it, and the flush
and shutdown of those global providers at the end."""

from __future__ import annotations

from typing import Any

import _common as c


def openlit_init(application_name: str) -> None:
    """OpenLIT exporting to the sink, metrics off, message content captured."""
    import openlit

    openlit.init(
        application_name=application_name,
        environment="capture",
        otlp_endpoint=c.otlp_base(),
        disable_metrics=True,
        capture_message_content=True,
    )


def traceloop_init(app_name: str, instruments: set[Any] | None = None) -> None:
    """Traceloop exporting to the sink, its telemetry off; ``instruments`` as the case names
    them, or (None) every instrumentation whose library is installed."""
    from traceloop.sdk import Traceloop

    if instruments is None:
        Traceloop.init(app_name=app_name, api_endpoint=c.otlp_base(), telemetry_enabled=False)
    else:
        Traceloop.init(app_name=app_name, api_endpoint=c.otlp_base(), telemetry_enabled=False, instruments=instruments)


def shutdown_global(*, logs: bool = False) -> None:
    """Flush and shut down the global tracer provider, then (``logs``) the global logger
    provider, so every export reaches the sink."""
    from opentelemetry import trace

    providers: list[Any] = [trace.get_tracer_provider()]
    if logs:
        from opentelemetry import _logs

        providers.append(_logs.get_logger_provider())
    for provider in providers:
        if hasattr(provider, "force_flush"):
            provider.force_flush()
        if hasattr(provider, "shutdown"):
            provider.shutdown()
