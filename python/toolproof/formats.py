"""Provider formats: tool calls in from whatever a model answered, results and turns back out.

``to_tool_calls`` reads the calls of one model turn from the objects the SDKs return (OpenAI Chat
Completions and Responses, Anthropic Messages, Gemini, LangChain-style dicts) or from the text a
model wrote (Hermes/Qwen ``<tool_call>`` tags, Llama's ``<function=name>`` tags and pythonic
calls, Qwen3-Coder's ``<function=name>`` with ``<parameter=key>`` tags, Mistral's ``[TOOL_CALLS]``,
a JSON list of calls). SDK objects are read by attribute and
plain dicts by key, so no SDK is imported here and each works without the others.

``results_to_messages`` and ``assistant_message`` write the other direction: what a raw SDK needs
in its conversation to continue after the tools ran.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, NamedTuple, overload

from toolproof import _core
from toolproof._core import ToolCall, ToolResult, repair_json

__all__ = ["assistant_message", "results_to_messages", "to_tool_calls"]

Provider = Literal["openai", "openai-responses", "anthropic", "gemini"]
_PROVIDERS: tuple[str, ...] = ("openai", "openai-responses", "anthropic", "gemini")

# Where a call's arguments are found when it is written as a bare object, by different writers.
_ARGUMENT_KEYS = ("arguments", "parameters", "args")

_ACCEPTED = (
    "ToolCall objects; an OpenAI ChatCompletion, choice, message or tool call; an OpenAI Responses "
    "Response or function_call item; an Anthropic Message or tool_use block; a Gemini response, "
    "Content or part with a functionCall; a LangChain tool call dict; text with <tool_call> or "
    "<function=name> tags, [TOOL_CALLS], pythonic calls ([name(key=value)]) or a JSON list of "
    "{name, arguments}; or a list of any of these"
)


class _Call(NamedTuple):
    """A call as found, before ids are settled: ``id`` is None when the provider gave none."""

    id: str | None
    name: str
    arguments: Any


# --------------------------------------------------------------------------------------------
# Reading calls in


def to_tool_calls(source: Any) -> list[ToolCall]:
    """The tool calls in ``source``, in the order the model made them.

    Items that are not calls (text, thinking and reasoning blocks, messages without calls, tool
    calls the provider runs itself, custom free-form tool calls) are skipped. A call without an id
    (Gemini often, text formats always) gets ``call_{index}``, its position in this batch, or the
    first ``call_{index}_{n}`` no other call of the batch uses: the same source always gets the
    same ids. Arguments stay as the model sent them (JSON text or a dict) for the argument road.
    Calls written as Python (``[get_weather(city="Paris", days=3)]``) have their arguments read as
    literals, never evaluated; a call whose arguments are anything else is not read as a call.
    Every call in a ``<tool_call>`` tag that holds several is read. Qwen3-Coder's
    ``<parameter=key>`` values come as a dict of strings, less the newline the format puts on each
    side, for the road to type against the tool's schema; one the text ends inside leaves the call's
    arguments as JSON text cut off there, which the road refuses.

    When ``source`` is a whole response (or a choice or candidate of one), each call carries the
    provider's word for how the turn ended as ``finish_reason`` (``"tool_calls"``, ``"end_turn"``,
    ``"STOP"``, ``"length"`` ...): dispatch hands it to the argument road, which closes arguments
    that end right after a number only when the model ended on its own.

    Raises ``TypeError`` for an object that is none of the accepted shapes, and ``ValueError`` for
    a call written as text (a ``<tool_call>`` block, say) in which no tool name can be read, that
    gives a parameter twice, or whose value a closing tag inside it would cut short.
    """
    if isinstance(source, (list, tuple)):
        # Lists of ToolCalls and of the common provider dicts are read in one pass in Rust.
        direct = _core.read_tool_calls(source)
        if direct is not None:
            return direct
    found: list[_Call | ToolCall] = []
    _read(source, found, text_is_calls=True)
    return _settle_ids(found, _finish_reason(source))


def _finish_reason(source: Any) -> str | None:
    """How the model's turn ended, when ``source`` is a response, choice or candidate that says:
    OpenAI's ``finish_reason``, Anthropic's ``stop_reason``, Gemini's ``finish_reason``, the
    Responses API's ``status`` (with the reason it is incomplete)."""
    if isinstance(source, (str, bytes, bytearray, list, tuple)):
        return None
    choices = _field(source, "choices")
    if isinstance(choices, (list, tuple)) and choices:
        source = choices[0]
    candidates = _field(source, "candidates")
    if isinstance(candidates, (list, tuple)) and candidates:
        source = candidates[0]
    reason = _field(source, "finish_reason", "finishReason", "stop_reason")
    if reason is None and _field(source, "type") is None and isinstance(_field(source, "output"), list):
        reason = _field(source, "status")
        if reason == "incomplete":
            reason = _field(_field(source, "incomplete_details") or {}, "reason") or reason
    if reason is not None and not isinstance(reason, str):
        # An SDK enum (Gemini's FinishReason.STOP): its name is the provider's word.
        value = getattr(reason, "value", None)
        reason = value if isinstance(value, str) else getattr(reason, "name", None)
    return reason if isinstance(reason, str) and reason else None


def _read(obj: Any, found: list[_Call | ToolCall], *, text_is_calls: bool) -> None:
    if isinstance(obj, ToolCall):
        found.append(obj)
    elif isinstance(obj, (str, bytes, bytearray)):
        # Only text handed to us directly is read for calls: the prose inside a message is an
        # answer, not a call, even when it shows a JSON example.
        if text_is_calls:
            text = obj if isinstance(obj, str) else bytes(obj).decode("utf-8", errors="replace")
            found.extend(_calls_in_text(text))
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            _read(item, found, text_is_calls=text_is_calls)
    elif not _read_shape(obj, found):
        raise TypeError(f"to_tool_calls() cannot read {_describe(obj)}; it accepts {_ACCEPTED}")


def _read_shape(obj: Any, found: list[_Call | ToolCall]) -> bool:
    """Read one provider object into ``found``; False when it is no shape we know."""
    kind = _field(obj, "type")
    if kind == "function_call":  # OpenAI Responses output item
        # `id` is the item's own id (fc_...); the result must name `call_id`.
        found.append(_call(_field(obj, "call_id"), _field(obj, "name"), _field(obj, "arguments"), obj))
    elif kind == "tool_use":  # Anthropic content block
        found.append(_call(_field(obj, "id"), _field(obj, "name"), _field(obj, "input"), obj))
    elif kind in ("tool_call", "invalid_tool_call"):  # LangChain; an invalid call keeps its raw text
        found.append(_call(_field(obj, "id"), _field(obj, "name"), _field(obj, "args"), obj))
    elif kind in (None, "function") and (function := _field(obj, "function")) is not None:
        # OpenAI Chat Completions tool call
        found.append(_call(_field(obj, "id"), _field(function, "name"), _field(function, "arguments"), obj))
    elif kind == "function" or (kind is None and isinstance(obj, Mapping) and "function" in obj):
        # An OpenAI tool call without its function (missing, or None): still a call, answered
        # with an error result like any call naming no tool.
        found.append(_call(_field(obj, "id"), None, None, obj))
    elif (choices := _field(obj, "choices")) is not None:  # ChatCompletion: the first choice answers
        if choices:
            _read_choice(choices[0], found)
    elif (candidates := _field(obj, "candidates")) is not None:  # Gemini GenerateContentResponse
        content = _field(candidates[0], "content") if candidates else None
        if content is not None:
            _read_parts(_field(content, "parts"), found)
    elif kind is None and isinstance(output := _field(obj, "output"), list):  # Responses Response
        _read(output, found, text_is_calls=False)
    elif (parts := _field(obj, "parts")) is not None:  # Gemini Content
        _read_parts(parts, found)
    elif (content := _field(obj, "content")) is not None and _field(content, "parts") is not None:
        _read_parts(_field(content, "parts"), found)  # a Gemini candidate
    elif _is_choice(obj):
        _read_choice(obj, found)
    elif _field(obj, "role") is not None or kind in ("message", "ai"):
        _read_message(obj, found)
    elif (function_call := _field(obj, "functionCall", "function_call")) is not None:  # Gemini part
        found.append(
            _call(
                _field(function_call, "id"), _field(function_call, "name"), _field(function_call, "args"), obj
            )
        )
    elif kind is None and isinstance(_field(obj, "name"), str) and _field(obj, *_ARGUMENT_KEYS) is not None:
        # A bare call: a Gemini FunctionCall, LangChain without `type`, AutoGen FunctionCall.
        # Typed items with a name and arguments (Responses `mcp_call`) run at the provider.
        found.append(_call(_field(obj, "id"), _field(obj, "name"), _field(obj, *_ARGUMENT_KEYS), obj))
    else:
        # Typed items that are not calls (text, thinking, reasoning, server-side tool use ...) and
        # Gemini parts without a function call are known shapes with nothing to run.
        return isinstance(kind, str) or _is_gemini_part(obj)
    return True


def _is_choice(obj: Any) -> bool:
    """A ChatCompletion choice (``message``) or streamed chunk choice (``delta``); an error body's
    ``message`` is text."""
    message = _field(obj, "message")
    return _field(obj, "delta") is not None or (message is not None and not isinstance(message, str))


def _read_choice(choice: Any, found: list[_Call | ToolCall]) -> None:
    message = _field(choice, "message")
    if message is None:
        raise TypeError(
            "to_tool_calls() got a streamed chunk: its `delta` holds pieces of calls; accumulate "
            "the stream into a complete message (or use the SDK's stream helper) first"
        )
    _read_message(message, found)


def _read_message(message: Any, found: list[_Call | ToolCall]) -> None:
    """An assistant turn of any provider: OpenAI/LangChain `tool_calls`, or a list of blocks."""
    tool_calls = _field(message, "tool_calls")
    legacy_call = _field(message, "function_call")
    if tool_calls is not None or legacy_call is not None:
        # Once a message lists its calls, its content is prose (or, for LangChain over Anthropic,
        # the same calls again as blocks), so the content is not read.
        _read(tool_calls or [], found, text_is_calls=False)
        # LangChain keeps calls whose arguments failed to parse apart; they still need a result.
        _read(_field(message, "invalid_tool_calls") or [], found, text_is_calls=False)
        if legacy_call is not None:  # OpenAI's pre-tools `function_call`: no id
            found.append(_call(None, _field(legacy_call, "name"), _field(legacy_call, "arguments"), message))
        return
    content = _field(message, "content")
    if isinstance(content, (list, tuple)):
        _read(content, found, text_is_calls=False)


def _read_parts(parts: Any, found: list[_Call | ToolCall]) -> None:
    _read(list(parts or ()), found, text_is_calls=False)


_GEMINI_PART_FIELDS = (
    "text",
    "thought",
    "thoughtSignature",
    "thought_signature",
    "inlineData",
    "inline_data",
    "fileData",
    "file_data",
    "executableCode",
    "executable_code",
    "codeExecutionResult",
    "code_execution_result",
    "functionResponse",
    "function_response",
    "functionCall",
    "function_call",
)


def _is_gemini_part(obj: Any) -> bool:
    if isinstance(obj, Mapping):
        return any(key in obj for key in _GEMINI_PART_FIELDS)
    return any(hasattr(obj, name) for name in _GEMINI_PART_FIELDS)


def _field(obj: Any, *names: str) -> Any:
    """The first of ``names`` that ``obj`` has with a value other than None: a key of a mapping,
    an attribute of anything else (SDK objects)."""
    for name in names:
        value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _call(call_id: Any, name: Any, arguments: Any, source: Any) -> _Call:
    # A call without a name is kept, named "": dispatch answers it with an error result, so every
    # call the model made gets one.
    if not isinstance(name, str):
        name = ""
    # Gemini sends an empty id when it has none; an empty id cannot be matched to a result.
    return _Call(str(call_id) if call_id not in (None, "") else None, name, arguments)


def _describe(obj: Any) -> str:
    if isinstance(obj, Mapping):
        return f"a dict with keys {sorted(map(str, obj))[:12]}"
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__} {_shorten(repr(obj))}"


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _settle_ids(found: Sequence[_Call | ToolCall], finish_reason: str | None = None) -> list[ToolCall]:
    """Give each call without an id ``call_{index}``, stepping aside for ids the batch already has,
    and each call the turn's ``finish_reason``."""
    taken = {item.id for item in found if item.id is not None}
    calls: list[ToolCall] = []
    for index, item in enumerate(found):
        if isinstance(item, ToolCall):
            calls.append(item)
            continue
        call_id = item.id
        if call_id is None:
            call_id = f"call_{index}"
            suffix = 0
            while call_id in taken:
                suffix += 1
                call_id = f"call_{index}_{suffix}"
            taken.add(call_id)
        calls.append(ToolCall(call_id, item.name, item.arguments, finish_reason=finish_reason))
    return calls


# --------------------------------------------------------------------------------------------
# Calls written as text (open models without a server-side tool parser)
#
# The text is read once, left to right. Between calls it is prose, searched for the next call
# opener; a call's body is read with its strings taken whole, so a tag, a marker or a fence inside
# an argument never opens, closes or cuts a call. A quote opens a string only where a key or a value
# may begin; anywhere else it is an apostrophe or an inch mark (`don't`, `5"`), ordinary text, so
# prose or a comment inside a call's body never hides the tag that closes it. Every pattern here
# is linear in the text it runs over, including where it fails: strings are matched as unrolled
# loops (no nested quantifier can be split two ways) and a name stops at the next `<`.


def _quoted(quote: str) -> str:
    """A string in ``quote`` with its escapes; one the text ends inside runs to the end."""
    return quote + "[^" + quote + r"\\]*(?:\\.[^" + quote + r"\\]*)*(?:" + quote + r"|\Z)"


def _triple_quoted(quote: str) -> str:
    """A Python string between three ``quote`` characters, which may hold one or two in a row."""
    triple = quote * 3
    plain = "[^" + quote + r"\\]*"
    return (
        triple
        + plain
        + r"(?:(?:\\.|"
        + quote
        + "(?!"
        + quote * 2
        + "))"
        + plain
        + r")*(?:"
        + triple
        + r"|\Z)"
    )


def _closed(quote: str) -> str:
    """A string in ``quote`` with its escapes, closed before the text ends."""
    return quote + "[^" + quote + r"\\]*(?:\\.[^" + quote + r"\\]*)*" + quote


_JSON_STRINGS = _quoted('"') + "|" + _quoted("'")
_PYTHON_STRINGS = _triple_quoted("'") + "|" + _triple_quoted('"') + "|" + _JSON_STRINGS
_CLOSED_STRING = {quote: re.compile(_closed(quote), re.DOTALL) for quote in ("'", '"')}
# A string in `'` with its escapes, closed on its line: in JSON5, Python and JavaScript none holds a raw
# newline.
_CLOSED_ON_ITS_LINE = r"'[^'\\\n]*(?:\\.[^'\\\n]*)*'"

# A string where a key or a value may begin. A `"` left open runs to the end of the text, since all
# that follows may be its content. A `'` that does not close on its line was an apostrophe (`Style:
# '90s`): the text after it is read as if it were any other character, so neither the call's closing
# tag nor an apostrophe in a string after it on another line is taken into a string. The search for
# its end runs to the end of a line only once: no backslash comes right before a quote where a value
# may begin, and of such quotes only the last on a line can fail to close (a later one would close it).
_VALUE_STRING = "(?:" + _quoted('"') + "|" + _CLOSED_ON_ITS_LINE + ")?"
# After one of these a key or a value may begin.
_VALUE_START = r"[{\[(:,]"


class _Syntax(NamedTuple):
    """How a value written as text is scanned for its end: what is passed over whole (plain text,
    strings, and in Python comments) after a closing and after an opening bracket, and the brackets
    that nest, a run of them at a time (group 1 opens, group 2 closes)."""

    skip: re.Pattern[str]
    skip_after_open: re.Pattern[str]
    brackets: re.Pattern[str]


# The brackets are counted apart, so here a value begins after the rest of `_VALUE_START`. Comments
# are not passed over: one would hide the brackets after it on its line.
_JSON_SKIP = r"(?:[^'\"\[\]{}(:,]+|[(:,][\s(:,]*" + _VALUE_STRING + r"|['\"])*"
_JSON = _Syntax(
    re.compile(_JSON_SKIP, re.DOTALL),
    re.compile(r"\s*" + _VALUE_STRING + _JSON_SKIP, re.DOTALL),
    re.compile(r"([\[{]+)|([\]}]+)"),
)
# Python reads every quote outside a comment as a string.
_PYTHON_SKIP = re.compile(r"(?:[^'\"\[\]{}()#]+|#[^\r\n]*|" + _PYTHON_STRINGS + ")*", re.DOTALL)
_PYTHON = _Syntax(_PYTHON_SKIP, _PYTHON_SKIP, re.compile(r"([\[{(]+)|([\]})]+)"))

# Where a call may begin in prose: Hermes/Qwen's tag, Llama's custom tool tag and its marker for
# calls, Mistral's marker, and a fenced block.
_OPENER = re.compile(r"<tool_call>|<function=|<\|python_tag\|>|\[TOOL_CALLS\]|```")
# Special tokens that end a model's turn (Llama 3, Qwen), written out when a server keeps them. They,
# and a `;` after the last call, may follow calls.
_TURN_ENDS = ("<|eot_id|>", "<|eom_id|>", "<|im_end|>")
_TRAILER = re.compile(r"(?:\s|;|" + "|".join(map(re.escape, _TURN_ENDS)) + ")*")


def _tag_body(*stops: str) -> re.Pattern[str]:
    """A tag's body: everything up to the first of ``stops`` (each starting with ``<``) outside
    strings, or to the end of the text. A `//` or `#` comment runs to the end of its line, with
    any quote in it an ordinary character; a tag in it still counts, as it does in prose."""
    after_angle = "|".join(re.escape(stop[1:]) for stop in stops)
    comment = r"(?://|#)[^\n<]*"
    # At the body's start or after `_VALUE_START`, past blanks, comments and more of it.
    value = r"(?:[\s{\[(:,]+|" + comment + ")*" + _VALUE_STRING
    return re.compile(
        value
        + r"(?:[^'\"<{\[(:,/#]+|"
        + comment
        + "|"
        + _VALUE_START
        + value
        + r"|['\"/]|<(?!"
        + after_angle
        + "))*",
        re.DOTALL,
    )


# A body ends at its closing tag; another opening tag or the end of the turn means it was cut off.
_TOOL_CALL_BODY = _tag_body("</tool_call>", "<tool_call>", *_TURN_ENDS)
# Llama 3.x's custom tool format: `<function=get_weather>{"city": "Paris"}</function>`.
_FUNCTION_BODY = _tag_body("</function>", "<function=", "<tool_call>", *_TURN_ENDS)
# Inside a `<tool_call>` tag its closing tag ends the call too.
_TAGGED_FUNCTION_BODY = _tag_body("</function>", "<function=", "</tool_call>", "<tool_call>", *_TURN_ENDS)
# A `<` ends the name, so a run of openers without `>` is not scanned again from each of them.
_FUNCTION_NAME = re.compile(r"([^<>\s]+)>")
# Qwen3-Coder's format: `<function=name>`, then `<parameter=key>` and the value as raw text for each
# argument, then `</parameter>` and at last `</function>`. A value cannot be escaped: as Qwen's parser
# in vLLM (qwen3_coder) reads it, it ends at the first closing tag, or where the model left it open,
# at the next parameter or the end of the call.
_NEXT_FUNCTION = re.compile(r"\s*<function=")
_NEXT_PARAMETER = re.compile(r"\s*<parameter=")
_PARAMETER_NAME = re.compile(r"([^<>\n]+)>")
_NAME_CUT_OFF = re.compile(r"[^<>\n]*\Z")
_VALUE_END = re.compile(
    "|".join(map(re.escape, ("</parameter>", "<parameter=", "</function>", "</tool_call>", *_TURN_ENDS)))
)
# Where a call left without `</function>` ends: at its tag's end, the next call or the end of the turn.
_OPEN_CALL_ENDS = ("</tool_call>", "<tool_call>", "<function=", *_TURN_ENDS)
# After a call, a `</parameter>` before the next parameter's opening tag shows that its last value held
# closing tags that ended it and the call early; after a value left open, so does a `</function>`
# before the next call. Text the value goes on with (a fence, a marker, `<function=` with no name)
# opens no call, so the search goes on past it.
_AFTER_CALL = re.compile(r"</parameter>|<parameter=")
_AFTER_OPEN_VALUE = re.compile(r"</function>|<tool_call>|<function=[^<>\s]+>")
_SPACE = re.compile(r"\s*")
_FENCE_INFO = re.compile(r"[\w+-]*[ \t]*\n?")
_FENCE_CLOSE = re.compile(r"\s*```")
# Mistral's format since tokenizer v11: `[TOOL_CALLS]name[ARGS]{...}`, or with `[CALL_ID]id`
# before `[ARGS]`; servers that drop control tokens leave `name{...}`.
_MISTRAL_CALL = re.compile(
    r"\s*(?P<name>[^\s\[\]{}()<>\"',;]+)\s*(?:\[CALL_ID\]\s*(?P<id>[^\s\[\]{}]*)\s*)?(?:\[ARGS\]|(?=\{))\s*"
)
# Where a call written bare begins, after the space or `;` before it: pythonic
# (`get_weather(...)`, `[get_weather(...), ...]`) or JSON objects (`{...}`, `[{...}, ...]`).
_BARE_CALL = re.compile(
    r"[\s;]*(?:(?P<python>(?:\[\s*)?[^\W\d]\w*(?:\.[^\W\d]\w*)*[ \t]*\()|(?P<json>(?:\[\s*)?\{))"
)
_ELEMENT_GAP = re.compile(r"[\s,}]*")
# In a tag's body: a call object or list of them (group 1), or a `//` or `# ` comment running to its
# line's end (a `#` with no space after it is prose: `call #2`).
_CALL_VALUE = re.compile(r"((?:\[\s*)?\{)|(?://|#(?=[ \t]))[^\n]*")
_ARGUMENTS_KEY = re.compile(r"""["']?\b(?:arguments|parameters|args)\b["']?\s*:\s*""")
_NAME_KEY = re.compile(r"""["']?\bname\b["']?\s*:""")
_NAME_VALUE = re.compile(r"""["']?\bname\b["']?\s*:\s*["']([^"']+)["']""")
_SCALAR = re.compile(r"[^,}\]\s]*")


def _calls_in_text(text: str) -> list[_Call]:
    """Every call written in ``text``, in the order written."""
    calls: list[_Call] = []
    # The whole text may be calls written bare, one after another. They count only when nothing
    # but more calls follows: prose that shows a call is an answer. Values that are not calls are
    # still passed over whole, so an argument of a call that cannot be read opens nothing.
    bare, index = _statements(text, 0)
    if bare is not None and _only_calls_follow(text, index):
        calls.extend(bare)
    in_fence = False  # inside a fenced block that holds something other than calls
    while (opener := _OPENER.search(text, index)) is not None:
        kind, index = opener.group(), opener.end()
        if kind == "```":
            if in_fence:
                in_fence = False
            else:
                index, in_fence = _read_fence(text, index, calls)
        elif kind == "<tool_call>" and _NEXT_FUNCTION.match(text, index) is not None:
            index = _read_function_tags(text, index, calls)
        elif kind == "<tool_call>":
            block, index = _read_tag_body(text, index, _TOOL_CALL_BODY, "</tool_call>")
            if block.strip():
                calls.extend(_calls_in_tag(block.strip()))
        elif kind == "<function=":
            index = _read_function_tag(text, index, calls)
        elif kind == "[TOOL_CALLS]" and (named := _MISTRAL_CALL.match(text, index)) is not None:
            index = _read_mistral_call(text, named, calls)
        else:  # after Llama's `<|python_tag|>` or Mistral's older `[TOOL_CALLS]`: calls written bare
            found, index = _statements(text, index)
            calls.extend(found or ())
    return calls


def _calls_in_tag(body: str) -> list[_Call]:
    """The calls of one ``<tool_call>`` body. Qwen and Hermes fine-tunes write parallel calls in one
    tag, objects (or lists of them) one after another: each is read from its own text, so one broken
    call neither hides the others nor takes them into its arguments."""
    values = _call_values(body)
    first, second = next(values, None), next(values, None)
    if first is None or second is None:
        # One call: prose or a comment around it does not stop its name being read. One list is read
        # from its own text, so that prose before it does not leave only its first call.
        return _calls_in_document(first if first is not None and first.startswith("[") else body)
    calls = _calls_in_document(first) + _calls_in_document(second)
    for value in values:  # read as found, so a value that is no call is refused before the rest is scanned
        calls.extend(_calls_in_document(value))
    return calls


def _call_values(body: str) -> Iterator[str]:
    """The texts of the call objects and lists written in a tag's body, left to right. Braces with
    neither a name nor an arguments key (``This sets {q}.``) are prose; a call that lost one of the
    two still has the other, and is read, or refused by its text."""
    index = 0
    while (found := _CALL_VALUE.search(body, index)) is not None:
        index = found.end()
        if found.group(1) is None:  # a comment, whose example call is no call
            continue
        index = _end_or_last(body, _bracketed_end(body, found.start(), _JSON))
        value = body[found.start() : index]
        if _NAME_KEY.search(value) or _ARGUMENTS_KEY.search(value):
            yield value


def _only_calls_follow(text: str, index: int) -> bool:
    index = _past(_TRAILER, text, index)
    return index == len(text) or _OPENER.match(text, index) is not None


def _read_tag_body(text: str, start: int, body: re.Pattern[str], closer: str) -> tuple[str, int]:
    """A tag's body from ``start`` and where reading goes on. A body cut off (by another tag, the
    end of the turn, or the end of the text) still counts: generation often stops on the closing
    tag's token."""
    end = _past(body, text, start)
    if text.startswith(closer, end):
        return text[start:end], end + len(closer)
    if text.startswith("<", end):
        return text[start:end], end
    # The text ends, or ends inside a string: nothing after the string's quote can end the body.
    return text[start:], len(text)


def _read_function_tag(text: str, start: int, calls: list[_Call], *, in_tag: bool = False) -> int:
    named = _FUNCTION_NAME.match(text, start)
    if named is None:
        return start
    name = named.group(1)
    if _NEXT_PARAMETER.match(text, named.end()) is not None:
        call, index = _read_parameters(text, named.end(), name)
        calls.append(call)
        return index
    body = _TAGGED_FUNCTION_BODY if in_tag else _FUNCTION_BODY
    arguments, index = _read_tag_body(text, named.end(), body, "</function>")
    # The arguments reach the argument road as written, where any repair is made and recorded.
    calls.append(_call(None, name, arguments.strip() or None, text))
    return index


def _read_function_tags(text: str, start: int, calls: list[_Call]) -> int:
    """The ``<function=name>`` calls of one ``<tool_call>`` tag, and where reading goes on."""
    index = start
    while (opener := _NEXT_FUNCTION.match(text, index)) is not None:
        index = _read_function_tag(text, opener.end(), calls, in_tag=True)
        if index == opener.end():
            raise ValueError(
                f"a tool call written as text names no tool: {_excerpt(text, index - len('<function='))!r}"
            )
    index = _past(_SPACE, text, index)
    if text.startswith("</tool_call>", index):
        return index + len("</tool_call>")
    if (
        index == len(text)
        or text.startswith(_OPEN_CALL_ENDS, index)
        or _cut_short(text, index, _OPEN_CALL_ENDS)
    ):
        return index
    raise ValueError(
        f"a <tool_call> tag holds text that is no call after the call of {calls[-1].name!r}: "
        f"{_excerpt(text, index)!r}"
    )


def _read_parameters(text: str, start: int, name: str) -> tuple[_Call, int]:
    """A call in Qwen3-Coder's format from before its first ``<parameter=``, and where reading goes on.

    The arguments are the values as written, strings less the newline the format puts on each side:
    with no schema here, typing them is the argument road's, which records each change and refuses
    it in strict mode. A call the text ends inside keeps its arguments as JSON text that ends there
    too, so the road refuses it as cut off, as it does a JSON call.
    """
    arguments: dict[str, str] = {}
    key = ""
    ended_by = "</parameter>"
    index = start
    while (opener := _NEXT_PARAMETER.match(text, index)) is not None:
        named = _PARAMETER_NAME.match(text, opener.end())
        if named is None:
            if _NAME_CUT_OFF.match(text, opener.end()) is not None:
                return _call(None, name, _cut_off(arguments, text[opener.end() :]), text), len(text)
            raise ValueError(
                f"the call of {name!r} written as text has a parameter with no name: "
                f"{_excerpt(text, opener.end() - len('<parameter='))!r}"
            )
        key = named.group(1)
        if key in arguments:
            raise ValueError(f"the call of {name!r} written as text gives parameter {key!r} twice")
        end = _VALUE_END.search(text, named.end())
        if end is None:
            return _call(None, name, _cut_off(arguments, key, text[named.end() :]), text), len(text)
        value = text[named.end() : end.start()]
        arguments[key] = value.removeprefix("\n").removesuffix("\n")
        ended_by = end.group()
        if ended_by == "</parameter>":
            index = end.end()
        elif "<function=" in value or "<tool_call>" in value:
            raise ValueError(
                f"parameter {key!r} of the call of {name!r} written as text has no </parameter> and "
                f"runs into another call: {_excerpt(text, named.end())!r}"
            )
        else:
            index = end.start()
    index = _past(_SPACE, text, index)
    if text.startswith("</function>", index):
        index += len("</function>")
    elif _cut_short(text, index, ("<parameter=",)):
        return _call(None, name, _cut_off(arguments, ""), text), len(text)
    elif _cut_short(text, index, ("</function>", *_OPEN_CALL_ENDS)):
        index = len(text)
    elif not (index == len(text) or text.startswith(_OPEN_CALL_ENDS, index)):
        raise ValueError(
            f"parameter {key!r} of the call of {name!r} written as text is followed by text that is no "
            f"parameter, as if its value held </parameter>: {_excerpt(text, index)!r}"
        )
    closing = _AFTER_CALL.search(text, index)
    if ended_by != "</parameter>" and (closing is None or closing.group() == "<parameter="):
        closing = _AFTER_OPEN_VALUE.search(text, index)
    if closing is not None and closing.group().startswith("</"):
        left_open = " has no </parameter>, but" if ended_by != "</parameter>" else ":"
        raise ValueError(
            f"parameter {key!r} of the call of {name!r} written as text{left_open} a closing tag follows "
            f"the call, as if its value held {ended_by}: {_excerpt(text, index)!r}"
        )
    return _call(None, name, arguments, text), index


def _cut_short(text: str, index: int, tags: tuple[str, ...]) -> bool:
    """Whether the text ends at ``index`` partway into one of ``tags``."""
    rest = text[index:] if len(text) - index < max(map(len, tags)) else ""
    return bool(rest) and any(tag.startswith(rest) for tag in tags)


def _cut_off(arguments: dict[str, str], key: str, value: str | None = None) -> str:
    """The arguments read before the text ended inside a parameter's name or value, as JSON text that
    ends inside that string."""
    written = json.dumps(arguments, ensure_ascii=False)[:-1] + (", " if arguments else "")
    if value is None:
        return written + json.dumps(key, ensure_ascii=False)[:-1]
    return written + json.dumps({key: value.removeprefix("\n")}, ensure_ascii=False)[1:-2]


def _excerpt(text: str, index: int) -> str:
    return _shorten(text[index : index + 121])


def _read_mistral_call(text: str, named: re.Match[str], calls: list[_Call]) -> int:
    """One call as Mistral writes it since tokenizer v11: its arguments are the JSON value after
    ``[ARGS]``, kept as written for the argument road."""
    start = end = named.end()
    if text[start : start + 1] in ("{", "["):
        end = _end_or_last(text, _bracketed_end(text, start, _JSON))
    calls.append(_call(named.group("id"), named.group("name"), text[start:end].strip() or None, text))
    return end


def _read_fence(text: str, start: int, calls: list[_Call]) -> tuple[int, bool]:
    """Read a fenced block opened before ``start``: where reading goes on, and whether that is
    still inside the block (which then holds something other than calls)."""
    start = _past(_FENCE_INFO, text, start)
    # A fence in an answer often holds code, whose calls take names as arguments: such a block is
    # no call, where a bare text or one after a call marker is refused by the argument it names.
    found, end = _statements(text, start, in_fence=True)
    if found is not None:
        closing = _FENCE_CLOSE.match(text, end)
        if closing is not None:
            calls.extend(found)
            return closing.end(), False
        if _past(_TRAILER, text, end) == len(text):  # the block is cut off
            calls.extend(found)
            return len(text), False
    return end, True


def _statements(text: str, start: int, *, in_fence: bool = False) -> tuple[list[_Call] | None, int]:
    """The calls written bare from ``start`` (pythonic calls or JSON objects of calls, one after
    another), or None when there are none or one of them is not a call; and where they end."""
    calls: list[_Call] = []
    all_calls = True
    end = start
    read: Callable[[str], list[_Call] | None]
    while (bare := _BARE_CALL.match(text, end)) is not None:
        if bare.group("python") is not None:
            index = bare.start("python")
            bracket = index if text[index] == "[" else bare.end() - 1
            end = _end_or_last(text, _bracketed_end(text, bracket, _PYTHON))
            read = _code_or_calls if in_fence else _python_calls
        else:
            index = bare.start("json")
            end = _end_or_last(text, _bracketed_end(text, index, _JSON))
            read = _json_calls
        # Once one is not a call, the rest are only passed over.
        found = read(text[index:end]) if all_calls else None
        if found is None:
            all_calls = False
        else:
            calls.extend(found)
    return (calls if all_calls and calls else None), end


def _python_calls(statement: str) -> list[_Call] | None:
    read = _core.read_python_calls(statement)
    return None if read is None else [_call(None, name, arguments, statement) for name, arguments in read]


def _code_or_calls(statement: str) -> list[_Call] | None:
    """``_python_calls``, where a call whose argument is not a literal is code, not a call."""
    try:
        return _python_calls(statement)
    except ValueError:
        return None


def _json_calls(document: str) -> list[_Call] | None:
    return _calls_in_document(document) if _is_call_document(document) else None


def _past(pattern: re.Pattern[str], text: str, index: int) -> int:
    """Where ``pattern``, which matches anywhere (if only nothing), stops matching from ``index``."""
    match = pattern.match(text, index)
    return index if match is None else match.end()


def _end_or_last(text: str, end: int | None) -> int:
    """A value the text ends inside (cut off) runs to the end of the text."""
    return len(text) if end is None else end


def _load_json(text: str) -> Any:
    """``json.loads``, with nesting too deep for the parser refused as the ValueError it is."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"JSON nested too deeply to read: {_shorten(text)!r}") from None


def _is_call_document(document: str) -> bool:
    """Untagged JSON is read as calls only when every element has a name and arguments, so that a
    JSON answer (``{"name": "Ada"}``) is not taken for a call."""
    try:
        value = _load_json(document)
    except ValueError:
        try:
            value = repair_json(document)
        except ValueError:
            return False
    elements = value if isinstance(value, list) else [value]
    return bool(elements) and all(_looks_like_call(element) for element in elements)


def _calls_in_document(document: str) -> list[_Call]:
    """The calls of one JSON object or list of objects written as text."""
    try:
        value = _load_json(document)
    except ValueError:
        # Each element is read from its own text, so one broken call does not take the others
        # with it, and its arguments reach the argument road as written, where the repair is
        # made and recorded.
        texts = _array_elements(document) if document.startswith("[") else [document]
        return [_call_from_element_text(text) for text in texts]
    elements = value if isinstance(value, list) else [value]
    return [_call_from_value(element, document) for element in elements]


def _call_from_element_text(text: str) -> _Call:
    try:
        value = _load_json(text)
    except ValueError:
        return _call_from_broken_text(text)
    return _call_from_value(value, text)


def _call_from_value(value: Any, text: str) -> _Call:
    if not isinstance(value, dict) or not isinstance(_unwrap_function(value).get("name"), str):
        raise ValueError(f"a tool call written as text names no tool: {_shorten(text)!r}")
    call = _unwrap_function(value)
    arguments = next((call[key] for key in _ARGUMENT_KEYS if key in call), None)
    return _call(value.get("id"), call["name"], arguments, text)


def _call_from_broken_text(text: str) -> _Call:
    """A call object that is not valid JSON: the name is read from a repaired copy, the arguments
    are kept as the raw text the model wrote."""
    try:
        repaired = repair_json(text)
    except ValueError:
        repaired = None
    name = call_id = None
    if isinstance(repaired, dict):
        name, call_id = _unwrap_function(repaired).get("name"), repaired.get("id")
    if not isinstance(name, str):
        match = _NAME_VALUE.search(text)
        name = match.group(1) if match else None
    if not name:
        raise ValueError(f"a tool call written as text names no tool: {_shorten(text)!r}")
    return _call(call_id, name, _raw_arguments(text), text)


def _unwrap_function(value: dict[str, Any]) -> dict[str, Any]:
    """``{"id", "function": {"name", "arguments"}}`` written as text: the call is the inner object."""
    inner = value.get("function")
    return inner if isinstance(inner, dict) else value


def _looks_like_call(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    call = _unwrap_function(value)
    return isinstance(call.get("name"), str) and any(key in call for key in _ARGUMENT_KEYS)


def _raw_arguments(text: str) -> str | None:
    """The arguments value exactly as written in a broken call object (to its end, if cut off)."""
    match = _ARGUMENTS_KEY.search(text)
    if match is None:
        return None
    start = match.end()
    end = _value_end(text, start)
    raw = (text[start:end] if end is not None else text[start:]).strip()
    if raw[:1] == '"':  # arguments sent as a JSON string holding the object
        try:
            decoded = _load_json(raw)
        except ValueError:
            return raw
        if isinstance(decoded, str):
            return decoded
    return raw


def _value_end(text: str, start: int) -> int | None:
    """Where the JSON-like value starting at ``start`` ends; None when the text ends first."""
    opener = text[start : start + 1]
    if opener in _CLOSED_STRING:
        string = _CLOSED_STRING[opener].match(text, start)
        return string.end() if string else None
    if opener in ("[", "{"):
        return _bracketed_end(text, start, _JSON)
    match = _SCALAR.match(text, start)
    return match.end() if match else start


def _bracketed_end(text: str, start: int, syntax: _Syntax) -> int | None:
    """Where the value opened by the bracket at ``start`` is closed; None when the text ends first.

    Strings may use either quote, as models write them, and are passed over whole where a value
    may begin; brackets are counted outside them, a run of brackets at a time.
    """
    depth = 0
    index = start
    while (run := syntax.brackets.match(text, index)) is not None:
        if run.group(1) is not None:
            depth += run.end() - index
        elif run.end() - index >= depth:
            return index + depth
        else:
            depth -= run.end() - index
        skip = syntax.skip if run.group(1) is None else syntax.skip_after_open
        index = _past(skip, text, run.end())
    # The text ends first, or ends inside a string left open by a backslash as its last character.
    return None


def _array_elements(document: str) -> list[str]:
    """The texts of the elements of a JSON-like array, the last one possibly cut off."""
    elements: list[str] = []
    index = _past(_ELEMENT_GAP, document, 1)  # a stray `}` is stepped over with the commas
    while index < len(document) and document[index] != "]":
        end = _value_end(document, index)
        if end is None:
            elements.append(document[index:])
            break
        elements.append(document[index:end])
        index = _past(_ELEMENT_GAP, document, end)
    return elements


# --------------------------------------------------------------------------------------------
# Writing results and the assistant turn out


def results_to_messages(results: Iterable[ToolResult], provider: Provider) -> list[dict[str, Any]]:
    """The messages that carry ``results`` back to the model, to append to the conversation.

    OpenAI Chat Completions takes one ``tool`` message per result, the Responses API one
    ``function_call_output`` item per result. Anthropic and Gemini take all results of a turn
    together, in one message.
    """
    _check_provider(provider)
    results = list(results)
    if provider == "openai":
        return [result.to_openai() for result in results]
    if provider == "openai-responses":
        return [result.to_responses() for result in results]
    if not results:  # an empty user turn is refused by both
        return []
    if provider == "anthropic":
        # Every tool_result of a turn goes back in the single user message that follows it;
        # results split over several user messages are refused or teach Claude to stop calling
        # tools in parallel (https://platform.claude.com/docs/en/agents-and-tools/tool-use/parallel-tool-use).
        return [{"role": "user", "content": [result.to_anthropic() for result in results]}]
    # Gemini's Content.role "must be either 'user' or 'model'. If not set, the service will default
    # to 'user'" (Gemini API reference for Content, repeated in google-genai's types.Content), and
    # the google-genai SDK's own automatic function calling sends function responses back as
    # Content(role="user") (google/genai/chats.py), not in the older "function" role.
    return [{"role": "user", "parts": [result.to_gemini() for result in results]}]


@overload
def assistant_message(
    calls: Iterable[ToolCall],
    provider: Literal["openai", "anthropic", "gemini"],
    text: str | None = None,
) -> dict[str, Any]: ...
@overload
def assistant_message(
    calls: Iterable[ToolCall], provider: Literal["openai-responses"], text: str | None = None
) -> list[dict[str, Any]]: ...
@overload
def assistant_message(
    calls: Iterable[ToolCall], provider: Provider, text: str | None = None
) -> dict[str, Any] | list[dict[str, Any]]: ...
def assistant_message(
    calls: Iterable[ToolCall], provider: Provider, text: str | None = None
) -> dict[str, Any] | list[dict[str, Any]]:
    """The assistant turn that asked for ``calls`` (with ``text`` before them), in the provider's
    request format: one message, or for the Responses API the list of input items.

    When you still hold the provider's own response, sending it back unchanged keeps what this
    cannot rebuild: Gemini 3 thought signatures, Anthropic thinking blocks and OpenAI reasoning
    items, which those models need to see again in the turn that made the calls.
    """
    _check_provider(provider)
    calls = list(calls)
    if provider == "openai":
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:  # the API refuses an empty tool_calls list
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": _arguments_text(call.arguments)},
                }
                for call in calls
            ]
        return message
    if provider == "openai-responses":
        items: list[dict[str, Any]] = [{"role": "assistant", "content": text}] if text else []
        items.extend(
            {
                "type": "function_call",
                "call_id": call.id,
                "name": call.name,
                "arguments": _arguments_text(call.arguments),
            }
            for call in calls
        )
        return items
    if provider == "anthropic":
        # Anthropic refuses empty text blocks, so no text means no text block.
        blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
        blocks.extend(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": _arguments_object(call.arguments)}
            for call in calls
        )
        return {"role": "assistant", "content": blocks}
    parts: list[dict[str, Any]] = [{"text": text}] if text else []
    for call in calls:
        function_call: dict[str, Any] = {"name": call.name, "args": _arguments_object(call.arguments)}
        if call.id:
            function_call["id"] = call.id
        parts.append({"functionCall": function_call})
    return {"role": "model", "parts": parts}


def _check_provider(provider: str) -> None:
    if provider not in _PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(_PROVIDERS)}")


def _arguments_text(arguments: Any) -> str:
    """Arguments as OpenAI carries them: JSON text. Text stays exactly as the model wrote it."""
    if arguments is None:
        return "{}"
    if isinstance(arguments, (bytes, bytearray)):
        return bytes(arguments).decode("utf-8", errors="replace")
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False)


def _arguments_object(arguments: Any) -> dict[str, Any]:
    """Arguments as Anthropic and Gemini carry them: a JSON object. Text the model wrote is
    decoded (repaired if need be); anything that is not an object becomes ``{}``, since both
    providers refuse a call whose input is not one."""
    if isinstance(arguments, (bytes, bytearray)):
        arguments = bytes(arguments).decode("utf-8", errors="replace")
    if isinstance(arguments, str):
        if not arguments.strip():
            return {}
        try:
            arguments = _load_json(arguments)
        except ValueError:
            try:
                arguments = repair_json(arguments)
            except ValueError:
                return {}
    return dict(arguments) if isinstance(arguments, Mapping) else {}
