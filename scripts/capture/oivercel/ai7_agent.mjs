// The AI SDK 7 (npm `ai` 7, `@ai-sdk/openai` 4) under OpenInference: AI SDK 7 emits its spans
// through `@ai-sdk/otel`'s `OpenTelemetry` integration (registered once with
// `registerTelemetry`), and `@arizeai/openinference-vercel`'s `OpenInferenceBatchSpanProcessor`
// adds OpenInference attributes to them before the OTLP/HTTP protobuf exporter sends them to the
// sink, as that package's README wires a standalone Node app.
//
// One agent (`ToolLoopAgent`, `id: 'weather-agent'`, instructions, a get_weather tool with
// `execute`, the default Responses API model of @ai-sdk/openai) asked the weather in Paris: the
// model calls the tool, the SDK runs it and calls the model again for the answer.
//
// Env (set by ../capture.py): OPENAI_BASE_URL, OPENAI_API_KEY, OTEL_EXPORTER_OTLP_ENDPOINT.

import { createOpenAI } from '@ai-sdk/openai';
import { OpenTelemetry } from '@ai-sdk/otel';
import { OpenInferenceBatchSpanProcessor } from '@arizeai/openinference-vercel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { registerTelemetry, stepCountIs, tool, ToolLoopAgent } from 'ai';
import { z } from 'zod';
import { QUESTION, SYSTEM_PROMPT, endpoint, flushAndShutdown, runThenExit, weatherIn } from '../node/weather.mjs';

const provider = new NodeTracerProvider({
  resource: defaultResource().merge(resourceFromAttributes({ 'service.name': 'weather-agent-ai7' })),
  spanProcessors: [
    new OpenInferenceBatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }) }),
  ],
});
provider.register();

// The README's "optional, but recommended for fuller OpenInference coverage" settings.
registerTelemetry(
  new OpenTelemetry({
    usage: true,
    providerMetadata: true,
    embedding: true,
    reranking: true,
    runtimeContext: true,
    headers: true,
    toolChoice: true,
    schema: true,
  }),
);

const openai = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY });

let calls = 0;
const getWeather = tool({
  description: 'Get the current weather for a city.',
  inputSchema: z.object({ city: z.string().describe('City name, e.g. Paris') }),
  execute: async ({ city }) => {
    calls += 1;
    return JSON.stringify(weatherIn(city));
  },
});

const agent = new ToolLoopAgent({
  id: 'weather-agent',
  model: openai('gpt-4o-mini'),
  instructions: SYSTEM_PROMPT,
  tools: { get_weather: getWeather },
  stopWhen: stepCountIs(5),
  telemetry: { functionId: 'weather-agent' },
});

await runThenExit(async () => {
  const result = await agent.generate({ prompt: QUESTION });
  console.log(`answer: ${result.text} (steps: ${result.steps.length}, tool calls: ${calls})`);
  if (result.steps.length < 2 || calls !== 1) {
    return 'expected a tool step and a final step';
  }
}, flushAndShutdown(provider));
