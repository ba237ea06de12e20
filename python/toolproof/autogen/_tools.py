"""AgentChat 0.4+ tools (``autogen_core.tools``) whose calls go through toolproof's road."""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import typing
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import jsonref
import pydantic
from autogen_core import EVENT_LOGGER_NAME, CancellationToken, Component, ComponentModel, trace_tool_span
from autogen_core.code_executor import Import
from autogen_core.logging import ToolCallEvent
from autogen_core.tools import BaseTool, ToolSchema
from autogen_core.tools import FunctionTool as AutoGenFunctionTool
from autogen_core.tools._function_tool import FunctionToolConfig
from typing_extensions import Self, Unpack

from toolproof import _core
from toolproof._adapt.constants import ADMISSION_OPTIONS, DEFAULT_MAX_RESULT_BYTES
from toolproof._adapt.failures import failure_exception, is_argument_failure, tool_exception
from toolproof._adapt.instances import instances
from toolproof._adapt.kinds import Framework, Kind, as_function, kind_of
from toolproof._adapt.names import refuse_duplicate_names
from toolproof._adapt.parameters import model_facing_parameters, permissive_arguments
from toolproof._adapt.text import cut_text
from toolproof._signature import _docstring_descriptions
from toolproof.context import CallContext
from toolproof.errors import ToolDefinitionError, ToolError
from toolproof.tools import Limits, Tool, ToolOptions

Mode = Literal["lenient", "strict"]

_TOKEN_PARAMETER = "cancellation_token"
# Injected by toolproof (never in the schema): carries AutoGen's CancellationToken to the function.
_CALL_PARAMETER = "_toolproof_call"

_event_logger = logging.getLogger(EVENT_LOGGER_NAME)


def _mark_failed(span: Any, result: _core.ToolResult) -> None:
    """AutoGen's tool span for a call that failed without raising: an error, as a raised one is,
    with toolproof's result code as its ``error.type``."""
    from opentelemetry.trace import Status, StatusCode

    code = result.error["code"] if result.error else "unspecified"
    span.set_attribute("error.type", code)
    span.set_status(Status(StatusCode.ERROR, result.content))


class ToolCallError(ToolError):
    """A call toolproof failed without the tool raising (a timeout, a denied or rate-limited call).
    ``str()`` is the text the model reads; ``result`` is the whole ``toolproof.ToolResult``
    (error code, attempts, repairs)."""

    def __init__(self, result: _core.ToolResult) -> None:
        super().__init__(result.content)
        self.result = result


# -- what a hardened tool's component config records ----------------------------------------------


class _Options(pydantic.BaseModel):
    """The toolproof options of a hardened tool that a component config can carry."""

    strict: bool | None = None
    mode: Mode = "lenient"
    timeout: float | None = None
    max_result_bytes: int | None = DEFAULT_MAX_RESULT_BYTES
    max_concurrency: int | None = None
    aliases: dict[str, str] | None = None
    extra_keys: Literal["drop", "error"] | None = None
    loose: Literal["warn", "error", "allow"] | None = None
    shared_state: Literal["off", "warn", "error"] | None = None
    retry: dict[str, Any] | int | None = None
    limits: dict[str, int] | None = None


class HardenedToolConfig(pydantic.BaseModel):
    """A hardened tool: the tool it hardens (its own component config) and the options."""

    tool: ComponentModel
    per_call_instance: bool = False
    """Hardened from the tool's class: every call gets an instance of its own."""
    name: str | None = None
    description: str | None = None
    options: _Options = pydantic.Field(default_factory=_Options)


class HardenedFunctionToolConfig(FunctionToolConfig):
    """AutoGen's ``FunctionToolConfig`` (the function's source) and the toolproof options."""

    strict: bool = False
    options: _Options = pydantic.Field(default_factory=_Options)


def _options_config(strict: bool | None, mode: Mode, options: Mapping[str, Any]) -> _Options:
    if options.get("authorize") is not None:
        raise NotImplementedError(
            "a hardened tool with authorize= cannot be written to a component config: the hook is code; "
            "harden the loaded tool with it again"
        )
    if options.get("executor") is not None:
        raise NotImplementedError(
            "a hardened tool with executor= cannot be written to a component config: the executor is a live "
            "object; harden the loaded tool with it again"
        )
    admission = sorted(name for name in ADMISSION_OPTIONS if options.get(name) is not None)
    if admission:
        raise NotImplementedError(
            f"a hardened tool with {', '.join(admission)} cannot be written to a component config: "
            "its admission is decided by code and live connections; harden the loaded tool with it again"
        )
    retry = options.get("retry")
    if retry is not None and not isinstance(retry, int):
        retry = {
            name: getattr(retry, name)
            for name in ("attempts", "initial_delay", "max_delay", "multiplier", "jitter", "max_elapsed")
        }
    limits = options.get("limits")
    return _Options(
        strict=strict,
        mode=mode,
        timeout=options.get("timeout"),
        max_result_bytes=options.get("max_result_bytes", DEFAULT_MAX_RESULT_BYTES),
        max_concurrency=options.get("max_concurrency"),
        aliases=dict(options["aliases"]) if options.get("aliases") else None,
        extra_keys=options.get("extra_keys"),
        loose=options.get("loose"),
        shared_state=options.get("shared_state"),
        retry=retry,
        limits=None if limits is None else vars(limits).copy(),
    )


def _options_from_config(config: _Options) -> dict[str, Any]:
    options: dict[str, Any] = {"max_result_bytes": config.max_result_bytes}
    for name in ("timeout", "max_concurrency", "aliases", "extra_keys", "loose", "shared_state"):
        value = getattr(config, name)
        if value is not None:
            options[name] = value
    if isinstance(config.retry, dict):
        options["retry"] = _core.Retry(**config.retry)
    elif config.retry is not None:
        options["retry"] = config.retry
    if config.limits is not None:
        options["limits"] = Limits(**config.limits)
    return options


# -- the hardened tool -----------------------------------------------------------------------------


class HardenedTool(BaseTool[pydantic.BaseModel, pydantic.BaseModel], Component[HardenedToolConfig]):
    """An ``autogen_core`` tool running a ``toolproof.Tool``. Make one with ``harden``.

    ``run_json`` takes the arguments as the model sent them (a dict, or the JSON text itself),
    repairs and validates them, runs the tool with its timeout and retries, and returns the tool's
    Python value. Failures are raised as AutoGen's own tools raise them, for ``AssistantAgent`` and
    workbenches to report as an ``is_error`` result: arguments that cannot be repaired as an
    ``ArgumentValidationError`` (a ``pydantic.ValidationError``), the tool's own exception as it
    raised it (after toolproof's retries), a failure toolproof decided (a timeout) as a
    ``ToolCallError`` with the text for the model. ``return_value_as_string`` gives the JSON text
    the model reads; ``run_call`` returns the whole ``toolproof.ToolResult`` instead of raising.
    """

    component_type = "tool"
    component_provider_override = "toolproof.autogen.HardenedTool"
    component_config_schema = HardenedToolConfig

    def __init__(
        self,
        tool: Tool,
        *,
        args_type: type[pydantic.BaseModel] | None = None,
        return_type: Any = Any,
        strict: bool | None = None,
        mode: Mode = "lenient",
        source: BaseTool[Any, Any] | None = None,
        from_class: bool = False,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(args_type or pydantic.BaseModel, return_type, tool.name, tool.description)
        self._harden_with(
            tool, strict=strict, mode=mode, derived_args_type=args_type is None, options=options
        )
        self._source = source
        self._from_class = from_class

    def _harden_with(
        self,
        tool: Tool,
        *,
        strict: bool | None,
        mode: Mode,
        derived_args_type: bool,
        options: Mapping[str, Any] | None,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        self._tool = tool
        self._strict = resolve_strict(tool, strict)
        self._mode: Mode = mode
        self._derived_args_type = derived_args_type
        self._options = dict(options or {})
        self._parameters = parameters
        cap = tool.max_result_bytes
        self._max_result_bytes: int | None = cap if isinstance(cap, int) or cap is None else None

    @property
    def tool(self) -> Tool:
        """The ``toolproof.Tool`` behind this one."""
        return self._tool

    @property
    def toolproof_tool(self) -> Tool:
        """The ``toolproof.Tool`` behind this one, under the name every adapter's tools give it."""
        return self._tool

    @property
    def schema(self) -> ToolSchema:
        """The parameters the model is sent: the strict OpenAI export when ``strict``, else the
        schema the road checks arguments against."""
        if self._strict:
            parameters = model_facing_parameters(self._tool, strict=True)
        else:
            parameters = self._parameters if self._parameters is not None else self._tool.schema
        return ToolSchema(
            name=self._name,
            description=self._description,
            parameters=parameters,  # type: ignore[typeddict-item]
            strict=self._strict,
        )

    def args_type(self) -> type[pydantic.BaseModel]:
        if self._derived_args_type:
            # Any object, unchanged: the road is what checks the arguments.
            self._args_type = permissive_arguments(self._tool, self._tool.schema)
            self._derived_args_type = False
        return self._args_type

    def metrics(self) -> Any:
        """Calls, errors by code, retries, timeouts, repairs and latency of this tool (a ``MetricsReport``)."""
        return self._tool.metrics()

    async def run(self, args: pydantic.BaseModel, cancellation_token: CancellationToken) -> Any:
        return await self.run_json(args.model_dump(), cancellation_token)

    async def run_json(
        self, args: Mapping[str, Any] | str, cancellation_token: CancellationToken, call_id: str | None = None
    ) -> Any:
        """Run one call through the road; raise as described in the class documentation."""
        with trace_tool_span(self._name, tool_description=self._description, tool_call_id=call_id):
            result = await self._call(args, cancellation_token, call_id)
            if not result.ok:
                raise self._failure(result, args)
        if _event_logger.isEnabledFor(logging.INFO):
            _event_logger.info(
                ToolCallEvent(tool_name=self._name, arguments=_loggable(args), result=result.content)
            )
        return result.output

    def _failure(self, result: _core.ToolResult, args: Any) -> BaseException:
        if is_argument_failure(result):
            return failure_exception(result, lambda: self._tool.parse_args(_plain(args), mode=self._mode))
        if result.exception is not None:
            # The tool's own exception, after toolproof's retries: AutoGen reports it as it is.
            return tool_exception(result)
        # A failure toolproof decided (a timeout, a denied call): its text is for the model.
        return ToolCallError(result)

    async def run_call(
        self,
        args: Mapping[str, Any] | str | None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> _core.ToolResult:
        """Run one call and return its ``toolproof.ToolResult``; the tool's failures are results."""
        with trace_tool_span(self._name, tool_description=self._description, tool_call_id=call_id) as span:
            result = await self._call(args, cancellation_token, call_id)
            if not result.ok:
                _mark_failed(span, result)
            return result

    # Whether cancelling the run's token cancels the call: AutoGen cancels a function that does not
    # take the token itself; a tool that takes it decides what cancelling means.
    _cancel_with_token = False

    async def _call(
        self, args: Any, token: CancellationToken | None, call_id: str | None
    ) -> _core.ToolResult:
        if token is None:
            token = CancellationToken()
        canceller = _TaskCanceller.for_current_task() if self._cancel_with_token else None
        if canceller is not None:
            token.add_callback(canceller)
        try:
            return await self._tool.arun(
                _plain(args), call_id=call_id or "call_0", mode=self._mode, context=token
            )
        finally:
            if canceller is not None:
                canceller.finished = True

    def return_value_as_string(self, value: Any) -> str:
        """The text the model reads for ``value``: text as it is, anything else as compact JSON (a
        model serialized to text: that text), cut to the result cap as the call itself cuts it."""
        if isinstance(value, pydantic.BaseModel):
            dumped = value.model_dump(mode="json")
            if not isinstance(dumped, (dict, list)):
                return cut_text(str(dumped), self._max_result_bytes)
            value = dumped
        if isinstance(value, str):
            return cut_text(value, self._max_result_bytes)
        return _core.to_json(value, max_bytes=self._max_result_bytes)

    async def save_state_json(self) -> Mapping[str, Any]:
        # A tool made anew for every call keeps no state between them.
        if self._source is None or self._from_class:
            return {}
        return await self._source.save_state_json()

    async def load_state_json(self, state: Mapping[str, Any]) -> None:
        if self._source is not None and not self._from_class:
            await self._source.load_state_json(state)

    def _to_config(self) -> HardenedToolConfig:
        if self._source is None:
            raise NotImplementedError(
                f"tool '{self._name}' was hardened from a toolproof.Tool, which has no component config"
            )
        return HardenedToolConfig(
            tool=self._source.dump_component(),
            per_call_instance=self._from_class,
            name=self._name if self._name != self._source.name else None,
            description=self._description if self._description != self._source.description else None,
            options=_options_config(self._strict, self._mode, self._options),
        )

    @classmethod
    def _from_config(cls, config: HardenedToolConfig) -> Self:
        source: BaseTool[Any, Any] = BaseTool.load_component(config.tool)
        return harden(  # type: ignore[return-value]
            type(source) if config.per_call_instance else source,
            name=config.name,
            description=config.description,
            strict=config.options.strict,
            mode=config.options.mode,
            **_options_from_config(config.options),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, signature={self._tool.signature!r})"


class FunctionTool(HardenedTool, AutoGenFunctionTool):
    """AutoGen's ``FunctionTool``, hardened: ``from toolproof.autogen import FunctionTool`` in place
    of ``from autogen_core.tools import FunctionTool``.

    It takes the same arguments (a function or ``functools.partial``, sync or async, whose
    ``cancellation_token`` parameter receives AutoGen's token), shows the model the same schema
    (parameter descriptions the docstring gives filled in), keeps ``strict`` as given (``True``:
    OpenAI's strict form, optional parameters nullable) and dumps to a component config that loads
    back hardened. ``mode`` and the ``toolproof.ToolOptions`` (``timeout``, ``retry``,
    ``max_result_bytes`` ...) are toolproof's; every call travels the road (see ``HardenedTool``).
    """

    component_provider_override = "toolproof.autogen.FunctionTool"
    component_config_schema = HardenedFunctionToolConfig  # type: ignore[assignment]

    def __init__(
        self,
        func: Callable[..., Any],
        description: str,
        name: str | None = None,
        global_imports: Sequence[Import] = [],
        strict: bool | None = False,
        *,
        mode: Mode = "lenient",
        **options: Unpack[ToolOptions],
    ) -> None:
        AutoGenFunctionTool.__init__(self, func, description, name, global_imports, bool(strict))
        options.setdefault("max_result_bytes", DEFAULT_MAX_RESULT_BYTES)
        function = as_function(func)
        parameters = _autogen_parameters(self._args_type, function)
        if _TOKEN_PARAMETER in _parameter_names(function):
            function = _receiving_token(function)
        tool = Tool.from_schema(self._name, parameters, function, description=description, **options)
        self._harden_with(
            tool, strict=strict, mode=mode, derived_args_type=False, options=options, parameters=parameters
        )
        self._source = None
        self._from_class = False
        self._cancel_with_token = not self._has_cancellation_support

    def _to_config(self) -> HardenedFunctionToolConfig:  # type: ignore[override]
        base = AutoGenFunctionTool._to_config(self)
        return HardenedFunctionToolConfig(
            **base.model_dump(),
            strict=self._strict,
            options=_options_config(self._strict, self._mode, self._options),
        )

    @classmethod
    def _from_config(cls, config: HardenedFunctionToolConfig) -> Self:  # type: ignore[override]
        with warnings.catch_warnings():
            # AutoGen's own warning about running the config's code is raised once, below.
            warnings.simplefilter("ignore", UserWarning)
            loaded = AutoGenFunctionTool._from_config(FunctionToolConfig(**config.model_dump()))
        warnings.warn(
            "Loading a FunctionTool from config runs the function code and imports it holds: load configs "
            "from trusted sources only.",
            UserWarning,
            stacklevel=2,
        )
        return cls(
            loaded._func,
            name=config.name,
            description=config.description,
            global_imports=config.global_imports,
            strict=config.strict,
            mode=config.options.mode,
            **_options_from_config(config.options),
        )


# -- harden ----------------------------------------------------------------------------------------

_FRAMEWORK = Framework(
    name="autogen", tool_base=BaseTool, function_tools=(AutoGenFunctionTool,), hardened=(HardenedTool,)
)


def harden(
    obj: Any,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
    mode: Mode = "lenient",
    fresh_instance: bool | None = None,
    **options: Unpack[ToolOptions],
) -> HardenedTool:
    """An AutoGen tool whose calls go through toolproof's road.

    ``obj`` is a function or ``functools.partial`` (sync or async; a ``cancellation_token``
    parameter receives AutoGen's token), a ``FunctionTool``, another ``BaseTool`` instance (its
    calls run on that instance, watched for state a call writes on it; ``fresh_instance=True`` runs
    each on a copy) or class (a fresh instance per call), or a ``toolproof.Tool``. A function gives
    a ``toolproof.autogen.FunctionTool``. ``options`` are ``toolproof.ToolOptions`` (``timeout``,
    ``retry``, ``aliases``, ``max_concurrency``, ``authorize``, ``max_result_bytes`` (default
    100,000), ``shared_state``, ``telemetry`` ...); ``authorize(call, context)`` receives the run's
    ``CancellationToken`` as ``context``. ``telemetry`` (a ``toolproof.otel.Telemetry``) makes each
    call a span under AutoGen's own tool span; a component config does not carry it.

    ``strict``: export the strict schema (True) or the plain one (False); None keeps an AutoGen
    tool's own setting and makes a function's strict when its schema allows it. ``mode="strict"``
    turns off repair and coercion of arguments.
    """
    found = kind_of(obj, _FRAMEWORK)
    if found is Kind.HARDENED:
        if name is not None or description is not None or options or strict is not None:
            raise TypeError(f"{obj!r} is already hardened; harden the original object with these options")
        return obj
    if found is Kind.TOOLPROOF_TOOL:
        if name is not None or description is not None or options:
            raise TypeError("a toolproof.Tool carries its own options; set them when building it")
        return HardenedTool(obj, strict=strict, mode=mode)
    if found in (Kind.FUNCTION, Kind.PARTIAL):
        function = as_function(obj)
        return FunctionTool(
            obj,
            description if description is not None else inspect.getdoc(function) or "",
            name,
            strict=strict,
            mode=mode,
            **options,
        )
    if found is Kind.FUNCTION_TOOL:
        return FunctionTool(
            obj._func,
            description if description is not None else obj.description,
            name if name is not None else obj.name,
            obj._global_imports,
            strict=obj._strict if strict is None else strict,
            mode=mode,
            **options,
        )
    instance = obj if found is Kind.INSTANCE else None
    return _harden_base_tool(
        type(obj) if instance is not None else obj,
        instance,
        name,
        description,
        strict,
        mode,
        fresh_instance,
        options,
    )


def harden_all(objs: Iterable[Any], **options: Any) -> list[HardenedTool]:
    """``harden`` each of ``objs`` with the same options; two tools with the same name are refused,
    naming where both are defined (AutoGen's own check names neither, and a workbench has none)."""
    hardened = [harden(obj, **options) for obj in objs]
    refuse_duplicate_names(
        hardened,
        seen_as=lambda tool: tool.name,
        definition=lambda tool: tool.tool.func,
        consequence="AutoGen refuses them as well (Tool names must be unique) without saying which two",
    )
    return hardened


def _harden_base_tool(
    cls: type[BaseTool[Any, Any]],
    instance: BaseTool[Any, Any] | None,
    name: str | None,
    description: str | None,
    strict: bool | None,
    mode: Mode,
    fresh_instance: bool | None,
    options: ToolOptions,
) -> HardenedTool:
    if instance is None:
        try:
            sample = cls()  # type: ignore[call-arg]  # a subclass's constructor, not BaseTool's
        except TypeError as error:
            raise ToolDefinitionError(
                f"harden({cls.__name__}) makes a fresh {cls.__name__}() for every call, but {error}; pass an "
                "instance instead (shared by every call), or a subclass whose constructor needs no arguments"
            ) from None
    else:
        sample = instance
    options.setdefault("max_result_bytes", DEFAULT_MAX_RESULT_BYTES)
    per_call = instances(
        cls,
        instance,
        framework="autogen",
        copy=_copy_tool,
        fresh_instance=fresh_instance,
        shared_state=options.pop("shared_state", None),
    )
    args_type = sample.args_type()
    run_on_call = per_call.method(sample.name, cls.run, cls)

    async def run_base_tool(arguments: Any, _toolproof_call: CallContext) -> Any:
        return await run_on_call(arguments, _toolproof_call.context)

    run_base_tool.__annotations__ = {"arguments": args_type, _CALL_PARAMETER: CallContext, "return": Any}
    run_base_tool.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("arguments", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=args_type),
            inspect.Parameter(_CALL_PARAMETER, inspect.Parameter.KEYWORD_ONLY, annotation=CallContext),
        ]
    )
    # Where the tool is defined, for messages naming it (a name clash, a shared-state report).
    run_base_tool.__module__ = cls.__module__
    run_base_tool.__qualname__ = f"{cls.__qualname__}.run"
    run_base_tool.__wrapped__ = cls.run  # type: ignore[attr-defined]
    tool = Tool.from_function(
        run_base_tool,
        name=name if name is not None else sample.name,
        description=description if description is not None else sample.description,
        args_schema=args_type,
        **options,
    )
    return HardenedTool(
        tool,
        args_type=args_type,
        return_type=sample.return_type(),
        strict=sample._strict if strict is None else strict,
        mode=mode,
        source=sample,
        from_class=instance is None,
        options=options,
    )


def _copy_tool(instance: Any) -> Any:
    import copy

    return copy.copy(instance)


def _autogen_parameters(args_type: type[pydantic.BaseModel], function: Callable[..., Any]) -> dict[str, Any]:
    """The parameters AutoGen shows the model for a function (``BaseTool.schema``'s, ``$ref``s
    resolved), with the descriptions the docstring gives where AutoGen has only the name."""
    schema: dict[str, Any] = args_type.model_json_schema()
    if "$defs" in schema:
        schema = jsonref.replace_refs(obj=schema, proxies=False)
        del schema["$defs"]
    properties = json.loads(json.dumps(schema.get("properties") or {}))
    _, documented = _docstring_descriptions(function)
    for parameter, description in documented.items():
        field = properties.get(parameter)
        if isinstance(field, dict) and field.get("description") in (None, parameter):
            field["description"] = description
    return {
        "type": "object",
        "properties": properties,
        "required": list(schema.get("required", [])),
        "additionalProperties": schema.get("additionalProperties", False),
    }


def _parameter_names(fn: Callable[..., Any]) -> Sequence[str]:
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def _receiving_token(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with its ``cancellation_token`` parameter filled from the call context: the model
    never sees it, and the function receives the run's token as AutoGen would pass it."""
    signature = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        hints = {
            name: p.annotation for name, p in signature.parameters.items() if p.annotation is not p.empty
        }
    call_parameter = inspect.Parameter(
        _CALL_PARAMETER, inspect.Parameter.KEYWORD_ONLY, annotation=CallContext
    )
    parameters = [p for p in signature.parameters.values() if p.name != _TOKEN_PARAMETER]
    insert_at = next((i for i, p in enumerate(parameters) if p.kind is p.VAR_KEYWORD), len(parameters))
    parameters.insert(insert_at, call_parameter)

    if inspect.iscoroutinefunction(fn):

        async def call_async(*args: Any, _toolproof_call: CallContext, **kwargs: Any) -> Any:
            return await fn(*args, **kwargs, cancellation_token=_toolproof_call.context)

        wrapper: Callable[..., Any] = call_async
    else:

        def call_sync(*args: Any, _toolproof_call: CallContext, **kwargs: Any) -> Any:
            return fn(*args, **kwargs, cancellation_token=_toolproof_call.context)

        wrapper = call_sync
    functools.update_wrapper(wrapper, fn)
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    annotations = {key: value for key, value in hints.items() if key != _TOKEN_PARAMETER}
    annotations[_CALL_PARAMETER] = CallContext
    wrapper.__annotations__ = annotations
    return wrapper


def resolve_strict(tool: Tool, strict: bool | None) -> bool:
    if strict is False:
        return False
    try:
        tool.to_provider("openai", strict=True)
    except ToolDefinitionError:
        if strict:
            raise
        return False
    return True


def _plain(args: Any) -> Any:
    if type(args) is not dict and isinstance(args, Mapping):
        return dict(args)
    return args


class _TaskCanceller:
    """Cancels the task running a call when its CancellationToken is cancelled, from any thread;
    does nothing once the call is over."""

    __slots__ = ("finished", "loop", "task")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.loop = task.get_loop()
        self.finished = False

    @classmethod
    def for_current_task(cls) -> _TaskCanceller | None:
        task = asyncio.current_task()
        return None if task is None else cls(task)

    def __call__(self) -> None:
        if not self.finished:
            self.loop.call_soon_threadsafe(self._cancel)

    def _cancel(self) -> None:
        if not self.finished:
            self.task.cancel()


def _loggable(args: Any) -> dict[str, Any]:
    return dict(args) if isinstance(args, Mapping) else {"arguments": args}
