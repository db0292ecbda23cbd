// Google Genkit multi-agent delegation (genkit.dev, "Multi-agent delegation", JS): agents
// defined with `ai.defineAgent` (genkit/beta) and the `agents()` middleware of
// `@genkit-ai/middleware`, which gives the coordinator one tool per sub-agent,
// `delegate_to_<agent>({task})`, lists them in a `<sub-agents>` block of its system prompt,
// runs the sub-agent when the model calls that tool and returns `{response}` as the result.
// Traced by Genkit's own OpenTelemetry tracing, exported as in genkit.mjs (1.x processor and
// exporter under npm aliases); the model is `@genkit-ai/compat-oai`'s `openAICompatible`
// plugin (chat completions) on the fake server.
//
// `travelAgent` (no tools of its own) is asked the weather in Paris; its model calls
// `delegate_to_weatherAgent`; inside it `weatherAgent` (tool get_weather) calls the tool and
// answers; the travel agent's model passes the answer on.
//
// Env (set by ../capture.py): OPENAI_BASE_URL, OPENAI_API_KEY, OTEL_EXPORTER_OTLP_ENDPOINT.

import { genkit } from 'genkit/beta';
import { flushTracing } from 'genkit/tracing';
import { agents } from '@genkit-ai/middleware';
import { QUESTION, SYSTEM_PROMPT } from '../node/weather.mjs';
import { genkitWithWeatherTool } from './genkit_weather.mjs';

const { ai, getWeather } = await genkitWithWeatherTool(genkit, 'genkit-agents-case');

ai.defineAgent({
  name: 'weatherAgent',
  description: 'Looks up the current weather for a city.',
  system: SYSTEM_PROMPT,
  tools: [getWeather],
});

const travelAgent = ai.defineAgent({
  name: 'travelAgent',
  system: 'You help travellers. Delegate weather questions to the weather agent, then pass its answer on.',
  use: [agents({ agents: ['weatherAgent'] })],
});

const response = await travelAgent.chat().send(QUESTION);
console.log('answer:', response.text ?? JSON.stringify(response.message ?? response));
await flushTracing();
