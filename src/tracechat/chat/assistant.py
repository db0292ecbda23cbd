"""One assistant turn: the model is called, its tool calls run against the store, their
results go back to it, until it answers. Everything said is stored in the chat as it
happens, and the turn is a stream of domain events that the API encodes (JSON or SSE).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry.trace import Span, SpanKind

from tracechat.auth.keys import Principal, analyst_project
from tracechat.chat import selftrace, tools, ui_messages
from tracechat.chat.analyst import Analyst
from tracechat.chat.models import (
    ChatModel,
    FinishReason,
    ModelRequest,
    ReasoningDelta,
    Stopped,
    TextDelta,
    ToolCallRequest,
    Usage,
)
from tracechat.chat.selftrace import SelfTracer
from tracechat.chat.threads import ChatThreads, check_client_id
from tracechat.errors import InvalidInput, NotFound
from tracechat.model.chat import ChatMessage, ChatToolCall, NewMessage, ToolCallFunction
from tracechat.model.ui_message import Trigger
from tracechat.query.service import TraceQueries
from tracechat.store.analytics import TraceAnalytics
from tracechat.store.conversations import ChatRecords

MAX_STEPS = 8
AGENT_NAME = "trace-analyst"
TITLE_CHARS = 60
SYSTEM_PROMPT = (
    "You are tracechat's trace analyst. You answer questions about the traces of the user's AI agents "
    "(errors, latency, token use and cost, single trajectories) by calling the tools given to you, and "
    "you cite trace ids from their results."
)


# -- domain events ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TurnStarted:
    message_id: str
    chat_id: str
    trace_id: str
    trace_project: str


@dataclass(frozen=True, slots=True)
class StepStarted:
    pass


@dataclass(frozen=True, slots=True)
class Reasoning:
    text: str


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class ToolInput:
    call_id: str
    name: str
    arguments: Any


@dataclass(frozen=True, slots=True)
class ToolOutput:
    call_id: str
    output: Any


@dataclass(frozen=True, slots=True)
class StepFinished:
    pass


@dataclass(frozen=True, slots=True)
class TurnFinished:
    chat_id: str
    response: str
    usage: Usage
    message: ChatMessage | None
    trace_id: str
    trace_project: str
    finish_reason: FinishReason = "stop"


TurnEvent = TurnStarted | StepStarted | Reasoning | Text | ToolInput | ToolOutput | StepFinished | TurnFinished


@dataclass(slots=True)
class TurnRequest:
    messages: list[NewMessage]
    chat_id: str | None = None
    model: str | None = None
    system_prompt: str | None = None
    context: Any = None
    allowed_tools: list[str] | None = None
    trigger: Trigger = "submit-message"
    create_chat: bool = False
    """``chat_id`` is the client's own (the AI SDK's chat ``id``): its first turn creates the chat."""


@dataclass(slots=True)
class _Step:
    text: list[str] = field(default_factory=list)
    calls: list[ToolCallRequest] = field(default_factory=list)
    stopped: FinishReason | None = None

    @property
    def finish_reason(self) -> FinishReason:
        """Of a step that called no tools: how the provider says it ended, else ``stop``."""
        return "stop" if self.stopped in (None, "tool-calls") else self.stopped


@dataclass(slots=True)
class _Thread:
    """Where a turn writes: the chat, the UI message id its answer streams under (stored with
    each message, so a client resending the answer is recognised), what the model reads."""

    chat_id: str
    message_id: str
    conversation: list[dict[str, Any]]


class Assistant:
    def __init__(
        self,
        threads: ChatThreads,
        records: ChatRecords,
        analytics: TraceAnalytics,
        traces: TraceQueries,
        selftrace: SelfTracer,
        models: list[ChatModel] | None = None,
    ) -> None:
        self._threads = threads
        self._records = records
        self._analytics = analytics
        self._traces = traces
        self._selftrace = selftrace
        self._models: dict[str, ChatModel] = {Analyst.name: Analyst()}
        self._models.update({m.name: m for m in models or ()})

    @property
    def models(self) -> list[ChatModel]:
        return list(self._models.values())

    def model(self, name: str | None) -> ChatModel:
        chosen = self._models.get(name or Analyst.name)
        if chosen is None:
            raise InvalidInput(f"unknown model {name!r}; available: {', '.join(self._models)}")
        return chosen

    def prepare(self, project: str, principal: Principal, request: TurnRequest) -> tuple[ChatModel, str]:
        """Everything that can fail before an answer starts (so a stream never opens on it)."""
        model = self.model(request.model)
        if not request.messages:
            raise InvalidInput("messages must hold at least one message with text or tool calls")
        if request.chat_id is None:
            return model, self._threads.start(project, principal, _title(request)).id
        found = self._threads.find(project, request.chat_id)
        if found is not None:
            return model, found.id
        if not request.create_chat:
            raise NotFound(f"no chat {request.chat_id!r}")
        check_client_id("id", request.chat_id)
        return model, self._threads.start(project, principal, _title(request), conversation_id=request.chat_id).id

    def turn(
        self, project: str, model: ChatModel, chat_id: str, request: TurnRequest
    ) -> Generator[TurnEvent, None, None]:
        """The events of one turn; ``chat_id`` is the store's id, events name the chat as the
        client did."""
        stored, _ = self._records.messages(chat_id)
        plan = ui_messages.plan(stored, request.messages, request.trigger)
        self._records.add_messages(chat_id, plan.store, datetime.now(UTC), drop_after=plan.drop_after)
        system = _system(request)
        conversation = [system] + [_wire(m) for m in plan.history] + [_wire(m) for m in plan.store]
        thread = _Thread(chat_id, f"msg_{uuid.uuid4().hex}", conversation)
        tracer = self._selftrace.tracer(project)
        root = tracer.start_span(f"invoke_agent {AGENT_NAME}", kind=SpanKind.INTERNAL)
        _agent_attributes(root, model, chat_id, system, plan.asked)
        trace_id = selftrace.trace_id_of(root)
        self._records.add_trace(chat_id, trace_id)
        usage = Usage(model=model.name)
        shown_id = request.chat_id or chat_id
        try:
            yield TurnStarted(thread.message_id, shown_id, trace_id, analyst_project(project))
            answer, last, reason = yield from self._steps(project, model, thread, request, usage, tracer, root)
            root.set_attribute(
                "gen_ai.output.messages", selftrace.otel_messages([{"role": "assistant", "content": answer}])
            )
            _usage_attributes(root, usage)
        except BaseException as error:  # includes the client going away (GeneratorExit)
            selftrace.fail(root, error)
            raise
        finally:
            root.end()
        yield TurnFinished(shown_id, answer, usage, last, trace_id, analyst_project(project), reason)

    def _steps(
        self,
        project: str,
        model: ChatModel,
        thread: _Thread,
        request: TurnRequest,
        usage: Usage,
        tracer: Any,
        root: Span,
    ) -> Generator[TurnEvent, None, tuple[str, ChatMessage | None, FinishReason]]:
        context = tools.ToolContext(project, self._analytics, self._traces, tools.now_ns())
        definitions = tools.definitions(request.allowed_tools)
        conversation = thread.conversation
        answer, last = "", None
        reason: FinishReason = "tool-calls"  # unless a step answers without calling tools
        for _ in range(MAX_STEPS):
            yield StepStarted()
            step, step_usage = _Step(), Usage(model=model.name)
            call_span = selftrace.child(tracer, root, f"chat {model.name}", SpanKind.CLIENT)
            _call_attributes(call_span, model, conversation, definitions)
            try:
                for event in model.stream(ModelRequest(conversation, definitions)):
                    yield from _model_event(event, step, step_usage)
            except BaseException as error:
                selftrace.fail(call_span, error)
                raise
            finally:
                usage.add(step_usage)
                answer = "".join(step.text)
                last = self._store_reply(thread, answer, step.calls)
                call_span.set_attribute("gen_ai.output.messages", selftrace.otel_messages(conversation[-1:]))
                _usage_attributes(call_span, step_usage)
                call_span.end()
            for call in step.calls:
                yield self._run_tool(context, thread, call, tracer, root, request.allowed_tools)
            yield StepFinished()
            if not step.calls:
                reason = step.finish_reason
                break
        return answer, last, reason

    def _run_tool(
        self,
        context: tools.ToolContext,
        thread: _Thread,
        call: ToolCallRequest,
        tracer: Any,
        root: Span,
        allowed: list[str] | None,
    ) -> ToolOutput:
        span = selftrace.child(tracer, root, f"execute_tool {call.name}")
        span.set_attributes(
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": call.name,
                "gen_ai.tool.call.id": call.id,
                "gen_ai.tool.call.arguments": call.arguments,
            }
        )
        try:
            result = tools.call(context, call.name, call.arguments, allowed)
            span.set_attribute("gen_ai.tool.call.result", result)
        finally:
            span.end()
        self._append(thread, NewMessage(role="tool", content=result, tool_call_id=call.id))
        return ToolOutput(call.id, json.loads(result))

    def _store_reply(self, thread: _Thread, text: str, calls: list[ToolCallRequest]) -> ChatMessage | None:
        tool_calls = [
            ChatToolCall(id=c.id, function=ToolCallFunction(name=c.name, arguments=c.arguments)) for c in calls
        ]
        message_id = self._append(
            thread, NewMessage(role="assistant", content=text or None, tool_calls=tool_calls or None)
        )
        stored, _ = self._records.messages(thread.chat_id, after=message_id - 1, limit=1)
        return stored[0] if stored else None

    def _append(self, thread: _Thread, message: NewMessage) -> int:
        message.metadata = ui_messages.tagged(thread.message_id, message.metadata)
        [message_id] = self._records.add_messages(thread.chat_id, [message], datetime.now(UTC))
        thread.conversation.append(_wire(message))
        return message_id


def finished(events: Generator[TurnEvent, None, None]) -> TurnFinished:
    """Runs a turn to its end for a client that wants only the answer."""
    with closing(events):
        return next(e for e in events if isinstance(e, TurnFinished))


def _agent_attributes(
    span: Span, model: ChatModel, chat_id: str, system: dict[str, Any], asked: list[NewMessage]
) -> None:
    span.set_attributes(
        {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": AGENT_NAME,
            "gen_ai.conversation.id": chat_id,
            "gen_ai.provider.name": model.provider,
            "gen_ai.request.model": model.name,
            "gen_ai.system_instructions": json.dumps([{"type": "text", "content": system["content"]}]),
            "gen_ai.input.messages": selftrace.otel_messages([_wire(m) for m in asked]),
        }
    )


def _call_attributes(
    span: Span, model: ChatModel, conversation: list[dict[str, Any]], definitions: list[dict[str, Any]]
) -> None:
    span.set_attributes(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": model.provider,
            "gen_ai.request.model": model.name,
            "gen_ai.system_instructions": json.dumps([{"type": "text", "content": conversation[0]["content"]}]),
            "gen_ai.input.messages": selftrace.otel_messages(conversation[1:]),
            "gen_ai.tool.definitions": json.dumps([d["function"] for d in definitions]),
        }
    )


def _usage_attributes(span: Span, usage: Usage) -> None:
    span.set_attributes(
        {
            "gen_ai.response.model": usage.model,
            "gen_ai.usage.input_tokens": usage.input_tokens,
            "gen_ai.usage.output_tokens": usage.output_tokens,
        }
    )


def _model_event(event: Any, step: _Step, usage: Usage) -> Iterator[TurnEvent]:
    if isinstance(event, ReasoningDelta):
        yield Reasoning(event.text)
    elif isinstance(event, TextDelta):
        step.text.append(event.text)
        yield Text(event.text)
    elif isinstance(event, ToolCallRequest):
        step.calls.append(event)
        try:
            arguments = json.loads(event.arguments or "{}")
        except ValueError:
            arguments = event.arguments
        yield ToolInput(event.id, event.name, arguments)
    elif isinstance(event, Stopped):
        step.stopped = event.reason
    elif isinstance(event, Usage):
        usage.add(event)


def _title(request: TurnRequest) -> str | None:
    first = next((m.content for m in request.messages if m.role == "user" and m.content), None)
    return first[:TITLE_CHARS] if first else None


def _system(request: TurnRequest) -> dict[str, Any]:
    prompt = request.system_prompt or SYSTEM_PROMPT
    if request.context is not None:
        prompt += "\n\nContext from the caller:\n" + json.dumps(request.context, default=str)
    return {"role": "system", "content": prompt}


def _wire(message: NewMessage) -> dict[str, Any]:
    """A stored or new message in the OpenAI chat shape the models read."""
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        wire["tool_calls"] = [c.model_dump() for c in message.tool_calls]
    if message.tool_call_id:
        wire["tool_call_id"] = message.tool_call_id
    return wire
