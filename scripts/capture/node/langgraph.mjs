// LangGraph JS (`@langchain/langgraph` createReactAgent + `@langchain/openai` ChatOpenAI)
// traced by `@arizeai/openinference-instrumentation-langchain` (manuallyInstrument of
// @langchain/core/callbacks/manager, as its README says for ESM), exporting spans with
// @opentelemetry/sdk-trace-node + @opentelemetry/exporter-trace-otlp-proto to the sink.
//
// A ReAct agent named weather_agent with a system prompt and a get_weather tool: the model
// calls the tool, the graph's tools node runs it, the model answers. ChatOpenAI uses chat
// completions (POST /v1/chat/completions) at OPENAI_BASE_URL.
//
// Env (set by ../capture.py): OPENAI_BASE_URL, OPENAI_API_KEY, OTEL_EXPORTER_OTLP_ENDPOINT.

import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import { tool } from '@langchain/core/tools';
import { HumanMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { z } from 'zod';
import { registeredProvider } from './tracing.mjs';
import { agentMessagesProblem, flushAndShutdown, QUESTION, runThenExit, SYSTEM_PROMPT, weatherIn } from './weather.mjs';

const provider = registeredProvider('weather-langgraph-js');
new LangChainInstrumentation({ tracerProvider: provider }).manuallyInstrument(CallbackManagerModule);

const getWeather = tool(
  async ({ city }) =>
    JSON.stringify(weatherIn(city)),
  {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    schema: z.object({ city: z.string().describe('City name, e.g. Paris') }),
  },
);

const model = new ChatOpenAI({
  model: 'gpt-4o-mini',
  apiKey: process.env.OPENAI_API_KEY,
  configuration: { baseURL: process.env.OPENAI_BASE_URL },
});
const agent = createReactAgent({ llm: model, tools: [getWeather], prompt: SYSTEM_PROMPT, name: 'weather_agent' });

await runThenExit(async () => {
  const result = await agent.invoke({ messages: [new HumanMessage(QUESTION)] });
  return agentMessagesProblem(result.messages);
}, flushAndShutdown(provider));
