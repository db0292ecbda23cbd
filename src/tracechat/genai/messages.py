"""Chat messages in any of the shapes instrumentations record, read into ``Message``s.

Shapes are recognised by what their fields mean, not by which library sent them:
OTel GenAI parts (``{role, parts:[{type, content}]}``), OpenAI chat messages (``content``
string or list, ``tool_calls``, ``tool_call_id``, ``reasoning_content``), OpenAI Responses
items (``function_call``, ``function_call_output``, ``reasoning``), Vercel AI SDK parts
(``tool-call``, ``tool-result``), Gemini / Google ADK contents (``function_call``,
``function_response``, ``thought``), Pydantic AI (``thinking``, ``result``), Anthropic blocks (``tool_use``,
``tool_result``), Bedrock Converse blocks (``{"text"}``, ``{"toolUse"}``, ``{"toolResult"}``,
as Strands records them), messages whose content is ``blocks`` typed by ``block_type`` with
the provider's fields under ``additional_kwargs`` (LlamaIndex's ``ChatMessage``) and ReAct
transcripts (an ``Observation:`` is a tool's result,
not the user speaking).

Tool arguments and results often arrive inside a wrapper that only carries one value
(``{"result": …}``, ``[{"text": …}]``, ``{"args": [], "kwargs": {…}}``): ``plain_result``
and ``plain_arguments`` read such a wrapper as the value it carries. The raw span keeps
the original.
"""

from __future__ import annotations

import ast
import base64
import binascii
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from tracechat.genai.types import Media, Message, Part
from tracechat.genai.values import is_placeholder, json_text, parse_json, structured

_ROLES = {"model": "assistant", "ai": "assistant", "developer": "system", "human": "user", "function": "tool"}
_TEXT = {"text", "input_text", "output_text", "message", "refusal"}
_REASONING = {"reasoning", "thinking", "redacted_thinking", "reasoning_text", "summary_text"}
_CALL = {"tool_call", "tool-call", "function_call", "tool_use", "function", "server_tool_call"}
_RESULT = {"tool_call_response", "tool-result", "function_call_output", "tool_result", "function_response"}
_MEDIA = {"blob", "file", "uri", "image", "image_url", "input_image", "audio", "input_audio", "binary", "file_data"}
_SINGLE_PART = frozenset(_CALL | _RESULT | _REASONING)
"""Item types of a Responses API item that is one part, not a message."""
_BLOCK = frozenset(_TEXT | _REASONING | _CALL | _RESULT | _MEDIA)


class PrefixCache:
    """Every model call repeats the history before it, so parsing each input from scratch is
    quadratic in the conversation. Within one trace, an input whose first items equal those
    of a recent input reuses their parsed messages and parses only the rest; an input given
    as JSON text that extends a recent one character for character has only its new items
    decoded (instrumentations serialize the same list the same way each time)."""

    RECENT = 8

    def __init__(self) -> None:
        self._steps: dict[int, tuple[Message, list[Message]]] = {}
        """A reply record's messages (``record_steps``) by the record's id, the record kept
        beside them: a later input that shares the record shares its messages too."""
        self._recent: list[tuple[list[Any], list[Message | None]]] = []
        self._texts: list[tuple[str, list[Any]]] = []
        """Recent arrays: each text's head (without its closing bracket) and its items."""

    def load(self, text: str) -> Any:
        """``structured(text)``, reusing the items of a recent JSON array it extends. Only
        arrays that are valid JSON are remembered (a repaired one may not be a prefix)."""
        stripped = text.strip()
        if not (stripped.startswith("[") and stripped.endswith("]")) or is_placeholder(stripped):
            return structured(stripped)
        for head, items in reversed(self._texts):
            document = _extension(head, stripped, items)
            if document is not None:
                break
        else:
            try:
                document = parse_json(stripped)
            except ValueError:
                return structured(stripped)  # truncated: repaired, not remembered
        if isinstance(document, list):
            self._texts.append((stripped[:-1].rstrip(), document))
            del self._texts[: -self.RECENT]
        return document

    def steps(self, record: Message) -> list[Message]:
        """``record_steps(record)``, the same messages each time for the same record."""
        found = self._steps.get(id(record))
        if found is None or found[0] is not record:
            found = self._steps[id(record)] = (record, record_steps(record))
        return found[1]

    def parse(self, items: list[Any]) -> list[Message | None]:
        reused: list[Message | None] = []
        for raw, parsed in reversed(self._recent):
            shared = _common_prefix(raw, items)
            if shared > len(reused):
                reused = parsed[:shared]
                if shared == len(raw):
                    break
        result = reused + [parse_message(item) for item in items[len(reused) :]]
        self._recent.append((items, result))
        del self._recent[: -self.RECENT]
        return result


def _extension(head: str, text: str, items: list[Any]) -> list[Any] | None:
    """The items of ``text`` when it is a JSON array of ``items`` (``head``: its text without
    the closing bracket) with items appended: ``[a, b`` + ``, c]`` decodes as ``items`` +
    ``[c]``; None when it is not."""
    if len(text) <= len(head) or not items or not text.startswith(head):
        return None
    rest = text[len(head) :].lstrip()
    if rest == "]":
        return list(items)
    if not rest.startswith(","):
        return None
    try:
        tail = parse_json("[" + rest[1:])
    except ValueError:
        return None
    return [*items, *tail] if isinstance(tail, list) else None


def _common_prefix(a: list[Any], b: list[Any]) -> int:
    limit = min(len(a), len(b))
    if a[:limit] == b[:limit]:  # one comparison in C (the same objects, mostly: a ``load`` extension)
        return limit
    index = 0
    while index < limit and (a[index] is b[index] or a[index] == b[index]):
        index += 1
    return index


_cache: ContextVar[PrefixCache | None] = ContextVar("tracechat_message_cache", default=None)


@contextmanager
def shared_history() -> Iterator[None]:
    """Parse the messages of one trace's spans with a ``PrefixCache``."""
    token = _cache.set(PrefixCache())
    try:
        yield
    finally:
        _cache.reset(token)


_MESSAGE_FIELDS = {"role", "parts", "content", "message", "tool_calls", "type", "text"}
"""A lone object is read as a message only when it has a field a message has."""


def messages_document(value: Any) -> Any:
    """The JSON document ``parse_messages`` reads in ``value``, decoded through the trace's
    history cache: for a reader that asks more of it than its messages (decoded once)."""
    cache = _cache.get()
    return cache.load(value) if cache is not None and isinstance(value, str) else structured(value)


def parse_messages(value: Any) -> list[Message] | None:
    """Messages from a JSON string or structured value; None when absent or unreadable."""
    cache = _cache.get()
    document = messages_document(value)
    if isinstance(document, dict):
        for key in ("messages", "contents", "input", "history"):
            if isinstance(document.get(key), list):
                document = document[key]
                break
        else:
            if not _MESSAGE_FIELDS & set(document):
                return None  # a call's arguments ({"tools", "user_msg", "chat_history"}), not a message
            document = [document]
    if not isinstance(document, list):
        return None
    parsed = cache.parse(document) if cache is not None else [parse_message(item) for item in document]
    messages = [m for m in parsed if m is not None]
    records = [_records_a_reply(m) for m in messages]
    if any(records):
        steps = cache.steps if cache is not None else record_steps
        messages = [
            step for m, record in zip(messages, records, strict=True) for step in (steps(m) if record else (m,))
        ]
    return messages if messages or not document else None


def _records_a_reply(message: Message) -> bool:
    """Whether an assistant message holds a tool's result after the call it answers: no model
    sends or receives that, it is a framework's record of its whole reply (AgentScope 2.x
    records its reply ``Msg``: tool calls, their results, the final text, in one message)."""
    if message.role != "assistant":
        return False
    asked = False
    for part in message.parts:
        asked = asked or part.kind == "tool_call"
        if asked and part.kind == "tool_result":
            return True
    return False


def record_steps(message: Message) -> list[Message]:
    """A reply record as the messages the model exchanged: an assistant message for each run
    of parts up to its tool calls, a tool message for each result after them, an assistant
    message of what follows the last result. ``message`` is one (``_records_a_reply``, which
    the caller has asked once)."""
    steps: list[Message] = []
    said: list[Part] = []
    for part in message.parts:
        if part.kind == "tool_result":
            if said:
                steps.append(Message("assistant", said, name=message.name))
                said = []
            steps.append(Message("tool", [part]))
        else:
            said.append(part)
    if said:
        steps.append(Message("assistant", said, name=message.name))
    return steps


def parse_message(item: Any) -> Message | None:
    if isinstance(item, str):
        return Message("user", [Part("text", text=item)]) if not is_placeholder(item) else None
    if not isinstance(item, dict):
        return None
    item_type = item.get("type")
    if item_type in _SINGLE_PART and "role" not in item:
        part = parse_part(item)  # a Responses API item that is a single part
        return Message("tool" if part and part.kind == "tool_result" else "assistant", [part] if part else [])
    role = _ROLES.get(str(item.get("role", "user")).lower(), str(item.get("role", "user")).lower())
    message = Message(role, name=item.get("name") if isinstance(item.get("name"), str) else None)
    for key in ("parts", "content", "blocks"):
        message.parts.extend(_parts(item.get(key)))
    if isinstance(item.get("message"), dict):  # gen_ai.choice bodies: {message: {content, role}}
        nested = parse_message(item["message"])
        if nested:
            message.role = nested.role if "role" in item["message"] else message.role
            message.parts.extend(nested.parts)
    elif isinstance(item.get("message"), str):  # {message: "<text or JSON content blocks>"}
        message.parts.extend(_parts(item["message"]))
    for key in ("reasoning_content", "reasoning"):
        if isinstance(item.get(key), str) and item[key]:
            message.parts.insert(0, Part("reasoning", text=item[key]))
    extra = item.get("additional_kwargs")
    extra = extra if isinstance(extra, dict) else {}
    if not message.of_kind("tool_call"):
        # the provider's own fields kept beside the message (LlamaIndex's ``ChatMessage``:
        # ``additional_kwargs.tool_calls`` repeats the ``tool_call`` blocks it also records)
        for call in item.get("tool_calls") or extra.get("tool_calls") or ():
            part = _call_part(call)
            if part:
                message.parts.append(part)
    tool_call_id = item.get("tool_call_id") or (item.get("id") if role == "tool" else None) or extra.get("tool_call_id")
    if role == "tool" and tool_call_id:
        _as_tool_result(message, str(tool_call_id))
    elif role == "user":
        _as_observation(message)
    elif role == "assistant":
        _as_react_step(message)
    return message


def response_messages(value: Any) -> list[Message] | None:
    """The messages of a provider's raw response body: a chat completion's ``choices``
    (each choice's ``message``), a Responses API ``output`` list."""
    document = structured(value)
    if isinstance(document, dict) and isinstance(document.get("choices"), list):
        return parse_messages([c.get("message", c) for c in document["choices"] if isinstance(c, dict)])
    if isinstance(document, dict) and isinstance(document.get("output"), list):
        return parse_messages(document["output"])
    return None


def response_finish_reason(value: Any) -> str | None:
    """A raw chat completion's first finish reason (its choices' ``finish_reason``)."""
    document = structured(value)
    if isinstance(document, dict) and isinstance(document.get("choices"), list):
        reasons = (c.get("finish_reason") for c in document["choices"] if isinstance(c, dict))
        return next((r for r in reasons if isinstance(r, str) and r), None)
    return None


def response_reasoning_tokens(value: Any) -> int | None:
    """A raw response's reasoning token count (``usage.completion_tokens_details`` of a chat
    completion, ``usage.output_tokens_details`` of a Responses API response)."""
    document = structured(value)
    usage = document.get("usage") if isinstance(document, dict) else None
    if not isinstance(usage, dict):
        return None
    for key in ("completion_tokens_details", "output_tokens_details"):
        details = usage.get(key)
        count = details.get("reasoning_tokens") if isinstance(details, dict) else None
        if isinstance(count, int) and not isinstance(count, bool):
            return count
    return None


_REACT_ACTION = re.compile(
    r"\AThought:\s*(?P<thought>.*?)\s*\nAction:\s*(?P<name>[\w.-]+)\s*\nAction Input:\s*(?P<input>.*?)\s*\Z", re.S
)
_REACT_ANSWER = re.compile(r"\AThought:\s*(?P<thought>.*?)\s*\n(?:Final )?Answer:\s*(?P<answer>.*?)\s*\Z", re.S)


def _as_react_step(message: Message) -> None:
    """A ReAct agent's model writes its step as text: ``Thought: …`` then ``Action: <tool>``
    and ``Action Input: <arguments>``, or ``Answer: …`` (``Final Answer: …``). The thought
    is its reasoning, the action a call of that tool, the answer its text."""
    if len(message.parts) != 1 or message.parts[0].kind != "text" or not message.parts[0].text:
        return
    text = message.parts[0].text.strip()
    action = _REACT_ACTION.match(text)
    if action is not None:
        arguments = action["input"]
        document = structured(arguments)
        arguments = json_text(document) if document is not None else arguments
        call = Part("tool_call", name=action["name"], arguments=arguments)
        message.parts = [Part("reasoning", text=action["thought"]), call]
        return
    answer = _REACT_ANSWER.match(text)
    if answer is not None:
        message.parts = [Part("reasoning", text=answer["thought"]), Part("text", text=answer["answer"])]
        return
    _as_field_step(message, text)


_FIELD = re.compile(r"^\[\[ ## (?P<name>\w+) ## \]\]\s*$", re.M)
_STEP_FIELDS = {"next_thought": "reasoning", "reasoning": "reasoning", "answer": "text"}


def _as_field_step(message: Message, text: str) -> None:
    """DSPy writes a step as sections ``[[ ## name ## ]]``: a ReAct step is
    ``next_thought``, ``next_tool_name`` and ``next_tool_args`` (a thought and a tool call),
    an answer ``reasoning`` and ``answer``. Sections of other names leave the text as it is."""
    marks = list(_FIELD.finditer(text))
    if not marks or text[: marks[0].start()].strip():
        return
    fields = {
        m["name"]: text[m.end() : marks[i + 1].start() if i + 1 < len(marks) else len(text)].strip()
        for i, m in enumerate(marks)
    }
    fields.pop("completed", None)
    if not fields or not set(fields) <= {*_STEP_FIELDS, "next_tool_name", "next_tool_args"}:
        return
    parts = [Part(_STEP_FIELDS[name], text=value) for name, value in fields.items() if name in _STEP_FIELDS and value]
    if fields.get("next_tool_name"):
        arguments = fields.get("next_tool_args")
        document = structured(arguments) if arguments else None
        parts.append(
            Part("tool_call", name=fields["next_tool_name"], arguments=json_text(document) if document else arguments)
        )
    message.parts = parts


_OBSERVATION = "Observation:"


def _as_observation(message: Message) -> None:
    """A ReAct agent hands a tool's output back as a user message ``Observation: …``: it is
    the result of the tool the model just called, not the user speaking."""
    text = message.text()
    if text is not None and text.lstrip().startswith(_OBSERVATION):
        result = text.lstrip()[len(_OBSERVATION) :].strip()
        message.role = "tool"
        message.parts = [Part("tool_result", text=result or None)]


def _parts(value: Any) -> list[Part]:
    if value is None or is_placeholder(value):
        return []
    if isinstance(value, str):
        blocks = _serialized_blocks(value)
        if blocks is None:
            return [Part("text", text=value)]
        value = blocks
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return [Part("text", text=str(value))]
    return [p for p in (parse_part(v) for v in value) if p is not None]


def _serialized_blocks(text: str) -> list[Any] | None:
    """Content given as the JSON text of a list of content blocks (``'[{"text": …}]'``, as
    Strands' legacy events record a message's content): those blocks, not text that shows
    JSON. None when the text is not such a list."""
    if not text.lstrip().startswith("["):
        return None
    try:
        document = parse_json(text)
    except ValueError:
        return None
    if isinstance(document, list) and document and all(_is_block(item) for item in document):
        return document
    return None


def _is_block(value: Any) -> bool:
    """A dict that says it is a content block: by its ``type``, or by the one key that
    Gemini / Bedrock blocks carry."""
    if not isinstance(value, dict):
        return False
    kind = value.get("type")
    if isinstance(kind, str):
        return kind.lower() in _BLOCK
    return _implied_type(value) != "text" or isinstance(value.get("text"), str)


def parse_part(value: Any) -> Part | None:
    if isinstance(value, str):
        return None if is_placeholder(value) else _text_part(value)
    if not isinstance(value, dict):
        return None
    kind = str(value.get("type") or value.get("block_type") or _implied_type(value)).lower()
    if kind in _TEXT:
        content = value.get("content", value.get("text"))
        return _text_part(content) if isinstance(content, str) and not is_placeholder(content) else None
    if kind in _REASONING:
        return Part("reasoning", text=_reasoning_text(value))
    if kind in _CALL:
        return _call_part(value)
    if kind in _RESULT:
        return _result_part(value)
    if kind in _MEDIA or "modality" in value:
        return Part("media", media=_media(value))
    content = value.get("content", value.get("text"))
    return Part("text", text=content) if isinstance(content, str) and content else None


def _text_part(text: str) -> Part:
    """A text part, unless the text is the Python repr of a Responses API ``function_call``
    item (``ResponseFunctionToolCall(arguments='…', call_id='…', name='…',
    type='function_call', …)``: an instrumentation that writes an output item it does not know
    as ``str(item)``, as ``opentelemetry-instrumentation-openai-agents-v2`` 0.1.0 does with the
    calls a response asked for): then it is that call."""
    if "function_call" in text and text.endswith(")"):
        fields = constructor_fields(text)
        if (
            fields is not None
            and fields.get("type") == "function_call"
            and isinstance(fields.get("name"), str)
            and isinstance(fields.get("arguments"), str)
        ):
            call = _call_part(fields)
            if call is not None:
                return call
    return Part("text", text=text)


def _implied_type(value: dict[str, Any]) -> str:
    """Gemini and Bedrock parts say what they are by which key they carry."""
    if value.get("thought") is True or "reasoningContent" in value:
        return "reasoning"
    for key in ("function_call", "functionCall", "toolUse", "toolRequest"):
        if key in value:
            return "function_call"
    for key in ("function_response", "functionResponse", "toolResult", "toolResponse"):
        if key in value:
            return "function_response"
    if "inline_data" in value or "inlineData" in value or "file_data" in value:
        return "blob"
    return "text"


def _reasoning_text(value: dict[str, Any]) -> str | None:
    for key in ("content", "text", "thinking", "reasoning"):
        if isinstance(value.get(key), str) and value[key]:
            return str(value[key])
    summary = value.get("summary")
    if isinstance(summary, list):
        texts = [str(s["text"]) for s in summary if isinstance(s, dict) and isinstance(s.get("text"), str)]
        return "\n\n".join(texts) or None
    return None


def _call_part(value: Any) -> Part | None:
    if not isinstance(value, dict):
        return None
    inner = (
        value.get("function_call")
        or value.get("functionCall")
        or value.get("function")
        or value.get("toolUse")
        or value.get("toolRequest")
    )
    source = inner if isinstance(inner, dict) else value
    name = source.get("name") or value.get("toolName") or value.get("name") or value.get("tool_name")
    arguments = _first_present(source, ("arguments", "args", "input", "tool_kwargs"))
    call_id = (
        # a Responses API ``function_call`` item has both: ``id`` is the item's, ``call_id``
        # the call's, which its ``function_call_output`` answers
        value.get("call_id")
        or value.get("id")
        or value.get("toolCallId")
        or value.get("tool_call_id")
        or source.get("id")
        or source.get("toolUseId")
        or source.get("ref")
    )
    return Part(
        "tool_call",
        id=_opt_str(call_id),
        name=_opt_str(name),
        arguments=_arguments_text(arguments),
        arguments_written=not isinstance(arguments, dict | list),
    )


def _arguments_text(arguments: Any) -> str | None:
    """``plain_arguments(json_text(arguments))``, without decoding the text just encoded when
    no wrapper rule reads ``arguments``: a list, or an object the rules keep as it is whose
    keys and top-level values JSON keeps as they are (so its text decodes to what the rules
    would also keep)."""
    encoded = json_text(arguments)
    if isinstance(arguments, list):
        return encoded
    if isinstance(arguments, dict) and _survives_json(arguments) and _call_arguments(arguments) is arguments:
        return encoded
    return plain_arguments(encoded)


def _survives_json(document: dict[Any, Any]) -> bool:
    """Text keys, and no float JSON cannot hold (NaN and infinities are written as null)."""
    return all(isinstance(k, str) for k in document) and not any(
        isinstance(v, float) and not math.isfinite(v) for v in document.values()
    )


def _result_part(value: dict[str, Any]) -> Part:
    inner = (
        value.get("function_response")
        or value.get("functionResponse")
        or value.get("toolResult")
        or value.get("toolResponse")
    )
    source = inner if isinstance(inner, dict) else value
    result = _first_present(source, ("response", "result", "output", "content"))
    if isinstance(result, dict) and result.get("type") in ("text", "json", "error-text", "error-json"):
        result = result.get("value")  # Vercel v5 tool-result output
    call_id = (
        value.get("id")
        or value.get("toolCallId")
        or value.get("call_id")
        or value.get("tool_use_id")
        or source.get("toolUseId")
        or source.get("ref")
    )
    return Part(
        "tool_result",
        id=_opt_str(call_id or source.get("id")),
        name=_opt_str(source.get("name") or value.get("toolName")),
        text=_result_text(result),
    )


def _first_present(source: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The value under the first of ``keys`` present (even when that value is null)."""
    for key in keys:
        if key in source:
            return source[key]
    return None


def _result_text(result: Any) -> str | None:
    return plain_result(json_text(result))


_CARRIERS = ("result", "output", "response", "content", "value", "return_value", "json", "text")
"""Keys of a wrapper object that carries one value: ``{"result": 18}`` is 18."""
_ABOUT_THE_CALL = {"tool_name", "raw_input", "raw_output", "is_error", "isError", "id", "state", "metadata"}
"""What a tool's result object says besides its content blocks: which call it answers (its
name, or the call's ``id``), what went in and came out raw, whether it failed (``is_error``,
``isError``, ``state``: the stored status says that too, ``read_result``), the
framework's ``metadata`` about the run (AgentScope's ``ToolResponse``: ``{"content": [...],
"state": "error", "metadata": {}, "id": <call id>}``)."""
_FAILED_STATES = {"error"}
"""What a result's ``state`` / ``status`` says when the tool failed (AgentScope's
``ToolResponse.state``, LangChain's ``ToolMessage.status``)."""


def _says_failed(document: Any) -> bool:
    """Whether a tool's result (its decoded JSON) says the tool failed: an object beside its
    content that is flagged ``is_error`` / ``isError`` (MCP's ``CallToolResult``, LlamaIndex's
    ``ToolOutput``), whose ``state`` / ``status`` is ``error`` (AgentScope's ``ToolResponse``,
    LangChain's ``ToolMessage``) or which has an ``error`` text (``_error_text``: a tool that
    returns its failure as its answer), also as a LangChain message's fields. A tool can fail
    so with its span ended OK: the framework caught the exception and sent its text back to
    the model."""
    if not isinstance(document, dict):
        return False
    fields = langchain_message(document) or document
    if fields.get("is_error") is True or fields.get("isError") is True:
        return True
    if _error_text(fields) is not None:
        return True
    return any(fields.get(key) in _FAILED_STATES for key in ("state", "status"))


def result_error(value: str | None) -> str | None:
    """What failed, where a tool's result says the tool failed (``read_result``): its
    ``failure``, else ``failed``; None for a result that says nothing failed."""
    result = read_result(value)
    return (result.failure or "failed") if result.failed else None


def _error_text(fields: dict[str, Any]) -> str | None:
    """A result object's ``error``, when it is text or an object with a ``message`` text."""
    error = fields.get("error")
    if isinstance(error, dict):
        error = error.get("message")
    return (error.strip() or None) if isinstance(error, str) else None


_ABOUT_THE_REQUEST = {"tool_name", "tool_kwargs", "tool_id", "return_direct"}
"""What a record of a finished tool call says besides the tool's output (``tool_output``):
the call it answers, its arguments, whether the answer goes straight to the user
(LlamaIndex's ``ToolCallResult`` event)."""
_A_FINISHED_CALL = {"tool_output", *_ABOUT_THE_REQUEST}


def _finished_call(document: Any) -> bool:
    """Whether a document is a record of a finished tool call (``tool_output`` and facts about
    the request only: LlamaIndex's ``ToolCallResult``)."""
    return isinstance(document, dict) and "tool_output" in document and set(document) <= _A_FINISHED_CALL


def plain_result(value: str | None) -> str | None:
    """JSON text of a tool's result, with a wrapper that carries one value read as that
    value: ``{"result": …}`` (Google ADK), a Gemini ``FunctionResponse`` (``{"id", "name",
    "response": …}``: its response; OpenInference's ADK instrumentation records a tool's output
    so), ``[{"text": …}]`` (Bedrock blocks, MCP),
    ``[{"json": …}]``, text blocks beside facts about the call (``{"blocks": […],
    "tool_name", "raw_input", "raw_output", "is_error"}``: LlamaIndex's ``ToolOutput``), a
    record of the finished call carrying the tool's output (``{"tool_name", "tool_kwargs",
    "tool_id", "tool_output": …, "return_direct"}``: LlamaIndex's ``ToolCallResult``);
    anything else as it is. A LangChain message written as its Python repr
    (``content='…' name='…' tool_call_id='…'``, as OpenLIT records a ``ToolMessage``) is its
    content."""
    return read_result(value).text


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool's recorded result, read once (``read_result``)."""

    text: str | None
    """What the tool returned, as ``plain_result`` reads it."""
    failed: bool
    """Whether the result says the tool failed (``_says_failed``)."""
    error: str | None = None
    """The result's ``error`` text (``{"city": "Paris", "error": "service unavailable"}``)."""

    @property
    def failure(self) -> str | None:
        """Why the tool failed, as its result says: its ``error`` text, else its text when it
        is text (a result still JSON after unwrapping holds no reason of its own to show); None."""
        if not self.failed:
            return None
        if self.error is not None:
            return self.error
        if not self.text or self.text[:1] in ("{", "["):
            return None
        return self.text


def read_result(value: str | None) -> ToolResult:
    """A tool's result (JSON text, as the conventions read it) decoded once: its text
    (``plain_result``) and whether it says the tool failed. The stored status reads a failed
    one (``ingest.flatten.span_status``)."""
    value = _repr_content(value)
    document = _json_document(value)
    if document is _NO_DOCUMENT or value is None:
        return ToolResult(value, False)
    fields = (langchain_message(document) or document) if isinstance(document, dict) else {}
    return ToolResult(_carried_text(value, document, _carried), _says_failed(document), _error_text(fields))


_MESSAGE_REPR = re.compile(r"\Acontent=(?P<content>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")(?: \w+=.*)?\Z", re.S)
"""``content='…'`` then the message's other fields, ``name='…' tool_call_id='…'``: the repr
(``str()``) of a pydantic LangChain message."""


def _repr_content(value: str | None) -> str | None:
    """The content a LangChain message's repr holds, as the message's text; else the value."""
    if value is None:
        return None
    found = _MESSAGE_REPR.match(value)
    if found is None or "tool_call_id=" not in value[found.end("content") :]:
        return value
    try:
        content = ast.literal_eval(found["content"])
    except (ValueError, SyntaxError):
        return value
    return content if isinstance(content, str) else value


def constructor_fields(value: str) -> dict[str, Any] | None:
    """The fields of an object written as its Python repr, ``Name(field=<literal>, ...)``
    (pydantic models and dataclasses print so): a dict of them. None when the text is no
    such call, or a field's value is no literal (a nested object, an enum, a cut-off text)."""
    stripped = value.strip()
    if not stripped.endswith(")") or "(" not in stripped:
        return None
    try:
        tree = ast.parse(stripped, mode="eval").body
    except (SyntaxError, ValueError):
        return None
    if not isinstance(tree, ast.Call) or tree.args or not isinstance(tree.func, (ast.Name, ast.Attribute)):
        return None
    fields: dict[str, Any] = {}
    for keyword in tree.keywords:
        if keyword.arg is None:
            return None
        try:
            fields[keyword.arg] = ast.literal_eval(keyword.value)
        except (ValueError, SyntaxError, TypeError):
            return None
    return fields


def result_call_id(value: Any) -> str | None:
    """The id of the call a finished call's record answers (``tool_id`` beside ``tool_output``:
    LlamaIndex's ``ToolCallResult``), else None."""
    document = structured(value)
    if _finished_call(document):
        call_id = document.get("tool_id")
        return call_id if isinstance(call_id, str) and call_id else None
    return None


def plain_arguments(value: str | None) -> str | None:
    """JSON text of a tool's arguments, ``{"args": [], "kwargs": {…}}`` (smolagents,
    LlamaIndex) read as the keyword arguments, ``{"input": {…}, "options": null}`` (BeeAI)
    as the input. A one-key object stays: ``{"text": …}`` is an argument named text."""
    return _unwrapped(value, _call_arguments)


def plain_name(value: str | None) -> str | None:
    """A name (an agent's) recorded as the JSON text of an object whose one value is a
    string is that string: ``{"from_agent": "Triage Agent"}`` (OpenInference's JS
    instrumentation of the OpenAI Agents SDK records a handoff's source so) is
    ``Triage Agent``; anything else as it is."""
    return _unwrapped(value, _one_string)


def _one_string(document: Any) -> Any:
    if isinstance(document, dict) and len(document) == 1:
        (inner,) = document.values()
        if isinstance(inner, str) and inner.strip():
            return inner
    return document


def _unwrapped(value: str | None, unwrap: Callable[[Any], Any]) -> str | None:
    document = _json_document(value)
    if document is _NO_DOCUMENT or value is None:
        return value
    return _carried_text(value, document, unwrap)


_NO_DOCUMENT = object()
"""What ``_json_document`` gives for a text that is no JSON object or array."""


def _json_document(value: str | None) -> Any:
    """The JSON object or array ``value`` holds, decoded; ``_NO_DOCUMENT`` when it holds none."""
    if value is None or value[:1] not in ("{", "["):
        return _NO_DOCUMENT
    try:
        return parse_json(value)
    except ValueError:
        return _NO_DOCUMENT


def _carried_text(value: str, document: Any, unwrap: Callable[[Any], Any]) -> str | None:
    """The text of what ``document`` (``value`` decoded) carries: ``value`` itself when it is
    no wrapper."""
    carried = unwrap(document)
    if carried is document:
        return value
    return carried if isinstance(carried, str) else json_text(carried)


def _call_arguments(document: Any) -> Any:
    """``{"args": [], "kwargs": {…}}``, with or without the framework's own flags beside
    (smolagents' ``sanitize_inputs_outputs``): the keyword arguments. ``{"input": {…}}``
    beside unset run options only (BeeAI's ``{"input": {…}, "options": null}``): the input;
    alone it stays, an argument named input."""
    if isinstance(document, dict) and isinstance(document.get("kwargs"), dict) and not document.get("args"):
        flags = set(document) - {"args", "kwargs"}
        if all(isinstance(document[f], bool | None) for f in flags):
            return document["kwargs"]
    if (
        isinstance(document, dict)
        and document.keys() & _RUN_BOOKKEEPING
        and document.keys() & _RUN_INPUTS
        and not set(document) - _RUN_BOOKKEEPING - _RUN_INPUTS
    ):  # LangChain's on_tool_start record: the parsed ``inputs``, else the raw ``input_str``
        inputs = document.get("inputs")
        return inputs if isinstance(inputs, dict) else document.get("input_str", document)
    if (
        isinstance(document, dict)
        and isinstance(document.get("input"), dict)
        and len(document) > 1
        and all(document[f] is None for f in set(document) - {"input"})
    ):
        return document["input"]
    return document


_RUN_BOOKKEEPING = {"tags", "metadata", "kwargs", "run_id", "parent_run_id", "color", "name", "callbacks"}
"""What a callback handler records beside a run's input or output (LangChain's ``on_tool_start``
/ ``on_tool_end`` arguments, as OpenLLMetry's LangChain instrumentation records them whole):
the run's tags, metadata and options, not the tool's arguments or result."""
_RUN_INPUTS = {"inputs", "input_str"}
_LANGCHAIN_MESSAGE_TYPES = {"human", "ai", "system", "tool", "function", "chat", "AIMessageChunk"}


def langchain_message(document: Any) -> dict[str, Any] | None:
    """The fields of a serialized LangChain message (``{"type": "tool", "data": {…}}``,
    ``{"lc": 1, "type": "constructor", "kwargs": {…}}``, or the fields themselves beside
    ``"type": "tool"``), also inside a wrapper that only
    carries it (``{"output": …}``); None when the value is none."""
    if isinstance(document, dict) and len(document) == 1 and isinstance(document.get("output"), dict):
        document = document["output"]
    if isinstance(document, dict):
        data = document.get("data") if document.get("type") in _LANGCHAIN_MESSAGE_TYPES else None
        if document.get("lc") == 1 and isinstance(document.get("kwargs"), dict):
            data = document["kwargs"]
        elif data is None and document.get("type") in _LANGCHAIN_MESSAGE_TYPES and "content" in document:
            data = document  # dumped flat (``message.model_dump()``), as LangSmith's OTel export records it
        if isinstance(data, dict):
            return data
    return None


def _carried(document: Any, depth: int = 0) -> Any:
    if depth > 4:
        return document
    if isinstance(document, dict) and len(document) > 1 and document.keys() & _RUN_BOOKKEEPING:
        carriers = set(document) - _RUN_BOOKKEEPING
        if len(carriers) == 1 and next(iter(carriers)) in _CARRIERS:  # {"output": …, "kwargs": {…}}
            return _carried(document[next(iter(carriers))], depth + 1)
    message = langchain_message(document)
    if message is not None and "content" in message:  # a LangChain ToolMessage: its content
        return _carried(message["content"], depth + 1)
    if isinstance(document, list) and document and all(_is_text_block(b) for b in document):
        return "\n".join(str(b["text"]) for b in document)
    if _is_text_block(document) and document.get("type") == "text":  # one MCP / Anthropic text block
        return _carried(document["text"], depth + 1)
    if isinstance(document, list) and len(document) == 1 and isinstance(document[0], dict):
        inner = _carried(document[0], depth + 1)  # [{"json": {…}}]: a one-block list
        return inner if inner is not document[0] else document
    if isinstance(document, dict) and len(document) == 1:
        ((key, inner),) = document.items()
        if key in _CARRIERS:
            return _carried(inner, depth + 1)
    if _finished_call(document):
        return _carried(document["tool_output"], depth + 1)  # the call's record: what the tool returned
    if isinstance(document, dict) and {"name", "response"} <= set(document) <= {"id", "name", "response"}:
        return _carried(document["response"], depth + 1)  # a Gemini FunctionResponse: what the tool returned
    if isinstance(document, dict) and set(document) - _ABOUT_THE_CALL in ({"blocks"}, {"content"}):
        blocks = document.get("blocks", document.get("content"))
        if isinstance(blocks, list) and blocks and all(_is_text_block(b) for b in blocks):
            return _carried(blocks, depth + 1)  # LlamaIndex's ToolOutput, MCP's CallToolResult
    return document


_BLOCK_BOOKKEEPING = {"id", "created_at", "finished_at"}
"""What a typed text block may carry besides its text: its own id and times (AgentScope's
``TextBlock``), nothing the text says."""


def _is_text_block(block: Any) -> bool:
    """``{"text": …}``, ``{"type": "text", "text": …}`` (also with the block's own id and times
    beside: AgentScope's), or LlamaIndex's ``{"block_type": "text", "text": …}``."""
    if not isinstance(block, dict) or not isinstance(block.get("text"), str):
        return False
    if block.get("block_type") == "text":
        return set(block) == {"text", "block_type"}
    if block.get("type") == "text":
        return set(block) - _BLOCK_BOOKKEEPING <= {"text", "type"}
    return set(block) <= {"text", "type"}


def _as_tool_result(message: Message, tool_call_id: str) -> None:
    """An OpenAI ``role: tool`` message: its text is the result of one call."""
    if any(p.kind == "tool_result" for p in message.parts):
        for part in message.parts:
            if part.kind == "tool_result" and not part.id:
                part.id = tool_call_id
        return
    body = "\n".join(p.text for p in message.parts if p.kind == "text" and p.text) or None
    message.parts = [Part("tool_result", id=tool_call_id, text=body)]


def _media(value: dict[str, Any]) -> Media:
    inline = value.get("inline_data") or value.get("inlineData")
    if isinstance(inline, dict):
        value = {**value, **inline}
    image_url = value.get("image_url")
    uri = value.get("uri") or value.get("url") or (image_url.get("url") if isinstance(image_url, dict) else image_url)
    if isinstance(value.get("file_data"), dict):
        uri = uri or value["file_data"].get("file_uri") or value["file_data"].get("uri")
    mime_type = value.get("mime_type") or value.get("mimeType") or value.get("media_type")
    data = _base64(value.get("content") or value.get("data"))
    if isinstance(uri, str) and uri.startswith("data:"):
        header, _, payload = uri.partition(",")
        mime_type = mime_type or header[5:].split(";")[0] or None
        data, uri = _base64(payload), None
    modality = value.get("modality") or (str(mime_type).split("/")[0] if mime_type else None)
    return Media(
        modality=_opt_str(modality),
        mime_type=_opt_str(mime_type),
        uri=_opt_str(uri),
        data=data,
        file_id=_opt_str(value.get("file_id")),
    )


def _base64(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _opt_str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


_LANGCHAIN_ROLES = {
    "human": "user",
    "ai": "assistant",
    "AIMessageChunk": "assistant",
    "system": "system",
    "tool": "tool",
}


_LANGCHAIN_CLASSES = {"HumanMessage": "human", "AIMessage": "ai", "SystemMessage": "system", "ToolMessage": "tool"}
"""The message class a ``{"lc": 1, "type": "constructor", "id": [..., "ToolMessage"]}``
serialization constructs, as the ``type`` its fields leave out (LangChain JS writes it so)."""


def _constructor_type(serialized: Any) -> str | None:
    path = serialized.get("id") if isinstance(serialized, dict) and serialized.get("lc") == 1 else None
    return _LANGCHAIN_CLASSES.get(str(path[-1])) if isinstance(path, list) and path else None


def langchain_messages(document: Any, key: str) -> list[Message] | None:
    """Serialized LangChain messages under ``key`` of a run's inputs or outputs, batches
    flattened: a chat model run's ``{"messages": [[…]]}``, its ``{"generations": [[{"message":
    …}]]}``. Each is read as the chat message it is (its ``type`` the role, ``tool_calls``
    with ``args``, a ``ToolMessage``'s ``tool_call_id``)."""
    items = document.get(key) if isinstance(document, dict) else None
    found: list[Message] = []
    for batch in items if isinstance(items, list) else ():
        for item in batch if isinstance(batch, list) else [batch]:
            serialized = item.get("message") if isinstance(item, dict) and "message" in item else item
            data = langchain_message(serialized)
            if data is None:
                continue
            kind = data.get("type") or _constructor_type(serialized)
            role = _LANGCHAIN_ROLES.get(str(kind), str(kind or "user"))
            message = parse_message(
                {
                    "role": role,
                    "content": data.get("content"),
                    "tool_calls": data.get("tool_calls") or None,
                    "tool_call_id": data.get("tool_call_id"),
                }
            )
            if message is not None:
                found.append(message)
    return found or None
