// The AI SDK's agent class (npm `ai` 6 `ToolLoopAgent`, formerly `Experimental_Agent`) with
// its experimental_telemetry, exporting spans with @opentelemetry/sdk-trace-node +
// @opentelemetry/exporter-trace-otlp-proto to the sink.
//
// One agent (`id: 'weather-agent'`, instructions, a get_weather tool, chat completions through
// `openai.chat(...)`) asked the weather in Paris: the tool throws the first time it is called
// (the SDK hands the model the error text as the tool's result), the model calls it again, the
// second call succeeds and the model answers.
//
// Env (set by ../capture.py): OPENAI_BASE_URL, OPENAI_API_KEY, OTEL_EXPORTER_OTLP_ENDPOINT.

import { createOpenAI } from '@ai-sdk/openai';
import { stepCountIs, tool, ToolLoopAgent } from 'ai';
import { z } from 'zod';
import { registeredProvider } from './tracing.mjs';
import { flushAndShutdown, QUESTION, runThenExit, SYSTEM_PROMPT, weatherIn } from './weather.mjs';

const provider = registeredProvider('weather-tool-loop-agent');

const openai = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY });

let calls = 0;
const getWeather = tool({
  description: 'Get the current weather for a city.',
  inputSchema: z.object({ city: z.string().describe('City name, e.g. Paris') }),
  execute: async ({ city }) => {
    calls += 1;
    if (calls === 1) throw new Error(`weather service error: no answer for ${city} in time, try again`);
    return JSON.stringify(weatherIn(city));
  },
});

const agent = new ToolLoopAgent({
  id: 'weather-agent',
  model: openai.chat('gpt-4o-mini'),
  instructions: SYSTEM_PROMPT,
  tools: { get_weather: getWeather },
  stopWhen: stepCountIs(5),
  experimental_telemetry: { isEnabled: true, functionId: 'weather-agent', metadata: { sessionId: 'session-tool-loop-0001' } },
});

await runThenExit(async () => {
  const result = await agent.generate({ prompt: QUESTION });
  console.log(`answer: ${result.text} (steps: ${result.steps.length}, tool calls: ${calls})`);
  if (result.steps.length < 3 || calls !== 2) {
    return 'expected a failed tool step, a retried tool step and a final step';
  }
}, flushAndShutdown(provider));
