"""Reading a LangChain tool: its model-facing parameters, its function, what LangGraph injects."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable
from typing import Any

import pydantic
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, InjectedToolCallId, StructuredTool
from langchain_core.tools import Tool as SimpleTool
from langchain_core.tools import tool as make_langchain_tool
from langchain_core.tools.base import (
    FILTERED_ARGS,
    _get_runnable_config_param,
    _is_injected_arg_type,
    get_all_basemodel_annotations,
)
from langchain_core.utils.pydantic import get_fields

from toolproof._adapt.instances import Instances, instances
from toolproof._adapt.kinds import Framework, Kind, as_function, kind_of
from toolproof._checks import schema_signature_problems
from toolproof._shared_state import SharedStateHandling
from toolproof._signature import Parameter, Signature, model_json_schema
from toolproof.errors import ToolDefinitionError
from toolproof.langchain._callee import Callee


def framework(hardened: type) -> Framework:
    return Framework(
        name="langchain",
        tool_base=BaseTool,
        function_tools=(StructuredTool, SimpleTool),
        hardened=(hardened,),
    )


class Source:
    """The LangChain tool ``harden`` was given, and how each call finds the object it runs on."""

    __slots__ = ("instances", "tool")

    def __init__(self, tool: BaseTool, instances: Instances | None) -> None:
        self.tool = tool
        self.instances = instances


def source_of(
    obj: Any,
    kind: Kind,
    *,
    fresh_instance: bool | None,
    shared_state: SharedStateHandling | None,
) -> Source:
    """The LangChain tool behind ``obj`` (a tool, a ``BaseTool`` subclass, a function)."""
    if kind is Kind.CLASS:
        try:
            sample = obj()
        except (TypeError, pydantic.ValidationError) as error:
            raise ToolDefinitionError(
                f"{obj.__name__} cannot be built without arguments ({error}); pass an instance to harden()"
            ) from None
        return Source(sample, instances(obj, None, framework="langchain"))
    if kind is Kind.INSTANCE:
        return Source(
            obj,
            instances(
                type(obj),
                obj,
                framework="langchain",
                copy=lambda instance: instance.model_copy(),
                fresh_instance=fresh_instance,
                shared_state=shared_state,
            ),
        )
    if kind is Kind.FUNCTION_TOOL:
        return Source(obj, None)
    function = as_function(obj)
    try:
        return Source(make_langchain_tool(function, parse_docstring=True), None)
    except ValueError:
        # No docstring, or one whose Args name something the signature lacks: keep it whole.
        return Source(make_langchain_tool(function, description=inspect.getdoc(function) or ""), None)


def model_facing_schema(source: BaseTool) -> dict[str, Any]:
    """The parameters the model sees (LangChain's ``tool_call_schema``), as a JSON Schema."""
    if isinstance(source, SimpleTool) and source.args_schema is None:
        # A single-input Tool: LangChain sends one string parameter named `__arg1`.
        return {
            "type": "object",
            "properties": {"__arg1": {"type": "string"}},
            "required": ["__arg1"],
            "additionalProperties": False,
        }
    if isinstance(source.args_schema, dict):
        schema = dict(source.args_schema)
        schema.pop("title", None)
        schema.pop("description", None)
        return schema
    model = source.tool_call_schema
    if isinstance(model, dict):
        schema = dict(model)
        schema.pop("description", None)
        return schema
    try:
        if isinstance(model, type) and issubclass(model, pydantic.BaseModel):
            schema = model_json_schema(model)
        else:
            # A pydantic.v1 model: its own schema, its field titles dropped as pydantic 2's are.
            schema = _untitled(model.schema())
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, TypeError) as error:
        raise ToolDefinitionError(
            f"tool '{source.name}': its arguments cannot be described as JSON Schema: {error}"
        ) from None
    # The model's docstring is the tool's description, which the tool carries itself.
    schema.pop("description", None)
    schema.setdefault("properties", {})
    schema["type"] = "object"
    config = getattr(model, "model_config", None) or {}
    if config.get("extra") != "allow":
        schema["additionalProperties"] = False
    return schema


def _untitled(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    schema.pop("title", None)
    schema["properties"] = {
        name: {key: value for key, value in field.items() if key != "title"}
        for name, field in (schema.get("properties") or {}).items()
    }
    return schema


def _annotations(source: BaseTool, functions: Iterable[Callable[..., Any] | None]) -> dict[str, Any]:
    annotations: dict[str, Any] = {}
    for function in functions:
        if function is None:
            continue
        try:
            annotations.update(typing.get_type_hints(function, include_extras=True))
        except Exception:
            continue
    args_model = source.args_schema
    if isinstance(args_model, type) and issubclass(args_model, pydantic.BaseModel):
        annotations.update(get_all_basemodel_annotations(args_model))
    return annotations


def _check_function(
    tool_name: str, schema: dict[str, Any], function: Callable[..., Any], excluded: frozenset[str]
) -> None:
    """Refuse a schema that names arguments the function would not take (or misses one it needs):
    LangChain would find out at the first call, with a TypeError."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return
    parameters: list[Parameter] = []
    accepts_extra = False
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            accepts_extra = True
            continue
        if parameter.name in excluded:
            continue
        # LangChain describes `*args` as an optional field of its name.
        variadic = parameter.kind is inspect.Parameter.VAR_POSITIONAL
        default: Any = () if variadic else parameter.default
        parameters.append(Parameter(parameter.name, parameter.annotation, default, parameter.kind))
    problems = schema_signature_problems(schema, Signature(tuple(parameters), accepts_extra, ""))
    # A schema may require what the function defaults (LangChain validates first); only names matter.
    problems = [problem for problem in problems if not problem["location"].startswith("required.")]
    if problems:
        lines = "; ".join(f"{problem['message']} (fix: {problem['fix']})" for problem in problems)
        raise ToolDefinitionError(
            f"tool '{tool_name}': args_schema does not match the function: {lines}", problems
        )


class Reading:
    """Everything harden() learns from one LangChain tool."""

    def __init__(self, source: Source) -> None:
        tool = source.tool
        self.source = tool
        self.name = tool.name
        self.schema = model_facing_schema(tool)
        # "__arg1" for LangChain's single-input Tool, which takes its one value under any key.
        self.simple: str | None = None
        function = getattr(tool, "func", None)
        coroutine = getattr(tool, "coroutine", None)
        self.exposed_function = function
        self.exposed_coroutine = coroutine
        args_model: Any = tool.args_schema if isinstance(tool.args_schema, type) else None
        if isinstance(tool, SimpleTool) and tool.args_schema is None:
            self.simple = "__arg1"
            function = _positional(function)
            coroutine = _positional(coroutine)
            args_model = None
        elif function is None and coroutine is None:
            # A BaseTool subclass: its own _run (and _arun, when the class overrides it), on the
            # object each call runs on.
            function, coroutine = _instance_methods(tool, source.instances)
        all_model_fields = set(get_fields(args_model)) if args_model is not None else set()
        annotations = _annotations(tool, (getattr(tool, "func", None), getattr(tool, "coroutine", None)))
        model_facing = set(self.schema.get("properties") or {})
        injected = {name for name, annotation in annotations.items() if _is_injected_arg_type(annotation)}
        injected |= all_model_fields - model_facing
        injected |= set(getattr(tool, "_injected_args_keys", ()) or ())
        injected -= set(FILTERED_ARGS)
        self.call_id_keys = frozenset(
            name
            for name, annotation in annotations.items()
            if _is_injected_arg_type(annotation, injected_type=InjectedToolCallId)
        )
        self.injected_keys = frozenset(injected - self.call_id_keys)
        # Text given to the tool directly is its first argument, as LangChain has it; a tool
        # described by a JSON Schema dict takes no text.
        self.first_input: str | None = (
            next(iter(self.schema.get("properties") or {}), None)
            if not isinstance(tool.args_schema, dict)
            else None
        )
        self.aliases = _aliases(args_model, self.schema)
        if isinstance(tool.args_schema, (type, dict)):
            own = (getattr(tool, "func", None), getattr(tool, "coroutine", None))
            candidates = own if any(own) else (tool._run,)
            for candidate in candidates:
                if candidate is not None:
                    excluded = frozenset(
                        self.injected_keys | self.call_id_keys | set(FILTERED_ARGS) | {"self", "cls"}
                    ) | {_get_runnable_config_param(candidate) or ""}
                    _check_function(self.name, self.schema, candidate, excluded)
        self.callee = Callee(
            name=self.name,
            function=function,
            coroutine=coroutine,
            args_model=args_model,
            injected_keys=self.injected_keys,
            call_id_keys=self.call_id_keys,
            response_format=tool.response_format,
        )


def _positional(func: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """A single-input Tool's function, called with the one string LangChain passes positionally,
    and the ``callbacks`` and config parameters LangChain fills when the function takes them."""
    if func is None:
        return None
    config_parameter = _get_runnable_config_param(func)
    try:
        parameters = inspect.signature(func).parameters
    except (TypeError, ValueError):
        parameters = {}  # type: ignore[assignment]
    filled = [name for name in ("callbacks", config_parameter) if name and name in parameters]
    if inspect.iscoroutinefunction(func):

        async def call_async(__arg1: str, **extras: Any) -> Any:
            return await func(__arg1, **extras)

        call: Callable[..., Any] = call_async
    else:

        def call_sync(__arg1: str, **extras: Any) -> Any:
            return func(__arg1, **extras)

        call = call_sync
    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("__arg1", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str),
            *(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in filled),
        ]
    )
    call.__annotations__ = {"__arg1": str}
    if config_parameter in filled:
        call.__annotations__[config_parameter] = RunnableConfig
    return call


def _aliases(args_model: Any, schema: dict[str, Any]) -> dict[str, str]:
    """Other names pydantic accepts for the model's fields (``validation_alias``, ``alias``), as
    road aliases of the names the schema shows."""
    if not (isinstance(args_model, type) and issubclass(args_model, pydantic.BaseModel)):
        return {}
    properties = set(schema.get("properties") or {})
    aliases: dict[str, str] = {}
    for name, field in args_model.model_fields.items():
        shown = field.alias if field.alias is not None and field.alias in properties else name
        if shown not in properties:
            continue
        names: list[Any] = [name, field.alias]
        validation = field.validation_alias
        if isinstance(validation, pydantic.AliasChoices):
            names.extend(validation.choices)
        else:
            names.append(validation)
        for alias in names:
            if isinstance(alias, str) and alias != shown and alias not in properties:
                aliases[alias] = shown
    return aliases


def _instance_methods(
    tool: BaseTool, per_call: Instances | None
) -> tuple[Callable[..., Any], Callable[..., Any] | None]:
    cls = type(tool)
    overrides_arun = cls._arun is not BaseTool._arun
    if per_call is None:
        return tool._run, tool._arun if overrides_arun else None
    run = per_call.method(tool.name, cls._run, cls)
    arun = per_call.method(tool.name, cls._arun, cls) if overrides_arun else None
    return run, arun


def kind(obj: Any, hardened: type) -> Kind:
    return kind_of(obj, framework(hardened))
