// OpenAI Agents SDK for JS (`@openai/agents`) traced by
// `@arizeai/openinference-instrumentation-openai-agents`, exporting spans with
// @opentelemetry/sdk-trace-node + @opentelemetry/exporter-trace-otlp-proto to the sink.
//
// A triage agent hands off to a weather agent (handoff tool transfer_to_weather_agent); the
// weather agent calls the get_weather function tool and answers. The SDK's default model is
// the Responses API (POST /v1/responses) of the `openai` client, which reads OPENAI_BASE_URL /
// OPENAI_API_KEY. `manuallyInstrument(agents)` registers the OpenInference trace processor
// exclusively (it replaces the SDK's own exporter to OpenAI), so nothing is sent elsewhere.
//
// With CAPTURE_STREAM=1 it runs streamed (`run(..., { stream: true })`, SSE from the fake server).
//
// Env (set by ../capture.py): OPENAI_BASE_URL, OPENAI_API_KEY, OTEL_EXPORTER_OTLP_ENDPOINT.

import { OpenAIAgentsInstrumentation } from '@arizeai/openinference-instrumentation-openai-agents';
import * as agents from '@openai/agents';
import { z } from 'zod';
import { registeredProvider } from './tracing.mjs';
import { flushAndShutdown, QUESTION, runThenExit, SYSTEM_PROMPT, weatherIn } from './weather.mjs';

const provider = registeredProvider('weather-agents-js');

const instrumentation = new OpenAIAgentsInstrumentation({ tracerProvider: provider });
instrumentation.manuallyInstrument(agents);

const { Agent, run, tool } = agents;

const getWeather = tool({
  name: 'get_weather',
  description: 'Get the current weather for a city.',
  parameters: z.object({ city: z.string().describe('City name, e.g. Paris') }),
  execute: async ({ city }) =>
    JSON.stringify(weatherIn(city)),
});

const weatherAgent = new Agent({
  name: 'Weather Agent',
  handoffDescription: 'Answers questions about the current weather in a city.',
  instructions: SYSTEM_PROMPT,
  model: 'gpt-4o-mini',
  tools: [getWeather],
});
const triageAgent = new Agent({
  name: 'Triage Agent',
  instructions: 'You are a triage agent. Hand weather questions off to the Weather Agent.',
  model: 'gpt-4o-mini',
  handoffs: [weatherAgent],
});

await runThenExit(async () => {
  let result;
  if (process.env.CAPTURE_STREAM === '1') {
    result = await run(triageAgent, QUESTION, { maxTurns: 6, stream: true });
    for await (const _event of result.toTextStream()) {
      // drain the stream: the run finishes when it is read to the end
    }
    await result.completed;
  } else {
    result = await run(triageAgent, QUESTION, { maxTurns: 6 });
  }
  console.log(`answer: ${result.finalOutput} (last agent: ${result.lastAgent?.name})`);
  if (result.lastAgent?.name !== 'Weather Agent') {
    return 'expected the weather agent to answer';
  }
}, async () => {
  await agents.getGlobalTraceProvider?.().forceFlush?.();
  await flushAndShutdown(provider)();
});
