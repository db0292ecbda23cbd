// What every node capture case asks and answers (as the Python cases' _common.py): the
// system prompt, the question, and the get_weather tool's table. No imports, so the node24
// cases read it too.

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
