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

import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import { tool } from '@langchain/core/tools';
import { HumanMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { z } from 'zod';

const SYSTEM_PROMPT =
  'You are a helpful weather assistant. Use the get_weather tool to look up current ' +
  'conditions before answering, and answer in one short sentence.';
const QUESTION = "What's the weather like in Paris today?";
const WEATHER = {
  Paris: { temperature_c: 18, condition: 'sunny', humidity: 55 },
  London: { temperature_c: 12, condition: 'light rain', humidity: 81 },
};

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '');
const provider = new NodeTracerProvider({
  resource: defaultResource().merge(resourceFromAttributes({ 'service.name': 'weather-langgraph-js' })),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))],
});
provider.register();
new LangChainInstrumentation({ tracerProvider: provider }).manuallyInstrument(CallbackManagerModule);

const getWeather = tool(
  async ({ city }) =>
    JSON.stringify({ city, ...(WEATHER[city] ?? { temperature_c: 20, condition: 'clear', humidity: 50 }) }),
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

let exitCode = 0;
try {
  const result = await agent.invoke({ messages: [new HumanMessage(QUESTION)] });
  const last = result.messages[result.messages.length - 1];
  console.log(`answer: ${last.content} (messages: ${result.messages.length})`);
  if (result.messages.length < 4) {
    console.error('expected the question, a tool call, its result and the answer');
    exitCode = 1;
  }
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await provider.forceFlush();
  await provider.shutdown();
}
process.exit(exitCode);
