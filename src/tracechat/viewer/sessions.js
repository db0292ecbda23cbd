// tracechat viewer: the session list and a session's page (every trace of one conversation
// read as one). The helpers are app.js's; every piece of trace content is set as text.

import { ALL_TIME, HOURS, PAGE_SIZE, WINDOWS, api, fmtCost, fmtMs, fmtNum, fmtTime, h, link, messageNode, state, status, withProject, withTraceLink } from "./app.js";

// -- the list: /sessions?since=30d&agent=X&offset=50 ----------------------------------------

function readFilters(search) {
  const query = new URLSearchParams(search);
  const since = query.get("since") || "";
  return {
    since: since === "7d" ? "" : since, until: query.get("until") || "", agent: query.get("agent") || "",
    offset: Math.max(0, Number.parseInt(query.get("offset"), 10) || 0),
  };
}

export function sessionListPath(filters = {}) {
  const query = new URLSearchParams();
  if (state.project) query.set("project", state.project);
  for (const name of ["since", "until", "agent"]) if (filters[name]) query.set(name, filters[name]);
  if (filters.offset) query.set("offset", filters.offset);
  const text = query.toString();
  return text ? `/sessions?${text}` : "/sessions";
}

export function sessionPath(sessionId) {
  const path = `/sessions/${encodeURIComponent(sessionId)}`;
  return state.project ? `${path}?project=${encodeURIComponent(state.project)}` : path;
}

function listParams(filters) {
  const hours = HOURS[filters.since];
  const since = filters.since === "all" ? ALL_TIME : hours ? new Date(Date.now() - hours * 3600e3).toISOString() : filters.since;
  return { limit: PAGE_SIZE, offset: filters.offset, since, until: filters.until, agent_name: filters.agent };
}

function filterForm(filters) {
  const windows = WINDOWS.map(([value, label]) => h("option", { value, selected: value === filters.since }, value ? label : `${label} (default)`));
  if (!WINDOWS.some(([value]) => value === filters.since)) windows.push(h("option", { value: filters.since, selected: true }, `since ${fmtTime(filters.since)}`));
  return h("form", { class: "filters", "aria-label": "Filter sessions" },
    h("label", {}, "Active ", h("select", { name: "since" }, windows)),
    filters.until ? h("input", { type: "hidden", name: "until", value: filters.until }) : null,
    h("label", {}, "Agent ", h("input", { name: "agent", size: 12, value: filters.agent })),
    h("button", { type: "submit" }, "Apply"));
}

function formFilters(form) {
  const data = new FormData(form);
  return { since: data.get("since"), until: data.get("until") || "", agent: data.get("agent").trim(), offset: 0 };
}

function sessionRow(session) {
  return h("tr", { "data-session-id": session.session_id },
    h("td", {}, fmtTime(session.last_at)),
    h("td", {}, link(sessionPath(session.session_id), session.session_id)),
    h("td", { class: "num" }, fmtNum(session.turns)),
    h("td", {}, session.agents.join(", ")),
    h("td", {}, session.models.join(", ")),
    h("td", { class: "num" }, `${fmtNum(session.input_tokens)} / ${fmtNum(session.output_tokens)}`),
    h("td", { class: "num cost" }, fmtCost(session.cost)),
    h("td", {}, session.has_error ? h("span", { class: "error-mark", title: "has errors" }, "error") : ""));
}

export async function sessionListView(main) {
  let filters = readFilters(location.search);
  history.replaceState({}, "", sessionListPath(filters));
  const form = filterForm(filters);
  const body = h("tbody");
  const table = h("table", { class: "traces sessions" },
    h("thead", {}, h("tr", {},
      ...["Last active", "Session", "Turns", "Agents", "Models", "Tokens in / out", "Cost", ""].map((t, i) =>
        h("th", { scope: "col", class: i === 2 || i === 5 || i === 6 ? "num" : null }, t)))),
    body);
  const pager = h("div", { class: "pager" });
  main.append(h("h1", { class: "visually-hidden" }, "Sessions"), form, table, pager);
  let asked = 0;

  async function load() {
    const mine = ++asked;
    const page = await (await api(withProject("/agents/sessions", listParams(filters)))).json();
    if (mine !== asked) return;
    body.replaceChildren(...page.sessions.map(sessionRow));
    if (!page.sessions.length) {
      const where = filters.since === "all" ? "" : " in this window";
      body.append(h("tr", {}, h("td", { colspan: 8, class: "empty" },
        `No sessions${filters.agent ? " match" : ""}${where}: traces join a session when they carry a conversation id (gen_ai.conversation.id, session.id). `,
        filters.since === "all" ? null : link(sessionListPath({ ...filters, since: "all", offset: 0 }), "show all time"))));
    }
    pager.hidden = !page.sessions.length;
    pager.replaceChildren(
      h("button", { type: "button", disabled: filters.offset === 0, onclick: () => show({ ...filters, offset: Math.max(0, filters.offset - PAGE_SIZE) }) }, "Newer"),
      h("span", { class: "meta" }, `${filters.offset + 1}–${filters.offset + page.sessions.length} of ${page.total}`),
      h("button", { type: "button", disabled: filters.offset + PAGE_SIZE >= page.total, onclick: () => show({ ...filters, offset: filters.offset + PAGE_SIZE }) }, "Older"));
    status(`updated ${new Date().toLocaleTimeString()}`);
  }

  function show(next) {
    filters = next;
    const path = sessionListPath(filters);
    if (path !== location.pathname + location.search) history.pushState({}, "", path);
    load().catch((e) => status(e.message));
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); show(formFilters(form)); });
  form.addEventListener("change", (event) => { if (event.target.matches("select")) form.requestSubmit(); });
  await load();
  state.refresh = setInterval(() => { if (filters.offset === 0 && !document.hidden) load().catch((e) => status(e.message)); }, 5000);
}

// -- one session: /sessions/<id> --------------------------------------------------------------

export async function sessionView(main, sessionId) {
  const request = { project_id: state.project || "default", session_id: sessionId, include_feedback: true };
  const session = await (await api("/agents/sessions/chat", { method: "POST", json: request })).json();
  const turns = new Map(session.traces.map((trace, index) => [trace.trace_id, { ...trace, number: index + 1 }]));
  const messages = h("section", { class: "messages", "aria-label": "Conversation" });
  let current = null;
  for (const message of session.messages) {
    if (message.trace_id !== current) {
      current = message.trace_id;
      const turn = turns.get(current);
      messages.append(h("div", { class: "turn", "data-trace-id": current },
        h("span", {}, `Turn ${turn.number}`),
        " · ", link(withTraceLink(current), turn.root_span_name || current, { title: `trace ${current}` }),
        h("span", { class: "meta" }, ` · ${fmtTime(turn.started_at)} · ${fmtMs(turn.total_duration_ms)}`)));
    }
    messages.append(messageNode(message, () => {}));
  }
  const summary = session.summary;
  main.append(
    h("div", { class: "trace-head" },
      h("h1", {}, `Session ${sessionId}`),
      h("div", { class: "meta" }, `${session.traces.length} turns · ${session.messages.length} messages · `,
        summary?.input_tokens != null ? `${fmtNum(summary.input_tokens)} in / ${fmtNum(summary.output_tokens)} out tokens · ` : null,
        summary?.cost != null ? [h("span", { class: "cost" }, fmtCost(summary.cost)), " · "] : null,
        link(sessionListPath(), "session list"))),
    messages);
}
