// What every node capture case asks and answers (as the Python cases' _common.py): the
// system prompt, the question, the get_weather tool's table, and the ending every case runs
// (runThenExit). No imports, so the cases of every node folder read it too.

export const SYSTEM_PROMPT =
  'You are a helpful weather assistant. Use the get_weather tool to look up current ' +
  'conditions before answering, and answer in one short sentence.';
export const QUESTION = "What's the weather like in Paris today?";
const WEATHER = {
  Paris: { temperature_c: 18, condition: 'sunny', humidity: 55 },
  London: { temperature_c: 12, condition: 'light rain', humidity: 81 },
};

/** The tool's answer for a city: the table's row, or mild weather for any other city. */
export function weatherIn(city) {
  return { city, ...(WEATHER[city] ?? { temperature_c: 20, condition: 'clear', humidity: 50 }) };
}

/** The sink's base URL, as the capture driver sets it. */
export const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '');

/**
 * A case's ending: awaits ``main`` (it returns what went wrong when the run is not what the
 * case expects, else nothing), prints that or any error, awaits ``flush`` whatever happened,
 * then exits 1 if anything went wrong, else 0.
 */
export async function runThenExit(main, flush) {
  let exitCode = 0;
  try {
    const problem = await main();
    if (problem) {
      console.error(problem);
      exitCode = 1;
    }
  } catch (err) {
    console.error(err);
    exitCode = 1;
  } finally {
    await flush();
  }
  process.exit(exitCode);
}

/** The ``flush`` of a case with one tracer provider: force-flush it, then shut it down. */
export function flushAndShutdown(provider) {
  return async () => {
    await provider.forceFlush();
    await provider.shutdown();
  };
}

/** Prints a LangChain agent's answer (its last message); what went wrong if the agent did not
 * go through the question, a tool call, its result and the answer. */
export function agentMessagesProblem(messages) {
  console.log(`answer: ${messages[messages.length - 1].content} (messages: ${messages.length})`);
  if (messages.length < 4) return 'expected the question, a tool call, its result and the answer';
}
