"""The hardened CrewAI tool: a ``crewai.tools.BaseTool`` whose every call travels toolproof's road."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal, cast

import pydantic
from crewai.tools import BaseTool as CrewAIBaseTool
from crewai.tools.base_tool import _TOOL_TYPE_REGISTRY
from crewai.tools.base_tool import Tool as CrewAIFunctionTool
from crewai.tools.structured_tool import CrewStructuredTool, _format_tool_output_for_agent
from crewai.tools.tool_failure import ToolFailure
from crewai.utilities.string_utils import sanitize_tool_name

from toolproof._adapt.constants import DEFAULT_MAX_RESULT_BYTES, RAW_ARGUMENTS, TOOL_OPTIONS
from toolproof._adapt.failures import failure_exception, is_argument_failure
from toolproof._adapt.instances import Instances, instances
from toolproof._adapt.kinds import as_function
from toolproof._adapt.text import result_text
from toolproof.context import CallContext
from toolproof.crewai._arguments import RoadArguments, road_arguments
from toolproof.errors import ArgumentError, SerializationError, ToolDefinitionError
from toolproof.executors import RemoteExecutor, as_remote, remote_callable
from toolproof.tools import Tool

Mode = Literal["lenient", "strict"]

# BaseTool's own bookkeeping, which says nothing about how to build a fresh instance.
_BOOKKEEPING_FIELDS = frozenset({"current_usage_count", "description_updated", "args_schema"})


class _Call:
    """One call's companion: the value the tool returned (CrewAI gets it as it is, not its JSON),
    and whether it claimed a use of the tool yet (once, however many attempts)."""

    __slots__ = ("claim", "claimed", "ran", "value")

    def __init__(self, claim: bool) -> None:
        self.claim = claim
        self.claimed = False
        self.ran = False
        self.value: Any = None


class Hardening:
    """What a hardened tool adds: the toolproof Tools running ``_run`` and ``_arun`` on the object
    each call runs on, the options, and the tool's own ``args_schema``."""

    __slots__ = (
        "_async_tool",
        "_lock",
        "instances",
        "max_result_bytes",
        "mode",
        "options",
        "original",
        "prebuilt",
        "tool",
    )

    def __init__(
        self,
        tool: Tool,
        original: type[pydantic.BaseModel] | None,
        instances: Instances,
        mode: Mode,
        options: dict[str, Any],
        *,
        prebuilt: bool = False,
    ) -> None:
        self.tool = tool
        # A toolproof.Tool given to harden(): it runs as it is, and returns its own value.
        self.prebuilt = prebuilt
        self.original = original
        self.instances = instances
        self.mode: Mode = mode
        self.options = options
        cap = options.get("max_result_bytes", DEFAULT_MAX_RESULT_BYTES)
        self.max_result_bytes: int | None = cap
        self._async_tool: Tool | None = None
        self._lock = threading.Lock()


# How the hardened tool being constructed is to be hardened (harden()'s options), or, for the
# instance a call runs on, that it is not hardened itself.
How = tuple[dict[str, Any], bool, "bool | None", "Tool | None"]
_PENDING: contextvars.ContextVar[How | None] = contextvars.ContextVar(
    "toolproof_crewai_pending", default=None
)
_CALL_INSTANCE: How = ({}, False, None, None)


def construct(cls: type, fields: dict[str, Any], how: How) -> Any:
    """``cls(**fields)``, hardened as ``how`` says: options, whether calls run on the tool itself,
    ``fresh_instance``, and a ``toolproof.Tool`` to run as it is (None: one is built)."""
    token = _PENDING.set(how)
    try:
        return cls(**fields)
    finally:
        _PENDING.reset(token)


class HardenedTool(CrewAIBaseTool):
    """A CrewAI tool whose calls go through toolproof's road.

    ``toolproof.crewai.BaseTool`` is this class: subclass it in place of ``crewai.tools.BaseTool``
    and write ``_run`` (and ``_arun``) as CrewAI has them. ``harden`` makes one from any CrewAI
    tool: an instance of a subclass of the tool's own class (events and ``isinstance`` see the
    user's class), its fields copied.

    ``run``/``arun`` behave as CrewAI's: the arguments are checked first (here by the road, which
    repairs what it safely can; what it cannot is a ``ValueError`` naming every problem, and
    counts no use), then a use is claimed (``max_usage_count``; a spent limit is the
    ``ToolFailure`` CrewAI returns), then ``_run`` (``_arun``) runs, with the timeout and retries
    toolproof options give. The tool's value comes back as it is (a ``ToolFailure`` stays one, a
    typed output stays the object); its exceptions are raised as the tool raised them, and a
    failure toolproof decided (a timeout) as a ``RetryableError`` or ``PermanentError`` with the
    text for the model, so CrewAI records it, emits its error event, applies its failure policy
    and never caches it. ``format_output_for_agent`` gives the model JSON for structured values,
    cut to ``max_result_bytes``.
    """

    toolproof_options: ClassVar[dict[str, Any]] = {}
    """toolproof options for every instance of a subclass (``timeout``, ``retry``,
    ``max_result_bytes``, ``mode`` ...); ``harden(tool, **options)`` adds to them."""

    _hardening: Hardening | None = pydantic.PrivateAttr(default=None)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as error:
            # A definition that cannot work, raised as itself rather than as pydantic's wrapping.
            for item in error.errors():
                cause = (item.get("ctx") or {}).get("error")
                if isinstance(cause, ToolDefinitionError):
                    raise cause from None
            raise

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        self._after_init()

    def _after_init(self) -> None:
        how = _PENDING.get()
        if how is _CALL_INSTANCE:
            return  # an object a call runs on: the hardened tool around it does the rest
        if how is None:
            how = ({}, True, None, None)
        options, shared, fresh_instance, prebuilt = how
        self._harden_self(
            {**self.toolproof_options, **options},
            shared=shared,
            fresh_instance=fresh_instance,
            prebuilt=prebuilt,
        )

    # -- building ------------------------------------------------------------------------------

    def _harden_self(
        self,
        options: dict[str, Any],
        *,
        shared: bool,
        fresh_instance: bool | None,
        prebuilt: Tool | None = None,
    ) -> None:
        """Build the road for this tool: its own ``args_schema`` (or the one read from ``_run``),
        calls on this object (or on a fresh instance each, when ``shared`` is False)."""
        options = dict(options)
        mode: Mode = options.pop("mode", "lenient")
        unknown = set(options) - TOOL_OPTIONS
        if unknown:
            raise TypeError(f"unknown toolproof options: {', '.join(sorted(unknown))}")
        options.setdefault("max_result_bytes", DEFAULT_MAX_RESULT_BYTES)
        shared_state = options.pop("shared_state", None)
        # The tool's own code runs on the executor; counting its uses stays here (see _run_function).
        executor = as_remote(options.pop("executor", None), f"tool '{self.name}'")
        original = (
            self.args_schema.original if issubclass(self.args_schema, RoadArguments) else self.args_schema
        )
        written = _written_args_schema(self, original)
        user_class = _user_class(type(self))
        if user_class._run is CrewAIFunctionTool._run and shared_state is None:
            # A function tool's _run calls its function, which has no `self` to keep state on.
            shared_state = "off"
        per_call = instances(
            user_class,
            self if shared else None,
            framework="crewai",
            build=None if shared else _rebuild(user_class, self),
            copy=lambda instance: _rebuild(user_class, instance)(),
            fresh_instance=fresh_instance,
            shared_state=shared_state,
            bookkeeping=_BOOKKEEPING_FIELDS,
        )
        if prebuilt is not None:
            self._hardening = Hardening(
                prebuilt, None, per_call, mode, {**options, "mode": mode, "executor": executor}, prebuilt=True
            )
            object.__setattr__(self, "args_schema", road_arguments(prebuilt, None, mode))
            return
        function = _run_function(
            self, user_class, per_call, "_run", executor, keeps_result=_keeps_results(options)
        )
        name = sanitize_tool_name(self.name)
        try:
            tool = Tool.from_function(
                function, name=name, description=self.description, args_schema=written, **options
            )
        except ToolDefinitionError as error:
            if written is None:
                raise
            parameters = ", ".join(
                name for name in inspect.signature(function).parameters if name != "_toolproof_call"
            )
            fields = ", ".join(written.model_fields) or "none"
            raise ToolDefinitionError(
                f"the args_schema {written.__name__} (fields: {fields}) does not match "
                f"{user_class.__name__}._run({parameters}): {error}",
                error.problems,
            ) from None
        hardening = Hardening(tool, original, per_call, mode, {**options, "mode": mode, "executor": executor})
        self._hardening = hardening
        # Assigned, not validated: the road model stands in for the tool's own args_schema.
        object.__setattr__(self, "args_schema", road_arguments(tool, original, mode))

    def _async_tool(self) -> Tool:
        hardening = self._hardening_of()
        if hardening._async_tool is None:
            with hardening._lock:
                if hardening._async_tool is None:
                    options = {
                        k: v for k, v in hardening.options.items() if k in TOOL_OPTIONS and k != "executor"
                    }
                    function = _run_function(
                        self,
                        _user_class(type(self)),
                        hardening.instances,
                        "_arun",
                        hardening.options.get("executor"),
                        keeps_result=_keeps_results(options),
                    )
                    hardening._async_tool = Tool.from_schema(
                        hardening.tool.name,
                        hardening.tool.schema,
                        function,
                        description=hardening.tool.description,
                        **options,
                    )
        return hardening._async_tool

    def _hardening_of(self) -> Hardening:
        # Straight from pydantic's private storage: the attribute lookup costs more, every call.
        return cast(Hardening, self.__pydantic_private__["_hardening"])  # type: ignore[index]

    # -- what CrewAI reads ---------------------------------------------------------------------

    @property
    def toolproof_tool(self) -> Tool:
        """The toolproof ``Tool`` every call runs (its schema, ``parse_args``, ``metrics()``)."""
        return cast(Hardening, self._hardening).tool

    def metrics(self) -> Any:
        """What this tool's calls counted: latencies, errors by code, retries, repairs."""
        return self.toolproof_tool.metrics()

    def format_output_for_agent(self, raw_result: Any) -> str:
        """The text the model reads: a ``ToolFailure``'s message, a ``result_schema``'s JSON as
        CrewAI writes it, text as it is and anything else as compact JSON, cut to
        ``max_result_bytes`` as toolproof cuts a result."""
        hardening = self._hardening_of()
        if isinstance(raw_result, ToolFailure):
            return raw_result.as_agent_message()
        if self.result_schema is not None:
            return result_text(_format_tool_output_for_agent(self, raw_result), hardening.max_result_bytes)
        try:
            return result_text(raw_result, hardening.max_result_bytes)
        except SerializationError as error:
            # Named, where CrewAI would send `<object at 0x...>`: the model can say what it needs.
            return result_text(f"The tool's result could not be sent: {error}", hardening.max_result_bytes)

    def to_structured_tool(self) -> CrewStructuredTool:
        """CrewAI's structured tool for this one: its function runs the road (CrewAI's
        structured tool claims the use itself)."""
        structured = CrewStructuredTool(
            name=self.name,
            description=self.description,
            args_schema=self.args_schema,
            result_schema=self.result_schema,
            func=self._structured_call,
            result_as_answer=self.result_as_answer,
            max_usage_count=self.max_usage_count,
            current_usage_count=self.current_usage_count,
            cache_function=self.cache_function,
            tool_failure_policy=self.tool_failure_policy,
        )
        structured._original_tool = self
        return structured

    def _structured_call(self, *args: Any, **kwargs: Any) -> Any:
        return self._execute(self._arguments(args, kwargs), claim=False)

    # -- calls ---------------------------------------------------------------------------------

    def run(self, *args: Any, **kwargs: Any) -> Any:
        return self._execute(self._arguments(args, kwargs), claim=True)

    async def arun(self, *args: Any, **kwargs: Any) -> Any:
        return await self._aexecute(self._arguments(args, kwargs), claim=True)

    def _execute(self, raw: Any, *, claim: bool) -> Any:
        hardening = self._hardening_of()
        if hardening.prebuilt:
            return self._run_prebuilt(raw, claim)
        call = _Call(claim)
        result = hardening.tool.run(raw, mode=hardening.mode, context=call)
        return self._outcome(result, call, hardening.tool, raw)

    async def _aexecute(self, raw: Any, *, claim: bool) -> Any:
        hardening = self._hardening_of()
        if hardening.prebuilt:
            return self._run_prebuilt(raw, claim)
        tool = self._async_tool()
        call = _Call(claim)
        result = await tool.arun(raw, mode=hardening.mode, context=call)
        return self._outcome(result, call, tool, raw)

    def _run_prebuilt(self, raw: Any, claim: bool) -> Any:
        hardening = self._hardening_of()
        tool = hardening.tool
        try:
            arguments = tool.parse_args(raw, mode=hardening.mode).arguments
        except ArgumentError as error:
            raise ValueError(
                f"Tool '{self.name}' arguments validation failed: {error.for_model()}"
            ) from error
        if claim:
            spent = self._claim_usage()
            if spent is not None:
                return spent
        result = tool.run(arguments, mode=hardening.mode)
        if result.ok:
            return result.output
        raise failure_exception(result)

    def _outcome(self, result: Any, call: _Call, tool: Tool, raw: Any) -> Any:
        if result.ok:
            # Answered without running (a cached result, an idempotency key's): its stored value.
            return call.value if call.ran else result.output
        mode = self._hardening_of().mode
        if is_argument_failure(result):
            error = failure_exception(result, lambda: tool.parse_args(raw, mode=mode))
            raise ValueError(
                f"Tool '{self.name}' arguments validation failed: {_model_text(error)}"
            ) from error
        raise failure_exception(result)

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """The arguments as the caller gave them: keyword arguments; the model's raw text
        (``harden_llm``); one positional value as CrewAI passes it, to the first parameter (text
        holding a JSON object is the arguments themselves, a dict too); several by position."""
        if not args:
            if len(kwargs) == 1 and RAW_ARGUMENTS in kwargs:
                return kwargs[RAW_ARGUMENTS]
            return kwargs
        names = list(self.toolproof_tool.schema.get("properties") or ())
        if len(args) == 1 and not kwargs:
            only = args[0]
            if isinstance(only, dict) or (isinstance(only, str) and only.lstrip().startswith("{")):
                return only
            if not names:
                return only
        if len(args) > len(names):
            # More values than parameters: let the road say what it expected.
            return list(args)
        return {**dict(zip(names, args, strict=False)), **kwargs}


def _model_text(error: BaseException) -> str:
    return error.for_model() if isinstance(error, ArgumentError) else str(error)


def _user_class(cls: type[CrewAIBaseTool]) -> type[CrewAIBaseTool]:
    """The tool's own class: a hardened copy's class derives from it."""
    return cast(type[CrewAIBaseTool], getattr(cls, "toolproof_hardens", cls))


class _NoResultSchema(pydantic.BaseModel):
    """Stands in for a result_schema of None while an instance is built, so CrewAI does not infer
    one from ``_run`` again."""


def _rebuild(cls: type, template: CrewAIBaseTool) -> Callable[[], Any]:
    """A function making a new ``cls`` the way ``template`` was made, for a call to run on: with
    the fields it was given (what the class makes for itself, defaults, default factories, private
    attributes, what ``__init__`` and ``model_post_init`` set up, is made anew)."""
    configured = {
        field: getattr(template, field)
        for field in template.model_fields_set
        if field not in _BOOKKEEPING_FIELDS
    }
    hardening = template._hardening if isinstance(template, HardenedTool) else None
    # Passed explicitly so that construction does not read the annotations of `_run` again.
    configured["args_schema"] = hardening.original if hardening is not None else template.args_schema
    result_schema = template.result_schema
    configured["result_schema"] = _NoResultSchema if result_schema is None else result_schema

    def make() -> Any:
        instance = construct(cls, configured, _CALL_INSTANCE)
        if result_schema is None:
            instance.result_schema = None
        return instance

    return make


def _written_args_schema(tool: CrewAIBaseTool, original: Any) -> type[pydantic.BaseModel] | None:
    """The tool's ``args_schema`` when it was written (on its class, given to its constructor, or
    made by ``@tool``); None when CrewAI derived it from ``_run``, so toolproof reads the signature
    and docstring itself (parameter descriptions, and calls that need no pydantic model)."""
    if not (isinstance(original, type) and issubclass(original, pydantic.BaseModel)):
        return None
    if isinstance(tool, CrewAIFunctionTool):
        return None if _derived_from(tool.func, original) else original
    if "args_schema" in tool.model_fields_set:
        return original
    declared = type(tool).model_fields["args_schema"].default
    return None if declared is CrewAIBaseTool._ArgsSchemaPlaceholder else original


def _derived_from(func: Callable[..., Any], args_schema: type[pydantic.BaseModel]) -> bool:
    """Whether ``args_schema`` is the one ``@tool`` derives from ``func``'s signature (and says no
    more than it): toolproof then reads the signature itself, docstring descriptions included."""
    fields: dict[str, Any] = {}
    try:
        parameters = inspect.signature(as_function(func)).parameters.values()
        for parameter in parameters:
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            annotation = Any if parameter.annotation is parameter.empty else parameter.annotation
            fields[parameter.name] = (
                annotation,
                ... if parameter.default is parameter.empty else parameter.default,
            )
        derived = pydantic.create_model(args_schema.__name__, **fields)
        return bool(derived.model_json_schema() == args_schema.model_json_schema())
    except Exception:
        # Not comparable: the schema as written is the safer description.
        return False


def _keeps_results(options: Mapping[str, Any]) -> bool:
    """Whether calls may be answered from a kept result (a cache, an idempotency key)."""
    return options.get("cache_ttl") is not None or options.get("idempotency_key") is not None


def _run_function(
    tool: CrewAIBaseTool,
    cls: type[CrewAIBaseTool],
    per_call: Instances,
    method: str,
    executor: RemoteExecutor | None = None,
    *,
    keeps_result: bool = False,
) -> Callable[..., Any]:
    """``cls.<method>`` (``_run`` or ``_arun``) as the function a toolproof Tool calls: on each
    call's object, after claiming a use of ``tool`` once per call (the road has accepted the
    arguments by then), its value kept beside the result for CrewAI to receive as it is.

    With an ``executor``, the method alone runs there (its value comes back as decoded JSON); the
    claim and the value's hand-over stay in this process, where CrewAI counts and reads them.
    ``keeps_result``: the value is the result as well, for a cache or an idempotency key to keep
    (its JSON) and give later calls that do not run."""
    if isinstance(tool, CrewAIFunctionTool):
        function = as_function(tool.func)
        signature = inspect.signature(function)
        try:
            hints = typing.get_type_hints(function, include_extras=True)
        except Exception:
            hints = {}
        target: Callable[..., Any]
        if method == "_run" and cls._run is CrewAIFunctionTool._run:
            # CrewAI's own _run calls the function as it is: so does the road, a frame shorter.
            target = tool.func
        else:
            target = per_call.method(tool.name, getattr(cls, method), cls)
        parameters = [p for p in signature.parameters.values() if p.kind is not p.VAR_POSITIONAL]
        body_signature = signature.replace(parameters=parameters)
        annotations = {k: v for k, v in hints.items() if k in body_signature.parameters or k == "return"}
        wrapped: Any = function
    else:
        target = per_call.method(tool.name, getattr(cls, method), cls)
        body_signature = inspect.signature(target)
        try:
            annotations = typing.get_type_hints(getattr(cls, method), include_extras=True)
        except Exception:
            annotations = dict(getattr(target, "__annotations__", {}))
        annotations = {k: v for k, v in annotations.items() if k in body_signature.parameters}
        wrapped = getattr(cls, method)
    call_parameter = inspect.Parameter(
        "_toolproof_call", inspect.Parameter.KEYWORD_ONLY, annotation=CallContext
    )
    parameters = list(body_signature.parameters.values())
    insert_at = next((i for i, p in enumerate(parameters) if p.kind is p.VAR_KEYWORD), len(parameters))
    parameters.insert(insert_at, call_parameter)
    is_async = method == "_arun"
    if executor is not None:
        executor.check_sendable(tool.name, target)
        target = remote_callable(tool.name, target, is_async, executor)
        is_async = True

    def claim(call: _Call) -> Any:
        if call.claim and not call.claimed:
            call.claimed = True
            return tool._claim_usage()
        return None

    if is_async:

        async def run_async(*args: Any, _toolproof_call: CallContext, **kwargs: Any) -> Any:
            call = cast(_Call, _toolproof_call.context)
            call.ran = True
            spent = claim(call)
            call.value = spent if spent is not None else await target(*args, **kwargs)
            return call.value if keeps_result else None

        runner: Callable[..., Any] = run_async
    else:

        def run_sync(*args: Any, _toolproof_call: CallContext, **kwargs: Any) -> Any:
            call = cast(_Call, _toolproof_call.context)
            call.ran = True
            spent = claim(call)
            if spent is not None:
                call.value = spent
                return None
            value = target(*args, **kwargs)
            if asyncio.iscoroutine(value):
                # An async _run called synchronously, as CrewAI's own run() does it.
                value = asyncio.run(value)
            call.value = value
            return value if keeps_result else None

        runner = run_sync
    runner.__signature__ = body_signature.replace(parameters=parameters, return_annotation=None)  # type: ignore[attr-defined]
    runner.__annotations__ = {
        **{k: v for k, v in annotations.items() if k != "return"},
        "_toolproof_call": CallContext,
    }
    runner.__wrapped__ = wrapped  # type: ignore[attr-defined]
    runner.__doc__ = getattr(wrapped, "__doc__", None)
    runner.__module__ = cls.__module__
    runner.__name__ = method
    runner.__qualname__ = f"{cls.__qualname__}.{method}"
    return runner


_HARDENED_CLASSES: dict[type, type] = {}


def hardened_class(cls: type[CrewAIBaseTool]) -> type[HardenedTool]:
    """A subclass of ``cls`` and ``HardenedTool``, named as ``cls`` (CrewAI's events name a tool by
    its class), whose instances are the hardened copies of ``cls``'s: ``cls``'s fields, defaults
    and methods, with the calls (``run``, ``arun``, the structured tool CrewAI's agents use) and the
    model-facing text of ``HardenedTool``."""
    if issubclass(cls, HardenedTool):
        return cls
    made = _HARDENED_CLASSES.get(cls)
    if made is None:

        def model_post_init(self: HardenedTool, context: Any) -> None:
            cls.model_post_init(self, context)
            self._after_init()

        namespace: dict[str, Any] = {
            name: HardenedTool.__dict__[name]
            for name in ("run", "arun", "format_output_for_agent", "to_structured_tool")
        }
        namespace.update(
            {
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                "__doc__": cls.__doc__,
                "model_post_init": model_post_init,
                "toolproof_hardens": cls,
                "__annotations__": {"toolproof_hardens": ClassVar[type]},
            }
        )
        # The tool's class first: its fields and defaults are the copy's.
        made = cast(type[HardenedTool], type(cls.__name__, (cls, HardenedTool), namespace))
        # CrewAI registers each tool class under its dotted name for checkpoints: that name keeps
        # meaning the user's class.
        _TOOL_TYPE_REGISTRY[f"{cls.__module__}.{cls.__qualname__}"] = cls
        _HARDENED_CLASSES[cls] = made
    return made
