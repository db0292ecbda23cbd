"""A small scripted OpenAI-compatible model server for capturing real instrumentation output.

Stdlib only. Listens on 127.0.0.1 (ephemeral port unless --port is given), prints
``PORT <n>`` on its first stdout line, and answers:

* ``POST /v1/chat/completions``  (non-streaming, and ``stream: true`` SSE with
  ``data: ...`` chunks, streamed tool_calls, ``stream_options.include_usage`` and
  ``data: [DONE]``)
* ``POST /v1/responses``         (the Responses API, non-streaming and streaming SSE events)
* ``POST /v1/messages``          (the Anthropic Messages API: ``text`` / ``tool_use`` blocks,
  ``tool_result`` blocks read back; JSON, and ``stream: true`` SSE events)
* ``GET  /v1/models``            (a tiny list, for clients that probe it)

Replies are deterministic and decided from the request alone (see ``decide``):

* the last input is a tool result of ``get_weather``  -> final text answer built from it, or,
  when a ``final_answer`` tool is offered (smolagents' ToolCallingAgent), a call of
  ``final_answer`` with that text as its ``answer`` argument; with ``final_answer`` offered,
  a user message ``Observation:\n<result>`` (how smolagents sends a tool result back) is
  read as the tool result of the tool named in the ``Calling tools:`` message before it
* a ``transfer_to_<agent>`` tool is offered and no handoff happened yet -> call it
* a ``handoff_to_agent`` tool is offered (a Strands Swarm), the pending user message lists
  ``Agent name: <name>.`` and has no ``Handoff Message:`` line yet -> call
  ``handoff_to_agent({"agent_name": "<name>", "message": ...})``; after its result -> a short
  text saying so
* a ``handoff`` tool is offered (LlamaIndex's AgentWorkflow) whose description lists
  ``Currently available agents: {'<name>': ...}`` and no handoff happened yet -> call it
  with ``{"to_agent": "<name>", "reason": ...}``
* a ``delegate_work_to_coworker`` tool is offered (CrewAI's delegation), no delegation
  happened yet and the pending question is about the weather -> call it with the first
  coworker its description lists (``...coworkers: <name>``); after its result -> that result
  as the answer
* the last input is a ``get_weather`` result that reports an error (``error`` in it, no
  ``temperature_c``) -> call ``get_weather`` again with the same city
* no ``get_weather`` is offered but a tool taking a ``task`` or ``prompt`` (another agent used
  as a tool: an Agent Framework agent's ``as_tool()``, Agno's ``delegate_task_to_member``, a
  Mastra sub-agent) is, and the
  pending question is about the weather -> call it with ``{"task": "Find the current weather
  in <City>."}`` (and ``member_id``: the first ``<member id="...">`` of the instructions, when
  it takes one; ``targetAgents``: the first ``- <name>:`` of a VoltAgent supervisor's
  ``<specialized_agents>``, when it takes that); after its result -> that result as the answer
  (through ``final_answer`` when that is offered; the ``response``s of VoltAgent's
  ``[{"agentName", "response", ...}]`` and of Genkit's ``{"response"}``)
* a ``get_weather`` tool is offered and the pending user question names a city or the
  weather -> call ``get_weather`` with ``{"city": "<City>"}``
* otherwise -> a short text answer

A request that offers no ``tools`` but whose messages describe tools in the ReAct text format
(``Action:`` / ``Action Input:`` instructions naming ``get_weather``, as LlamaIndex's ReActAgent
and CrewAI write them) is answered in that format (``react_reply``): ``Thought: ...\nAction:
get_weather\nAction Input: {"city": "Paris"}`` for the question, and after an
``Observation: <result>`` (in the last message, whatever its role) ``Thought: ...\nAnswer: ...``
(``Final Answer:`` when the prompt asks for that).

A request in DSPy's field format (a system prompt naming output fields ``[[ ## name ## ]]``)
is answered in it (``dspy_reply``): a ReAct step (``next_thought``, ``next_tool_name``,
``next_tool_args``) calls ``get_weather`` for the question and ``finish`` once the trajectory
holds an observation; the extract step (``reasoning``, ``answer``) answers from that
observation.
A Responses request with ``context_management=[{"type": "compaction", "compact_threshold": N}]``
whose context after its last ``compaction`` input item has reached N tokens gets a
``compaction`` output item (``encrypted_content``) first, as OpenAI's server-side compaction.

A model name containing ``reason`` (e.g. ``deepseek-reasoner``) or a Responses request with
a ``reasoning`` parameter makes the reply carry reasoning: ``message.reasoning_content``
plus ``usage.completion_tokens_details.reasoning_tokens`` for chat completions (as
DeepSeek / vLLM do), a ``reasoning`` output item with a summary plus
``usage.output_tokens_details.reasoning_tokens`` for the Responses API.

Every request is appended as one JSON line to ``--log FILE`` if given (for debugging).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from http_body import read_body, serve  # a sibling: these run as scripts

CITIES = ("Paris", "London", "Tokyo", "Berlin", "Madrid", "Rome", "New York")
WEATHER_WORDS = ("weather", "temperature", "forecast", "raining", "sunny")
# Fixed so that runs are reproducible (real timestamps live in the spans anyway).
CREATED = 1767225600  # 2026-01-01T00:00:00Z


class Counter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._n = 0

    def next(self) -> int:
        with self._lock:
            self._n += 1
            return self._n


COUNTER = Counter()


def ntokens(value: Any) -> int:
    """A deterministic, roughly realistic token estimate (~4 chars a token)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return max(1, (len(text) + 3) // 4)


def short_hash(*parts: str, n: int = 24) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:n]


def find_city(text: str) -> str | None:
    for city in CITIES:
        if city.lower() in text.lower():
            return city
    return None


def is_weather_question(text: str) -> bool:
    low = text.lower()
    return find_city(text) is not None or any(w in low for w in WEATHER_WORDS)


def weather_answer(tool_output: str, city_hint: str | None) -> str:
    try:
        data = json.loads(tool_output)
    except (TypeError, ValueError):
        data = None
    if isinstance(data, dict) and set(data) == {"result"} and isinstance(data["result"], str):
        with contextlib.suppress(ValueError):  # Google ADK sends a return value as {"result": <value>}
            data = json.loads(data["result"])
    if isinstance(data, dict) and "temperature_c" in data:
        city = data.get("city") or city_hint or "the city"
        return (
            f"It is currently {data.get('condition', 'clear')} in {city}, "
            f"{data['temperature_c']} °C with {data.get('humidity', 50)}% humidity."
        )
    return f"Here is what I found: {tool_output}"


REASONING_TEXT = (
    "The user asks about the weather in {city}. The tool reported the current "
    "conditions, so I can answer directly with the temperature and the sky."
)
REASONING_TEXT_NO_TOOL = (
    "The user asks a simple question. I should think it through step by step and give a short, direct answer."
)


# ---------------------------------------------------------------------------------------
# Decision logic, shared by both APIs. A "turn" is a normalized view of the request.
# ---------------------------------------------------------------------------------------


class Turn:
    """What the model sees: offered tool names, last user text, last tool result."""

    def __init__(self) -> None:
        self.tools: list[str] = []
        self.last_kind: str = "user"  # "user" | "tool"
        self.last_user_text: str = ""
        self.last_tool_name: str | None = None
        self.last_tool_output: str = ""
        self.handoff_done: bool = False
        self.instructions: str = ""
        self.descriptions: dict[str, str] = {}
        self.params: dict[str, list[str]] = {}  # offered tool -> its parameter names
        self.trailing_outputs: list[tuple[str, str]] = []  # (tool name, output) of the last results in a row


def find_cities(text: str) -> list[str]:
    """Every city the text names, in the order it names them."""
    low = text.lower()
    found = [(low.find(city.lower()), city) for city in CITIES if city.lower() in low]
    return [city for _, city in sorted(found)]


def decide(turn: Turn, reasoning: bool) -> dict[str, Any]:
    """Return {'text': str|None, 'tool': (name, args_json)|None, 'reasoning': str|None}, plus
    'tools': [(name, args_json), ...] when the model asks for several tools at once. A tool
    offered under a plugin-qualified name (``WeatherPlugin-get_weather``, as Semantic Kernel
    names a plugin's function) is ``get_weather``, called by that name."""
    qualified = next((t for t in turn.tools if t.endswith("-get_weather")), None)
    if qualified is None:
        return _decide(turn, reasoning)

    def plain(name: str | None) -> str | None:
        return "get_weather" if name == qualified else name

    turn.tools = [plain(t) or t for t in turn.tools]
    turn.last_tool_name = plain(turn.last_tool_name)
    turn.trailing_outputs = [(plain(n) or n, o) for n, o in turn.trailing_outputs]
    out = _decide(turn, reasoning)
    if out["tool"] and out["tool"][0] == "get_weather":
        out["tool"] = (qualified, out["tool"][1])
    if out.get("tools"):
        out["tools"] = [(qualified if n == "get_weather" else n, a) for n, a in out["tools"]]
    return out


def _decide(turn: Turn, reasoning: bool) -> dict[str, Any]:
    city = find_city(turn.last_user_text)
    out: dict[str, Any] = {"text": None, "tool": None, "reasoning": None}
    cities = find_cities(turn.last_user_text)
    weather_results = [o for name, o in turn.trailing_outputs if name == "get_weather"]
    if len(cities) >= 2 and turn.last_kind == "tool" and len(weather_results) >= 2:
        # parallel calls answered: one sentence per city, in the order the results came
        out["text"] = " ".join(weather_answer(o, None) for o in weather_results)
        return out
    if len(cities) >= 2 and turn.last_kind == "user" and "get_weather" in turn.tools and not turn.tools[1:]:
        # a question naming several cities: one get_weather call per city, in one response
        out["tools"] = [("get_weather", json.dumps({"city": c})) for c in cities]
        out["tool"] = out["tools"][0]
        return out
    transfer = [t for t in turn.tools if t.startswith("transfer_to_")]
    pending_question = turn.last_kind == "user" or (
        turn.last_kind == "tool"
        and ((turn.last_tool_name or "").startswith("transfer_to_") or turn.last_tool_name == HANDOFF)
    )
    if turn.last_kind == "tool" and turn.last_tool_name == "get_weather" and "final_answer" in turn.tools:
        # smolagents' final_answer takes {"answer"}, BeeAI's RequirementAgent's {"response"}
        key = "response" if turn.params.get("final_answer") == ["response"] else "answer"
        out["tool"] = ("final_answer", json.dumps({key: weather_answer(turn.last_tool_output, city)}))
    elif (
        turn.last_kind == "tool"
        and turn.last_tool_name == "get_weather"
        and "error" in turn.last_tool_output.lower()
        and "temperature_c" not in turn.last_tool_output
    ):
        out["tool"] = ("get_weather", json.dumps({"city": city or "Paris"}))  # the tool failed: try once more
    elif turn.last_kind == "tool" and turn.last_tool_name == "get_weather":
        out["text"] = weather_answer(turn.last_tool_output, city)
        if reasoning:
            out["reasoning"] = REASONING_TEXT.format(city=city or "the city")
    elif turn.last_kind == "tool" and turn.last_tool_name == DELEGATE:
        out["text"] = turn.last_tool_output
    elif (
        pending_question
        and DELEGATE in turn.tools
        and not turn.handoff_done
        and is_weather_question(turn.last_user_text)
        and (coworker := COWORKERS.search(turn.descriptions.get(DELEGATE, "")))
    ):
        task = f"Find the current weather in {city or 'Paris'}."
        context = f"A traveller asks: {turn.last_user_text.strip()}"
        args = {"task": task, "context": context, "coworker": coworker["name"]}
        out["tool"] = (DELEGATE, json.dumps(args))
    elif turn.last_kind == "tool" and turn.last_tool_name == "handoff_to_agent":
        out["text"] = "I have handed your question over to the agent that can answer it."
    elif pending_question and transfer and not turn.handoff_done:
        out["tool"] = (transfer[0], "{}")
    elif (
        pending_question
        and HANDOFF in turn.tools
        and not turn.handoff_done
        and (target := HANDOFF_AGENTS.search(turn.descriptions.get(HANDOFF, "")))
    ):
        out["tool"] = (HANDOFF, json.dumps({"to_agent": target["name"], "reason": "The user asks about the weather."}))
    elif pending_question and "handoff_to_agent" in turn.tools and (target := swarm_handoff_target(turn)):
        message = f"The user asks about the weather in {city}." if city else "Please answer the user's question."
        out["tool"] = ("handoff_to_agent", json.dumps({"agent_name": target, "message": message}))
    elif turn.last_kind == "tool" and turn.last_tool_name in agent_tools(turn) and "final_answer" in turn.tools:
        key = "response" if turn.params.get("final_answer") == ["response"] else "answer"
        out["tool"] = ("final_answer", json.dumps({key: turn.last_tool_output}))
    elif turn.last_kind == "tool" and turn.last_tool_name in agent_tools(turn):
        out["text"] = agents_answer(turn.last_tool_output)
    elif (
        pending_question
        and "get_weather" not in turn.tools
        and (agents := agent_tools(turn))
        and is_weather_question(turn.last_user_text)
    ):
        asked = next(k for k in AGENT_TASK_KEYS if k in turn.params[agents[0]])
        args = {asked: f"Find the current weather in {city or 'Paris'}."}
        if "member_id" in turn.params[agents[0]] and (member := TEAM_MEMBER.search(turn.instructions)):
            args = {"member_id": member["id"], **args}
        if "targetAgents" in turn.params[agents[0]] and (member := SPECIALIZED_AGENT.search(turn.instructions)):
            args = {**args, "targetAgents": [member["name"].strip()]}
        out["tool"] = (agents[0], json.dumps(args))
    elif pending_question and "get_weather" in turn.tools and is_weather_question(turn.last_user_text):
        out["tool"] = ("get_weather", json.dumps({"city": city or "Paris"}))
        if reasoning:
            out["reasoning"] = (
                f"The user wants the weather in {city or 'Paris'}. I should call the get_weather tool first."
            )
    else:
        if is_weather_question(turn.last_user_text):
            out["text"] = f"I cannot look up live weather for {city or 'that place'} without a tool."
        else:
            out["text"] = "Hello! I am a scripted test model. Ask me about the weather."
        if reasoning:
            out["reasoning"] = REASONING_TEXT_NO_TOOL
    return out


HANDOFF = "handoff"
HANDOFF_AGENTS = re.compile(r"available agents:\s*\{'(?P<name>[^']+)'")
DELEGATE = "delegate_work_to_coworker"
COWORKERS = re.compile(r"coworkers: (?P<name>[^,\n]+)")
SWARM_AGENT = re.compile(r"^Agent name: (?P<name>[^.\s]+)\.", re.M)
SWARM_HANDED_OVER = re.compile(r"^Handoff Message:", re.M)


TEAM_MEMBER = re.compile(r'<member id="(?P<id>[^"]+)"')
SPECIALIZED_AGENT = re.compile(r"<specialized_agents>\s*- (?P<name>[^:\n]+):")
"""A VoltAgent supervisor's instructions list its sub-agents as ``- <name>: <purpose>`` lines."""


def agents_answer(output: str) -> str:
    """What an agent used as a tool answered: its output, or, when that is JSON of the
    ``{"agentName", "response", ...}`` results VoltAgent's ``delegate_task`` returns (a list)
    or of Genkit's ``delegate_to_<agent>`` (``{"response"}``), their responses."""
    with contextlib.suppress(ValueError):
        results = json.loads(output)
        results = [results] if isinstance(results, dict) else results
        if isinstance(results, list) and results and all(isinstance(r, dict) and "response" in r for r in results):
            return " ".join(str(r["response"]) for r in results)
    return output


def agent_tools(turn: Turn) -> list[str]:
    """Offered tools that hand a ``task`` to another agent and return its answer: an Agent
    Framework agent's ``as_tool()`` (``{"task"}``), Agno's team tool ``delegate_task_to_member``
    (``{"member_id", "task"}``, the member ids listed as ``<member id="...">`` in the team's
    instructions), BeeAI's ``HandoffTool`` (``{"task"}``), a Mastra sub-agent's tool
    ``agent-<name>`` (``{"prompt"}``), an AG2 agent's ``as_tool()`` (``{"objective", "context"}``).
    CrewAI's delegation tool has its own rule above."""
    return [t for t in turn.tools if t != DELEGATE and set(AGENT_TASK_KEYS) & set(turn.params.get(t, []))]


AGENT_TASK_KEYS = ("task", "prompt", "objective")
"""The parameter an agent used as a tool takes its task in, in this order of preference."""


def swarm_handoff_target(turn: Turn) -> str | None:
    """A Strands Swarm node's input (``Context:\n...``) lists the other agents
    (``Agent name: X.``) and has a ``Handoff Message:`` line once a handoff brought it there:
    hand off only before that."""
    if turn.handoff_done or SWARM_HANDED_OVER.search(turn.last_user_text):
        return None
    match = SWARM_AGENT.search(turn.last_user_text)
    return match.group("name") if match else None


def text_of(content: Any) -> str:
    """Flatten OpenAI message content (str or list of parts) into text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for p in content:
            if isinstance(p, dict):
                parts.append(str(p.get("text") or p.get("content") or ""))
            else:
                parts.append(str(p))
        return "".join(parts)
    return str(content)


def output_text(output: Any) -> str:
    """A ``function_call_output``'s output: a string, or a list of ``input_text`` parts (how
    the openai-agents SDK passes an MCP tool's content back), else its JSON."""
    if isinstance(output, str):
        return output
    if isinstance(output, list) and output and all(isinstance(p, dict) and "text" in p for p in output):
        return text_of(output)
    return json.dumps(output)


def chunks_of(text: str, n: int = 3) -> list[str]:
    """Split text into n roughly equal pieces on spaces (deterministic)."""
    words = re.split(r"(?<= )", text)
    if len(words) <= n:
        return [w for w in words if w]
    size = (len(words) + n - 1) // n
    return ["".join(words[i : i + size]) for i in range(0, len(words), size)]


# ---------------------------------------------------------------------------------------
# Chat Completions
# ---------------------------------------------------------------------------------------


def chat_turn(body: dict[str, Any]) -> Turn:
    turn = Turn()
    for t in body.get("tools") or []:
        fn = t.get("function") or {}
        if fn.get("name"):
            turn.tools.append(fn["name"])
            turn.descriptions[fn["name"]] = str(fn.get("description") or "")
            turn.params[fn["name"]] = list((fn.get("parameters") or {}).get("properties") or {})
    messages = body.get("messages") or []
    call_names: dict[str, str] = {}
    for m in messages:
        role = m.get("role")
        if role in ("system", "developer"):
            turn.instructions = text_of(m.get("content"))
        if role == "assistant":
            for tc in m.get("tool_calls") or []:
                name = (tc.get("function") or {}).get("name", "")
                call_names[tc.get("id", "")] = name
                if name.startswith("transfer_to_") or name in (DELEGATE, HANDOFF):
                    turn.handoff_done = True
        if role == "user" and not text_of(m.get("content")).startswith(REMINDER):
            turn.last_user_text = text_of(m.get("content"))
    if messages:
        last = messages[-1]
        if last.get("role") == "tool":
            turn.last_kind = "tool"
            turn.last_tool_name = call_names.get(last.get("tool_call_id", ""), "get_weather")
            turn.last_tool_output = text_of(last.get("content"))
        elif "final_answer" in turn.tools:
            read_observation(turn, messages)
        for m in reversed(messages):
            if m.get("role") != "tool":
                break
            name = call_names.get(m.get("tool_call_id", ""), "get_weather")
            turn.trailing_outputs.insert(0, (name, text_of(m.get("content"))))
    return turn


REMINDER = "<system-reminder>"
"""A user message starting so is a framework's runtime note after the question (AgentScope 2.x
injects the time and context use as one), not the question: the pending question stays the one
before it."""
OBSERVATION = re.compile(r"\A(?:Call id: \S+\n)?Observation:\n(?P<output>.*)\Z", re.S)
CALLED_TOOL = re.compile(r"""['"]name['"]\s*:\s*['"](?P<name>[\w-]+)['"]""")


def read_observation(turn: Turn, messages: list[dict[str, Any]]) -> None:
    """smolagents' ToolCallingAgent sends a tool call back as an assistant text
    ``Calling tools:\n[{'id': ..., 'function': {'name': ..., 'arguments': ...}}]`` and its
    result as a user text ``Observation:\n<result>``: read that as a tool result, and the
    user's question as the last user message before it."""
    match = OBSERVATION.match(text_of(messages[-1].get("content")) if messages[-1].get("role") == "user" else "")
    if match is None:
        return
    turn.last_kind = "tool"
    turn.last_tool_output = match.group("output")
    calls = [text_of(m.get("content")) for m in messages[:-1] if m.get("role") == "assistant"]
    names = CALLED_TOOL.findall(calls[-1]) if calls and calls[-1].startswith("Calling tools:") else []
    turn.last_tool_name = names[-1] if names else "get_weather"
    users = [text_of(m.get("content")) for m in messages[:-1] if m.get("role") == "user"]
    turn.last_user_text = next((u for u in reversed(users) if not OBSERVATION.match(u)), "")


REACT_TOOL = re.compile(r"(?:Tool Name: |one of \[)(?P<name>get_weather)\b")
REACT_OBSERVATION = re.compile(r"Observation:\s*(?P<output>.*)\Z", re.S)


def react_reply(body: dict[str, Any]) -> str | None:
    """The ReAct text reply for a request whose prompt describes tools as text, else None."""
    if body.get("tools"):
        return None
    messages = body.get("messages") or []
    prompt = "\n".join(text_of(m.get("content")) for m in messages if m.get("role") in ("system", "developer", "user"))
    if "Action Input" not in prompt or not REACT_TOOL.search(prompt):
        return None
    final = "Final Answer:" if "Final Answer:" in prompt else "Answer:"
    last = text_of(messages[-1].get("content")) if messages else ""
    observed = REACT_OBSERVATION.search(last)
    questions = [
        text_of(m.get("content"))
        for m in messages
        if m.get("role") == "user" and is_weather_question(text_of(m.get("content")))
    ]
    city = find_city(questions[-1]) if questions else None
    if observed is not None:
        answer = weather_answer(observed.group("output").strip(), city)
        return f"Thought: I can answer without using any more tools.\n{final} {answer}"
    if questions:
        args = json.dumps({"city": city or "Paris"})
        thought = "Thought: I need to use a tool to help me answer the question."
        return f"{thought}\nAction: get_weather\nAction Input: {args}"
    return None


DSPY_FIELD = re.compile(r"\[\[ ## (?P<name>\w+) ## \]\]")
DSPY_OBSERVATION = re.compile(r"\[\[ ## observation_\d+ ## \]\]\s*(?P<output>\{.*?\})", re.S)


def dspy_reply(body: dict[str, Any]) -> str | None:
    """The reply in DSPy's ChatAdapter format for a request that asks for DSPy fields."""
    messages = body.get("messages") or []
    system = "\n".join(text_of(m.get("content")) for m in messages if m.get("role") == "system")
    wanted = set(DSPY_FIELD.findall(system))
    if not wanted:
        return None
    user = text_of(messages[-1].get("content")) if messages else ""
    city = find_city(user) or "Paris"
    observed = DSPY_OBSERVATION.findall(user)
    fields: list[tuple[str, str]] = []
    if {"next_thought", "next_tool_name", "next_tool_args"} <= wanted:
        if observed:
            fields = [
                ("next_thought", "I have the current weather, so I can finish."),
                ("next_tool_name", "finish"),
                ("next_tool_args", "{}"),
            ]
        else:
            fields = [
                ("next_thought", f"I should look up the current weather in {city}."),
                ("next_tool_name", "get_weather"),
                ("next_tool_args", json.dumps({"city": city})),
            ]
    elif {"reasoning", "answer"} <= wanted:
        answer = weather_answer(observed[-1], city) if observed else f"I do not know the weather in {city}."
        fields = [("reasoning", "The get_weather tool reported the current conditions."), ("answer", answer)]
    else:
        return None
    return "\n\n".join(f"[[ ## {name} ## ]]\n{value}" for name, value in fields) + "\n\n[[ ## completed ## ]]"


def chat_usage(body: dict[str, Any], completion_text: str, reasoning: str | None) -> dict[str, Any]:
    prompt = ntokens(body.get("messages") or []) + ntokens(body.get("tools") or [])
    reasoning_tokens = ntokens(reasoning) if reasoning else 0
    completion = ntokens(completion_text) + reasoning_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def chat_completion(body: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return (full response, list of stream chunks without usage chunk)."""
    model = body.get("model") or "gpt-4o-mini"
    reasoning = "reason" in model.lower()
    turn = chat_turn(body)
    d = decide(turn, reasoning)
    react = react_reply(body) or dspy_reply(body)
    if react is not None:
        d = {"text": react, "tool": None, "reasoning": None}
    n = COUNTER.next()
    rid = f"chatcmpl-fake{n:04d}{short_hash(json.dumps(body, sort_keys=True), n=8)}"
    message: dict[str, Any] = {"role": "assistant", "content": d["text"], "refusal": None}
    finish = "stop"
    tool_calls = []
    for name, args in d.get("tools") or ([d["tool"]] if d["tool"] else []):
        call_id = f"call_{short_hash(rid, name, args)}"
        tool_calls.append({"id": call_id, "type": "function", "function": {"name": name, "arguments": args}})
    tool_call = tool_calls[0] if tool_calls else None
    if tool_calls:
        message["tool_calls"] = tool_calls
        finish = "tool_calls"
    if d["reasoning"]:
        message["reasoning_content"] = d["reasoning"]
    completion_text = (d["text"] or "") + "".join(json.dumps(tc) for tc in tool_calls)
    usage = chat_usage(body, completion_text, d["reasoning"])
    full = {
        "id": rid,
        "object": "chat.completion",
        "created": CREATED + n,
        "model": model,
        "system_fingerprint": "fp_fake0001",
        "service_tier": "default",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": usage,
    }

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            "id": rid,
            "object": "chat.completion.chunk",
            "created": CREATED + n,
            "model": model,
            "system_fingerprint": "fp_fake0001",
            "service_tier": "default",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }

    chunks = [chunk({"role": "assistant", "content": "" if not tool_call else None, "refusal": None})]
    if d["reasoning"]:
        for piece in chunks_of(d["reasoning"]):
            chunks.append(chunk({"reasoning_content": piece}))
    if d["text"]:
        for piece in chunks_of(d["text"]):
            chunks.append(chunk({"content": piece}))
    for index, tc in enumerate(tool_calls):
        fn = tc["function"]
        chunks.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": tc["id"],
                            "type": "function",
                            "function": {"name": fn["name"], "arguments": ""},
                        }
                    ]
                }
            )
        )
        args = fn["arguments"]
        half = len(args) // 2
        for piece in (args[:half], args[half:]):
            if piece:
                chunks.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
    chunks.append(chunk({}, finish))
    return full, chunks


# ---------------------------------------------------------------------------------------
# Responses API
# ---------------------------------------------------------------------------------------


def responses_turn(body: dict[str, Any]) -> Turn:
    turn = Turn()
    turn.instructions = text_of(body.get("instructions"))
    for t in body.get("tools") or []:
        name = t.get("name") or (t.get("function") or {}).get("name")
        if name:
            turn.tools.append(name)
    inp = body.get("input")
    items: list[dict[str, Any]] = (
        [{"type": "message", "role": "user", "content": inp}] if isinstance(inp, str) else list(inp or [])
    )
    call_names: dict[str, str] = {}
    for it in items:
        typ = it.get("type") or ("message" if "role" in it else None)
        if typ == "message" and it.get("role") == "user":
            turn.last_user_text = text_of(it.get("content"))
        if typ == "function_call":
            call_names[it.get("call_id", "")] = it.get("name", "")
            if str(it.get("name", "")).startswith("transfer_to_"):
                turn.handoff_done = True
    if items:
        last = items[-1]
        typ = last.get("type") or ("message" if "role" in last else None)
        if typ == "function_call_output":
            turn.last_kind = "tool"
            turn.last_tool_name = call_names.get(last.get("call_id", ""), "get_weather")
            turn.last_tool_output = output_text(last.get("output"))
        for it in reversed(items):
            if (it.get("type") or ("message" if "role" in it else None)) != "function_call_output":
                break
            name = call_names.get(it.get("call_id", ""), "get_weather")
            turn.trailing_outputs.insert(0, (name, output_text(it.get("output"))))
    return turn


def response_object(body: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return (completed response, output items)."""
    model = body.get("model") or "gpt-4o-mini"
    reasoning = "reason" in model.lower() or bool(body.get("reasoning"))
    turn = responses_turn(body)
    d = decide(turn, reasoning)
    n = COUNTER.next()
    h = short_hash(json.dumps(body, sort_keys=True), n=8)
    rid = f"resp_fake{n:04d}{h}"
    output: list[dict[str, Any]] = []
    if compacts(body):
        output.append(
            {
                "type": "compaction",
                "id": f"cmp_fake{n:04d}{h}",
                "encrypted_content": "gAAAAfake" + short_hash(rid, "compaction", n=32),
                "created_by": "server",
            }
        )
    if d["reasoning"]:
        output.append(
            {
                "type": "reasoning",
                "id": f"rs_fake{n:04d}{h}",
                "summary": [{"type": "summary_text", "text": d["reasoning"]}],
                "status": "completed",
            }
        )
    for index, (name, args) in enumerate(d.get("tools") or ([d["tool"]] if d["tool"] else [])):
        output.append(
            {
                "type": "function_call",
                "id": f"fc_fake{n:04d}{h}" + (f"_{index}" if index else ""),
                "call_id": f"call_{short_hash(rid, name, args)}",
                "name": name,
                "arguments": args,
                "status": "completed",
            }
        )
    if d["text"]:
        output.append(
            {
                "type": "message",
                "id": f"msg_fake{n:04d}{h}",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": d["text"], "annotations": [], "logprobs": []}],
            }
        )
    input_tokens = (
        ntokens(body.get("input") or "") + ntokens(body.get("instructions") or "") + ntokens(body.get("tools") or [])
    )
    reasoning_tokens = ntokens(d["reasoning"]) if d["reasoning"] else 0
    output_tokens = ntokens([o for o in output if o["type"] != "reasoning"]) + reasoning_tokens
    resp = {
        "id": rid,
        "object": "response",
        "created_at": CREATED + n,
        "status": "completed",
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {
            "effort": (body.get("reasoning") or {}).get("effort"),
            "summary": (body.get("reasoning") or {}).get("summary"),
        },
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation") or "disabled",
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
            "total_tokens": input_tokens + output_tokens,
        },
        "user": None,
        "metadata": body.get("metadata") or {},
    }
    return resp, output


def compacts(body: dict[str, Any]) -> bool:
    """Server-side compaction (``context_management=[{"type": "compaction",
    "compact_threshold": N}]``): the context after the last compaction item of the input (the
    server drops what one replaced) has reached N tokens."""
    thresholds = [
        int(entry["compact_threshold"])
        for entry in body.get("context_management") or []
        if isinstance(entry, dict) and entry.get("type") == "compaction" and entry.get("compact_threshold")
    ]
    if not thresholds:
        return False
    inp = body.get("input")
    items = [inp] if isinstance(inp, str) else list(inp or [])
    last = max((i for i, it in enumerate(items) if isinstance(it, dict) and it.get("type") == "compaction"), default=-1)
    return ntokens(items[last + 1 :]) >= min(thresholds)


def response_events(resp: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    seq = 0

    def ev(typ: str, **fields: Any) -> None:
        nonlocal seq
        events.append({"type": typ, "sequence_number": seq, **fields})
        seq += 1

    in_progress = dict(resp, status="in_progress", output=[], usage=None)
    ev("response.created", response=in_progress)
    ev("response.in_progress", response=in_progress)
    for idx, item in enumerate(resp["output"]):
        if item["type"] == "message":
            ev("response.output_item.added", output_index=idx, item=dict(item, status="in_progress", content=[]))
            part = item["content"][0]
            ev(
                "response.content_part.added",
                item_id=item["id"],
                output_index=idx,
                content_index=0,
                part={"type": "output_text", "text": "", "annotations": [], "logprobs": []},
            )
            for piece in chunks_of(part["text"]):
                ev(
                    "response.output_text.delta",
                    item_id=item["id"],
                    output_index=idx,
                    content_index=0,
                    delta=piece,
                    logprobs=[],
                )
            ev(
                "response.output_text.done",
                item_id=item["id"],
                output_index=idx,
                content_index=0,
                text=part["text"],
                logprobs=[],
            )
            ev("response.content_part.done", item_id=item["id"], output_index=idx, content_index=0, part=part)
        elif item["type"] == "function_call":
            ev("response.output_item.added", output_index=idx, item=dict(item, status="in_progress", arguments=""))
            args = item["arguments"]
            half = len(args) // 2
            for piece in (args[:half], args[half:]):
                if piece:
                    ev("response.function_call_arguments.delta", item_id=item["id"], output_index=idx, delta=piece)
            ev(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=idx,
                name=item["name"],
                arguments=args,
            )
        elif item["type"] == "compaction":
            ev("response.output_item.added", output_index=idx, item=item)
        elif item["type"] == "reasoning":
            ev("response.output_item.added", output_index=idx, item=dict(item, status="in_progress", summary=[]))
            for sidx, summ in enumerate(item["summary"]):
                ev(
                    "response.reasoning_summary_part.added",
                    item_id=item["id"],
                    output_index=idx,
                    summary_index=sidx,
                    part={"type": "summary_text", "text": ""},
                )
                for piece in chunks_of(summ["text"]):
                    ev(
                        "response.reasoning_summary_text.delta",
                        item_id=item["id"],
                        output_index=idx,
                        summary_index=sidx,
                        delta=piece,
                    )
                ev(
                    "response.reasoning_summary_text.done",
                    item_id=item["id"],
                    output_index=idx,
                    summary_index=sidx,
                    text=summ["text"],
                )
                ev(
                    "response.reasoning_summary_part.done",
                    item_id=item["id"],
                    output_index=idx,
                    summary_index=sidx,
                    part=summ,
                )
        ev("response.output_item.done", output_index=idx, item=item)
    ev("response.completed", response=resp)
    return events


# ---------------------------------------------------------------------------------------
# Anthropic Messages API
# ---------------------------------------------------------------------------------------


def anthropic_text(content: Any) -> str:
    """The text blocks of an Anthropic message's content (a string or a list of blocks)."""
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content or [] if isinstance(b, dict) and b.get("type") == "text")


def anthropic_turn(body: dict[str, Any]) -> Turn:
    turn = Turn()
    system = body.get("system")
    turn.instructions = system if isinstance(system, str) else anthropic_text(system)
    turn.tools = [t["name"] for t in body.get("tools") or [] if isinstance(t, dict) and t.get("name")]
    call_names: dict[str, str] = {}
    messages = body.get("messages") or []
    for m in messages:
        content = m.get("content")
        blocks = content if isinstance(content, list) else []
        if m.get("role") == "assistant":
            for b in blocks:
                if isinstance(b, dict) and b.get("type") == "tool_use":
                    call_names[b.get("id", "")] = b.get("name", "")
        elif m.get("role") == "user" and anthropic_text(content):
            turn.last_user_text = anthropic_text(content)
    last = messages[-1] if messages else {}
    results = [
        b
        for b in (last.get("content") if isinstance(last.get("content"), list) else [])
        if isinstance(b, dict) and b.get("type") == "tool_result"
    ]
    if last.get("role") == "user" and results:
        turn.last_kind = "tool"
        for b in results:
            output = b.get("content")
            text = output if isinstance(output, str) else anthropic_text(output)
            turn.trailing_outputs.append((call_names.get(b.get("tool_use_id", ""), "get_weather"), text))
        turn.last_tool_name, turn.last_tool_output = turn.trailing_outputs[-1]
    return turn


def anthropic_message(body: dict[str, Any]) -> dict[str, Any]:
    """A Messages API response: ``text`` and ``tool_use`` content blocks, ``stop_reason``
    ``tool_use`` / ``end_turn``, usage with the cache counters."""
    model = body.get("model") or "claude-sonnet-4-5"
    d = decide(anthropic_turn(body), reasoning=False)
    n = COUNTER.next()
    h = short_hash(json.dumps(body, sort_keys=True), n=8)
    rid = f"msg_fake{n:04d}{h}"
    content: list[dict[str, Any]] = []
    if d["text"]:
        content.append({"type": "text", "text": d["text"]})
    for name, args in d.get("tools") or ([d["tool"]] if d["tool"] else []):
        content.append(
            {"type": "tool_use", "id": f"toolu_{short_hash(rid, name, args)}", "name": name, "input": json.loads(args)}
        )
    input_tokens = (
        ntokens(body.get("messages") or []) + ntokens(body.get("system") or "") + ntokens(body.get("tools") or [])
    )
    return {
        "id": rid,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": ntokens(content),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "service_tier": "standard",
        },
    }


def anthropic_events(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The SSE events of a streamed Messages response: ``message_start``, per block
    ``content_block_start`` / ``_delta`` (``text_delta``, ``input_json_delta``) / ``_stop``,
    ``message_delta`` (stop reason, output tokens), ``message_stop``."""
    usage = message["usage"]
    start = dict(message, content=[], stop_reason=None, usage=dict(usage, output_tokens=1))
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            events.append(
                {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}
            )
            for piece in chunks_of(block["text"]):
                events.append(
                    {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}
                )
        else:
            events.append({"type": "content_block_start", "index": index, "content_block": dict(block, input={})})
            args = json.dumps(block["input"])
            half = len(args) // 2
            for piece in (args[:half], args[half:]):
                delta = {"type": "input_json_delta", "partial_json": piece}
                events.append({"type": "content_block_delta", "index": index, "delta": delta})
        events.append({"type": "content_block_stop", "index": index})
    final = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    events.append({"type": "message_delta", "delta": final, "usage": {"output_tokens": usage["output_tokens"]}})
    events.append({"type": "message_stop"})
    return events


# ---------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-openai/1.0"
    log_file = None  # type: ignore[var-annotated]
    log_lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write("fake_openai: " + (format % args) + "\n")

    def _log(self, path: str, body: Any) -> None:
        if self.log_file is None:
            return
        with self.log_lock, open(self.log_file, "a", encoding="utf-8") as f:
            f.write(json.dumps({"path": path, "body": body}, sort_keys=True) + "\n")

    def _send_json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", f"req_fake{COUNTER._n:04d}")
        self.end_headers()
        self.wfile.write(data)

    def _start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _sse(self, data: str, event: str | None = None) -> None:
        msg = (f"event: {event}\n" if event else "") + f"data: {data}\n\n"
        self.wfile.write(msg.encode())
        self.wfile.flush()

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [{"id": "gpt-4o-mini", "object": "model", "created": CREATED, "owned_by": "fake"}],
                },
            )
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        raw = read_body(self)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send_json(400, {"error": {"message": "invalid JSON", "type": "invalid_request_error"}})
            return
        path = self.path.split("?", 1)[0].rstrip("/")
        self._log(path, body)
        if path.endswith("/chat/completions"):
            full, chunks = chat_completion(body)
            if body.get("stream"):
                self._start_sse()
                for c in chunks:
                    self._sse(json.dumps(c))
                if (body.get("stream_options") or {}).get("include_usage"):
                    usage_chunk = dict(chunks[-1], choices=[], usage=full["usage"])
                    self._sse(json.dumps(usage_chunk))
                self._sse("[DONE]")
            else:
                self._send_json(200, full)
        elif path.endswith("/responses"):
            resp, _ = response_object(body)
            if body.get("stream"):
                self._start_sse()
                for e in response_events(resp):
                    self._sse(json.dumps(e), event=e["type"])
            else:
                self._send_json(200, resp)
        elif path.endswith("/v1/messages"):
            message = anthropic_message(body)
            if body.get("stream"):
                self._start_sse()
                for e in anthropic_events(message):
                    self._sse(json.dumps(e), event=e["type"])
            else:
                self._send_json(200, message)
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", default=None, help="append each request as a JSON line to this file")
    args = ap.parse_args()
    Handler.log_file = args.log
    serve(Handler, args.port)


if __name__ == "__main__":
    main()
