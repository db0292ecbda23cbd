"""DSPy ReAct with a tool, traced by openinference-instrumentation-dspy.

`DSPyInstrumentor().instrument(tracer_provider=...)` wraps DSPy modules, predictors,
adapters, the LM and tool calls. The LM is `dspy.LM("openai/gpt-4o-mini", api_base=<fake>)`
(LiteLLM underneath, chat completions). DSPy's ReAct writes its steps in DSPy's own field
format (`[[ ## next_thought ## ]]`, `[[ ## next_tool_name ## ]]`, `[[ ## next_tool_args ## ]]`),
ends with its `finish` tool, then extracts the answer (`[[ ## reasoning ## ]]`, `[[ ## answer ## ]]`).
"""

from __future__ import annotations

import os
import sys

import _common as c


def main() -> int:
    tp = c.make_tracer_provider("weather-dspy")

    from openinference.instrumentation.dspy import DSPyInstrumentor

    DSPyInstrumentor().instrument(tracer_provider=tp)

    import dspy

    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return c.get_weather(city)

    lm = dspy.LM(
        f"openai/{c.MODEL}", api_base=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"], cache=False
    )
    dspy.configure(lm=lm)
    agent = dspy.ReAct("question -> answer", tools=[get_weather], max_iters=4)
    prediction = agent(question=c.QUESTION)
    print(f"answer: {prediction.answer}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
