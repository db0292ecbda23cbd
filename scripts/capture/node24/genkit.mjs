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
import { enableTelemetry, flushTracing } from 'genkit/tracing';
import { openAICompatible } from '@genkit-ai/compat-oai';
import { BatchSpanProcessor } from 'genkit-otel-sdk-trace-base';
import { OTLPTraceExporter } from 'genkit-otel-exporter-trace-otlp-proto';

const SYSTEM_PROMPT =
  'You are a helpful weather assistant. Use the get_weather tool to look up current ' +
  'conditions before answering, and answer in one short sentence.';
const QUESTION = "What's the weather like in Paris today?";
const WEATHER = {
  Paris: { temperature_c: 18, condition: 'sunny', humidity: 55 },
  London: { temperature_c: 12, condition: 'light rain', humidity: 81 },
};

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '');
await enableTelemetry({
  serviceName: 'genkit-case',
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))],
});

const ai = genkit({
  plugins: [openAICompatible({ name: 'fake', apiKey: process.env.OPENAI_API_KEY, baseURL: process.env.OPENAI_BASE_URL })],
  model: 'fake/gpt-4o-mini',
});

const getWeather = ai.defineTool(
  {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    inputSchema: z.object({ city: z.string().describe('City name, e.g. Paris') }),
    outputSchema: z.string(),
  },
  async ({ city }) =>
    JSON.stringify({ city, ...(WEATHER[city] ?? { temperature_c: 20, condition: 'clear', humidity: 50 }) }),
);

const weatherFlow = ai.defineFlow({ name: 'weatherFlow', inputSchema: z.string(), outputSchema: z.string() }, async (question) => {
  const { text } = await ai.generate({ system: SYSTEM_PROMPT, prompt: question, tools: [getWeather] });
  return text;
});
console.log('answer:', await weatherFlow(QUESTION));
await flushTracing();
