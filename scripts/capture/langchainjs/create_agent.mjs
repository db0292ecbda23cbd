// LangChain.js 1.x `createAgent` (npm `langchain`, LangGraph JS underneath) with
// `@langchain/openai` ChatOpenAI, traced by `@arizeai/openinference-instrumentation-langchain`
// (manuallyInstrument of @langchain/core/callbacks/manager, as its README says for ESM),
// exporting spans with @opentelemetry/sdk-trace-node + exporter-trace-otlp-proto to the sink.
//
// An agent named weather_agent with a system prompt and a get_weather tool: the model calls
// the tool, the agent's tools node runs it, the model answers. CAPTURE_TOOL_ERROR=1: the tool
// throws the first time; createAgent's tool node hands the model the error as the tool's
// message, and the model calls the tool again.
//
// Env (set by ../capture.py): OPENAI_BASE_URL, OPENAI_API_KEY, OTEL_EXPORTER_OTLP_ENDPOINT.

import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import { ChatOpenAI } from '@langchain/openai';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { createAgent, HumanMessage, tool } from 'langchain';
import { z } from 'zod';
import { agentMessagesProblem, endpoint, flushAndShutdown, QUESTION, runThenExit, SYSTEM_PROMPT, weatherIn } from '../node/weather.mjs';

const provider = new NodeTracerProvider({
  resource: defaultResource().merge(resourceFromAttributes({ 'service.name': 'weather-langchain-js' })),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))],
});
provider.register();
new LangChainInstrumentation({ tracerProvider: provider }).manuallyInstrument(CallbackManagerModule);

let failuresLeft = process.env.CAPTURE_TOOL_ERROR === '1' ? 1 : 0;
const getWeather = tool(
  async ({ city }) => {
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      throw new Error(`weather service error: no answer for ${city}`);
    }
    return JSON.stringify(weatherIn(city));
  },
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
const agent = createAgent({ model, tools: [getWeather], systemPrompt: SYSTEM_PROMPT, name: 'weather_agent' });

await runThenExit(async () => {
  const result = await agent.invoke({ messages: [new HumanMessage(QUESTION)] });
  return agentMessagesProblem(result.messages);
}, flushAndShutdown(provider));
