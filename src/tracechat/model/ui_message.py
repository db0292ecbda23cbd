"""The Vercel AI SDK's ``UIMessage``, as ``useChat`` (``DefaultChatTransport``) sends it: what
tracechat reads of it. Parts tracechat does not read are accepted as they are."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

Trigger = Literal["submit-message", "regenerate-message"]


class UITextPart(BaseModel):
    type: Literal["text"]
    text: str
    state: Literal["streaming", "done"] | None = None


class UIToolPart(BaseModel):
    """A tool call and, once it ran, its result (``tool-{name}``, or ``dynamic-tool`` with ``toolName``)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(pattern=r"^(tool-.+|dynamic-tool)$")
    toolCallId: str
    toolName: str | None = Field(default=None, description="Only in dynamic-tool parts.")
    state: str = Field(description="input-streaming, input-available, output-available, output-error, …")
    input: Any = None
    output: Any = None
    errorText: str | None = None


class UIFilePart(BaseModel):
    type: Literal["file"]
    mediaType: str
    url: str
    filename: str | None = None


class UIOtherPart(BaseModel):
    """``step-start``, ``reasoning``, ``source-url``, ``source-document``, ``data-{name}``, …"""

    model_config = ConfigDict(extra="allow")

    type: str


def _part_kind(part: Any) -> str:
    kind = part.get("type") if isinstance(part, dict) else getattr(part, "type", None)
    if kind in ("text", "file"):
        return str(kind)
    if isinstance(kind, str) and (kind.startswith("tool-") or kind == "dynamic-tool"):
        return "tool"
    return "other"


UIPart = Annotated[
    Annotated[UITextPart, Tag("text")]
    | Annotated[UIToolPart, Tag("tool")]
    | Annotated[UIFilePart, Tag("file")]
    | Annotated[UIOtherPart, Tag("other")],
    Discriminator(_part_kind),
]


class UIMessage(BaseModel):
    id: str | None = Field(
        default=None, description="The client's message id: a message the chat already holds is not stored again."
    )
    role: Literal["system", "user", "assistant"]
    parts: list[UIPart]
    metadata: Any = None
