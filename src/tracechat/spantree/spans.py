"""What one span says, as the trajectory's walk asks it: the question it was asked, the
answer an answer tool carries, which of several spans recording one model call speaks, and
small readings of arguments and outputs. Pure functions over ``SpanFacts`` and tree nodes."""

from __future__ import annotations

from tracechat.genai.messages import parse_messages
from tracechat.genai.types import Kind, Message, Part, SpanFacts
from tracechat.genai.values import TooDeep, parse_json, structured
from tracechat.spantree.tree import Node


def answer_of(call: Part) -> str | None:
    """What an answer tool was asked to answer: its ``answer`` argument, else its only
    argument when that is text, whatever it is named (BeeAI's ``{"response": …}``), else
    all of them."""
    return argument(call.arguments, "answer") or _sole_text(call.arguments) or call.arguments


def _sole_text(arguments: str | None) -> str | None:
    try:
        document = parse_json(arguments or "")
    except ValueError:
        return None
    if isinstance(document, dict) and len(document) == 1:
        (value,) = document.values()
        return value if isinstance(value, str) and value else None
    return None


def recorded_question(facts: SpanFacts) -> str | None:
    """The question a span says it was asked: its last user message, else its input when
    that reads as a question, else the last user message of messages its input holds
    (BeeAI's member agent: ``{"input": [{"role": "user", "content": [...]}]}``)."""
    return (
        last_user_text(facts.input_messages)
        or plain(facts.input_text)
        or (called_with_text(facts.input_text) if facts.kind in (Kind.AGENT, Kind.WORKFLOW) else None)
        or (last_user_text(parse_messages(facts.input_text)) if facts.input_text else None)
    )


def called_with_text(value: str | None) -> str | None:
    """The one text an agent's run was called with, when its input records the call
    (``{"args": [...], "kwargs": {...}}``: Langfuse's ``@observe``, smolagents, LlamaIndex)
    and that call passed one value only, a string: the agent was asked that. Read for agent
    and workflow spans only: a tool called with one string was given an argument, no question."""
    try:
        document = parse_json(value or "")
    except ValueError:
        return None
    if not (isinstance(document, dict) and document and set(document) <= {"args", "kwargs"}):
        return None
    args, kwargs = document.get("args", []), document.get("kwargs", {})
    if not (isinstance(args, list) and isinstance(kwargs, dict)):
        return None
    values = [*args, *kwargs.values()]
    return values[0] if len(values) == 1 and isinstance(values[0], str) and values[0].strip() else None


def wrapped_question(node: Node, text: str | None) -> tuple[Node, str] | None:
    """The question an enclosing agent or workflow span was asked, when ``text`` (a model
    call's user message) is a framework's wrapping of it: ``Context:\nUser Request: …``
    (Strands' Swarm), ``New task:\n…`` (smolagents)."""
    if not text:
        return None
    ancestor = node.parent
    while ancestor is not None:
        if ancestor.facts.kind in (Kind.AGENT, Kind.WORKFLOW):
            question = recorded_question(ancestor.facts)
            if question and question.strip() != text.strip() and question.strip() in text:
                return ancestor, question.strip()
        ancestor = ancestor.parent
    return None


def last_user_text(messages: list[Message] | None) -> str | None:
    for message in reversed(messages or []):
        if message.role == "user" and message.text():
            return message.text()
    return None


def plain(value: str | None) -> str | None:
    """A span's generic input, when it reads as a question rather than a data structure."""
    if value is None:
        return None
    try:
        document = parse_json(value)
    except ValueError:
        return value
    if isinstance(document, str):
        return document
    if isinstance(document, dict):
        for name in ("input", "prompt", "question", "query", "message", "user_input", "task"):
            if isinstance(document.get(name), str):
                return str(document[name])
    return None


def speaker(outermost: Node) -> Node:
    """Of a model call recorded by nested spans (double instrumentation; ADK's ``call_llm``
    over ``generate_content``), the span that speaks for it: the innermost that holds the
    content, else the innermost. Tokens it lacks come from the others, counted once."""
    chain = [outermost, *(d for d in outermost.descendants() if d.facts.kind is Kind.LLM)]
    with_content = [n for n in chain if n.facts.input_messages is not None or n.facts.output_messages is not None]
    speaker = deepest(with_content or chain)
    _take_answered_ids(speaker, with_content)
    for other in chain:
        for name in ("input_tokens", "output_tokens", "reasoning_tokens", "finish_reason", "response_model"):
            speaker.facts.fill(name, getattr(other.facts, name))
    return speaker


def _take_answered_ids(speaker: Node, records: list[Node]) -> None:
    """Two records of one call that name the same tool calls by different ids: a call's id
    is the one its result answers (OpenLLMetry's OpenAI instrumentation names a Responses
    call by its item id, ``fc_…``, where its OpenAI Agents instrumentation, around it, names
    it by the ``call_id`` the next input's result answers). The speaker takes the ids that
    some input of the trace answers, when its own are answered nowhere."""
    own = _output_calls(speaker.facts)
    if not own or len(records) < 2:
        return
    others = [calls for r in records if r is not speaker and len(calls := _output_calls(r.facts)) == len(own)]
    names, ids = [p.name for p in own], [p.id for p in own]
    others = [c for c in others if [p.name for p in c] == names and [p.id for p in c] != ids]
    if not others:
        return
    root = speaker
    while root.parent is not None:
        root = root.parent
    answered = {
        p.id
        for n in (root, *root.descendants())
        if n.facts.kind is Kind.LLM
        for m in n.facts.input_messages or ()
        for p in m.parts
        if p.kind == "tool_result" and p.id
    }
    if any(p.id in answered for p in own):
        return
    better = next((c for c in others if all(p.id in answered for p in c)), None)
    for mine, theirs in zip(own, better or (), strict=False):
        mine.id = theirs.id


def _output_calls(facts: SpanFacts) -> list[Part]:
    return [p for m in facts.output_messages or () if m.role != "user" for p in m.parts if p.kind == "tool_call"]


def deepest(nodes: list[Node]) -> Node:
    def depth(node: Node) -> int:
        found, parent = 0, node.parent
        while parent is not None:
            found, parent = found + 1, parent.parent
        return found

    return max(nodes, key=depth)


def is_document(arguments: str | None) -> bool:
    """Whether tool arguments are a JSON object or array (not absent, not a bare value, not
    Python's repr of a dict, ``{'city': 'Paris'}``, as OpenLIT records LangChain's tool input).
    A document nested too deep to be read as a structure is one still: shown as its text."""
    if arguments is None or arguments.lstrip()[:1] not in ("{", "["):
        return False
    try:
        parse_json(arguments)
    except TooDeep:
        return True
    except ValueError:
        return structured(arguments) is not None  # cut short: closed up where unambiguous
    return True


def system_text(facts: SpanFacts) -> str | None:
    if facts.system_instructions:
        return facts.system_instructions
    system = [t for m in facts.input_messages or () if m.role == "system" for t in m.texts()]
    return "\n".join(system) or None


def output_text(facts: SpanFacts) -> str | None:
    if facts.output_messages:
        text = "\n\n".join(t for m in facts.output_messages if m.role != "user" for t in m.texts())
        if text:
            return text
    return facts.output_text


def argument(arguments: str | None, name: str) -> str | None:
    try:
        document = parse_json(arguments or "")
    except ValueError:
        return None
    value = document.get(name) if isinstance(document, dict) else None
    return value if isinstance(value, str) and value else None


_TOOL_FINISH = frozenset({"tool_calls", "tool_call", "tool_use", "function_call"})


def asked_for_tools(finish_reason: str | None) -> bool:
    """Whether a model call's finish reason says it stopped to have tools run, however the
    provider or SDK spells it (``tool_calls``, ``tool-calls``, ``tool_use``, ``function_call``)."""
    return (finish_reason or "").strip().lower().replace("-", "_") in _TOOL_FINISH


def tools_run_next(call: Node) -> list[SpanFacts]:
    """The tool spans that ran for a model call that asked for tools without recording which
    (its output holds no tool-call parts): the tools its caller ran after it, up to the
    caller's next model call. They are the later siblings of the call, or the outermost
    tool spans those hold (a tool's own inner spans and model calls are the tool's)."""
    if call.parent is None:
        return []
    ran: list[SpanFacts] = []
    for sibling in call.parent.children:
        if sibling is call or sibling.facts.start_ns < call.facts.start_ns:
            continue
        if sibling.facts.kind is not Kind.TOOL and (
            sibling.facts.kind is Kind.LLM or sibling.first_descendant(Kind.LLM) is not None
        ):
            break
        ran.extend(_outermost_tools(sibling))
    return ran


def tools_run_during(call: Node) -> list[SpanFacts]:
    """The tool spans that ran while a model call that records no tool calls was still going:
    the outermost tools its caller ran, starting within the call's time. Only the call's own
    tool loop can have asked for those (a model operation over several steps, as VoltAgent
    records the AI SDK's ``generateText``: its tools are its agent's children, not its own)."""
    if call.parent is None:
        return []
    return [
        tool
        for sibling in call.parent.children
        if sibling is not call and call.facts.start_ns <= sibling.facts.start_ns < call.facts.end_ns
        for tool in _outermost_tools(sibling)
    ]


def _outermost_tools(node: Node) -> list[SpanFacts]:
    if node.facts.kind is Kind.TOOL:
        return [node.facts]
    return [tool for child in node.children for tool in _outermost_tools(child)]
