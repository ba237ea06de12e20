"""A set of tools with unique names, and the engine that dispatches a model's calls to them."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, Literal

from toolproof import _core
from toolproof._admit import AdmissionOptions, IdempotencyKey
from toolproof._core import CircuitBreaker
from toolproof._loop import background_loop
from toolproof._observe import BatchObserver
from toolproof.errors import ToolDefinitionError
from toolproof.executors import RemoteExecutor, as_remote, explain_abandoned
from toolproof.formats import to_tool_calls
from toolproof.metrics import MetricsReport, new_metrics
from toolproof.tools import Provider, Tool

if TYPE_CHECKING:
    from toolproof._observe import CallWatcher
    from toolproof.admission import Coordinator
    from toolproof.otel import BatchTrace, Telemetry

__all__ = ["Registry"]

Mode = Literal["lenient", "strict"]


def _where(tool: Tool) -> str:
    """Where a tool was defined, to name both sides of a name clash."""
    func = tool.func
    target = getattr(func, "__wrapped__", func)
    module = getattr(target, "__module__", None) or "?"
    qualname = getattr(target, "__qualname__", None) or repr(target)
    if target is None:
        return f"{module}.{qualname}"
    try:
        line = inspect.getsourcelines(target)[1]
        file = inspect.getsourcefile(target)
        return f"{module}.{qualname} ({file}:{line})"
    except (OSError, TypeError):
        return f"{module}.{qualname}"


class Registry:
    """Tools by name, with one dispatch engine for all of them.

    Two tools with the same name are refused (naming both definitions) unless ``replace=True``.
    Registry-wide settings (``max_concurrency``, ``timeout``, ``retry``, ``authorize``,
    ``max_result_bytes``) apply to every tool that does not set its own; ``dispatch`` options apply
    to one batch and win over both.

    Each call is logged on the ``toolproof`` logger when it is settled: failures at WARNING, bugs in
    a tool's own code at ERROR with the traceback, successes at ``success_log_level``, retries at
    INFO, arguments at DEBUG through ``redact``. ``telemetry`` (``toolproof.otel.Telemetry``)
    adds OpenTelemetry spans and metrics.

    ``executor`` (a ``concurrent.futures.Executor``, ``toolproof.ray.RayExecutor`` or
    ``toolproof.dask.DaskExecutor``) runs the calls of every tool that does not set its own (see
    ``toolproof.executors``); a tool whose function cannot be sent there is refused when added.

    Admission: ``rate_limit``, ``max_wait``, ``circuit_breaker``, ``cache_ttl``, ``cache_key``,
    ``idempotency_key`` and ``lease`` are defaults for the tools that do not set their own (each
    tool is held to its own limit); see ``toolproof.ToolOptions``. ``coordinator``
    (``toolproof.redis.RedisCoordinator``) decides them across every process sharing it, and
    shares each tool's ``max_concurrency`` too; without one they hold in this process.
    """

    def __init__(
        self,
        tools: Iterable[Tool | Callable[..., Any]] = (),
        *,
        replace: bool = False,
        max_concurrency: int | None = None,
        timeout: float | None = None,
        retry: Any = None,
        authorize: Callable[[Any, Any], Any] | None = None,
        max_result_bytes: int | None = 100_000,
        redact: Callable[[Any], Any] | None = None,
        success_log_level: int = logging.INFO,
        telemetry: Telemetry | None = None,
        executor: Any = None,
        rate_limit: str | Sequence[str] | None = None,
        max_wait: float | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        cache_ttl: float | None = None,
        cache_key: Callable[[Any], Any] | None = None,
        idempotency_key: IdempotencyKey | None = None,
        lease: float | None = None,
        coordinator: Coordinator | None = None,
    ) -> None:
        self._tools: dict[str, Tool] = {}
        self._executor = as_remote(executor, "Registry")
        self._unstoppable: dict[str, RemoteExecutor] = {}
        self._settings = {
            "max_concurrency": max_concurrency,
            "timeout": timeout,
            "retry": retry,
            "authorize": authorize,
            "max_result_bytes": max_result_bytes,
        }
        self._admission_defaults = AdmissionOptions.read(
            {
                "rate_limit": rate_limit,
                "max_wait": max_wait,
                "circuit_breaker": circuit_breaker,
                "cache_ttl": cache_ttl,
                "cache_key": cache_key,
                "idempotency_key": idempotency_key,
                "lease": lease,
                "coordinator": coordinator,
            },
            "Registry",
        )
        self._coordinator = coordinator
        self._redact = redact
        self._success_log_level = success_log_level
        self._telemetry = telemetry
        self._metrics = new_metrics()
        self._engine: _core.Engine | None = None
        for item in tools:
            self.add(item, replace=replace)

    # -- the tools ----------------------------------------------------------------------------

    def add(self, item: Tool | Callable[..., Any], *, replace: bool = False) -> Tool:
        """Add a tool (a plain function is made into one); a name already taken is refused unless
        ``replace=True``."""
        tool = item if isinstance(item, Tool) else Tool.from_function(item)
        remote = tool.runs_on(self._executor)
        if remote is not None and remote is self._executor and tool.func is not None:
            remote.check_sendable(tool.name, tool.func)
        existing = self._tools.get(tool.name)
        if existing is not None and existing is not tool and not replace:
            raise ToolDefinitionError(
                f"two tools are named '{tool.name}': {_where(existing)} and {_where(tool)}; a model could "
                "not tell them apart, and one would silently replace the other. Rename one, or pass replace=True.",
                [
                    {
                        "location": "name",
                        "message": f"'{tool.name}' is defined twice",
                        "fix": "rename one of them",
                    }
                ],
            )
        self._tools[tool.name] = tool
        self._engine = None
        return tool

    def __getitem__(self, name: str) -> Tool:
        return self._tools[name]

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def schemas(self, provider: Provider = "openai", strict: bool = True) -> list[dict[str, Any]]:
        """Every tool's definition in the provider's request format; refused (with every problem
        listed) when a tool cannot be exported or there are more tools than the provider takes."""
        limit = _core.max_tools(provider, strict)
        if limit is not None and len(self._tools) > limit:
            raise ToolDefinitionError(
                f"{len(self._tools)} tools is more than {provider} accepts in one request ({limit}); "
                "split them by task and send each request only the tools it needs",
                [
                    {
                        "location": "tools",
                        "message": f"{len(self._tools)} > {limit}",
                        "fix": "send fewer tools",
                    }
                ],
            )
        definitions: list[dict[str, Any]] = []
        problems: list[dict[str, str]] = []
        for tool in self._tools.values():
            try:
                definitions.append(tool.to_provider(provider, strict))
            except ToolDefinitionError as error:
                problems.extend(
                    {**problem, "tool": tool.name}
                    for problem in error.problems or [{"location": "", "message": str(error), "fix": ""}]
                )
        if problems:
            lines = "; ".join(f"{p['tool']}: {p['message']}" for p in problems)
            raise ToolDefinitionError(f"some tools cannot be exported for {provider}: {lines}", problems)
        return definitions

    # -- dispatch -----------------------------------------------------------------------------

    def _engine_for_dispatch(self) -> _core.Engine:
        if self._engine is None:
            self._unstoppable = {}
            for tool in self._tools.values():
                remote = tool.runs_on(self._executor)
                if remote is not None and not remote.can_stop_running:
                    self._unstoppable[tool.name] = remote
            self._engine = _core.Engine(
                [
                    tool.engine_spec(
                        self._executor,
                        admission_defaults=self._admission_defaults,
                        coordinator=self._coordinator,
                        timeout=self._settings["timeout"],
                    )
                    for tool in self._tools.values()
                ],
                metrics=self._metrics,
                authorize=self._settings["authorize"],
                max_concurrency=self._settings["max_concurrency"],
                timeout=self._settings["timeout"],
                retry=self._settings["retry"],
                max_result_bytes=self._settings["max_result_bytes"],
            )
        return self._engine

    def dispatch(
        self,
        calls: Any,
        *,
        max_concurrency: int | None = None,
        timeout: float | None = None,
        retry: Any = None,
        context: Any = None,
        mode: Mode = "lenient",
    ) -> list[_core.ToolResult]:
        """Run a batch of tool calls in parallel and wait for them (the GIL is released while
        waiting). ``calls`` is anything ``to_tool_calls`` reads: provider messages, SDK objects,
        their tool-call items, ``ToolCall``s or text. Returns one ``ToolResult`` per call, in call
        order, whatever happened to each."""
        tool_calls = to_tool_calls(calls)
        engine = self._engine_for_dispatch()
        has_async = any(tool.is_async or tool.runs_on(self._executor) for tool in self._tools.values())
        with self._batch("dispatch", tool_calls, timeout) as watcher:
            results = engine.dispatch(
                tool_calls,
                event_loop=background_loop() if has_async else None,
                max_concurrency=max_concurrency,
                timeout=timeout,
                retry=retry,
                context=context,
                mode=mode,
                observer=self._observer(tool_calls, watcher),
            )
            if watcher is not None:
                watcher.results(results)
        return explain_abandoned(results, self._unstoppable)

    async def adispatch(
        self,
        calls: Any,
        *,
        max_concurrency: int | None = None,
        timeout: float | None = None,
        retry: Any = None,
        context: Any = None,
        mode: Mode = "lenient",
    ) -> list[_core.ToolResult]:
        """``dispatch`` on the running event loop: async tools run on it, sync tools on worker
        threads. Each async call starts at once, in its own copy of the caller's context, and
        becomes a task only if it waits on something; a batch whose calls all finish that way
        never leaves the loop's thread. Cancelling the awaiting task cancels the calls still
        running."""
        tool_calls = to_tool_calls(calls)
        engine = self._engine_for_dispatch()
        with self._batch("adispatch", tool_calls, timeout) as watcher:
            results = await engine.adispatch(
                tool_calls,
                max_concurrency=max_concurrency,
                timeout=timeout,
                retry=retry,
                context=context,
                mode=mode,
                observer=self._observer(tool_calls, watcher),
            )
            if watcher is not None:
                watcher.results(results)
        return explain_abandoned(results, self._unstoppable)

    def _batch(
        self, operation: str, calls: Sequence[_core.ToolCall], timeout: float | None
    ) -> AbstractContextManager[BatchTrace | None]:
        """The batch's span while it runs, yielding what records its calls; nothing without
        telemetry."""
        if self._telemetry is None:
            return nullcontext()
        return self._telemetry.batch(
            operation, calls, self._tools, self._redact, timeout, self._settings["timeout"]
        )

    def _observer(self, calls: Sequence[_core.ToolCall], watcher: CallWatcher | None) -> BatchObserver:
        return BatchObserver(
            calls, success_level=self._success_log_level, redact=self._redact, watcher=watcher
        )

    # -- seeing it ----------------------------------------------------------------------------

    def metrics(self) -> MetricsReport:
        """Per-tool counts, errors by code, retries, timeouts, repairs by kind, latency
        percentiles and bytes, since the registry was made (or ``reset_metrics``)."""
        return MetricsReport(self._metrics)

    def reset_metrics(self) -> None:
        self._metrics.reset()

    def __repr__(self) -> str:
        return f"Registry({self.names!r})"
