// tracechat viewer: trace list and trajectory pages over the HTTP API. No build step, no
// dependencies. Every piece of trace content is set as text (never parsed as HTML).

import { sessionListView, sessionPath, sessionView } from "./sessions.js";

const state = {
  key: localStorage.getItem("tracechat.key") || "",
  project: new URLSearchParams(location.search).get("project") || localStorage.getItem("tracechat.project") || "",
  refresh: null,
  listPath: null, // the list as last shown, filters and all: where a trajectory's "trace list" goes
};

// -- small helpers ---------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (name === "style") node.style.cssText = value; // CSSOM: the CSP allows no inline style attributes
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) { // helpers return nested lists of nodes
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function status(text) { document.getElementById("status").textContent = text || ""; }

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.key) headers.Authorization = `Bearer ${state.key}`;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options = { ...options, body: JSON.stringify(options.json) };
  }
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).error.message || message; } catch (_) { /* not JSON */ }
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return response;
}

function withProject(path, params = {}) {
  const query = new URLSearchParams();
  if (state.project) query.set("project_id", state.project);
  for (const [name, value] of Object.entries(params)) if (value !== "" && value !== null && value !== undefined) query.set(name, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

const fmtMs = (ms) => (ms === null || ms === undefined ? "–" : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms} ms`);
const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString() : "–");
const fmtNum = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString());

function fmtCost(cost) {
  // Dollars and cents from $1 up ($1.23); below, three significant digits and at least cents,
  // so $0.042 and $0.0000381 read as they are instead of rounding to $0.0000.
  if (cost === null || cost === undefined) return "–";
  const n = Number(cost);
  if (n === 0 || Math.abs(n) >= 1) return `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const decimals = Math.min(20, Math.max(2, 2 - Math.floor(Math.log10(Math.abs(n)))));
  return `$${n.toFixed(decimals).replace(/(\.\d\d\d*?)0+$/, "$1")}`;
}

function pretty(text) {
  if (text === null || text === undefined) return "";
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return String(text); }
}

function link(path, label, attrs = {}) {
  return h("a", { href: path, onclick: (event) => { event.preventDefault(); navigate(path); }, ...attrs }, label);
}

// -- routing ---------------------------------------------------------------------------------

function navigate(path) {
  history.pushState({}, "", path);
  route();
}

function route() {
  clearInterval(state.refresh);
  status("");
  const main = document.getElementById("main");
  main.replaceChildren();
  const match = location.pathname.match(/^\/traces\/([0-9a-fA-F]{32})$/);
  const chat = location.pathname.match(/^\/chat(?:\/([\w-]+))?$/);
  const sessions = location.pathname.match(/^\/sessions(?:\/(.+))?$/);
  const view = match ? traceView(main, match[1].toLowerCase()) : chat ? chatView(main, chat[1] || null)
    : sessions ? (sessions[1] ? sessionView(main, decodeURIComponent(sessions[1])) : sessionListView(main)) : listView(main);
  view.catch((error) => {
    main.replaceChildren(h("p", { class: "error-mark", role: "alert" }, error.message));
  });
}

// -- trace list ------------------------------------------------------------------------------

// The list's filters live in its address (/?since=30d&q=Lisbon&errors=1&offset=50): a link
// shows the same traces and a reload keeps them. No `since` means the API's default window.
const WINDOWS = [["1h", "last hour"], ["24h", "last 24 hours"], ["", "last 7 days"], ["30d", "last 30 days"], ["all", "all time"]];
const HOURS = { "1h": 1, "24h": 24, "30d": 24 * 30 };
const ALL_TIME = "1970-01-01T00:00:00Z"; // a `since` before any trace
const PAGE_SIZE = 50;

function readFilters(search) {
  const query = new URLSearchParams(search);
  const since = query.get("since") || "";
  return {
    since: since === "7d" ? "" : since, until: query.get("until") || "",
    agent: query.get("agent") || "", model: query.get("model") || "", q: query.get("q") || "",
    errors: query.get("errors") === "1", offset: Math.max(0, Number.parseInt(query.get("offset"), 10) || 0),
  };
}

function listPath(filters) {
  const query = new URLSearchParams();
  if (state.project) query.set("project", state.project);
  for (const name of ["since", "until", "agent", "model", "q"]) if (filters[name]) query.set(name, filters[name]);
  if (filters.errors) query.set("errors", "1");
  if (filters.offset) query.set("offset", filters.offset);
  const text = query.toString();
  return text ? `/?${text}` : "/";
}

function listParams(filters) {
  const hours = HOURS[filters.since];
  // "" leaves the API its default window; a `since` that is no preset is a moment, sent as given.
  const since = filters.since === "all" ? ALL_TIME : hours ? new Date(Date.now() - hours * 3600e3).toISOString() : filters.since;
  return {
    limit: PAGE_SIZE, offset: filters.offset, since, until: filters.until,
    agent_name: filters.agent, model: filters.model, q: filters.q, has_error: filters.errors ? "true" : "",
  };
}

function windowText(filters) {
  const preset = WINDOWS.find(([value]) => value === filters.since);
  const since = !preset ? `since ${fmtTime(filters.since)}` : filters.since === "all" ? "" : `in the ${preset[1]}`;
  return [since, filters.until ? `until ${fmtTime(filters.until)}` : ""].filter(Boolean).join(" ");
}

// <input type="datetime-local"> speaks local time without a zone; the address keeps UTC.
function localInput(iso) {
  const moment = new Date(iso);
  if (!iso || Number.isNaN(moment.getTime())) return null;
  return new Date(moment.getTime() - moment.getTimezoneOffset() * 60e3).toISOString().slice(0, 19);
}
const utcMoment = (local) => new Date(local).toISOString().replace(".000Z", "Z");

function filterForm(filters) {
  const windows = WINDOWS.map(([value, label]) => h("option", { value, selected: value === filters.since }, value ? label : `${label} (default)`));
  if (!WINDOWS.some(([value]) => value === filters.since)) windows.push(h("option", { value: filters.since, selected: true }, windowText({ since: filters.since })));
  return h("form", { class: "filters", "aria-label": "Filter traces" },
    h("label", {}, "Since ", h("select", { name: "since" }, windows)),
    h("label", {}, "Until ", h("input", { name: "until", type: "datetime-local", step: 1, title: "empty: now", value: localInput(filters.until) })),
    h("label", {}, "Agent ", h("input", { name: "agent", size: 12, value: filters.agent })),
    h("label", {}, "Model ", h("input", { name: "model", size: 12, value: filters.model })),
    h("label", {}, h("input", { type: "checkbox", name: "errors", checked: filters.errors }), " errors only"),
    h("label", {}, "Search ", h("input", { name: "q", type: "search", size: 22, placeholder: "name, trace id, agent", value: filters.q })),
    h("button", { type: "submit" }, "Apply"));
}

function formFilters(form) {
  const data = new FormData(form);
  const text = (name) => data.get(name).trim();
  return {
    since: data.get("since"), until: data.get("until") ? utcMoment(data.get("until")) : "",
    agent: text("agent"), model: text("model"), q: text("q"), errors: data.has("errors"), offset: 0,
  };
}

async function listView(main) {
  let filters = readFilters(location.search);
  state.listPath = listPath(filters);
  history.replaceState({}, "", state.listPath); // one spelling per view
  const form = filterForm(filters);
  const body = h("tbody");
  const table = h("table", { class: "traces" },
    h("thead", {}, h("tr", {},
      ...["Started", "Root span", "Agents", "Models", "Duration", "Spans", "Tokens in / out", "Cost", ""].map((t, i) =>
        h("th", { scope: "col", class: i >= 4 && i <= 7 ? "num" : null }, t)))),
    body);
  const pager = h("div", { class: "pager" });
  main.append(h("h1", { class: "visually-hidden" }, "Traces"), form, table, pager);
  let asked = 0; // the latest load wins, whether a refresh or a new filter started first

  async function load() {
    const mine = ++asked;
    const page = await (await api(withProject("/agents/traces", listParams(filters)))).json();
    const empty = page.traces.length ? null : await emptyState(filters, page);
    if (mine !== asked) return;
    body.replaceChildren(...page.traces.map(traceRow));
    if (empty) body.append(h("tr", {}, h("td", { colspan: 9, class: "empty" }, empty)));
    pager.hidden = !page.traces.length;
    pager.replaceChildren(
      h("button", { type: "button", disabled: filters.offset === 0, onclick: () => show({ ...filters, offset: Math.max(0, filters.offset - PAGE_SIZE) }) }, "Newer"),
      h("span", { class: "meta" }, `${filters.offset + 1}–${filters.offset + page.traces.length} of ${page.total}`),
      h("button", { type: "button", disabled: filters.offset + PAGE_SIZE >= page.total, onclick: () => show({ ...filters, offset: filters.offset + PAGE_SIZE }) }, "Older"));
    status(`updated ${new Date().toLocaleTimeString()}`);
  }

  function show(next) {
    // Each view its own history entry, so Back returns to the one before.
    filters = next;
    state.listPath = listPath(filters);
    if (state.listPath !== location.pathname + location.search) history.pushState({}, "", state.listPath);
    load().catch((e) => status(e.message));
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); show(formFilters(form)); });
  form.addEventListener("change", (event) => { if (event.target.matches("select, [type=checkbox]")) form.requestSubmit(); });
  await load();
  // New traces appear without a reload while the first page is shown.
  state.refresh = setInterval(() => { if (filters.offset === 0 && !document.hidden) load().catch((e) => status(e.message)); }, 5000);
}

async function emptyState(filters, page) {
  // Say why the list is empty, and offer the way out: one count of the traces before the window.
  const narrowed = filters.agent || filters.model || filters.q || filters.errors;
  const none = narrowed ? "No traces match" : "No traces";
  const where = windowText(filters);
  if (filters.offset) return [`${none} this far back. `, link(listPath({ ...filters, offset: 0 }), "First page")];
  if (filters.since === "all") return `${none}${where ? ` ${where}` : ""}.`;
  const before = { ...listParams({ ...filters, offset: 0 }), limit: 1, since: ALL_TIME, until: page.since || listParams(filters).since };
  const older = (await (await api(withProject("/agents/traces", before))).json()).total;
  if (!older && !narrowed && !filters.until) {
    return `No traces in project ${state.project || "default"} yet: send OpenTelemetry spans to tracechat's OTLP ports (4317 gRPC, 4318 HTTP by default), or start it with --demo.`;
  }
  if (!older) return `${none} ${where}, nor before.`;
  const count = `${fmtNum(older)} older trace${older === 1 ? "" : "s"}${narrowed ? (older === 1 ? " matches" : " match") : ""}`;
  return [`${none} ${where} — ${count}: `, link(listPath({ ...filters, since: "all", offset: 0 }), "show all time")];
}

function traceRow(trace) {
  const path = withTraceLink(trace.trace_id);
  return h("tr", { "data-trace-id": trace.trace_id },
    h("td", {}, fmtTime(trace.started_at)),
    h("td", {}, link(path, trace.root_span_name || trace.trace_id)),
    h("td", {}, trace.agents.join(", ")),
    h("td", {}, trace.models.join(", ")),
    h("td", { class: "num" }, fmtMs(trace.duration_ms)),
    h("td", { class: "num" }, fmtNum(trace.span_count)),
    h("td", { class: "num" }, `${fmtNum(trace.input_tokens)} / ${fmtNum(trace.output_tokens)}`),
    h("td", { class: "num cost" }, fmtCost(trace.cost)),
    h("td", {}, trace.has_error ? h("span", { class: "error-mark", title: "has errors" }, "error") : ""));
}

function withTraceLink(traceId) {
  return state.project ? `/traces/${traceId}?project=${encodeURIComponent(state.project)}` : `/traces/${traceId}`;
}

// -- one trajectory --------------------------------------------------------------------------

async function traceView(main, traceId) {
  const request = { project_id: state.project || "default", trace_id: traceId, include_feedback: true };
  const [trajectory, spans, summary] = await Promise.all([
    api("/agents/traces/chat", { method: "POST", json: request }).then((r) => r.json()),
    api(withProject(`/agents/traces/${traceId}/spans`)).then((r) => r.json()),
    traceSummary(traceId),
  ]);
  const spanById = new Map(spans.spans.map((s) => [s.span_id, s]));
  const details = h("pre", { id: "span-details", "aria-live": "polite" }, "Select a message or a span to see its raw attributes.");
  const select = (spanId) => {
    for (const node of document.querySelectorAll("[aria-selected]")) node.setAttribute("aria-selected", node.dataset.spanId === spanId);
    const span = spanById.get(spanId);
    details.textContent = span ? JSON.stringify({ name: span.name, kind: span.kind, status: span.status_message, attributes: span.attributes, events: span.events }, null, 2) : "";
  };
  const messages = h("section", { class: "messages", "aria-label": "Conversation" });
  renderInBatches(messages, trajectory.messages, (m) => messageNode(m, select));
  main.append(
    h("div", { class: "trace-head" },
      h("h1", {}, trajectory.root_span_name || traceId),
      h("div", { class: "meta" }, `trace ${traceId} · ${trajectory.provider || "provider unknown"} · ${fmtMs(trajectory.total_duration_ms)} · ${trajectory.messages.length} messages · `,
        summary?.input_tokens != null ? `${fmtNum(summary.input_tokens)} in / ${fmtNum(summary.output_tokens)} out tokens · ` : null,
        summary?.cost != null ? [h("span", { class: "cost" }, fmtCost(summary.cost)), " · "] : null,
        summary?.conversation_id ? [link(sessionPath(summary.conversation_id), `session ${summary.conversation_id}`, { class: "session-link" }), " · "] : null,
        link(state.listPath || (state.project ? `/?project=${encodeURIComponent(state.project)}` : "/"), "trace list"))),
    h("div", { class: "layout" },
      messages,
      h("aside", { class: "side" },
        h("section", { class: "panel" }, h("h2", {}, "Timeline"), waterfall(spans.spans, select)),
        h("section", { class: "panel" }, h("h2", {}, "Span"), details),
        h("section", { class: "panel" }, h("h2", {}, "Feedback"), feedbackPanel(trajectory, traceId)))));
}

async function traceSummary(traceId) {
  // The trace's totals (tokens, cost) as the list has them; the page does without if it fails.
  try {
    const page = await (await api(withProject("/agents/traces", { q: traceId, since: ALL_TIME, limit: 1 }))).json();
    return page.traces.find((t) => t.trace_id === traceId) || null;
  } catch (_) { return null; }
}

function renderInBatches(container, items, render, size = 200) {
  // Long trajectories stay smooth: the first batch at once, the rest between frames;
  // each message also skips layout while off screen (content-visibility in the CSS).
  let index = 0;
  const step = () => {
    const end = Math.min(items.length, index + size);
    for (; index < end; index++) container.append(render(items[index]));
    if (index < items.length) requestAnimationFrame(step);
  };
  step();
}

function messageNode(message, select) {
  const entry = message[message.type];
  const who = h("div", { class: "who" }, [LABELS[message.type], message.agent_name].filter(Boolean).join(" · "), " · ", new Date(message.started_at).toLocaleTimeString());
  const node = h("article", {
    class: `msg ${message.type}`, tabindex: 0, "data-span-id": message.span_id, "aria-selected": "false",
    onclick: () => select(message.span_id), onkeydown: (e) => { if (e.key === "Enter") select(message.span_id); },
  }, who, ...RENDER[message.type](entry), ...refs(entry.content_refs), ...feedbackOf(message.feedback));
  return node;
}

const LABELS = {
  agent_start: "agent start", user_message: "user", assistant_message: "assistant",
  tool_call: "tool", agent_handoff: "handoff", context_compacted: "context compacted",
};

const RENDER = {
  agent_start: (e) => [
    h("div", {}, e.model ? `model ${e.model}` : "model not recorded"),
    e.system_instructions ? h("details", {}, h("summary", {}, "Instructions"), h("div", { class: "text" }, e.system_instructions)) : null,
    e.tool_definitions ? h("details", {}, h("summary", {}, "Tool definitions"), h("pre", {}, pretty(e.tool_definitions))) : null,
  ],
  user_message: (e) => [h("div", { class: "text" }, e.text ?? "(not recorded)")],
  assistant_message: (e) => [
    h("div", { class: "meta" }, [e.model, e.input_tokens !== null ? `${fmtNum(e.input_tokens)} in / ${fmtNum(e.output_tokens)} out` : null,
      e.reasoning_tokens ? `${fmtNum(e.reasoning_tokens)} reasoning` : null, fmtMs(e.duration_ms)].filter(Boolean).join(" · ")),
    e.reasoning_content ? h("details", {}, h("summary", {}, "Reasoning"), h("div", { class: "text" }, e.reasoning_content)) : null,
    h("div", { class: "text" }, e.text ?? "(no text recorded)"),
  ],
  tool_call: (e) => [
    h("div", {}, h("strong", {}, e.tool_name || "tool"), h("span", { class: "meta" }, ` · ${fmtMs(e.duration_ms)}`)),
    h("details", { class: "tool-arguments" }, h("summary", {}, "Arguments"), h("pre", {}, pretty(e.tool_arguments) || "(not recorded)")),
    h("details", { class: "tool-result" }, h("summary", {}, "Result"), h("pre", {}, pretty(e.tool_result) || "(not recorded)")),
  ],
  agent_handoff: (e) => [h("div", {}, `${e.from_agent || "?"} → ${e.to_agent || "?"}`)],
  context_compacted: (e) => [
    h("div", {}, `${e.compaction_items_before ?? "?"} → ${e.compaction_items_after ?? "?"} items`),
    e.compaction_summary ? h("details", {}, h("summary", {}, "Summary"), h("div", { class: "text" }, e.compaction_summary)) : null,
  ],
};

const RASTER_IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

function refs(contentRefs) {
  return (contentRefs || []).map((ref) => {
    const holder = h("div", {});
    api(withProject(`/agents/traces/content/${ref}`)).then(async (response) => {
      const blob = await response.blob();
      const claimed = blob.type.split(";")[0].trim().toLowerCase();
      // A blob: URL runs in this page's origin: only raster images keep their type (an SVG or
      // HTML attachment could script); anything else becomes bytes the browser only downloads.
      const safe = RASTER_IMAGES.has(claimed) ? blob : new Blob([blob], { type: "application/octet-stream" });
      const url = URL.createObjectURL(safe);
      holder.append(RASTER_IMAGES.has(claimed) ? h("img", { class: "ref", src: url, alt: "attached image" })
        : h("a", { href: url, download: ref }, `content (${claimed || "file"}, ${blob.size} bytes)`));
    }).catch((error) => holder.append(h("span", { class: "meta" }, `content unavailable: ${error.message}`)));
    return holder;
  });
}

function feedbackOf(feedback) {
  if (!feedback || !feedback.length) return [];
  return [h("div", { class: "meta" }, feedback.map((f) => `${f.name}: ${f.score ?? f.label ?? f.value ?? ""}`).join(" · "))];
}

function waterfall(spans, select) {
  if (!spans.length) return h("p", {}, "No spans.");
  const start = Math.min(...spans.map((s) => s.start_ns));
  const end = Math.max(...spans.map((s) => s.end_ns));
  const total = Math.max(1, end - start);
  const depth = new Map();
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const level = (s, seen = 0) => (seen > 64 || !s.parent_span_id || !byId.has(s.parent_span_id) ? 0 : 1 + level(byId.get(s.parent_span_id), seen + 1));
  for (const s of spans) depth.set(s.span_id, level(s));
  return h("div", { class: "waterfall", role: "list" }, spans.map((s) => {
    const left = ((s.start_ns - start) / total) * 100;
    const width = Math.max(0.3, ((s.end_ns - s.start_ns) / total) * 100);
    return h("div", {
      class: "row", role: "listitem", tabindex: 0, "data-span-id": s.span_id, "aria-selected": "false",
      title: `${s.name} · ${fmtMs(Math.round((s.end_ns - s.start_ns) / 1e6))}`,
      onclick: () => select(s.span_id), onkeydown: (e) => { if (e.key === "Enter") select(s.span_id); },
    },
    h("span", { class: "label", style: `padding-left:${depth.get(s.span_id) * 10}px` }, s.name),
    h("span", { class: "track" }, h("span", { class: `bar ${s.status_code === 2 ? "error" : s.kind}`, style: `left:${left}%;width:${width}%` })));
  }));
}

function feedbackPanel(trajectory, traceId) {
  const list = h("ul", { class: "feedback-list" }, (trajectory.feedback || []).map((f) =>
    h("li", {}, `${f.name}: ${f.score ?? f.label ?? f.value ?? ""}${f.comment ? ` — ${f.comment}` : ""}${f.author ? ` (${f.author})` : ""}`)));
  const form = h("form", { class: "feedback-form", "aria-label": "Add feedback" },
    h("input", { name: "name", placeholder: "name (e.g. helpful)", required: true, size: 12 }),
    h("input", { name: "label", placeholder: "label", size: 8 }),
    h("input", { name: "score", type: "number", step: "any", placeholder: "score", size: 6 }),
    h("input", { name: "comment", placeholder: "comment", size: 16 }),
    h("button", { type: "submit" }, "Add"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { project_id: state.project || "default", trace_id: traceId, name: data.get("name") };
    if (data.get("label")) body.label = data.get("label");
    if (data.get("score")) body.score = Number(data.get("score"));
    if (data.get("comment")) body.comment = data.get("comment");
    try {
      const created = await (await api("/agents/traces/feedback", { method: "POST", json: body })).json();
      list.append(h("li", {}, `${created.name}: ${created.score ?? created.label ?? ""}${created.comment ? ` — ${created.comment}` : ""}`));
      form.reset();
      status("feedback added");
    } catch (error) { status(error.message); }
  });
  return h("div", {}, list, form);
}

// -- chat with the trace analyst -------------------------------------------------------------

const TRACE_ID = /\b([0-9a-f]{32})\b/g;

function linked(text) {
  // Trace ids become links to their trajectories.
  const nodes = [];
  let last = 0;
  for (const match of String(text).matchAll(TRACE_ID)) {
    nodes.push(text.slice(last, match.index), link(withTraceLink(match[1]), match[1]));
    last = match.index + match[1].length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

function inline(text) {
  // The Markdown answers use: **bold** and `code`. Built as nodes, never as HTML.
  return String(text).split(/(\*\*[^*]+\*\*|`[^`]+`)/).map((piece) => {
    if (piece.startsWith("**") && piece.endsWith("**") && piece.length > 4) return h("strong", {}, inline(piece.slice(2, -2)));
    if (piece.startsWith("`") && piece.endsWith("`") && piece.length > 2) return h("code", {}, linked(piece.slice(1, -1)));
    return linked(piece);
  });
}

function linkedText(text) {
  const node = h("div", { class: "text markdown" });
  let list = null;
  for (const line of String(text).split("\n")) {
    if (line.startsWith("- ")) {
      if (!list) node.append((list = h("ul")));
      list.append(h("li", {}, inline(line.slice(2))));
    } else {
      list = null;
      node.append(h("p", {}, inline(line)));
    }
  }
  return node;
}

async function chatView(main, chatId) {
  const chats = h("nav", { class: "chat-list", "aria-label": "Chats" });
  const thread = h("section", { class: "messages", "aria-label": "Messages", "aria-live": "polite" });
  const input = h("textarea", { name: "message", rows: 2, placeholder: "Ask about your traces, e.g. Which agent spends the most tokens?", required: true });
  const model = h("select", { name: "model", "aria-label": "Model", hidden: true });
  const form = h("form", { class: "chat-form", "aria-label": "Ask the trace analyst" }, input, model, h("button", { type: "submit" }, "Send"));
  main.append(h("div", { class: "chat-layout" },
    h("aside", { class: "panel" }, h("h2", {}, "Chats"), h("button", { type: "button", onclick: () => navigate("/chat") }, "New chat"), chats),
    h("div", {}, thread, form)));

  async function loadChats() {
    const list = await (await api(withProject("/api/v1/chats", { limit: 100 }))).json();
    chats.replaceChildren(...list.chats.map((c) => link(`/chat/${c.id}`, c.title, { title: c.title, "aria-current": c.id === chatId ? "page" : null })));
  }
  if (chatId) {
    const chat = await (await api(withProject(`/api/v1/chats/${chatId}`))).json();
    for (const message of chat.messages) if (message.role !== "system") thread.append(chatMessage(message));
  }
  await loadChats();
  await loadModels(model);
  input.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); } });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question) return;
    input.value = "";
    thread.append(chatMessage({ role: "user", content: question }));
    const answer = h("article", { class: "msg assistant_message streaming" }, h("div", { class: "who" }, "assistant"));
    thread.append(answer);
    try {
      const started = await streamAnswer(question, chatId, model.value, answer);
      if (!chatId && started.chatId) { chatId = started.chatId; history.replaceState({}, "", `/chat/${chatId}`); }
      await loadChats();
    } catch (error) {
      answer.append(h("p", { class: "error-mark", role: "alert" }, error.message));
    } finally {
      answer.classList.remove("streaming");
    }
  });
  input.focus();
}

function chatMessage(message) {
  if (message.role === "tool") {
    return h("article", { class: "msg tool_call" }, h("div", { class: "who" }, "tool result"),
      h("details", {}, h("summary", {}, "Result"), h("pre", {}, pretty(message.content))));
  }
  const user = message.role === "user";
  const node = h("article", { class: `msg ${user ? "user_message" : "assistant_message"}` },
    h("div", { class: "who" }, message.role));
  // What a person typed shows as typed (only trace ids become links); answers are Markdown.
  if (message.content) node.append(user ? h("div", { class: "text" }, linked(message.content)) : linkedText(message.content));
  for (const call of message.tool_calls || []) {
    node.append(h("details", { class: "tool-call" }, h("summary", {}, `tool ${call.function.name}`), h("pre", {}, pretty(call.function.arguments))));
  }
  return node;
}

async function loadModels(select) {
  // The built-in analyst comes first; a choice appears only when the server has more models.
  const { models } = await (await api("/api/v1/models")).json();
  select.replaceChildren(...models.map((m) => h("option", { value: m.id, title: m.description }, `${m.id} (${m.provider})`)));
  select.hidden = models.length < 2;
}

async function streamAnswer(question, chatId, model, into) {
  // The AI SDK UI message stream: one JSON chunk per SSE event.
  const body = { messages: [{ role: "user", content: question }] };
  if (chatId) body.chat_id = chatId;
  if (model) body.model = model;
  const response = await api(withProject("/api/v1/chat", { stream: "true" }), { method: "POST", json: body });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const started = {};
  let buffer = "", reasoning = null, text = null, textContent = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, cut).replace(/^data: /, "");
      buffer = buffer.slice(cut + 2);
      if (event === "[DONE]") continue;
      const chunk = JSON.parse(event);
      if (chunk.type === "start") Object.assign(started, chunk.messageMetadata || {});
      else if (chunk.type === "reasoning-start") { reasoning = h("div", { class: "text" }); into.append(h("details", { class: "reasoning" }, h("summary", {}, "Reasoning"), reasoning)); }
      else if (chunk.type === "reasoning-delta") reasoning.append(chunk.delta);
      else if (chunk.type === "tool-input-available") into.append(h("details", { class: "tool-call" }, h("summary", {}, `tool ${chunk.toolName}`), h("pre", {}, JSON.stringify(chunk.input, null, 2))));
      else if (chunk.type === "tool-output-available") into.append(h("details", { class: "tool-output" }, h("summary", {}, "tool result"), h("pre", {}, JSON.stringify(chunk.output, null, 2))));
      else if (chunk.type === "text-start") { text = h("div", { class: "text answer" }); textContent = ""; into.append(text); }
      else if (chunk.type === "text-delta") { textContent += chunk.delta; text.textContent = textContent; }
      else if (chunk.type === "text-end") text.replaceWith(Object.assign(linkedText(textContent), { className: "text answer" }));
      else if (chunk.type === "finish") {
        const { usage, traceId, traceProject } = chunk.messageMetadata || {};
        into.append(h("div", { class: "meta usage" },
          usage ? [`${usage.model} · ${fmtNum(usage.input_tokens)} in / ${fmtNum(usage.output_tokens)} out tokens · `, h("span", { class: "cost" }, fmtCost(usage.cost)), " · "] : null,
          link(`/traces/${traceId}?project=${encodeURIComponent(traceProject)}`, "this turn's trace")));
      } else if (chunk.type === "error") into.append(h("p", { class: "error-mark", role: "alert" }, chunk.errorText));
    }
  }
  return started;
}

// -- start -----------------------------------------------------------------------------------

function setupAccess() {
  const form = document.getElementById("access");
  form.project.value = state.project;
  form.key.value = state.key;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.project = form.project.value.trim();
    state.key = form.key.value.trim();
    localStorage.setItem("tracechat.project", state.project);
    localStorage.setItem("tracechat.key", state.key);
    route();
  });
  const saved = localStorage.getItem("tracechat.theme");
  if (saved) document.documentElement.dataset.theme = saved;
  document.getElementById("theme").addEventListener("click", () => {
    const dark = getComputedStyle(document.documentElement).colorScheme === "dark";
    document.documentElement.dataset.theme = dark ? "light" : "dark";
    localStorage.setItem("tracechat.theme", document.documentElement.dataset.theme);
  });
}

window.addEventListener("popstate", route);
setupAccess();
route();

export { ALL_TIME, HOURS, PAGE_SIZE, WINDOWS, api, fmtCost, fmtMs, fmtNum, fmtTime, h, link, messageNode, state, status, withProject, withTraceLink };
