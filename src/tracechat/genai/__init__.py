"""Instrumentation conventions → one neutral view of a span (``types.GenAISpan``).

One module per convention, each naming the upstream version it follows and reading only its
own keys; ``registry.normalize`` applies them in precedence order, first value wins. A span
no convention recognises is still returned (kind ``OTHER``), never dropped.
"""
