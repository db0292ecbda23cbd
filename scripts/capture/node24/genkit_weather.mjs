// What the Genkit cases share: Genkit's own tracing exported to the sink (the 1.x processor
// and exporter under npm aliases, see genkit.mjs), a Genkit instance whose model is
// `@genkit-ai/compat-oai`'s `openAICompatible` plugin (chat completions) on the fake server,
// and the get_weather tool defined on it.

import { z } from 'genkit';
import { enableTelemetry } from 'genkit/tracing';
import { openAICompatible } from '@genkit-ai/compat-oai';
import { BatchSpanProcessor } from 'genkit-otel-sdk-trace-base';
import { OTLPTraceExporter } from 'genkit-otel-exporter-trace-otlp-proto';
import { endpoint, weatherIn } from '../node/weather.mjs';

/** Telemetry on for ``serviceName``, then ``{ ai, getWeather }``: the instance made by
 * ``genkit`` (`genkit`'s or `genkit/beta`'s) and its get_weather tool. */
export async function genkitWithWeatherTool(genkit, serviceName) {
  await enableTelemetry({
    serviceName,
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
    async ({ city }) => JSON.stringify(weatherIn(city)),
  );
  return { ai, getWeather };
}
