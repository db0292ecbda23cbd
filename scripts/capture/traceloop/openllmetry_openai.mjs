// OpenLLMetry JS (npm `@traceloop/node-server-sdk`, its `@traceloop/instrumentation-openai`)
// around a tool loop written on the plain `openai` client (chat completions), exporting with
// the SDK's own OTLP/HTTP protobuf exporter to `${baseUrl}/v1/traces` (the sink).
//
// A travel agent (`withAgent`) has one tool, `ask_weather_agent({task})` (`withTool`), which
// runs a weather agent (`withAgent`) with the get_weather tool (`withTool`): the travel
// agent's model delegates the question, the weather agent's model calls get_weather and
// answers, the travel agent's model answers with that. `instrumentModules: { openAI }` is the
// SDK's way to instrument an ES module import of `openai`.
//
// Env (set by ../capture.py): OPENAI_BASE_URL, OPENAI_API_KEY, OTEL_EXPORTER_OTLP_ENDPOINT.

import * as traceloop from '@traceloop/node-server-sdk';
import OpenAI from 'openai';
import { QUESTION, SYSTEM_PROMPT, endpoint, runThenExit, weatherIn } from '../node/weather.mjs';

traceloop.initialize({
  appName: 'weather-travel-openllmetry-js',
  baseUrl: endpoint,
  apiKey: 'test',
  disableBatch: false,
  silenceInitializationMessage: true,
  traceloopSyncEnabled: false,
  instrumentModules: { openAI: OpenAI },
});

const client = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY });

const TRAVEL_PROMPT =
  'You are a travel assistant. Ask the weather agent (ask_weather_agent) about the weather ' +
  'and answer the traveller in one short sentence.';

const GET_WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name, e.g. Paris' } }, required: ['city'] },
  },
};
const ASK_WEATHER_AGENT = {
  type: 'function',
  function: {
    name: 'ask_weather_agent',
    description: 'Ask the weather agent a question about the current weather.',
    parameters: { type: 'object', properties: { task: { type: 'string', description: 'What to find out' } }, required: ['task'] },
  },
};

/** Call the model until it answers with text, running each tool it asks for with `run`. */
async function toolLoop(system, question, tools, run) {
  const messages = [
    { role: 'system', content: system },
    { role: 'user', content: question },
  ];
  for (let i = 0; i < 5; i++) {
    const response = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
    const message = response.choices[0].message;
    messages.push(message);
    if (!message.tool_calls?.length) return message.content;
    for (const call of message.tool_calls) {
      const result = await run(call.function.name, JSON.parse(call.function.arguments));
      messages.push({ role: 'tool', tool_call_id: call.id, content: result });
    }
  }
  throw new Error('no answer after 5 model calls');
}

// each function is given its arguments through withAgent / withTool, which record them as the
// span's `traceloop.entity.input` (and the return value as `traceloop.entity.output`)
const getWeather = (args) => traceloop.withTool({ name: 'get_weather' }, ({ city }) => JSON.stringify(weatherIn(city)), args);

const weatherAgent = (task) =>
  traceloop.withAgent(
    { name: 'weather_agent' },
    (t) => toolLoop(SYSTEM_PROMPT, t, [GET_WEATHER], (_name, args) => getWeather(args)),
    task,
  );

const askWeatherAgent = (args) => traceloop.withTool({ name: 'ask_weather_agent' }, ({ task }) => weatherAgent(task), args);

const travelAgent = (question) =>
  traceloop.withAgent(
    { name: 'travel_agent' },
    (q) => toolLoop(TRAVEL_PROMPT, q, [ASK_WEATHER_AGENT], (_name, args) => askWeatherAgent(args)),
    question,
  );

await runThenExit(async () => {
  const answer = await travelAgent(QUESTION);
  console.log(`answer: ${answer}`);
  if (!answer?.includes('Paris')) {
    return 'expected an answer about Paris';
  }
}, () => traceloop.forceFlush());
