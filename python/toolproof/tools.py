"""Tools: a function (or a schema, or a pydantic model) with a strict schema and an argument road.

A ``Tool`` is built once, checked when it is built, and then shared: its compiled argument road is
immutable and safe to use from many threads and tasks at once.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import difflib
import functools
import inspect
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict, TypeVar, overload

import pydantic
from typing_extensions import Unpack

from toolproof import _core
from toolproof._admit import AdmissionOptions, admitted_spec
from toolproof._checks import (
    check_name,
    loose_problems,
    raise_problems,
    schema_loose_problems,
    schema_signature_problems,
)
from toolproof._core import CircuitBreaker
from toolproof._hydrate import CallPlan, pydantic_errors
from toolproof._methods import method_call
from toolproof._observe import CallObserver
from toolproof._shared_state import SharedStateHandling, watch
from toolproof._signature import (
    Signature,
    model_json_schema,
    read_signature,
    schema_from_signature,
    strip_annotated,
)
from toolproof.errors import ArgumentError, SchemaError, ToolDefinitionError
from toolproof.executors import RemoteExecutor, as_remote, explain_abandoned, remote_callable
from toolproof.metrics import MetricsReport, new_metrics

if TYPE_CHECKING:
    from toolproof.otel import Telemetry

__all__ = ["Limits", "LooseSchemaWarning", "Tool", "ToolOptions", "tool"]

Provider = Literal["openai", "openai-responses", "anthropic", "gemini"]
LooseHandling = Literal["warn", "error", "allow"]
F = TypeVar("F", bound=Callable[..., Any])


class LooseSchemaWarning(UserWarning):
    """A tool parameter accepts nearly anything (no annotation, ``Any``, a free-form dict, ``**kwargs``)."""


@dataclass(frozen=True)
class Limits:
    """Bounds on one call's arguments; each exceeded bound is an ``ArgumentError``, never a hang."""

    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 64
    max_string_length: int = 1024 * 1024


class ToolOptionsBesideExecutor(TypedDict, total=False):
    """Every tool option but ``executor``: what an API whose own ``executor`` parameter means
    something else (AutoGen's executing agent) can take beside it."""

    aliases: Mapping[str, str]
    """Other names for parameters (``{"q": "query"}``), accepted as exact spellings of them."""
    extra_keys: Literal["drop", "error"]
    """What lenient mode does with undeclared keys: drop them (recorded) or refuse the call."""
    limits: Limits
    loose: LooseHandling
    """Parameters typed ``dict``, ``Any`` or ``**kwargs``: warn (default), refuse, or allow."""
    timeout: float | None
    """Seconds one attempt may take when dispatched; an async tool is cancelled, a sync tool's
    late result is discarded."""
    retry: Any
    """A ``toolproof.Retry`` (or a number of attempts) for retryable failures when dispatched."""
    max_concurrency: int | None
    """How many calls of this tool may run at once, across every dispatch of a registry."""
    authorize: Callable[[Any, Any], Any] | None
    """``authorize(call, context)``, plain or ``async def``: decides before the call runs, seeing
    ``call.arguments`` as the tool will receive them. Only ``True`` allows; any other value, and
    any exception (``PermissionError``'s message is the reason the model reads), denies."""
    max_result_bytes: int | None
    """Cap on the encoded result (valid JSON, marked as truncated); overrides the registry's."""
    shared_state: SharedStateHandling
    """Report calls that write attributes of a shared tool instance: "off", "warn" or "error"."""
    rate_limit: str | Sequence[str] | None
    """``"50/second"`` (also ``minute``, ``hour``), or several that must all have room:
    ``["10/second", "1000/hour"]``. A call waits up to ``max_wait`` seconds for room, or fails
    with ``rate_limited`` and a hint of when to try again."""
    max_wait: float | None
    """Seconds a call may wait for its rate limit (0 unless given)."""
    circuit_breaker: CircuitBreaker | None
    """``toolproof.CircuitBreaker(failures, window, cooldown)``: after that many retryable
    failures within the window, calls fail fast with ``circuit_open`` until one probe call
    succeeds after the cooldown."""
    cache_ttl: float | None
    """Seconds a successful result is reused for a call with the same arguments (their canonical
    JSON, or ``cache_key(call)``); while one call computes it, the others wait for it."""
    cache_key: Callable[[Any], Any] | None
    """``cache_key(call) -> str``: the cache key of a call (``call.arguments`` as the tool
    receives them), for finer control than its canonical arguments."""
    idempotency_key: Literal["call_id", "arguments"] | Callable[[Any], Any] | None
    """A call with the same key runs at most once: ``"call_id"``, ``"arguments"`` (their
    canonical JSON) or ``key(call) -> str``. A repeat gets the stored result, or ``in_progress``
    while the first runs; a failed call gives its key back."""
    lease: float | None
    """Seconds a concurrency slot, a probe or a key claim is held without renewal (30); renewed
    every third of it while the call runs, so only a dead process's claims run out."""
    coordinator: Any
    """Where the admission options are decided: a ``toolproof.redis.RedisCoordinator`` shares
    them (and ``max_concurrency``) across processes. Without one (here or on the ``Registry``),
    they hold in this process: every registry and ``Tool.run`` using this tool."""
    telemetry: Telemetry | None
    """Spans and metrics (a ``toolproof.otel.Telemetry``) for the calls ``run`` and ``arun`` make,
    the path an adapter's framework takes; ``Registry.dispatch`` records with the registry's own."""


class ToolOptions(ToolOptionsBesideExecutor, total=False):
    """Options every way of making a tool takes."""

    executor: Any
    """Where calls run when dispatched: a ``concurrent.futures.Executor``,
    ``toolproof.ray.RayExecutor`` or ``toolproof.dask.DaskExecutor``; ``None`` keeps them in this
    process whatever the registry's executor (see ``toolproof.executors``). A function that
    cannot be pickled for the executor is refused here, naming what in it cannot be sent."""


_UNSET: Any = object()


def _checked_options(options: Mapping[str, Any], where: str) -> ToolOptions:
    """``options`` when every name is a tool option; a misspelt one (``timout=``) would otherwise be
    accepted and do nothing, so it raises ``TypeError`` naming the closest valid option."""
    unknown = [name for name in options if name not in ToolOptions.__annotations__]
    if unknown:
        valid = sorted(ToolOptions.__annotations__)
        name = unknown[0]
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise TypeError(f"{where}() got an unexpected option '{name}'{hint} (options: {', '.join(valid)})")
    return options  # type: ignore[return-value]


class _ModelCallPlan:
    """Arguments validated into a pydantic model, then passed as the model or as its fields."""

    __slots__ = ("_model", "_pass_instance")

    def __init__(self, model: type[pydantic.BaseModel], pass_instance: bool) -> None:
        self._model = model
        self._pass_instance = pass_instance

    @property
    def converts(self) -> frozenset[str]:
        return frozenset(self._model.model_fields)

    def arguments(self, arguments: Mapping[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        try:
            instance = self._model.model_validate(dict(arguments))
        except pydantic.ValidationError as error:
            records = []
            for record in pydantic_errors(error, ""):
                record["loc"] = record["loc"][1:]
                record["path"] = record["path"].lstrip(".")
                records.append(record)
            raise ArgumentError(
                f"invalid arguments for {self._model.__name__}: {records[0]['path']}: {records[0]['message']}",
                records,
            ) from None
        if self._pass_instance:
            return (instance,), {}
        return (), {name: getattr(instance, name) for name in type(instance).model_fields}


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _ParseArgs(Protocol):
    def __call__(self, raw: Any, *, mode: Literal["lenient", "strict"] = "lenient") -> _core.ParsedArgs: ...


class Tool:
    """A callable a model can use: a name, a description, a canonical JSON Schema (draft 2020-12)
    and the compiled argument road for it.

    Build one with ``@tool``, ``Tool.from_function``, ``Tool.from_schema`` or ``Tool.from_model``.
    """

    __slots__ = (
        "_admission",
        "_engine",
        "_exports",
        "_metrics",
        "_own_coordinator",
        "_plan",
        "_remote",
        "_road",
        "_schema",
        "authorize",
        "description",
        "executor",
        "func",
        "injected",
        "is_async",
        "max_concurrency",
        "max_result_bytes",
        "name",
        "parse_args",
        "problems",
        "retry",
        "telemetry",
        "timeout",
    )

    name: str
    description: str
    func: Callable[..., Any] | None
    is_async: bool
    problems: list[dict[str, str]]
    injected: tuple[str, ...]
    timeout: float | None
    retry: Any
    max_concurrency: int | None
    authorize: Callable[[Any, Any], Any] | None
    max_result_bytes: Any
    executor: Any
    telemetry: Telemetry | None
    parse_args: _ParseArgs
    """``parse_args(raw, *, mode="lenient")``: run the argument road on ``raw`` (JSON text, bytes, a
    dict or None); raises ``ArgumentError`` listing every problem, with a text for the model."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        schema: dict[str, Any],
        func: Callable[..., Any] | None,
        plan: CallPlan | _ModelCallPlan | None,
        problems: list[dict[str, str]] | None = None,
        injected: tuple[str, ...] = (),
        options: ToolOptions | None = None,
    ) -> None:
        options = options or {}
        limits = options.get("limits") or Limits()
        self.name = name
        self.description = description
        self.func = func if func is None else watch(name, func, options.get("shared_state", "off"))
        self.is_async = func is not None and _is_async_callable(func)
        self.problems = problems or []
        self.injected = injected
        self.timeout = options.get("timeout")
        self.retry = options.get("retry")
        self.max_concurrency = options.get("max_concurrency")
        self.authorize = options.get("authorize")
        self.telemetry = options.get("telemetry")
        self.max_result_bytes = options.get("max_result_bytes", _UNSET)
        self.executor = options.get("executor", _UNSET)
        self._remote: RemoteExecutor | None = None
        if self.executor is not _UNSET:
            self._remote = as_remote(self.executor, f"tool '{name}'")
            if self._remote is not None:
                if func is None:
                    raise ToolDefinitionError(f"tool '{name}' has no function to run on an executor")
                self._remote.check_sendable(name, self.func)  # type: ignore[arg-type]
        self._admission = AdmissionOptions.read(options, f"tool '{name}'", name)
        self._own_coordinator: Any = None
        self._schema = schema
        self._plan = plan
        self._exports: dict[tuple[str, bool], dict[str, Any]] = {}
        self._engine: _core.Engine | None = None
        self._metrics: _core.Metrics | None = None
        try:
            self._road = _core.ArgumentRoad(
                schema,
                name=name,
                aliases=list((options.get("aliases") or {}).items()),
                extra_keys=options.get("extra_keys", "drop"),
                max_bytes=limits.max_bytes,
                max_depth=limits.max_depth,
                max_string_length=limits.max_string_length,
            )
        except SchemaError as error:
            raise ToolDefinitionError(
                f"tool '{name}': {error}",
                [{"location": "parameters", "message": str(error), "fix": "correct the schema"}],
            ) from None
        # The compiled road's own method: a call costs no Python frame.
        self.parse_args = self._road.parse

    # -- constructors -------------------------------------------------------------------------

    @classmethod
    def from_function(
        cls,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        args_schema: type[pydantic.BaseModel] | dict[str, Any] | None = None,
        **options: Unpack[ToolOptions],
    ) -> Tool:
        """A tool from a function's signature, annotations and docstring.

        ``args_schema`` (a pydantic model or a JSON Schema) replaces the schema read from the
        signature; it must name the same parameters, or the definition is refused.
        """
        options = _checked_options(options, "Tool.from_function")
        tool_name = check_name(name if name is not None else _callable_name(fn))
        signature = read_signature(fn, tool_name=tool_name)
        plan: CallPlan | _ModelCallPlan
        if args_schema is None:
            schema = schema_from_signature(signature, tool_name=tool_name)
            problems = loose_problems(signature)
            plan = CallPlan(signature.parameters, accepts_extra=signature.accepts_extra, tool_name=tool_name)
        else:
            schema, plan, problems = _from_args_schema(args_schema, signature, tool_name)
        all_aliases = {alias: p.name for p in signature.parameters for alias in p.aliases}
        all_aliases.update(options.get("aliases") or {})
        _handle_loose(tool_name, problems, options.get("loose", "warn"))
        return cls(
            name=tool_name,
            description=description if description is not None else signature.description,
            schema=schema,
            func=fn,
            plan=plan,
            problems=problems,
            injected=signature.injected,
            options={**options, "aliases": all_aliases},
        )

    @classmethod
    def from_schema(
        cls,
        name: str,
        parameters: dict[str, Any],
        func: Callable[..., Any] | None = None,
        *,
        description: str = "",
        **options: Unpack[ToolOptions],
    ) -> Tool:
        """A tool from a hand-written JSON Schema of its parameters; with ``func``, the schema must
        name the function's parameters."""
        options = _checked_options(options, "Tool.from_schema")
        tool_name = check_name(name)
        if not isinstance(parameters, dict):
            raise ToolDefinitionError(
                f"tool '{tool_name}': parameters must be a JSON Schema dict, not {type(parameters).__name__}"
            )
        schema = copy.deepcopy(parameters)
        problems = schema_loose_problems(schema)
        plan: CallPlan | None = None
        injected: tuple[str, ...] = ()
        if func is not None:
            signature = read_signature(func, tool_name=tool_name)
            raise_problems(
                tool_name,
                schema_signature_problems(schema, signature),
                "the schema does not match the function",
            )
            plan = CallPlan(signature.parameters, accepts_extra=signature.accepts_extra, tool_name=tool_name)
            injected = signature.injected
        _handle_loose(tool_name, problems, options.get("loose", "warn"))
        return cls(
            name=tool_name,
            description=description,
            schema=schema,
            func=func,
            plan=plan,
            problems=problems,
            injected=injected,
            options=options,
        )

    @classmethod
    def from_model(
        cls,
        model: type[pydantic.BaseModel],
        func: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
        **options: Unpack[ToolOptions],
    ) -> Tool:
        """A tool whose arguments are the fields of a pydantic model.

        ``func`` receives the validated model when its one parameter is annotated with it, the
        fields by name otherwise; without ``func`` the tool returns the validated model.
        """
        options = _checked_options(options, "Tool.from_model")
        if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
            raise ToolDefinitionError(f"from_model takes a pydantic model class, not {model!r}")
        tool_name = check_name(name if name is not None else _snake_case(model.__name__))
        schema = _closed_model_schema(model)
        pass_instance = True
        injected: tuple[str, ...] = ()
        if func is not None:
            signature = read_signature(func, tool_name=tool_name)
            injected = signature.injected
            pass_instance = _takes_model_instance(signature, model)
            if not pass_instance:
                raise_problems(
                    tool_name,
                    schema_signature_problems(schema, signature),
                    "the model does not match the function",
                )
        doc = inspect.getdoc(model) or ""
        if doc == inspect.getdoc(pydantic.BaseModel):
            doc = ""
        return cls(
            name=tool_name,
            description=description if description is not None else doc,
            schema=schema,
            func=func,
            plan=_ModelCallPlan(model, pass_instance),
            injected=injected,
            options=options,
        )

    @classmethod
    def from_factory(
        cls,
        factory: Callable[[], Any],
        *,
        method: str | None = None,
        name: str | None = None,
        description: str | None = None,
        args_schema: type[pydantic.BaseModel] | dict[str, Any] | None = None,
        **options: Unpack[ToolOptions],
    ) -> Tool:
        """A class-based tool with a fresh instance per call: ``factory()`` (a class, or a function
        returning an instance) is called for every call, then its ``method`` (``__call__``, else
        ``run``) runs. State an instance keeps on ``self`` then belongs to one call only.

        The schema is read from the method of the class (or ``args_schema``, for a method taking
        ``**kwargs``); a factory that is not a class is called once, when the tool is defined, to
        find it.
        """
        options = _checked_options(options, "Tool.from_factory")
        sample = factory if inspect.isclass(factory) else type(factory())
        method_name = method or ("__call__" if "__call__" in vars(sample) else "run")
        unbound = getattr(sample, method_name, None)
        if unbound is None or not callable(unbound):
            raise ToolDefinitionError(
                f"{sample.__name__} has no method '{method_name}'; pass method= to name the one to call"
            )
        if description is None:
            description = inspect.getdoc(unbound) or inspect.getdoc(sample) or ""
        return cls.from_function(
            method_call(factory, unbound, sample),
            name=name if name is not None else _snake_case(sample.__name__),
            description=description,
            args_schema=args_schema,
            **options,
        )

    # -- the road -----------------------------------------------------------------------------

    @property
    def schema(self) -> dict[str, Any]:
        """The canonical JSON Schema (draft 2020-12) of the parameters (a copy)."""
        return copy.deepcopy(self._schema)

    @property
    def signature(self) -> str | None:
        """The expected arguments in one line, as a model is told them."""
        return self._road.signature

    @property
    def road(self) -> _core.ArgumentRoad:
        return self._road

    def call_arguments(self, arguments: Mapping[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """``(args, kwargs)`` for the function, from road-checked arguments."""
        if self._plan is None:
            return (), dict(arguments)
        return self._plan.arguments(arguments)

    def invoke(self, raw: Any, *, mode: Literal["lenient", "strict"] = "lenient") -> Any:
        """Parse ``raw``, then call the (synchronous) function with it."""
        func = self._require_func()
        if self.is_async:
            raise TypeError(f"tool '{self.name}' is async; use 'await tool.ainvoke(...)'")
        args, kwargs = self.call_arguments(self.parse_args(raw, mode=mode).arguments)
        return func(*args, **kwargs)

    async def ainvoke(self, raw: Any, *, mode: Literal["lenient", "strict"] = "lenient") -> Any:
        """Parse ``raw``, then await the function (a sync one runs in a worker thread)."""
        func = self._require_func()
        args, kwargs = self.call_arguments(self.parse_args(raw, mode=mode).arguments)
        if self.is_async:
            return await func(*args, **kwargs)
        return await asyncio.to_thread(functools.partial(func, *args, **kwargs))

    def _require_func(self) -> Callable[..., Any]:
        if self.func is not None:
            return self.func
        if isinstance(self._plan, _ModelCallPlan):
            return lambda instance: instance
        raise TypeError(f"tool '{self.name}' was defined from a schema without a function")

    # -- one call, as dispatch runs it ---------------------------------------------------------

    def run(
        self,
        arguments: Any,
        *,
        call_id: str = "call_0",
        mode: Literal["lenient", "strict"] = "lenient",
        context: Any = None,
    ) -> _core.ToolResult:
        """One call, exactly as ``Registry.dispatch`` runs it (the argument road, authorization,
        timeout, retries, result encoding), returning its ``ToolResult``: the tool's failures are
        results, never exceptions. A sync tool without a timeout runs on this thread. With the
        ``telemetry`` option the call is a span (see ``toolproof.otel``)."""
        call = _core.ToolCall(call_id, self.name, arguments)
        if self.telemetry is None and not self.is_async and self.timeout is None and self._remote is None:
            # The common case, a frame shorter: a sync call on this thread, watched for logs only.
            engine = self._engine or self._single_engine()
            return engine.call(call, context=context, mode=mode, observer=CallObserver(call))
        trace = None if self.telemetry is None else self.telemetry.call(self, call)
        if trace is None:
            return self._run(call, mode, context, CallObserver(call))
        try:
            result = self._run(call, mode, context, CallObserver(call, trace))
        except BaseException as error:
            trace.end(None, error)
            raise
        trace.end(result)
        return result

    def _run(
        self, call: _core.ToolCall, mode: Literal["lenient", "strict"], context: Any, observer: CallObserver
    ) -> _core.ToolResult:
        engine = self._engine or self._single_engine()
        remote = self.runs_on()
        if not self.is_async and remote is None and self.timeout is None:
            return engine.call(call, context=context, mode=mode, observer=observer)
        from toolproof._loop import background_loop

        loop = background_loop() if self.is_async or remote is not None else None
        results = engine.dispatch([call], event_loop=loop, context=context, mode=mode, observer=observer)
        return self._explained(results)[0]

    async def arun(
        self,
        arguments: Any,
        *,
        call_id: str = "call_0",
        mode: Literal["lenient", "strict"] = "lenient",
        context: Any = None,
    ) -> _core.ToolResult:
        """``run`` on the running event loop: an async tool runs on the current task, a sync tool
        on a worker thread, so the loop is never blocked. Without a timeout or retries nothing
        crosses threads but the sync tool's own call; with them, the dispatch engine runs it."""
        call = _core.ToolCall(call_id, self.name, arguments)
        trace = None if self.telemetry is None else self.telemetry.call(self, call)
        if trace is None:
            return await self._arun(call, mode, context, CallObserver(call))
        try:
            result = await self._arun(call, mode, context, CallObserver(call, trace))
        except BaseException as error:
            trace.end(None, error)
            raise
        trace.end(result)
        return result

    async def _arun(
        self, call: _core.ToolCall, mode: Literal["lenient", "strict"], context: Any, observer: CallObserver
    ) -> _core.ToolResult:
        engine = self._engine or self._single_engine()
        if (
            self.timeout is not None
            or self.retry is not None
            or self.authorize is not None
            or self.runs_on() is not None
        ):
            results = await engine.adispatch([call], context=context, mode=mode, observer=observer)
            return self._explained(results)[0]
        if not self.is_async:
            run_here = functools.partial(engine.call, call, context=context, mode=mode, observer=observer)
            if self.telemetry is not None:
                # The worker thread runs in a copy of this context, so the call's span is current
                # there and the tool's own spans nest under it.
                run_here = functools.partial(contextvars.copy_context().run, run_here)
            return await asyncio.get_running_loop().run_in_executor(None, run_here)
        started = engine.start(call, context=context, mode=mode, observer=observer)
        if isinstance(started, _core.ToolResult):
            return started
        try:
            returned = await started.rest
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except BaseException as error:
            return started.fail(error)
        return started.finish(returned)

    def _explained(self, results: list[_core.ToolResult]) -> list[_core.ToolResult]:
        remote = self.runs_on()
        if remote is None or remote.can_stop_running:
            return results
        return explain_abandoned(results, {self.name: remote})

    def metrics(self) -> MetricsReport:
        """What ``run`` and ``arun`` counted for this tool (a ``MetricsReport``)."""
        self._single_engine()
        assert self._metrics is not None
        return MetricsReport(self._metrics)

    def _single_engine(self) -> _core.Engine:
        if self._engine is None:
            self._metrics = new_metrics()
            self._engine = _core.Engine([self.engine_spec()], metrics=self._metrics, max_result_bytes=None)
        return self._engine

    def runs_on(self, default: RemoteExecutor | None = None) -> RemoteExecutor | None:
        """The executor this tool's calls run on, given its registry's ``default``; None for
        this process."""
        remote = default if self.executor is _UNSET else self._remote
        return remote if self.func is not None else None

    def engine_spec(
        self,
        default_executor: RemoteExecutor | None = None,
        *,
        admission_defaults: AdmissionOptions | None = None,
        coordinator: Any = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """What the dispatch engine needs to run this tool. A tool running on an executor is an
        async callable that sends each call there and awaits it. With admission options (its own
        or a registry's ``admission_defaults``), each attempt first asks ``coordinator`` (or the
        tool's own) in this process. ``timeout`` is the registry's, for a tool without its own."""
        plan = self._plan
        if isinstance(plan, CallPlan) and plan.is_trivial:
            plan = None
        func = self._require_func()
        is_async = self.is_async
        remote = self.runs_on(default_executor)
        stops_on_timeout = is_async
        if remote is not None:
            func = remote_callable(self.name, func, is_async, remote)
            is_async = True
            # A call the executor cannot stop still runs after its timeout: no second attempt
            # may overlap it.
            stops_on_timeout = remote.can_stop_running
        spec: dict[str, Any] = {
            "name": self.name,
            "road": self._road,
            "func": func,
            "is_async": is_async,
            "stops_on_timeout": stops_on_timeout,
            "plan": plan,
            "injected": list(self.injected),
            "authorize": self.authorize,
            "timeout": self.timeout,
            "retry": self.retry,
            "max_concurrency": self.max_concurrency,
        }
        if self.max_result_bytes is not _UNSET:
            spec["max_result_bytes"] = self.max_result_bytes
        if self._admission is None and admission_defaults is None:
            return spec
        options = self._admission.over(admission_defaults) if self._admission else admission_defaults
        own_timeout = self.timeout if self.timeout is not None else timeout
        return admitted_spec(spec, options, coordinator, self._local_coordinator, own_timeout)

    def _local_coordinator(self) -> Any:
        """Where this tool's guards hold when no coordinator is given: in this process, shared by
        every registry using the tool."""
        if self._own_coordinator is None:
            from toolproof.admission import LocalCoordinator

            self._own_coordinator = LocalCoordinator()
        return self._own_coordinator

    @property
    def admission(self) -> AdmissionOptions | None:
        """The tool's own admission options (``rate_limit``, ``circuit_breaker`` ...), if any."""
        return self._admission

    # -- providers ----------------------------------------------------------------------------

    def to_provider(self, provider: Provider = "openai", strict: bool = True) -> dict[str, Any]:
        """The tool definition in a provider's request format. Raises ``ToolDefinitionError``
        saying why when the provider (or its strict mode) cannot take this schema."""
        key = (provider, strict)
        cached = self._exports.get(key)
        if cached is None:
            cached = _core.export_tool(self.name, self.description, self._schema, provider, strict)
            self._exports[key] = cached
        return copy.deepcopy(cached)

    # -- the function itself ------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._require_func()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r}, signature={self.signature!r})"


def _callable_name(fn: Callable[..., Any]) -> str:
    target = fn.func if isinstance(fn, functools.partial) else fn
    return getattr(target, "__name__", None) or type(target).__name__


def _is_async_callable(fn: Callable[..., Any]) -> bool:
    target = fn.func if isinstance(fn, functools.partial) else fn
    if inspect.iscoroutinefunction(target):
        return True
    call = getattr(target, "__call__", None)  # noqa: B004 - a callable object's own __call__
    return call is not None and inspect.iscoroutinefunction(call)


def _handle_loose(tool_name: str, problems: list[dict[str, str]], loose: LooseHandling) -> None:
    if not problems or loose == "allow":
        return
    if loose == "error":
        raise_problems(tool_name, problems, "loose parameters")
    for problem in problems:
        warnings.warn(
            f"tool '{tool_name}': {problem['message']}; {problem['fix']}", LooseSchemaWarning, stacklevel=4
        )


def _closed_model_schema(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    schema = model_json_schema(model)
    # A tool takes what it declares; an open model still ignores what it does not know.
    if model.model_config.get("extra") != "allow":
        schema["additionalProperties"] = False
    schema.setdefault("properties", {})
    schema["type"] = "object"
    return schema


def _takes_model_instance(signature: Signature, model: type[pydantic.BaseModel]) -> bool:
    return len(signature.parameters) == 1 and strip_annotated(signature.parameters[0].annotation) is model


def _from_args_schema(
    args_schema: type[pydantic.BaseModel] | dict[str, Any], signature: Signature, tool_name: str
) -> tuple[dict[str, Any], CallPlan | _ModelCallPlan, list[dict[str, str]]]:
    if isinstance(args_schema, dict):
        schema = copy.deepcopy(args_schema)
        raise_problems(
            tool_name, schema_signature_problems(schema, signature), "args_schema does not match the function"
        )
        plan: CallPlan | _ModelCallPlan = CallPlan(
            signature.parameters, accepts_extra=signature.accepts_extra, tool_name=tool_name
        )
        return schema, plan, schema_loose_problems(schema)
    if isinstance(args_schema, type) and issubclass(args_schema, pydantic.BaseModel):
        schema = _closed_model_schema(args_schema)
        pass_instance = _takes_model_instance(signature, args_schema)
        if not pass_instance:
            raise_problems(
                tool_name,
                schema_signature_problems(schema, signature),
                "args_schema does not match the function",
            )
        return schema, _ModelCallPlan(args_schema, pass_instance), []
    raise ToolDefinitionError(
        f"tool '{tool_name}': args_schema must be a pydantic model class or a JSON Schema dict, not {args_schema!r}"
    )


@overload
def tool(fn: F, /) -> Tool: ...


@overload
def tool(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    args_schema: type[pydantic.BaseModel] | dict[str, Any] | None = None,
    **options: Unpack[ToolOptions],
) -> Callable[[F], Tool]: ...


def tool(
    fn: Callable[..., Any] | None = None, /, **options: Any
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make a function a ``Tool``: ``@tool`` or ``@tool(name=..., description=...)``.

    The result is still callable like the function.
    """
    named = {"name", "description", "args_schema"}
    _checked_options({key: value for key, value in options.items() if key not in named}, "tool")
    if fn is not None:
        return Tool.from_function(fn, **options)
    return lambda function: Tool.from_function(function, **options)
