// VoltAgent (npm `@voltagent/core`) traced by its own OpenTelemetry observability
// (`VoltAgentObservability`), exported over OTLP/HTTP protobuf with the OTel SDK's
// BatchSpanProcessor and OTLPTraceExporter, as VoltAgent's observability guide
// ("MLflow Integration") wires any OTLP endpoint: `new VoltAgentObservability({ spanProcessors })`.
// The model is the AI SDK's OpenAI provider (`@ai-sdk/openai`, chat completions) on the fake
// server.
//
// A weather agent (instructions, tool get_weather) is asked about Paris; the model calls the
// tool, VoltAgent runs it, the model answers.
//
// With CAPTURE_SUPERVISOR=1 a supervisor (no tools of its own) is asked instead: the weather
// agent is its sub-agent (`subAgents: [weatherAgent]`), which VoltAgent offers the model as
// its `delegate_task({task, targetAgents})` tool; the sub-agent runs its own loop inside that
// tool call, and the supervisor answers from what it returned.
//
// Run with scripts/capture/.venv-node24/bin/node. Env (set by ../capture.py): OPENAI_BASE_URL,
// OPENAI_API_KEY, OTEL_EXPORTER_OTLP_ENDPOINT.

import { Agent, VoltAgent, VoltAgentObservability, createTool } from '@voltagent/core';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { createOpenAI } from '@ai-sdk/openai';
import { z } from 'zod';
import { QUESTION, SYSTEM_PROMPT, endpoint, weatherIn } from '../node/weather.mjs';

const openai = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY });

const observability = new VoltAgentObservability({
  serviceName: 'weather-agent-voltagent',
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))],
});

const getWeather = createTool({
  name: 'get_weather',
  description: 'Get the current weather for a city.',
  parameters: z.object({ city: z.string().describe('City name, e.g. Paris') }),
  execute: async ({ city }) => weatherIn(city),
});

const weatherAgent = new Agent({
  name: 'Weather Agent',
  purpose: 'Looks up the current weather for a city.',
  instructions: SYSTEM_PROMPT,
  model: openai.chat('gpt-4o-mini'),
  tools: [getWeather],
  observability,
});

const supervisor = new Agent({
  name: 'Travel Assistant',
  instructions:
    'You help travellers. Delegate weather questions to the weather agent, then pass its answer on.',
  model: openai.chat('gpt-4o-mini'),
  subAgents: [weatherAgent],
  observability,
});

new VoltAgent({ agents: { weatherAgent, supervisor }, observability });

const agent = process.env.CAPTURE_SUPERVISOR === '1' ? supervisor : weatherAgent;
const result = await agent.generateText(QUESTION);
console.log(`answer: ${result.text}`);
await observability.forceFlush();
await observability.shutdown();
