// Google Genkit (npm `genkit`) with its own OpenTelemetry tracing, exported over OTLP/HTTP
// protobuf: `enableTelemetry({ spanProcessors: [...] })` adds our BatchSpanProcessor with an
// OTLP exporter to the NodeSDK Genkit starts. Genkit 1.42's NodeSDK is OTel JS 1.x
// (sdk-trace-base 1.25), whose spans the 2.x exporter beside Mastra's cannot read, so the
// processor and exporter are the 1.x ones, installed under npm aliases
// (`genkit-otel-sdk-trace-base`, `genkit-otel-exporter-trace-otlp-proto`). The model
// is `@genkit-ai/compat-oai`'s `openAICompatible` plugin (chat completions) on the fake server.
//
// A flow `weatherFlow` whose `ai.generate` offers the tool get_weather; the model calls it,
// Genkit runs it, the model answers.
//
// Env (set by ../capture.py): OPENAI_BASE_URL, OPENAI_API_KEY, OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf.

import { genkit, z } from 'genkit';
import { flushTracing } from 'genkit/tracing';
import { QUESTION, SYSTEM_PROMPT } from '../node/weather.mjs';
import { genkitWithWeatherTool } from './genkit_weather.mjs';

const { ai, getWeather } = await genkitWithWeatherTool(genkit, 'genkit-case');

const weatherFlow = ai.defineFlow({ name: 'weatherFlow', inputSchema: z.string(), outputSchema: z.string() }, async (question) => {
  const { text } = await ai.generate({ system: SYSTEM_PROMPT, prompt: question, tools: [getWeather] });
  return text;
});
console.log('answer:', await weatherFlow(QUESTION));
await flushTracing();
