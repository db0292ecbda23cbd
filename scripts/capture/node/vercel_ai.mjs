// Vercel AI SDK (npm `ai` + `@ai-sdk/openai`) with experimental_telemetry, exporting spans
// with @opentelemetry/sdk-trace-node + @opentelemetry/exporter-trace-otlp-proto to the sink.
//
// generateText with a system prompt, a user question, a get_weather tool with `execute`, and
// stopWhen: stepCountIs(5): the model calls the tool, the SDK runs it and calls the model
// again for the final answer. `createOpenAI({ baseURL })` points at the fake server; the
// default `openai(modelId)` model of @ai-sdk/openai uses the Responses API (POST /v1/responses).
//
// With CAPTURE_STREAM=1 it uses streamText instead (SSE from the fake server).
//
// Env (set by ../capture.py): OPENAI_BASE_URL, OPENAI_API_KEY, OTEL_EXPORTER_OTLP_ENDPOINT.

import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import { registeredProvider } from './tracing.mjs';
import { flushAndShutdown, QUESTION, runThenExit, SYSTEM_PROMPT, weatherIn } from './weather.mjs';

const provider = registeredProvider('weather-agent');

const openai = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY });

const getWeather = tool({
  description: 'Get the current weather for a city.',
  inputSchema: z.object({ city: z.string().describe('City name, e.g. Paris') }),
  execute: async ({ city }) =>
    JSON.stringify(weatherIn(city)),
});

await runThenExit(async () => {
  const options = {
    model: openai('gpt-4o-mini'),
    system: SYSTEM_PROMPT,
    prompt: QUESTION,
    tools: { get_weather: getWeather },
    stopWhen: stepCountIs(5),
    experimental_telemetry: { isEnabled: true, functionId: 'weather-agent', metadata: { sessionId: 'session-weather-0001' } },
  };
  let text, steps;
  if (process.env.CAPTURE_STREAM === '1') {
    const result = streamText(options);
    let streamed = '';
    for await (const delta of result.textStream) streamed += delta;
    text = streamed;
    steps = await result.steps;
  } else {
    const result = await generateText(options);
    text = result.text;
    steps = result.steps;
  }
  console.log(`answer: ${text} (steps: ${steps.length})`);
  if (steps.length < 2) {
    return 'expected a tool step and a final step';
  }
}, flushAndShutdown(provider));
