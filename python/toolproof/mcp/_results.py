"""What an MCP tool returned, as the model reads it: text, with images and files attached in each
provider's tool-result format.

The text (the ``ToolResult.content``, capped like any result) is the server's text blocks, the
text of embedded text resources, and one line for each image, audio clip, file or resource link
(``[image 1: image/png, 2048 bytes]``), in the server's order. The media themselves travel beside
the text, in the message formats that carry them: ``results_to_messages`` puts them where each
provider takes them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mcp import types

from toolproof import _core
from toolproof.formats import Provider
from toolproof.formats import results_to_messages as _plain_messages

__all__ = ["Attachment", "MCPOutput", "results_to_messages"]

AttachmentKind = Literal["image", "audio", "file"]

# What each provider takes beside a tool result (from their API references: OpenAI vision and
# file inputs, Anthropic image and document blocks, Gemini multimodal function responses).
_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_ACCEPTS: dict[str, dict[AttachmentKind, frozenset[str]]] = {
    "openai": {
        "image": _IMAGE_TYPES,
        "file": frozenset({"application/pdf"}),
        "audio": frozenset({"audio/wav", "audio/x-wav", "audio/mpeg", "audio/mp3"}),
    },
    "openai-responses": {"image": _IMAGE_TYPES, "file": frozenset({"application/pdf"})},
    "anthropic": {"image": _IMAGE_TYPES, "file": frozenset({"application/pdf"})},
    "gemini": {
        "image": frozenset({"image/png", "image/jpeg", "image/webp"}),
        "file": frozenset({"application/pdf", "text/plain"}),
    },
}


@dataclass(frozen=True)
class Attachment:
    """An image, audio clip or file an MCP tool returned, base64-encoded as the server sent it."""

    kind: AttachmentKind
    label: str
    """How the result's text names it: ``"image 1"``."""
    mime_type: str
    data: str
    uri: str | None = None

    @property
    def data_url(self) -> str:
        return f"data:{self.mime_type};base64,{self.data}"

    @property
    def filename(self) -> str:
        if self.uri:
            tail = self.uri.rstrip("/").rsplit("/", 1)[-1]
            if tail:
                return tail
        return self.label.replace(" ", "_")


class MCPOutput(str):
    """What an MCP tool returned: the text the model reads (the string itself), with the server's
    ``content`` blocks, its ``structured`` content (validated against the tool's output schema when
    it has one), ``meta``, and the ``attachments`` that travel beside the text."""

    content: list[types.ContentBlock]
    structured: dict[str, Any] | None
    meta: dict[str, Any] | None
    attachments: tuple[Attachment, ...]

    def __new__(
        cls,
        text: str,
        *,
        content: Sequence[types.ContentBlock] = (),
        structured: dict[str, Any] | None = None,
        meta: dict[str, Any] | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> MCPOutput:
        output = super().__new__(cls, text)
        output.content = list(content)
        output.structured = structured
        output.meta = meta
        output.attachments = tuple(attachments)
        return output

    def __reduce__(self) -> Any:
        return (
            _rebuild,
            (str(self), self.content, self.structured, self.meta, self.attachments),
        )


def _rebuild(
    text: str,
    content: list[types.ContentBlock],
    structured: dict[str, Any] | None,
    meta: dict[str, Any] | None,
    attachments: tuple[Attachment, ...],
) -> MCPOutput:
    return MCPOutput(text, content=content, structured=structured, meta=meta, attachments=attachments)


def _decoded_size(data: str) -> int | None:
    """The size of base64 ``data`` once decoded, or None when it is not base64."""
    try:
        return len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        return None


def read_content(
    blocks: Iterable[types.ContentBlock], *, max_media_bytes: int | None
) -> tuple[str, list[Attachment]]:
    """The model-facing text of a result's content blocks, and the media to attach."""
    lines: list[str] = []
    attachments: list[Attachment] = []
    counts: dict[str, int] = {}

    def media(kind: AttachmentKind, mime_type: str | None, data: str, uri: str | None) -> None:
        counts[kind] = counts.get(kind, 0) + 1
        label = f"{kind} {counts[kind]}"
        mime = mime_type or "application/octet-stream"
        where = f"{uri}, " if uri else ""
        size = _decoded_size(data)
        if size is None:
            lines.append(f"[{label}: {where}{mime}, not attached: its data is not base64]")
        elif max_media_bytes is not None and size > max_media_bytes:
            lines.append(
                f"[{label}: {where}{mime}, {size} bytes, not attached: larger than {max_media_bytes} bytes]"
            )
        else:
            lines.append(f"[{label}: {where}{mime}, {size} bytes]")
            attachments.append(Attachment(kind, label, mime, data, uri))

    for block in blocks:
        if isinstance(block, types.TextContent):
            lines.append(block.text)
        elif isinstance(block, types.ImageContent):
            media("image", block.mimeType, block.data, None)
        elif isinstance(block, types.AudioContent):
            media("audio", block.mimeType, block.data, None)
        elif isinstance(block, types.EmbeddedResource):
            resource = block.resource
            uri = str(resource.uri)
            if isinstance(resource, types.TextResourceContents):
                lines.append(f"[resource {uri}]\n{resource.text}")
            else:
                mime = resource.mimeType or "application/octet-stream"
                media("image" if mime in _IMAGE_TYPES else "file", mime, resource.blob, uri)
        elif isinstance(block, types.ResourceLink):
            about = f": {block.description}" if block.description else ""
            lines.append(f"[resource link {block.uri} ({block.name}){about}]")
        else:  # a block type newer than this SDK release: its JSON, so nothing is lost
            lines.append(_core.to_json(block.model_dump(mode="json", by_alias=True, exclude_none=True)))
    return "\n".join(lines), attachments


# -- provider messages ------------------------------------------------------------------------


def _accepted(attachments: Iterable[Attachment], provider: str) -> list[Attachment]:
    accepts = _ACCEPTS[provider]
    return [item for item in attachments if item.mime_type in accepts.get(item.kind, frozenset())]


def _attachments(result: _core.ToolResult, provider: str) -> list[Attachment]:
    output = result.output
    if not result.ok or not isinstance(output, MCPOutput):
        return []
    return _accepted(output.attachments, provider)


def _openai_part(item: Attachment) -> dict[str, Any]:
    if item.kind == "image":
        return {"type": "image_url", "image_url": {"url": item.data_url}}
    if item.kind == "audio":
        audio_format = "wav" if "wav" in item.mime_type else "mp3"
        return {"type": "input_audio", "input_audio": {"data": item.data, "format": audio_format}}
    return {"type": "file", "file": {"filename": item.filename, "file_data": item.data_url}}


def _responses_part(item: Attachment) -> dict[str, Any]:
    if item.kind == "image":
        return {"type": "input_image", "image_url": item.data_url}
    return {"type": "input_file", "filename": item.filename, "file_data": item.data_url}


def _anthropic_block(item: Attachment) -> dict[str, Any]:
    source = {"type": "base64", "media_type": item.mime_type, "data": item.data}
    return {"type": "image" if item.kind == "image" else "document", "source": source}


def results_to_messages(results: Iterable[_core.ToolResult], provider: Provider) -> list[dict[str, Any]]:
    """``toolproof.results_to_messages``, with the images and files MCP tools returned attached
    where each provider takes them: Anthropic ``image``/``document`` blocks in the
    ``tool_result``, Responses ``input_image``/``input_file`` items in the
    ``function_call_output``, Gemini ``inlineData`` parts in the ``functionResponse``. OpenAI Chat
    Completions takes text only in ``tool`` messages, so its media follow in one ``user`` message
    after the batch's tool messages, each introduced by the call and label the text names.

    Media a provider does not take (audio but for OpenAI Chat, image types it does not read) stay
    a line in the text only.
    """
    results = list(results)
    messages = _plain_messages(results, provider)
    if provider == "openai":
        parts: list[dict[str, Any]] = []
        for result in results:
            for item in _attachments(result, provider):
                parts.append({"type": "text", "text": f"{item.label} of tool call {result.call_id}:"})
                parts.append(_openai_part(item))
        if parts:
            messages.append({"role": "user", "content": parts})
        return messages
    if provider == "openai-responses":
        for result, message in zip(results, messages, strict=True):
            items = _attachments(result, provider)
            if items:
                message["output"] = [
                    {"type": "input_text", "text": result.content},
                    *(_responses_part(item) for item in items),
                ]
        return messages
    if not messages:
        return messages
    if provider == "anthropic":
        for result, block in zip(results, messages[0]["content"], strict=True):
            items = _attachments(result, provider)
            if items:
                text = [{"type": "text", "text": result.content}] if result.content else []
                block["content"] = [*text, *(_anthropic_block(item) for item in items)]
        return messages
    for result, part in zip(results, messages[0]["parts"], strict=True):
        items = _attachments(result, provider)
        if items:
            part["functionResponse"]["parts"] = [
                {"inlineData": {"mimeType": item.mime_type, "data": item.data}} for item in items
            ]
    return messages
