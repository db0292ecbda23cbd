// LangSmith's own tracing (npm `langsmith`) in its OpenTelemetry mode: `LANGSMITH_TRACING=true`
// with `LANGSMITH_TRACING_MODE=otel` (the SDK's current name for `LANGSMITH_OTEL_ENABLED`) and
// `initializeOTEL()` from `langsmith/experimental/otel/setup`, whose exporter sends OTLP/HTTP
// protobuf to `${OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces` (the sink). In otel mode the runs
// become OTel spans only; nothing goes to LangSmith's own API.
//
// A tool loop written by hand as LangSmith's guides do: the agent a `traceable` (chain), the
// `openai` client wrapped with `wrapOpenAI` (each chat completion an llm run), get_weather a
// `traceable` of run type tool. The question names Paris and London: the model asks for both
// cities in one response, the loop runs both tools, the model answers.
//
// With CAPTURE_TOOL_ERROR=1 it asks about Paris only, and get_weather throws the first time it
// is called: the loop hands the model the error's text as the tool's result, the model calls
// the tool again.
//
// (LangChain.js runs traced this way do not work in langsmith 0.12 / @langchain/core 1.4:
// the OTel translator writes each run onto the span active when the run starts and makes no
// span of its own, so a whole createAgent run collapses onto one span; see ../README.md.)
//
// Env (set by ../capture.py and cases.toml): OPENAI_BASE_URL, OPENAI_API_KEY,
// OTEL_EXPORTER_OTLP_ENDPOINT, LANGSMITH_TRACING, LANGSMITH_TRACING_MODE.

import { initializeOTEL } from 'langsmith/experimental/otel/setup';
import { Client } from 'langsmith';
import { traceable } from 'langsmith/traceable';
import { wrapOpenAI } from 'langsmith/wrappers/openai';
import OpenAI from 'openai';
import { QUESTION, runThenExit, SYSTEM_PROMPT, weatherIn } from '../node/weather.mjs';

const { DEFAULT_LANGSMITH_TRACER_PROVIDER: provider } = initializeOTEL();

// one client for every run, so that its batches can be awaited at the end
const client = new Client();
const openai = wrapOpenAI(new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY }), { client });

const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Get the current weather for a city.',
      parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name, e.g. Paris' } }, required: ['city'] },
    },
  },
];

const failOnce = process.env.CAPTURE_TOOL_ERROR === '1';
let calls = 0;
const getWeather = traceable(
  async ({ city }) => {
    calls += 1;
    if (failOnce && calls === 1) throw new Error(`weather service error: no answer for ${city} in time, try again`);
    return JSON.stringify(weatherIn(city));
  },
  { name: 'get_weather', run_type: 'tool', client },
);

/** The tool's result, or the text of its error: what the model is sent back either way. */
async function runTool(args) {
  try {
    return await getWeather(args);
  } catch (err) {
    return `Error: ${err.message}`;
  }
}

const weatherAgent = traceable(
  async (question) => {
    const messages = [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: question },
    ];
    for (let i = 0; i < 5; i++) {
      // a copy: LangSmith serializes a run's inputs when its batch is sent, after the loop has
      // pushed more messages onto the array
      const response = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [...messages], tools: TOOLS });
      const message = response.choices[0].message;
      messages.push(message);
      if (!message.tool_calls?.length) return message.content;
      for (const call of message.tool_calls) {
        const result = await runTool(JSON.parse(call.function.arguments));
        messages.push({ role: 'tool', tool_call_id: call.id, content: result });
      }
    }
    throw new Error('no answer after 5 model calls');
  },
  { name: 'weather_agent', run_type: 'chain', client },
);

await runThenExit(async () => {
  const question = failOnce ? QUESTION : "What's the weather like in Paris and London today?";
  const answer = await weatherAgent(question);
  console.log(`answer: ${answer} (tool calls: ${calls})`);
  if (!answer?.includes(failOnce ? 'Paris' : 'London') || (failOnce && calls !== 2)) {
    return 'expected an answer about every city asked (and, failing once, a second tool call)';
  }
}, async () => {
  await client.awaitPendingTraceBatches();
  await provider.forceFlush?.();
  await provider.shutdown?.();
});
