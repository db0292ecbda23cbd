"""The last convention: a span's own input and output, recorded under any library's prefix.

Many instrumentations record what a span was given and what it returned under keys of their
own: ``mastra.agent_run.input`` / ``mastra.agent_run.output`` (Mastra's OTel exporter),
``langfuse.observation.input``, MLflow's ``spanInputs`` (``mlflow.*`` itself is ``mlflow``'s to
read, first). Whatever the prefix, a key whose last segment names the span's input or output
means that. Read only when no other convention
said what the span's input or output was, and only when one key says it (two candidates are
ambiguous; neither is read). ``gen_ai.*`` keys are the semantic conventions' own and are
read by ``otel_genai``; their ``*.input`` segments mean other things (token counts).
"""

from __future__ import annotations

from tracechat.genai.types import SpanFacts
from tracechat.genai.values import text

_INPUT = frozenset({"input", "inputs", "spaninputs"})
_OUTPUT = frozenset({"output", "outputs", "spanoutputs"})


def extract(facts: SpanFacts) -> None:
    if facts.input_text is None:
        facts.fill("input_text", _one(facts, _INPUT))
    if facts.output_text is None:
        facts.fill("output_text", _one(facts, _OUTPUT))


def _one(facts: SpanFacts, names: frozenset[str]) -> str | None:
    found = facts.about_keys(names, lambda keys: _named(keys, names))
    return text(facts.attributes[found[0]]) if len(found) == 1 else None


def _named(keys: tuple[str, ...], names: frozenset[str]) -> tuple[str, ...]:
    return tuple(key for key in keys if not key.startswith("gen_ai.") and key.rsplit(".", 1)[-1].lower() in names)
