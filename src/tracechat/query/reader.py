"""Step 3 of a trajectory: one depth-first walk over the span tree that emits the entries
a person reading the trace would write down (see ``query.trajectory`` for the whole order)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from tracechat.genai.messages import plain_arguments, plain_name, plain_result, result_error
from tracechat.genai.types import Kind, Message, Part, SpanFacts
from tracechat.genai.values import dumps, structured
from tracechat.model.span import STATUS_ERROR
from tracechat.model.times import time_of
from tracechat.model.trajectory import (
    AgentChatMessage,
    AgentHandoff,
    AgentStart,
    AssistantMessage,
    ContextCompacted,
    RequestedToolCall,
    ToolCall,
    UserMessage,
)
from tracechat.query.content import ContentRefs
from tracechat.query.transcript import Transcript, conversation, current_turn, key
from tracechat.spantree.attribution import (
    TRANSFER,
    attribute,
    canonical,
    enclosing_agent,
    records_handoff,
    runs_nothing,
    runs_own_agent,
    transfer_target,
)
from tracechat.spantree.spans import (
    answer_of,
    asked_for_tools,
    is_document,
    output_text,
    recorded_question,
    speaker,
    system_text,
    tools_run_during,
    tools_run_next,
    wrapped_question,
)
from tracechat.spantree.tree import Node, walk

ANSWER_TOOLS = ("final_answer", "final_result")
"""Tools through which an agent gives its answer (smolagents, Pydantic AI's output tool):
the call that asks for one is the answer; the tool itself is no step of its own."""
_STEP_KINDS = (Kind.WORKFLOW, Kind.EMBEDDING, Kind.GUARDRAIL)
"""Kinds of span that are agent work when they record content; a span of no kind a
convention knows (HTTP, database, messaging…) is plumbing: in the span list, not an entry."""


@dataclass(slots=True)
class _AgentState:
    instructions: str | None = None
    last_context: int | None = None  # messages its previous model call saw, plus its replies
    last_first_key: tuple[str, str, tuple[str, ...], tuple[str, ...]] | None = None
    compacted: bool = False  # its last model call said the conversation had been compacted


@dataclass(slots=True)
class Reader:
    """The walk of step 3. State is what a person reading the trace would remember."""

    trace_id: str
    tool_spans: list[SpanFacts]
    content: ContentRefs
    messages: list[AgentChatMessage] = field(default_factory=list)
    transcript: Transcript = field(default_factory=Transcript)
    agents: dict[str, _AgentState] = field(default_factory=dict)
    active_agent: str | None = None
    pending_to: str | None = None
    """The agent a transfer tool handed over to, until it speaks."""
    open_calls: dict[str, ToolCall] = field(default_factory=dict)
    covered_calls: set[str] = field(default_factory=set)
    requested_ids: set[str] = field(default_factory=set)
    calls_by_id: dict[str, ToolCall] = field(default_factory=dict)
    idless_requests: dict[int, RequestedToolCall] = field(default_factory=dict)
    """The assistant entry's record of each tool call its output asked for without an id,
    by the ``id()`` of that call's entry: both learn the id a later input gives the call."""
    questions: set[str] = field(default_factory=set)
    """Questions already read from the agent or workflow span that was asked them."""
    answered_spans: set[str] = field(default_factory=set)
    """Spans whose assistant entry said something (text or reasoning)."""
    counted_spans: set[str] = field(default_factory=set)
    """Spans whose assistant entry carries their tokens: every model call's."""
    calling_roots: set[str] = field(default_factory=set)
    """Roots of the trees that hold a model call."""
    handoff_notes: set[str] = field(default_factory=set)
    """What transfer tools returned: the note a handoff passes to the agent taken over."""
    owners: dict[str, str | None] = field(default_factory=dict)
    """The agent each model call belongs to (``spantree.attribution``), by its outermost span."""
    unanswered: dict[str, AssistantMessage] = field(default_factory=dict)
    """By agent: the entry of its last model call, when that call recorded no reply at all
    (its response never reached the span): the agent's next request repeats the reply."""
    roots: list[Node] = field(default_factory=list, init=False)
    _asked_ids: set[str] | None = field(default=None, init=False)
    """The ids of every tool call a model call's output asked for, in the whole trace (``asked_ids``)."""
    tools_by_call_id: dict[str, SpanFacts] | None = None
    """The first tool span of each call id, when every tool span has one: the spans a call
    with an id can match, found without a scan of them all (ids are only ever added)."""

    def __post_init__(self) -> None:
        if all(tool.tool_call_id for tool in self.tool_spans):
            self.tools_by_call_id = {}
            for tool in self.tool_spans:
                self.tools_by_call_id.setdefault(tool.tool_call_id or "", tool)

    def read(self, roots: list[Node]) -> None:
        self.calling_roots = {r.facts.span_id for r in roots if r.first_descendant(Kind.LLM) is not None}
        self.owners = attribute(roots)
        self.roots = roots
        for node, entering in walk(roots):
            if entering:
                self._enter(node)
            elif node.facts.kind is Kind.AGENT:
                self._agent_output(node)

    # -- spans -----------------------------------------------------------------------------

    def _enter(self, node: Node) -> None:
        facts = node.facts
        if facts.kind is Kind.AGENT:
            self._agent(node)
        elif facts.kind is Kind.LLM:
            if not node.has_ancestor(Kind.LLM):  # one call recorded by nested spans speaks once
                self._model_call(speaker(node), self.owners.get(facts.span_id))
        elif facts.kind is Kind.TOOL:
            self._tool(node)
        elif facts.kind is Kind.HANDOFF:
            self._handoff(facts, facts.handoff_from or self.active_agent, facts.handoff_to)
        elif facts.kind is Kind.COMPACTION:
            self._compaction(
                facts, facts.compaction_summary, facts.compaction_items_before, facts.compaction_items_after
            )
        elif facts.kind in _STEP_KINDS and not node.children and self._shows_as_step(node):
            self._step(node)

    def _shows_as_step(self, node: Node) -> bool:
        """It recorded an input or output, is not inside a model call, and is not a chain
        inside an agent or inside a run that calls a model (its plumbing: a workflow's
        bookkeeping steps, whose work the model and tool calls already show)."""
        facts = node.facts
        if (facts.input_text is None and facts.output_text is None) or node.has_ancestor(Kind.LLM):
            return False
        if facts.kind is not Kind.WORKFLOW:
            return True
        return not node.has_ancestor(Kind.AGENT) and _root(node).facts.span_id not in self.calling_roots

    def _agent(self, node: Node) -> None:
        facts = node.facts
        name = facts.agent_name
        if records_handoff(node):
            self._handoff(facts, facts.handoff_from, name)
            return
        if runs_nothing(node):
            return
        first_call = node.first_descendant(Kind.LLM)
        call = speaker(first_call).facts if first_call else None  # the record that speaks for it
        if (name or "") not in self.agents:
            self._agent_start(
                facts,
                name,
                model=facts.request_model or (call.model if call else None) or facts.response_model,
                instructions=facts.system_instructions or (system_text(call) if call else None),
                tools=facts.tool_definitions
                if facts.tool_definitions is not None
                else (call.tool_definitions if call else None),
            )
        question = recorded_question(facts)
        if question and not _calls_record_input(node):
            self._question(node, question)  # its model calls do not say what it was asked
        if facts.compaction_summary or facts.compaction_items_before is not None:
            self._compaction(
                facts, facts.compaction_summary, facts.compaction_items_before, facts.compaction_items_after
            )

    def _agent_output(self, node: Node) -> None:
        """An agent span's own answer, only when no model call of its own gave one (what a
        sub-agent it ran answered is the sub-agent's, not its); its tokens only when no model
        call inside counted them already (a sub-agent's either: the agent's usage sums
        theirs). It is given when the agent's work is done: at the span's end, after
        everything inside it."""
        inside = {d.facts.span_id for d in node.descendants()}
        if {d.facts.span_id for d in _own_work(node)} & self.answered_spans:
            return
        text = output_text(node.facts)
        if text is not None:
            counted = not inside & self.counted_spans
            self._assistant(node.facts, node.facts.agent_name, text, counted=counted, at=node.facts.end_ns)

    def _model_call(self, node: Node, agent: str | None) -> None:
        """``agent``: the one the call belongs to (``spantree.attribution``)."""
        facts = node.facts
        state = self.agents.get(agent or "")
        instructions = system_text(facts)
        if (agent or "") not in self.agents or (
            instructions and state and state.instructions and not _frames(instructions, state.instructions)
        ):
            self._agent_start(facts, agent, facts.model, instructions, facts.tool_definitions)
        state = self.agents[agent or ""]
        if facts.input_messages is not None:
            self._input(node, agent, state, conversation(facts.input_messages))
        self._compacted(facts, agent, state)
        self._output(node, agent)

    def _compacted(self, facts: SpanFacts, agent: str | None, state: _AgentState) -> None:
        """A call that says its conversation was compacted (the provider did it on the server,
        e.g. OpenAI's ``context_management``): a compaction before its reply, of the context
        it was sent. The calls after it say so too (the compaction item stays in their
        input): one compaction, until a call no longer says so."""
        if facts.conversation_compacted and not state.compacted:
            before = len(conversation(facts.input_messages)) if facts.input_messages is not None else None
            self._compaction(facts, None, before, None, agent=agent)
        state.compacted = bool(facts.conversation_compacted)

    def _input(self, node: Node, agent: str | None, state: _AgentState, inputs: list[Message]) -> None:
        facts = node.facts
        if not self.transcript:
            history = inputs[: len(inputs) - len(current_turn(inputs))]
            self.transcript.absorb(history)
        fresh = self.transcript.new_messages(inputs)
        fresh = self._detect_compaction(facts, agent, state, inputs, fresh)
        self._reply_of_the_last_call(agent, fresh)
        for message in fresh:
            self._input_message(node, agent, message)
        self.transcript.absorb(inputs)
        state.last_context = len(inputs)
        state.last_first_key = key(inputs[0]) if inputs else None

    def _reply_of_the_last_call(self, agent: str | None, fresh: list[Message]) -> None:
        """The agent's previous model call recorded no reply (a streamed response read after
        its span ended): the assistant messages this request adds first, before any other
        new message, are that reply, its text and the tool calls it asked for."""
        entry = self.unanswered.pop(agent or "", None)
        if entry is None:
            return
        replies = []
        for message in fresh:
            if message.role != "assistant":
                break
            replies.append(message)
        calls = [call for message in replies for call in message.of_kind("tool_call")]
        if calls:
            entry.tool_calls = [RequestedToolCall(id=call.id, name=call.name) for call in calls]
        text = "\n\n".join(t for m in replies for t in m.texts()) or None
        if text is not None and entry.text is None:
            entry.text = text

    def _detect_compaction(
        self, facts: SpanFacts, agent: str | None, state: _AgentState, inputs: list[Message], fresh: list[Message]
    ) -> list[Message]:
        """The history starts with something new, keeps part of what came before, and is
        shorter than the context would have been: a summary replaced earlier items."""
        if state.last_context is None or not inputs or key(inputs[0]) == state.last_first_key:
            return fresh
        leading = []
        for message in inputs:
            if self.transcript.known(message):
                break
            leading.append(message)
        if not leading or len(leading) == len(inputs):
            return fresh  # nothing kept from before: a fresh context, not a compaction
        trailing_new = len(fresh) - len(leading)
        if len(inputs) >= state.last_context + trailing_new:
            return fresh  # nothing was dropped: new material in front (e.g. retrieved context)
        summary = "\n\n".join(t for m in leading for t in m.texts()) or None
        self._compaction(facts, summary, state.last_context, len(inputs), agent=agent)
        return [m for m in fresh if all(m is not lead for lead in leading)]

    def _input_message(self, node: Node, agent: str | None, message: Message) -> None:
        facts = node.facts
        for call in message.of_kind("tool_call"):  # a call made where no traced output shows it
            self._requested_call(facts, agent, call, asked_before=True)
        for part in message.of_kind("tool_result"):
            self._tool_result(facts, agent, part)
        if message.role != "user":
            return
        if (message.text() or "").strip() in self.handoff_notes:
            return  # the transfer's result, passed to the agent taken over as a user message (AutoGen)
        wrapped = wrapped_question(node, message.text())
        if wrapped is not None:
            self._question(*wrapped)
            return
        refs: list[str] = [self.content.media(facts.span_id, p.media) for p in message.of_kind("media") if p.media]
        text = self.content.text(facts.span_id, message.text(), refs)
        if text is not None or refs:
            entry = UserMessage(text=text, content_refs=refs)
            self._emit(facts, agent, "user_message", entry, at=facts.start_ns)

    def _question(self, asked: Node, question: str) -> None:
        """The user's question as the agent or workflow span that was asked recorded it,
        once, where that span starts (a framework's wrapping of it is no user turn)."""
        if question in self.questions:
            return
        self.questions.add(question)
        refs: list[str] = []
        entry = UserMessage(text=self.content.text(asked.facts.span_id, question, refs), content_refs=refs)
        agent = asked.facts.agent_name if asked.facts.kind is Kind.AGENT else None
        self._append(asked.facts, agent, "user_message", entry, asked.facts.start_ns)
        placed = self.messages.pop()
        at = next((i for i, m in enumerate(self.messages) if m.started_at > placed.started_at), len(self.messages))
        self.messages.insert(at, placed)

    def _output(self, node: Node, agent: str | None) -> None:
        """The call's one assistant entry (also when it only asked for tools), then the
        tool calls it asked for that no tool span records."""
        facts = node.facts
        replies = [m for m in facts.output_messages or () if m.role != "user"]
        text = "\n\n".join(t for m in replies for t in m.texts()) or None
        reasoning = "\n\n".join(t for m in replies for t in m.texts("reasoning")) or None
        refs = [self.content.media(facts.span_id, p.media) for m in replies for p in m.of_kind("media") if p.media]
        calls = [call for message in replies for call in message.of_kind("tool_call")]
        requested = [RequestedToolCall(id=call.id, name=call.name) for call in calls]
        if not calls:
            ran = tools_run_next(node) if asked_for_tools(facts.finish_reason) else tools_run_during(node)
            requested = [RequestedToolCall(id=t.tool_call_id, name=t.tool_name) for t in ran]
        answers = [call for call in calls if call.name in ANSWER_TOOLS]
        text = text or next((a for a in map(answer_of, answers) if a), None)
        self._assistant(facts, agent, text, reasoning, refs, requested or None)
        if facts.output_messages is None and not requested and self.messages[-1].assistant_message is not None:
            self.unanswered[agent or ""] = self.messages[-1].assistant_message
        for call, request in zip(calls, requested[: len(calls)], strict=True):  # (requested: one per call)
            if call in answers:
                self.covered_calls.add(call.id or "")
                continue
            self._requested_call(facts, agent, call)
            entry = self.open_calls.get(call.name or "") if call.id is None else None
            if entry is not None:
                self.idless_requests[id(entry)] = request
        self.transcript.add(replies)
        state = self.agents.get(agent or "")
        if state is not None and state.last_context is not None:
            state.last_context += len(replies)

    def _assistant(
        self,
        facts: SpanFacts,
        agent: str | None,
        text: str | None,
        reasoning: str | None = None,
        refs: list[str] | None = None,
        tool_calls: list[RequestedToolCall] | None = None,
        counted: bool = True,
        at: int | None = None,
    ) -> None:
        """``counted``: the entry carries the span's tokens (not when calls inside did);
        ``at``: when it was said, if not where the span starts."""
        refs = list(refs or [])
        entry = AssistantMessage(
            text=self.content.text(facts.span_id, text, refs),
            model=facts.model,
            reasoning_content=self.content.text(facts.span_id, reasoning, refs),
            reasoning_tokens=facts.reasoning_tokens if counted else None,
            input_tokens=facts.input_tokens if counted else None,
            output_tokens=facts.output_tokens if counted else None,
            duration_ms=facts.duration_ms,
            content_refs=refs,
            tool_calls=tool_calls,
            finish_reason=facts.finish_reason,
        )
        if text is not None or reasoning is not None:
            self.answered_spans.add(facts.span_id)
        if counted:
            self.counted_spans.add(facts.span_id)
        self._emit(facts, agent, "assistant_message", entry, at=facts.start_ns if at is None else at)

    def _requested_call(self, facts: SpanFacts, agent: str | None, call: Part, asked_before: bool = False) -> None:
        """A tool call in a model's output; emitted here only if no tool span records it.
        ``asked_before``: read from the call's input, so asked before the call began (it is
        placed at the call's start, not at its end as a call its output asks for)."""
        at = facts.start_ns if asked_before else facts.end_ns
        transfer = TRANSFER.match(call.name or "")
        if transfer:
            if call.id:
                self.covered_calls.add(call.id)  # its result ("transferred") is not a tool result to show
            span = self._transfer_span(facts, call)
            if span is not None:  # the tool span is where control passed; it learns whom to
                span.tool_arguments = span.tool_arguments or call.arguments
                return
            self._handoff(facts, agent, transfer_target(call.arguments, transfer), at=at, guessed=True)
            return
        if self._covered(facts, call) or (call.id and call.id in self.requested_ids):
            return
        if asked_before and self._names_idless_call(call):
            return
        if call.id:
            self.requested_ids.add(call.id)
        ran = self._runner_of_asked_calls(facts, asked_before)
        entry = ToolCall(tool_name=call.name, tool_call_id=call.id, tool_arguments=call.arguments)
        if ran is not None:
            entry.duration_ms = ran.duration_ms
        self._emit(ran or facts, agent, "tool_call", entry, at=at if ran is None else ran.start_ns)
        self.open_calls[call.id or call.name or ""] = entry

    def _runner_of_asked_calls(self, facts: SpanFacts, asked_before: bool) -> SpanFacts | None:
        """The step that ran the calls this model call asked for, naming none of them: the
        first such tool step to start after the call did (an agent loop alternates model
        calls and the step that runs their tools); for a call read from this call's input
        (asked by an earlier call no traced output shows), the last one to end before it began."""
        runners = [t for t in self.tool_spans if t.runs_asked_calls]
        if asked_before:
            before = (t for t in runners if t.end_ns <= facts.start_ns)
            return max(before, key=lambda t: t.start_ns, default=None)
        return min((t for t in runners if t.start_ns >= facts.start_ns), key=lambda t: t.start_ns, default=None)

    def _names_idless_call(self, call: Part) -> bool:
        """A call an output asked for without an id (OpenAI's legacy ``function_call``, as
        LiteLLM records a reply) is the one a later input repeats with its id, the same tool
        with the same arguments: that call learns the id, and is not shown twice."""
        entry = self.open_calls.get(call.name or "")
        if call.id is None or entry is None or entry.tool_call_id is not None or entry.tool_name != call.name:
            return False
        if None not in (entry.tool_arguments, call.arguments) and structured(entry.tool_arguments) != structured(
            call.arguments
        ):
            return False
        entry.tool_call_id = call.id
        del self.open_calls[call.name or ""]
        self.open_calls[call.id] = entry
        self.requested_ids.add(call.id)
        request = self.idless_requests.pop(id(entry), None)
        if request is not None:
            request.id = call.id
        return True

    def _transfer_span(self, facts: SpanFacts, call: Part) -> SpanFacts | None:
        """The tool span of a transfer call: the same id, or (the span has none) the same
        tool starting after the request."""
        if call.id and self.tools_by_call_id is not None:
            return self.tools_by_call_id.get(call.id)
        for tool in self.tool_spans:
            if call.id and tool.tool_call_id:
                if tool.tool_call_id == call.id:
                    return tool
            elif tool.tool_name == call.name and tool.start_ns >= facts.start_ns:
                return tool
        return None

    def _covered(self, facts: SpanFacts, call: Part) -> bool:
        """Whether a tool span records this call: same id, or (ids missing) the same tool,
        also when the span gives its display name for the function's, starting after the
        request. The span then learns what only the request said."""
        tool = self._covering_tool(facts, call)
        if tool is None:
            return False
        self.covered_calls.update(i for i in (tool.span_id, call.id) if i)
        tool.tool_call_id = tool.tool_call_id or call.id
        shown = self.calls_by_id.get(call.id) if call.id else None
        if shown is not None and call.arguments_written and _same_document(shown.tool_arguments, call.arguments):
            # the tool's entry, shown before a later request repeated this call: its arguments
            # as the model wrote them, where the tool's record of them says the same (a request
            # that recorded them as a structure has no text of the model's to give)
            shown.tool_arguments = call.arguments
        if call.arguments is not None and (
            not is_document(tool.tool_arguments) or plain_arguments(tool.tool_arguments) != tool.tool_arguments
        ):
            tool.tool_arguments = call.arguments  # the request's JSON over a bare "Paris" or a wrapper
        return True

    def _covering_tool(self, facts: SpanFacts, call: Part) -> SpanFacts | None:
        if call.id and self.tools_by_call_id is not None:
            return self.tools_by_call_id.get(call.id) or self._renamed_call(facts, call)
        for tool in self.tool_spans:
            if call.id and tool.tool_call_id:
                matched = call.id == tool.tool_call_id
            else:
                matched = (
                    canonical(tool.tool_name) == canonical(call.name)  # "Delegate work to coworker"
                    and tool.start_ns >= facts.start_ns
                    and tool.span_id not in self.covered_calls
                )
            if matched:
                return tool
        return self._renamed_call(facts, call) if call.id else None

    def asked_ids(self) -> set[str]:
        """The ids of every tool call a model call's output asked for, in the whole trace:
        read once, only for a trace with a call no tool span names by its id."""
        if self._asked_ids is None:
            calls = [n.facts for n, entering in walk(self.roots) if entering and n.facts.kind is Kind.LLM]
            asked = (c.id for f in calls for m in f.output_messages or () for c in m.of_kind("tool_call"))
            self._asked_ids = {call_id for call_id in asked if call_id}
        return self._asked_ids

    def _renamed_call(self, facts: SpanFacts, call: Part) -> SpanFacts | None:
        """A call no tool span names by its id is the one a tool span of the same tool with
        the same arguments, starting after the request, records under an id no model call
        asked for (OpenLIT makes up a UUID when smolagents passes its tool no call id): the
        model's id names the call, on the span too."""
        for tool in self.tool_spans:
            if (
                tool.tool_name == call.name
                and tool.start_ns >= facts.start_ns
                and tool.tool_call_id not in self.asked_ids()
                and tool.span_id not in self.covered_calls
                and None not in (tool.tool_arguments, call.arguments)
                and structured(tool.tool_arguments) == structured(call.arguments)
            ):
                tool.tool_call_id = call.id
                if self.tools_by_call_id is not None:
                    self.tools_by_call_id.setdefault(call.id or "", tool)
                return tool
        return None

    def _tool_result(self, facts: SpanFacts, agent: str | None, part: Part) -> None:
        if not part.id and not part.name:
            self._observation(facts, part)
            return
        call = self.open_calls.pop(part.id or part.name or "", None)
        if call is None and not part.id:
            call = next((c for k, c in self.open_calls.items() if c.tool_name == part.name), None)
        if call is None and part.id:
            call = self.calls_by_id.get(part.id)
        if call is not None:
            if call.tool_result is None:  # e.g. a tool span that did not record its result
                call.tool_result = self.content.text(facts.span_id, part.text, call.content_refs)
                # an untraced tool's failure is in the result the loop sent back, if anywhere
                call.error = call.error or result_error(part.text)
            return
        if part.id and (part.id in self.covered_calls or self._has_tool_span(part.id)):
            return
        entry = ToolCall(tool_name=part.name, tool_call_id=part.id, tool_result=part.text)
        self._emit(facts, agent, "tool_call", entry, at=facts.start_ns)

    def _has_tool_span(self, call_id: str) -> bool:
        if self.tools_by_call_id is not None:
            return call_id in self.tools_by_call_id
        return any(t.tool_call_id == call_id for t in self.tool_spans)

    def _observation(self, facts: SpanFacts, part: Part) -> None:
        """A result that names no call (a ReAct ``Observation:``) answers the last tool call;
        it is no entry of its own."""
        last = next((m.tool_call for m in reversed(self.messages) if m.tool_call is not None), None)
        if last is not None and last.tool_result is None:
            last.tool_result = self.content.text(facts.span_id, part.text, last.content_refs)

    def _tool(self, node: Node) -> None:
        facts = node.facts
        if facts.tool_name in ANSWER_TOOLS:
            return  # the model call that asked for it holds the answer
        if _inside_the_same_tool(node):
            return  # one call recorded by nested spans (two instrumentations): the outer speaks
        if facts.runs_asked_calls:
            return  # its calls are the model call's, shown at this span where they are read
        agent = self._agent_of(node)
        transfer = TRANSFER.match(facts.tool_name or "")
        if transfer:
            if facts.tool_call_id:
                self.covered_calls.add(facts.tool_call_id)
            note = plain_result(facts.tool_result)
            if note and note.strip():
                self.handoff_notes.add(note.strip())
            self._handoff(facts, agent, transfer_target(plain_arguments(facts.tool_arguments), transfer), guessed=True)
            return
        refs: list[str] = []
        result = plain_result(facts.tool_result)
        # failed by the status the span is stored with, which a result that says the tool
        # failed gives too (ingest.flatten.span_status, derived again from the payload here,
        # so for spans stored before that rule as well)
        error = (facts.status_message or "failed") if facts.status_code == STATUS_ERROR else None
        entry = ToolCall(
            tool_name=facts.tool_name,
            tool_call_id=facts.tool_call_id,
            tool_arguments=self.content.text(facts.span_id, plain_arguments(facts.tool_arguments), refs),
            tool_result=self.content.text(facts.span_id, result, refs),
            duration_ms=facts.duration_ms,
            content_refs=refs,
            error=error,
        )
        if facts.tool_call_id:
            self.covered_calls.add(facts.tool_call_id)
        self._emit(facts, agent, "tool_call", entry, at=facts.start_ns)

    def _step(self, node: Node) -> None:
        """A workflow, retrieval or guardrail step with content, shown as a step named after it."""
        facts = node.facts
        refs: list[str] = []
        entry = ToolCall(
            tool_name=facts.name,
            tool_arguments=self.content.text(facts.span_id, facts.input_text, refs),
            tool_result=self.content.text(facts.span_id, facts.output_text, refs),
            duration_ms=facts.duration_ms,
            content_refs=refs,
        )
        self._emit(facts, self._agent_of(node), "tool_call", entry, at=facts.start_ns)

    # -- entries ---------------------------------------------------------------------------

    def _agent_start(
        self, facts: SpanFacts, agent: str | None, model: str | None, instructions: str | None, tools: object
    ) -> None:
        state = self.agents.setdefault(agent or "", _AgentState())
        state.instructions = instructions
        if agent is None and model is None and instructions is None and tools is None:
            return  # nothing to say: no agent, model, instructions or tools were recorded
        entry = AgentStart(
            model=model,
            system_instructions=instructions,
            tool_definitions=dumps(tools) if tools is not None else None,
        )
        self._emit(facts, agent, "agent_start", entry, at=facts.start_ns)

    def _handoff(
        self, facts: SpanFacts, source: str | None, target: str | None, at: int | None = None, guessed: bool = False
    ) -> None:
        """``guessed``: read from a transfer tool, which an explicit handoff record of the same
        transfer may later name better. Control passes when the agent taken over to speaks
        (``pending_to``): the agent handing over may still say a last word first."""
        source, target = plain_name(source), plain_name(target)
        if target is None:
            if not guessed and self.pending_to is not None:
                self._place_guessed_handoff(facts, source)
            return
        if canonical(target) in (canonical(self.pending_to), canonical(self.active_agent)):
            if not guessed:
                self._rename_guessed_handoff(facts, source, target)
            return
        entry = AgentHandoff(from_agent=source, to_agent=target)
        self._append(facts, source, "agent_handoff", entry, at if at is not None else facts.start_ns)
        if guessed:
            self.pending_to = target
        else:
            self.active_agent, self.pending_to = target, None

    def _name_as_it_names_itself(self, guessed: str, agent: str) -> None:
        """A handoff guessed from ``transfer_to_weather_agent`` names the agent that takes
        over as the agent then calls itself ("Weather Agent")."""
        last = next((m.agent_handoff for m in reversed(self.messages) if m.agent_handoff), None)
        if last is not None and last.to_agent == guessed:
            last.to_agent = agent

    def _place_guessed_handoff(self, facts: SpanFacts, source: str | None) -> None:
        """A handoff span that names only the agent handing over (OpenLLMetry's record of the
        OpenAI Agents SDK's handoff, made before the target is known) is where the transfer a
        ``transfer_to_*`` call of that agent asked for took place."""
        last = next((m for m in reversed(self.messages) if m.agent_handoff), None)
        if (
            last is None
            or last.agent_handoff is None
            or canonical(last.agent_handoff.to_agent) != canonical(self.pending_to)
        ):
            return
        if source is not None and canonical(source) != canonical(last.agent_handoff.from_agent):
            return
        last.span_id, last.started_at = facts.span_id, time_of(facts.start_ns)

    def _rename_guessed_handoff(self, facts: SpanFacts, source: str | None, target: str) -> None:
        """An explicit record of a handoff already read from a ``transfer_to_*`` call names
        the agents better and is the span the handoff really is."""
        last = next((m for m in reversed(self.messages) if m.agent_handoff), None)
        if last is None or last.agent_handoff is None or canonical(last.agent_handoff.to_agent) != canonical(target):
            return
        last.agent_handoff.to_agent = target
        last.agent_handoff.from_agent = source or last.agent_handoff.from_agent
        last.span_id, last.started_at = facts.span_id, time_of(facts.start_ns)
        self.active_agent, self.pending_to = target, None

    def _compaction(
        self,
        facts: SpanFacts,
        summary: str | None,
        before: int | None,
        after: int | None,
        agent: str | None = None,
    ) -> None:
        entry = ContextCompacted(
            compaction_summary=summary, compaction_items_before=before, compaction_items_after=after
        )
        self._emit(facts, agent or self.active_agent, "context_compacted", entry, at=facts.start_ns)

    def _emit(self, facts: SpanFacts, agent: str | None, kind: str, entry: object, at: int) -> None:
        previous, pending = self.active_agent, self.pending_to
        if agent is not None and pending is not None and canonical(agent) == canonical(pending):
            self._name_as_it_names_itself(pending, agent)  # the handoff already recorded takes effect
            self.pending_to = None
        elif agent is not None and previous is not None and canonical(agent) != canonical(previous):
            self._append(facts, previous, "agent_handoff", AgentHandoff(from_agent=previous, to_agent=agent), at)
            self.pending_to = None
        elif agent is not None and previous is not None and agent != previous:
            self._name_as_it_names_itself(previous, agent)
        if agent is not None:
            self.active_agent = agent
        self._append(facts, agent, kind, entry, at)

    def _append(self, facts: SpanFacts, agent: str | None, kind: str, entry: object, at: int) -> None:
        message = AgentChatMessage.model_validate(
            {"type": kind, "span_id": facts.span_id, "agent_name": agent, "started_at": time_of(at), kind: entry}
        )
        self.messages.append(message)
        if message.tool_call is not None and message.tool_call.tool_call_id:
            self.calls_by_id.setdefault(message.tool_call.tool_call_id, message.tool_call)

    def _agent_of(self, node: Node) -> str | None:
        """The agent of a tool or step: the one the spans name (``spantree.attribution``), else
        the agent running, unless a tool that calls a model runs it (an agent of its own)."""
        agent = enclosing_agent(node)
        return agent if agent is not None or runs_own_agent(node) else self.active_agent


def _same_document(shown: str | None, asked: str | None) -> bool:
    """Whether two texts are one JSON document written two ways (``{"city":"Paris"}``,
    ``{"city": "Paris"}``)."""
    if shown is None or asked is None or shown == asked or not is_document(shown):
        return False
    return bool(structured(shown) == structured(asked))


def _frames(system: str, instructions: str) -> bool:
    """Whether a model call's system text is the agent's instructions: the same, or a prompt
    that holds them whole (smolagents sends the model its own prompt template with the
    agent's instructions inside; OpenLIT records the instructions alone on the agent span):
    no change of instructions."""
    return system == instructions or instructions.strip() in system


def _inside_the_same_tool(node: Node) -> bool:
    """Whether a tool span runs inside a tool span of the same tool: OpenInference's
    AutoGen TOOL span (arguments, result) over AutoGen's own ``execute_tool`` (call id)."""
    name, parent = canonical(node.facts.tool_name), node.parent
    while parent is not None and parent.facts.kind is not Kind.LLM:
        if parent.facts.kind is Kind.TOOL and canonical(parent.facts.tool_name) == name:
            return True
        if parent.facts.kind is Kind.AGENT:
            return False
        parent = parent.parent
    return False


def _own_work(agent: Node) -> Iterator[Node]:
    """The spans inside an agent span that are its own: not a sub-agent's run (an agent span
    inside it) or anything inside that."""
    for child in agent.children:
        if child.facts.kind is not Kind.AGENT:
            yield child
            yield from _own_work(child)


def _calls_record_input(agent: Node) -> bool:
    """Whether any model call inside an agent span records the messages it was sent."""
    return any(n.facts.kind is Kind.LLM and n.facts.input_messages is not None for n in agent.descendants())


def _root(node: Node) -> Node:
    while node.parent is not None:
        node = node.parent
    return node
