// A tracechat.v1 client nobody here generated: @grpc/proto-loader reads proto/ as shipped,
// @grpc/grpc-js calls the server. Prints {trajectory, watched: {responses, messages}, session}
// as proto3 JSON (int64 as strings, timestamps RFC 3339, absent fields left out), for
// tests/e2e/test_grpc_node.py to compare with the HTTP API.
//   node grpc_client.mjs HOST:PORT PROTO_DIR TRACE_ID SESSION_ID
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

const [endpoint, protoDir, traceId, sessionId] = process.argv.slice(2);
const definition = protoLoader.loadSync("tracechat/v1/query.proto", {
  includeDirs: [protoDir],
  keepCase: true, // field names as declared, as the HTTP API spells them
  longs: String, // int64 as proto3 JSON writes it
  defaults: true,
  oneofs: false,
  arrays: true,
});
const v1 = grpc.loadPackageDefinition(definition).tracechat.v1;
const client = new v1.TraceQueryService(endpoint, grpc.credentials.createInsecure());

// proto3 JSON of what proto-loader hands back: Timestamps as RFC 3339, no nulls
function timestamp({ seconds, nanos }) {
  const date = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  if (!nanos) return `${date}Z`;
  const digits = String(nanos).padStart(9, "0");
  const kept = nanos % 1e6 === 0 ? 3 : nanos % 1e3 === 0 ? 6 : 9;
  return `${date}.${digits.slice(0, kept)}Z`;
}
function json(value) {
  if (Array.isArray(value)) return value.map(json);
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  if (keys.length === 2 && "seconds" in value && "nanos" in value) return timestamp(value);
  return Object.fromEntries(keys.filter((k) => value[k] !== null).map((k) => [k, json(value[k])]));
}

const request = { project_id: "default", trace_id: traceId };
const trajectory = await new Promise((resolve, reject) =>
  client.GetTrajectory(request, (error, answer) => (error ? reject(error) : resolve(answer))),
);

const watched = await new Promise((resolve, reject) => {
  const messages = [];
  let responses = 0;
  const stream = client.WatchTrajectory({ ...request, quiet_for: { seconds: 0, nanos: 500e6 } });
  stream.on("data", (response) => {
    responses += 1;
    messages.length = Math.min(messages.length, response.message_count);
    while (messages.length < response.message_count) messages.push(null);
    for (const change of response.changes) messages[change.index] = change.message;
  });
  stream.on("error", reject);
  stream.on("end", () => resolve({ responses, messages }));
});

const session = await new Promise((resolve, reject) =>
  client.GetSessionTrajectory({ project_id: "default", session_id: sessionId }, (error, answer) =>
    error ? reject(error) : resolve(answer),
  ),
);

console.log(JSON.stringify({ trajectory: json(trajectory), watched: json(watched), session: json(session) }));
client.close();
