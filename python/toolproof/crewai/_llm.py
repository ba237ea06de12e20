"""``harden_llm``: arguments a model wrote that are not a JSON object still reach hardened tools."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from crewai.agents.constants import ACTION_INPUT_REGEX
from crewai.llms.base_llm import BaseLLM
from crewai.utilities.string_utils import sanitize_tool_name

from toolproof._adapt.constants import RAW_ARGUMENTS
from toolproof.crewai._tool import HardenedTool


def harden_llm(llm: BaseLLM) -> BaseLLM:
    """A copy of ``llm`` whose calls to hardened tools always reach them.

    CrewAI parses a native call's arguments with ``json.loads`` before any tool runs: malformed
    JSON is answered with a parse error, a JSON string with a Python ``TypeError``, and a JSON
    array fails the whole batch of calls, whose results are then lost. In text (ReAct) mode an
    ``Action Input`` that is not a dictionary never reaches the tool either. For a call to a
    hardened tool, the copy hands such arguments over as the model wrote them, as
    ``{RAW_ARGUMENTS: text}``; the road then repairs them, or answers with what it expected.
    Calls to other tools, and arguments that are a JSON object, are left as the model sent them.

    The copy is an instance of a subclass of ``type(llm)`` (isinstance checks still hold) and
    keeps its configuration and clients.
    """
    if not isinstance(llm, BaseLLM):
        raise TypeError(f"harden_llm takes a CrewAI BaseLLM, not {type(llm).__name__}")
    if type(llm) in _ROUTING_CLASSES.values():
        return llm
    hardened = llm.model_copy()
    # Same fields and slots, one more layer of methods: the copy keeps every client it holds.
    object.__setattr__(hardened, "__class__", _routing_class(type(llm)))
    return hardened


_ROUTING_CLASSES: dict[type[BaseLLM], type[BaseLLM]] = {}


def _routing_class(cls: type[BaseLLM]) -> type[BaseLLM]:
    known = _ROUTING_CLASSES.get(cls)
    if known is not None:
        return known

    def call(self: BaseLLM, messages: Any, *args: Any, **kwargs: Any) -> Any:
        return _route_raw_arguments(super(routing, self).call(messages, *args, **kwargs), kwargs)

    async def acall(self: BaseLLM, messages: Any, *args: Any, **kwargs: Any) -> Any:
        return _route_raw_arguments(await super(routing, self).acall(messages, *args, **kwargs), kwargs)

    # The class's own call already retries on rate limits; BaseLLM must not wrap it twice.
    call._crewai_rate_limit_wrapped = True  # type: ignore[attr-defined]
    acall._crewai_rate_limit_wrapped = True  # type: ignore[attr-defined]
    # Made here, deriving from ``cls``: no static type says that super(routing, self) is cls.
    routing: Any = type(
        cls.__name__,
        (cls,),
        {
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
            "call": call,
            "acall": acall,
        },
    )
    _ROUTING_CLASSES[cls] = routing
    return routing


def _hardened_names(request: Mapping[str, Any]) -> frozenset[str]:
    names: set[str] = set()
    for holder in (request.get("from_task"), request.get("from_agent")):
        for tool in getattr(holder, "tools", None) or ():
            if isinstance(tool, HardenedTool):
                names.add(sanitize_tool_name(tool.name))
    return frozenset(names)


def _is_json_object(arguments: Any) -> bool:
    if isinstance(arguments, dict):
        return True
    if not isinstance(arguments, str):
        return False
    try:
        return isinstance(json.loads(arguments), dict)
    except ValueError:
        return False


def _route_raw_arguments(response: Any, request: Mapping[str, Any]) -> Any:
    if isinstance(response, str):
        return _route_text_action(response, request)
    if not isinstance(response, list) or not response:
        return response
    names: frozenset[str] | None = None
    for call in response:
        if isinstance(call, dict):
            function = call.get("function")
            holder: Any = function if isinstance(function, dict) else call
            tool_name = holder.get("name", "")
            arguments = holder.get("arguments")
        else:
            holder = getattr(call, "function", None)
            if holder is None or not isinstance(getattr(holder, "arguments", None), str):
                # Anthropic, Bedrock and Gemini calls carry their arguments as objects already.
                continue
            tool_name = holder.name
            arguments = holder.arguments
        if arguments is None or _is_json_object(arguments):
            continue
        if names is None:
            names = _hardened_names(request)
        if sanitize_tool_name(tool_name or "") not in names:
            continue
        wrapped = json.dumps({RAW_ARGUMENTS: arguments})
        if isinstance(holder, dict):
            holder["arguments"] = wrapped
        else:
            holder.arguments = wrapped
    return response


def _route_text_action(text: str, request: Mapping[str, Any]) -> str:
    if "Final Answer:" in text:
        return text
    match = ACTION_INPUT_REGEX.search(text)
    if match is None:
        return text
    action_input = match.group(2).strip()
    if _is_json_object(action_input):
        return text
    tool_name = match.group(1).strip().strip("*").strip()
    if sanitize_tool_name(tool_name) not in _hardened_names(request):
        return text
    return text[: match.start(2)] + json.dumps({RAW_ARGUMENTS: action_input})
