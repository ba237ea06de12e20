"""CrewAI tools whose every call goes through toolproof's road.

``harden(obj, **options)`` takes a ``BaseTool`` subclass or instance, an ``@tool`` function, a plain
function or a ``toolproof.Tool`` and returns a ``crewai.tools.BaseTool`` that CrewAI accepts
anywhere; ``harden_all(tools)`` hardens a list and refuses two tools the model would see under one
name. The hardened tool's ``_run`` hands whatever CrewAI passes to ``Tool.run``: the arguments are
repaired, coerced and validated, the call gets its timeout and retries, and the result comes back
as JSON text, or as a ``ToolFailure`` whose text says what to fix (CrewAI then records the
failure, never caches it, and never takes it for the final answer).

A class-based tool gets a fresh instance for every call, built from the fields it was constructed
with, so state it keeps on ``self`` (a ``requests.Session``, a ``last_query``) belongs to one call,
even when CrewAI runs several calls of it at once in its thread pool (``fresh_instance=False``
runs every call on the instance given, as CrewAI does).

Where CrewAI looks at arguments before the tool does, the hardened tool makes sure nothing is lost:
- ``run()`` validates kwargs against ``args_schema`` (native calls): the hardened tool leaves that to
  the road, which repairs what pydantic would refuse (``userId`` for ``user_id``).
- the ReAct path keeps only the keys ``args_schema`` declares, then validates them: the hardened
  ``args_schema`` counts every key as declared and accepts every value, so misspelled keys reach the
  road; its JSON Schema is the tool's own (strict OpenAI form when the schema allows it).
- the native path parses the arguments with ``json.loads`` before any tool runs: malformed JSON is
  refused, and a JSON array loses the call's result (the whole batch when the calls run one after
  another). ``harden_llm(llm)`` hands arguments that are not a JSON object to the hardened tool as
  the model wrote them, so the road repairs them or says what it expected.

Importing this module imports CrewAI; ``import toolproof`` never does.
"""

# ruff: noqa: E402  (the framework is imported after the check that names the extra to install)

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

from typing_extensions import Unpack

from toolproof._extras import require
from toolproof._methods import method_call

require("crewai", "crewai")

import pydantic
from crewai.agents.constants import ACTION_INPUT_REGEX
from crewai.llms.base_llm import BaseLLM
from crewai.tools import BaseTool
from crewai.tools.base_tool import Tool as FunctionTool
from crewai.tools.tool_failure import ToolFailure, ToolFailureReason
from crewai.utilities.string_utils import sanitize_tool_name

from toolproof.errors import ToolDefinitionError
from toolproof.tools import Tool, ToolOptions

__all__ = ["RAW_ARGUMENTS", "HardenedTool", "cache_successes_only", "harden", "harden_all", "harden_llm"]

RAW_ARGUMENTS = "__toolproof_raw_arguments__"
"""The one key of the object ``harden_llm`` puts around arguments that are not a JSON object."""

# What a Registry caps results at; CrewAI itself sends any size to the model.
DEFAULT_MAX_RESULT_BYTES = 100_000

_RETRYABLE_CODES = frozenset({"timeout", "upstream_unavailable", "retryable_error"})


# -- the args_schema CrewAI sees ------------------------------------------------------------------


class _EveryKey:
    """A view of the declared keys that also contains every undeclared one."""

    __slots__ = ("_keys",)

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = tuple(keys)

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


class _OpenProperties(dict):  # type: ignore[type-arg]
    """The schema's properties. CrewAI's text path keeps only the argument keys found in
    ``properties.keys()`` before calling a tool; the road needs the others too, to map ``userId``
    to ``user_id`` or to name the key it does not know."""

    def keys(self) -> _EveryKey:  # type: ignore[override]
        return _EveryKey(super().keys())


class RoadArguments(pydantic.BaseModel):
    """Accepts any arguments unchanged, for the road to check; describes the tool's parameters."""

    model_config = pydantic.ConfigDict(extra="allow")
    toolproof_parameters: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        schema = copy.deepcopy(cls.toolproof_parameters)
        schema["properties"] = _OpenProperties(schema.get("properties") or {})
        return schema


def _model_facing_parameters(tool: Tool) -> dict[str, Any]:
    # CrewAI marks every native tool strict and makes every property required; the strict
    # OpenAI export already has that shape, with optional parameters as nullable.
    try:
        return tool.to_provider("openai", strict=True)["function"]["parameters"]
    except ToolDefinitionError:
        return tool.schema


def _arguments_model(tool: Tool) -> type[RoadArguments]:
    class_name = "".join(part.capitalize() for part in re.split(r"[_\-]+", tool.name) if part) or "Tool"
    return type(
        f"{class_name}Arguments",
        (RoadArguments,),
        {"__module__": __name__, "toolproof_parameters": _model_facing_parameters(tool)},
    )


# -- the tool CrewAI runs --------------------------------------------------------------------------


class HardenedTool(BaseTool):
    """A CrewAI tool whose calls run ``toolproof.Tool.run``; build one with ``harden``."""

    toolproof_tool: Any = pydantic.Field(
        default=None,
        exclude=True,
        repr=False,
        description="The toolproof.Tool every call runs (its schema, parse_args, metrics()).",
    )

    def metrics(self) -> Any:
        """What this tool's calls counted: latencies, errors by code, retries, repairs."""
        return self.toolproof_tool.metrics()

    def _validate_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        # The road validates, after repairing what pydantic would refuse outright.
        return kwargs

    def run(self, *args: Any, **kwargs: Any) -> Any:
        # BaseTool.run without its pydantic validation (the road's job) and without its check for
        # a coroutine (Tool.run has already awaited an async tool).
        limit_reached = self._claim_usage()
        if limit_reached is not None:
            return limit_reached
        return self._run(*args, **kwargs)

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        arguments = kwargs if not args and RAW_ARGUMENTS not in kwargs else self._arguments(args, kwargs)
        result = self.toolproof_tool.run(arguments)
        return result.content if result.ok else _failure(result)

    async def _arun(self, *args: Any, **kwargs: Any) -> Any:
        result = await self.toolproof_tool.arun(self._arguments(args, kwargs))
        return result.content if result.ok else _failure(result)

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not args:
            if len(kwargs) == 1 and RAW_ARGUMENTS in kwargs:
                return kwargs[RAW_ARGUMENTS]
            return kwargs
        if len(args) == 1 and not kwargs:
            # One positional value is the arguments as the caller got them (CrewAI's own
            # adapters pass the model's text this way).
            return args[0]
        names = list(self.toolproof_tool.schema.get("properties") or ())
        if len(args) > len(names):
            # More values than parameters: let the road say what it expected.
            return list(args)
        return {**dict(zip(names, args, strict=False)), **kwargs}


def _failure(result: Any) -> ToolFailure:
    """A failed call as CrewAI's ``ToolFailure``: it reads to the model as the result's text, and
    tells CrewAI the call failed, so it is recorded, not cached, and never the final answer."""
    code = result.error["code"] if result.error else "tool_error"
    if code == "invalid_arguments":
        reason = ToolFailureReason.INVALID_INPUT
    elif result.exception is not None:
        reason = ToolFailureReason.EXCEPTION
    else:
        reason = ToolFailureReason.TOOL_REPORTED
    return ToolFailure(
        message=result.content,
        reason=reason,
        retryable=code in _RETRYABLE_CODES,
        details={"toolproof_code": code, "attempts": result.attempts},
    )


def cache_successes_only(arguments: Any = None, result: Any = None) -> bool:
    """CrewAI caches whatever a tool returns; a failure cached would answer every retry."""
    return not isinstance(result, ToolFailure)


class _CacheSuccessesOnly:
    """``cache_successes_only``, then the tool's own decision."""

    def __init__(self, decide: Callable[..., Any]) -> None:
        self._decide = decide

    def __call__(self, arguments: Any = None, result: Any = None) -> bool:
        return not isinstance(result, ToolFailure) and bool(self._decide(arguments, result))


# -- harden ---------------------------------------------------------------------------------------

# CrewAI settings a hardened tool keeps from the tool it wraps.
_CREWAI_SETTINGS = ("result_as_answer", "max_usage_count", "tool_failure_policy", "env_vars")
# BaseTool's own bookkeeping, which says nothing about how to build a fresh instance.
_BOOKKEEPING_FIELDS = frozenset({"current_usage_count", "description_updated"})


def harden(
    obj: Any,
    *,
    name: str | None = None,
    description: str | None = None,
    fresh_instance: bool = True,
    **options: Unpack[ToolOptions],
) -> Any:
    """A ``crewai.tools.BaseTool`` whose calls go through toolproof's road.

    ``obj`` is a ``BaseTool`` subclass (instantiated with no arguments) or instance, a CrewAI
    ``@tool`` function, a plain function or a ``toolproof.Tool``; a list of them gives a list,
    as ``harden_all`` does.

    ``options`` are ``toolproof.ToolOptions``: ``timeout``, ``retry``, ``aliases``,
    ``max_result_bytes`` (100,000 unless given, as a ``Registry`` caps results) ... The tool's
    ``result_as_answer``, ``max_usage_count``, ``cache_function`` and ``tool_failure_policy`` are
    kept. A class-based tool runs each call on a new instance built from the fields it was
    constructed with; ``fresh_instance=False`` runs every call on the instance given (for a tool
    that is expensive to build and keeps nothing on ``self``).

    Raises ``ToolDefinitionError`` when the tool's ``args_schema`` does not match its ``_run``.
    """
    if isinstance(obj, (list, tuple)):
        if name is not None or description is not None:
            raise TypeError(
                "name= and description= are for one tool; harden list items one by one to set them"
            )
        return _harden_all(obj, fresh_instance, options)
    if isinstance(obj, HardenedTool):
        if options or name is not None or description is not None:
            raise ToolDefinitionError(
                f"tool '{obj.name}' is hardened already; harden the tool it wraps to change it"
            )
        return obj
    if isinstance(obj, Tool):
        if options:
            raise TypeError(
                f"tool '{obj.name}' is a toolproof.Tool: give it {', '.join(sorted(options))} when you build it"
            )
        return _hardened(obj, name or obj.name, obj.description if description is None else description, None)
    options.setdefault("max_result_bytes", DEFAULT_MAX_RESULT_BYTES)
    if isinstance(obj, FunctionTool):
        return _harden_function_tool(obj, name, description, options)
    if isinstance(obj, BaseTool):
        return _harden_class_tool(obj, name, description, fresh_instance, options)
    if inspect.isclass(obj) and issubclass(obj, BaseTool):
        return _harden_class_tool(obj(), name, description, fresh_instance, options)
    if callable(obj):
        tool = Tool.from_function(
            obj, name=sanitize_tool_name(name) if name else None, description=description, **options
        )
        return _hardened(tool, name or tool.name, tool.description, None)
    raise TypeError(
        f"harden takes a CrewAI BaseTool (class or instance), an @tool function or a function, not {obj!r}"
    )


def harden_all(
    tools: Iterable[Any], *, fresh_instance: bool = True, **options: Unpack[ToolOptions]
) -> list[HardenedTool]:
    """``harden`` each tool; two tools the model would see under one name are refused, naming both
    (CrewAI itself renames one to ``name_2`` in native calls, and never reaches it in text mode)."""
    return _harden_all(tools, fresh_instance, options)


def _harden_all(tools: Iterable[Any], fresh_instance: bool, options: dict[str, Any]) -> list[HardenedTool]:
    hardened: list[HardenedTool] = []
    first_of: dict[str, Any] = {}
    for original in tools:
        tool = harden(original, fresh_instance=fresh_instance, **options)
        seen_as = sanitize_tool_name(tool.name)
        if seen_as in first_of:
            raise ToolDefinitionError(
                f"two tools are named '{seen_as}' as the model sees them: {_where(first_of[seen_as])} and "
                f"{_where(original)}. CrewAI would quietly rename one to '{seen_as}_2' in native calls and never "
                "reach it in text mode; rename one of them.",
                [
                    {
                        "location": "name",
                        "message": f"'{seen_as}' is defined twice",
                        "fix": "rename one of them",
                    }
                ],
            )
        first_of[seen_as] = original
        hardened.append(tool)
    return hardened


def _where(obj: Any) -> str:
    """A tool and where it was defined, to name both sides of a name clash."""
    if isinstance(obj, FunctionTool):
        label, target = f"@tool {obj.name!r}", obj.func
    elif isinstance(obj, BaseTool):
        label, target = f"{type(obj).__name__}(name={obj.name!r})", type(obj)
    elif isinstance(obj, Tool):
        label, target = f"toolproof.Tool {obj.name!r}", obj.func
    else:
        label, target = getattr(obj, "__qualname__", repr(obj)), obj
    try:
        return f"{label} ({inspect.getsourcefile(target)}:{inspect.getsourcelines(target)[1]})"
    except (OSError, TypeError):
        return label


def _hardened(tool: Tool, name: str, description: str, source: BaseTool | None) -> HardenedTool:
    settings = {field: getattr(source, field) for field in _CREWAI_SETTINGS} if source is not None else {}
    hardened = HardenedTool(
        name=name,
        description=description,
        args_schema=_arguments_model(tool),
        cache_function=cache_successes_only,
        toolproof_tool=tool,
        **settings,
    )
    decide = getattr(source, "cache_function", None)
    if decide is not None and getattr(decide, "__name__", "") != "_default_cache_function":
        # Assigned rather than validated: CrewAI already warned when the tool was built if its
        # function cannot be checkpointed.
        hardened.cache_function = _CacheSuccessesOnly(decide)
    return hardened


def _harden_function_tool(
    source: FunctionTool, name: str | None, description: str | None, options: dict[str, Any]
) -> HardenedTool:
    func = source.func
    shown_name = name or source.name
    shown_description = source.description if description is None else description
    args_schema = _function_args_schema(source)
    tool = _build(
        func,
        shown_name,
        shown_description,
        args_schema,
        options,
        owner=getattr(func, "__qualname__", "the function"),
    )
    return _hardened(tool, shown_name, shown_description, source)


def _harden_class_tool(
    template: BaseTool,
    name: str | None,
    description: str | None,
    fresh_instance: bool,
    options: dict[str, Any],
) -> HardenedTool:
    cls = type(template)
    shown_name = name or template.name
    shown_description = template.description if description is None else description
    args_schema = _written_args_schema(template)
    call = _fresh_instance_call(cls, template) if fresh_instance else _bound_call(template)
    tool = _build(call, shown_name, shown_description, args_schema, options, owner=f"{cls.__name__}._run")
    return _hardened(tool, shown_name, shown_description, template)


def _build(
    func: Callable[..., Any],
    shown_name: str,
    description: str,
    args_schema: type[pydantic.BaseModel] | None,
    options: dict[str, Any],
    *,
    owner: str,
) -> Tool:
    try:
        return Tool.from_function(
            func,
            name=sanitize_tool_name(shown_name),
            description=description,
            args_schema=args_schema,
            **options,
        )
    except ToolDefinitionError as error:
        if args_schema is None:
            raise
        parameters = ", ".join(inspect.signature(func).parameters)
        fields = ", ".join(args_schema.model_fields) or "none"
        raise ToolDefinitionError(
            f"the args_schema {args_schema.__name__} (fields: {fields}) does not match {owner}({parameters}): {error}",
            error.problems,
        ) from None


def _written_args_schema(template: BaseTool) -> type[pydantic.BaseModel] | None:
    """A class-based tool's ``args_schema`` when its class or its constructor was given one; None
    when CrewAI derived it from ``_run``, so that toolproof reads the signature and docstring
    instead (parameter descriptions, and calls that need no pydantic model)."""
    declared = type(template).model_fields["args_schema"].default
    if "args_schema" in template.model_fields_set or declared is not BaseTool._ArgsSchemaPlaceholder:
        return template.args_schema
    return None


def _function_args_schema(source: FunctionTool) -> type[pydantic.BaseModel] | None:
    """A function tool's ``args_schema`` unless it is the one ``@tool`` derives from the function."""
    args_schema = source.args_schema
    if not (isinstance(args_schema, type) and issubclass(args_schema, pydantic.BaseModel)):
        return None
    fields: dict[str, Any] = {}
    for param in inspect.signature(source.func).parameters.values():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        annotation = Any if param.annotation is param.empty else param.annotation
        fields[param.name] = (annotation, ... if param.default is param.empty else param.default)
    try:
        derived = pydantic.create_model(args_schema.__name__, **fields)
        written = derived.model_json_schema() != args_schema.model_json_schema()
    except Exception:
        # Not comparable: the function's own signature is the safer description of it.
        written = False
    return args_schema if written else None


class _NoResultSchema(pydantic.BaseModel):
    """Stands in for a result_schema of None while a fresh instance is validated."""


def _fresh_instance_call(cls: type[BaseTool], template: BaseTool) -> Callable[..., Any]:
    """``cls._run`` on a new instance for every call, constructed with the fields ``template`` was
    constructed with: what the class makes for itself (defaults, default factories, private
    attributes, what ``__init__`` and ``model_post_init`` set up) is made anew for each call,
    what was passed in is kept."""
    configured = {
        field: getattr(template, field)
        for field in template.model_fields_set
        if field not in _BOOKKEEPING_FIELDS
    }
    # Passed explicitly so that construction does not derive them from `_run` again: CrewAI reads
    # the annotations with get_type_hints on every construction (14 µs when they are strings).
    configured["args_schema"] = template.args_schema
    result_schema = template.result_schema
    configured["result_schema"] = _NoResultSchema if result_schema is None else result_schema

    def make() -> BaseTool:
        instance = cls(**configured)
        if result_schema is None:
            instance.result_schema = None
        return instance

    return method_call(make, cls._run, cls)


def _bound_call(instance: BaseTool) -> Callable[..., Any]:
    return method_call(lambda: instance, type(instance)._run, type(instance))


# -- harden_llm -----------------------------------------------------------------------------------


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
    routing = _ROUTING_CLASSES.get(cls)
    if routing is not None:
        return routing

    def call(self: BaseLLM, messages: Any, *args: Any, **kwargs: Any) -> Any:
        return _route_raw_arguments(super(routing, self).call(messages, *args, **kwargs), kwargs)

    async def acall(self: BaseLLM, messages: Any, *args: Any, **kwargs: Any) -> Any:
        return _route_raw_arguments(await super(routing, self).acall(messages, *args, **kwargs), kwargs)

    # The class's own call already retries on rate limits; BaseLLM must not wrap it twice.
    call._crewai_rate_limit_wrapped = True  # type: ignore[attr-defined]
    acall._crewai_rate_limit_wrapped = True  # type: ignore[attr-defined]
    routing = type(
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
