"""Admission around every attempt of a guarded tool.

A tool with admission options (``rate_limit``, ``circuit_breaker``, ``cache_ttl``,
``idempotency_key``, and ``max_concurrency`` once a coordinator is given) is handed to the engine
as a callable that asks the tool's coordinator before each attempt and tells it how the attempt
ended. The engine runs that callable as it runs any tool (worker thread or event loop, timeout,
retries, result encoding), so admission composes with everything else the engine does. A tool
without these options is handed over as it is, and pays nothing.

Each attempt:

- asks (``admit``); ``"wait"``: sleeps ``retry_after`` (on the worker thread, or
  ``await asyncio.sleep`` for an async tool) and asks again, a rate limit within ``max_wait``;
- ``"refused"``: raises ``AdmissionRefused`` with the decision's code and a hint of when to try
  again; the engine reports it under that code (and retries it when the call's retry policy
  allows, after the hint);
- ``"cached"`` or ``"duplicate"``: returns the stored result (its JSON text decoded) without
  running the tool;
- ``"admitted"``: runs the tool, renewing what the call holds every third of its lease, then
  completes: a success with the result as JSON text (kept for the cache and the idempotency key),
  or a failure marked retryable as the engine classifies it, since a breaker counts only those.
  A cancelled attempt (an async tool's timeout, a cancelled ``adispatch``) still completes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from toolproof import _core
from toolproof._classify import classify
from toolproof._coalesce import background, link
from toolproof._core import AdmissionRequest, CircuitBreaker, Decision, Guards, Outcome
from toolproof.codes import ResultCode
from toolproof.errors import AdmissionRefused, ToolDefinitionError

# Parameters the engine fills for the admitted callable (never part of a schema): the call's
# ``CallContext``, and the road-checked arguments a cache or idempotency key is made from.
CALL_PARAMETER = "__toolproof_admission_call__"
ARGUMENTS_PARAMETER = "__toolproof_admission_arguments__"
_RESERVED = frozenset({CALL_PARAMETER, ARGUMENTS_PARAMETER})

KeyFunction = Callable[[_core.ToolCall], Any]
IdempotencyKey = Literal["call_id", "arguments"] | KeyFunction

# The core's default (toolproof._core.Guards): a renewing caller never loses it, a dead one's slots
# come back within it.
DEFAULT_LEASE = 30.0
_SUCCEEDED = Outcome(True)
_FAILED = Outcome(False)
_FAILED_RETRYABLE = Outcome(False, retryable_failure=True)


@dataclass(frozen=True)
class AdmissionOptions:
    """A tool's admission options (or a registry's defaults for its tools), checked once."""

    rate_limit: str | Sequence[str] | None = None
    max_wait: float | None = None
    circuit_breaker: CircuitBreaker | None = None
    cache_ttl: float | None = None
    cache_key: KeyFunction | None = None
    idempotency_key: IdempotencyKey | None = None
    lease: float | None = None
    coordinator: Any = None

    @classmethod
    def read(cls, options: Mapping[str, Any], where: str, tool: str = "*") -> AdmissionOptions | None:
        """The admission options among ``options``, checked; ``None`` when none is set. ``where``
        names them in errors: ``tool 'search'``, ``Registry``."""
        found = {field.name: options.get(field.name) for field in fields(cls)}
        if all(value is None for value in found.values()):
            return None
        admission = cls(**found)
        admission._check(where, tool)
        return admission

    def _check(self, where: str, tool: str) -> None:
        def refuse(message: str) -> None:
            raise ToolDefinitionError(f"{where}: {message}")

        if self.cache_key is not None and not callable(self.cache_key):
            refuse(f"cache_key must be a callable taking the call, not {self.cache_key!r}")
        key = self.idempotency_key
        if key is not None and key not in ("call_id", "arguments") and not callable(key):
            refuse(
                f"idempotency_key must be 'call_id', 'arguments' or a callable taking the call, not {key!r}"
            )
        if self.circuit_breaker is not None and not isinstance(self.circuit_breaker, CircuitBreaker):
            refuse(f"circuit_breaker must be a toolproof.CircuitBreaker, not {self.circuit_breaker!r}")
        coordinator = self.coordinator
        if coordinator is not None:
            from toolproof.admission import Coordinator

            if not isinstance(coordinator, Coordinator):
                refuse(
                    "coordinator must have admit, complete, renew and their async forms "
                    f"(toolproof.admission.LocalCoordinator, toolproof.redis.RedisCoordinator), not {coordinator!r}"
                )
        try:
            self.guards(tool, max_concurrency=None)
        except (ValueError, TypeError) as error:
            message = str(error)
            raise ToolDefinitionError(
                message if message.startswith("tool '") else f"{where}: {message}"
            ) from None

    def over(self, defaults: AdmissionOptions | None) -> AdmissionOptions:
        """These options, with ``defaults`` for the ones not set."""
        if defaults is None:
            return self
        given = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        return replace(defaults, **given)

    @property
    def guards_anything(self) -> bool:
        return (
            self.rate_limit is not None
            or self.circuit_breaker is not None
            or self.cache_ttl is not None
            or self.idempotency_key is not None
        )

    def guards(self, tool: str, *, max_concurrency: int | None) -> Guards:
        return Guards(
            tool,
            rate_limit=self.rate_limit,
            max_wait=self.max_wait or 0.0,
            max_concurrency=max_concurrency,
            circuit_breaker=self.circuit_breaker,
            cache_ttl=self.cache_ttl,
            lease=self.lease if self.lease is not None else DEFAULT_LEASE,
        )


def admitted_spec(
    spec: dict[str, Any],
    options: AdmissionOptions | None,
    coordinator: Any,
    own_coordinator: Callable[[], Any],
    timeout: float | None,
) -> dict[str, Any]:
    """``spec`` (a tool as the engine runs it) with admission around each attempt; ``spec`` itself
    when nothing guards the tool.

    ``coordinator`` is the registry's (or ``None``); the tool's own option wins over it, and
    without either the tool's guards hold in this process (``own_coordinator()``). Only a
    coordinator given shares ``max_concurrency``: without one, the engine's per-registry cap
    stays as it is.
    """
    if options is None:
        return spec
    given = options.coordinator if options.coordinator is not None else coordinator
    max_concurrency = spec.get("max_concurrency") if given is not None else None
    if not options.guards_anything and max_concurrency is None:
        return spec
    name = spec["name"]
    guards = options.guards(name, max_concurrency=max_concurrency)
    admission = _Admission(
        name=name,
        func=spec["func"],
        guards=guards,
        coordinator=given if given is not None else own_coordinator(),
        options=options,
        timeout=timeout,
    )
    needs_arguments = admission.needs_arguments
    admitted = dict(spec)
    admitted["func"] = (
        AdmittedCoroutineFunction(admission) if spec["is_async"] else AdmittedFunction(admission)
    )
    admitted["injected"] = [*spec.get("injected", ()), CALL_PARAMETER]
    if needs_arguments:
        admitted["plan"] = _ArgumentsKept(spec.get("plan"))
    return admitted


class _ArgumentsKept:
    """The tool's call plan, keeping the road-checked arguments for the keys made from them."""

    __slots__ = ("_plan",)

    def __init__(self, plan: Any) -> None:
        self._plan = plan

    def arguments(self, arguments: Mapping[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if self._plan is None:
            args: tuple[Any, ...] = ()
            kwargs = dict(arguments)
        else:
            args, kwargs = self._plan.arguments(arguments)
        kwargs[ARGUMENTS_PARAMETER] = arguments
        return args, kwargs


def canonical_arguments(arguments: Mapping[str, Any]) -> str:
    """One text for equal arguments, whatever order the model wrote their keys in."""
    return json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _holds(decision: Decision) -> bool:
    """Whether an admission holds something with a lease, to renew while the call runs."""
    return (
        decision.leased
        or decision.probe
        or decision.cache_key is not None
        or decision.idempotency_key is not None
    )


def refusal(tool: str, decision: Decision, max_wait: float) -> AdmissionRefused:
    code = decision.code
    assert code is not None
    after = decision.retry_after
    hint = f" Try again in {after:.2f} s." if after is not None else " Try again later."
    if code == ResultCode.RATE_LIMITED:
        reason = f"Tool '{tool}' is rate-limited: no call fits its limit within {max_wait:g} s."
    elif code == ResultCode.CIRCUIT_OPEN:
        reason = f"Tool '{tool}' is failing: its circuit breaker opened after repeated failures."
    elif code == ResultCode.IN_PROGRESS:
        reason = (
            f"A call of tool '{tool}' with the same idempotency key is running now; its result will be kept."
        )
    elif code == ResultCode.COORDINATOR_UNAVAILABLE:
        reason = f"Tool '{tool}' was not run: the coordinator sharing its limits did not answer."
    else:
        reason = f"Tool '{tool}' was not admitted ({code.value})."
    return AdmissionRefused(reason + hint, code=code, retry_after=after)


class _Admission:
    """What every attempt of one guarded tool shares."""

    __slots__ = (
        "cache_key",
        "coordinator",
        "func",
        "guards",
        "idempotency_key",
        "is_local",
        "link",
        "max_wait",
        "name",
        "needs_arguments",
        "plain_request",
        "renew_every",
        "timeout",
    )

    def __init__(
        self,
        *,
        name: str,
        func: Callable[..., Any],
        guards: Guards,
        coordinator: Any,
        options: AdmissionOptions,
        timeout: float | None,
    ) -> None:
        from toolproof.admission import LocalCoordinator

        self.name = name
        self.func = func
        self.guards = guards
        self.coordinator = coordinator
        # In-memory decisions wait on nothing: an async tool asks them without awaiting.
        self.is_local = isinstance(coordinator, LocalCoordinator)
        # Any other coordinator is asked through its link, which gathers the requests of calls
        # running at once into one round trip.
        self.link = None if self.is_local else link(coordinator, _release)
        self.timeout = timeout
        self.max_wait = guards.max_wait
        self.renew_every = guards.lease / 3.0
        self.cache_key = options.cache_key if options.cache_ttl is not None else None
        self.idempotency_key = options.idempotency_key
        keyed_by_arguments = options.cache_ttl is not None or (
            self.idempotency_key is not None and self.idempotency_key != "call_id"
        )
        self.needs_arguments = keyed_by_arguments
        # A call with no key asks with one request, made once.
        self.plain_request = (
            AdmissionRequest(guards) if not keyed_by_arguments and self.idempotency_key is None else None
        )

    # -- the request -----------------------------------------------------------------------------

    def request(self, kwargs: dict[str, Any]) -> AdmissionRequest:
        """This attempt's request; takes the admission's own parameters out of ``kwargs``."""
        call_context = kwargs.pop(CALL_PARAMETER)
        arguments = kwargs.pop(ARGUMENTS_PARAMETER, None)
        if self.plain_request is not None:
            return self.plain_request
        return AdmissionRequest(
            self.guards,
            cache_key=self._cache_key(call_context.call, arguments),
            idempotency_key=self._idempotency_key(call_context.call, arguments),
        )

    def _checked_call(self, call: _core.ToolCall, arguments: Mapping[str, Any]) -> _core.ToolCall:
        """The call as a key function sees it: its arguments as the tool receives them."""
        return _core.ToolCall(call.id, call.name, dict(arguments))

    def _cache_key(self, call: _core.ToolCall, arguments: Mapping[str, Any] | None) -> str | None:
        if self.guards.cache_ttl is None or arguments is None:
            return None
        if self.cache_key is None:
            return canonical_arguments(arguments)
        return str(self.cache_key(self._checked_call(call, arguments)))

    def _idempotency_key(self, call: _core.ToolCall, arguments: Mapping[str, Any] | None) -> str | None:
        key = self.idempotency_key
        if key is None:
            return None
        if key == "call_id":
            return call.id
        assert arguments is not None
        if key == "arguments":
            return canonical_arguments(arguments)
        return str(key(self._checked_call(call, arguments)))

    def ask(self, request: AdmissionRequest) -> Decision:
        if self.link is None:
            (decision,) = self.coordinator.admit([request])
            return decision
        return self.link.admit.ask(request)

    def complete(self, decision: Decision, outcome: Outcome) -> None:
        if self.link is None:
            self.coordinator.complete([decision], [outcome])
        else:
            self.link.complete.ask((decision, outcome))

    async def aask(self, request: AdmissionRequest) -> Decision:
        if self.link is None:
            (decision,) = self.coordinator.admit([request])
            return decision
        return await self.link.aadmit().ask(request)

    async def acomplete(self, decision: Decision, outcome: Outcome) -> None:
        if self.link is None:
            self.coordinator.complete([decision], [outcome])
            return
        try:
            await self.link.acomplete().ask((decision, outcome))
        except asyncio.CancelledError:
            # Cancelled while telling: tell it anyway, off this task.
            self.complete_soon(decision, outcome)
            raise

    def complete_soon(self, decision: Decision, outcome: Outcome) -> None:
        if self.link is None:
            self.coordinator.complete([decision], [outcome])
        else:
            background(self.coordinator.acomplete([decision], [outcome]))

    def again(self, request: AdmissionRequest, waited: float) -> AdmissionRequest:
        """The same request, with what is left of its ``max_wait``."""
        return AdmissionRequest(
            self.guards,
            cache_key=request.cache_key,
            idempotency_key=request.idempotency_key,
            max_wait=max(self.max_wait - waited, 0.0),
        )

    def waited_too_long(self, waited: float, retry_after: float) -> bool:
        """A sync attempt past its timeout was given up by the engine: it must not start late."""
        return self.timeout is not None and waited + retry_after > self.timeout

    # -- the outcome -----------------------------------------------------------------------------

    def success(self, decision: Decision, returned: Any) -> Outcome:
        if decision.cache_key is None and decision.idempotency_key is None:
            return _SUCCEEDED
        try:
            text = _core.to_json(returned)
        except Exception:
            # The engine reports it as unserializable; nothing is kept.
            return _FAILED
        return Outcome(True, result=text)

    def failure(self, error: BaseException, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Outcome:
        if not isinstance(error, Exception):
            return _FAILED
        kind = classify(error, self.name, self.func, args, kwargs).kind
        return _FAILED_RETRYABLE if kind == "retryable" else _FAILED

    def unwrap_call(
        self, args: tuple[Any, ...], kwargs: Mapping[str, Any] | None
    ) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]:
        """The tool's own function and arguments, for telling a call that does not fit its
        parameters from a ``TypeError`` raised inside it."""
        kept = {key: value for key, value in (kwargs or {}).items() if key not in _RESERVED}
        return self.func, args, kept


class AdmittedFunction:
    """A synchronous tool behind admission (see the module's docstring)."""

    __slots__ = ("_admission",)

    def __init__(self, admission: _Admission) -> None:
        self._admission = admission

    def unwrap_call(self, args: tuple[Any, ...], kwargs: Mapping[str, Any] | None) -> Any:
        return self._admission.unwrap_call(args, kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        admission = self._admission
        decision = self._admit(admission.request(kwargs))
        kind = decision.kind
        if kind != "admitted":
            assert decision.result is not None
            return json.loads(decision.result)
        held = (
            _KEEPER.hold(admission.coordinator, decision, admission.renew_every) if _holds(decision) else None
        )
        try:
            returned = admission.func(*args, **kwargs)
        except BaseException as error:
            _KEEPER.release(held)
            admission.complete(decision, admission.failure(error, args, kwargs))
            raise
        _KEEPER.release(held)
        admission.complete(decision, admission.success(decision, returned))
        return returned

    def _admit(self, request: AdmissionRequest) -> Decision:
        admission = self._admission
        decision = admission.ask(request)
        started = None
        while decision.kind == "wait":
            if started is None:
                started = time.monotonic()
            retry_after = decision.retry_after or 0.0
            if admission.waited_too_long(time.monotonic() - started, retry_after):
                raise TimeoutError(f"tool '{admission.name}' waited for admission past its timeout")
            time.sleep(retry_after)
            decision = admission.ask(admission.again(request, time.monotonic() - started))
        if decision.kind == "refused":
            raise refusal(admission.name, decision, admission.max_wait)
        return decision


class AdmittedCoroutineFunction:
    """An async tool behind admission (see the module's docstring)."""

    __slots__ = ("_admission",)

    def __init__(self, admission: _Admission) -> None:
        self._admission = admission

    def unwrap_call(self, args: tuple[Any, ...], kwargs: Mapping[str, Any] | None) -> Any:
        return self._admission.unwrap_call(args, kwargs)

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        admission = self._admission
        started = time.monotonic()
        decision = await self._admit(admission.request(kwargs))
        if decision.kind != "admitted":
            assert decision.result is not None
            return json.loads(decision.result)
        renewal = self._renew_while_running(decision) if _holds(decision) else None
        try:
            returned = await admission.func(*args, **kwargs)
        except asyncio.CancelledError:
            # Cancelled by the attempt's timeout (a failure the breaker counts) or by the caller.
            # The engine's clock started a moment before this attempt did.
            timed_out = (
                admission.timeout is not None and time.monotonic() - started >= admission.timeout * 0.9
            )
            admission.complete_soon(decision, _FAILED_RETRYABLE if timed_out else _FAILED)
            raise
        except BaseException as error:
            await admission.acomplete(decision, admission.failure(error, args, kwargs))
            raise
        finally:
            if renewal is not None:
                renewal.cancel()
        await admission.acomplete(decision, admission.success(decision, returned))
        return returned

    async def _admit(self, request: AdmissionRequest) -> Decision:
        admission = self._admission
        decision = await admission.aask(request)
        started = None
        while decision.kind == "wait":
            if started is None:
                started = time.monotonic()
            await asyncio.sleep(decision.retry_after or 0.0)
            decision = await admission.aask(admission.again(request, time.monotonic() - started))
        if decision.kind == "refused":
            raise refusal(admission.name, decision, admission.max_wait)
        return decision

    def _renew_while_running(self, decision: Decision) -> _Renewal:
        admission = self._admission
        if admission.is_local:
            return _KeptLease(_KEEPER.hold(admission.coordinator, decision, admission.renew_every))
        return _LoopRenewal(admission.coordinator, decision, admission.renew_every)


# -- leases renewed while calls run ----------------------------------------------------------------


class _Renewal:
    def cancel(self) -> None:
        raise NotImplementedError


class _KeptLease(_Renewal):
    __slots__ = ("_key",)

    def __init__(self, key: int) -> None:
        self._key = key

    def cancel(self) -> None:
        _KEEPER.release(self._key)


class _LoopRenewal(_Renewal):
    """Renews an async call's leases from its event loop, every third of the lease."""

    __slots__ = ("_handle",)

    def __init__(self, coordinator: Any, decision: Decision, every: float) -> None:
        loop = asyncio.get_running_loop()

        def renew() -> None:
            background(coordinator.arenew([decision]))
            self._handle = loop.call_later(every, renew)

        self._handle = loop.call_later(every, renew)

    def cancel(self) -> None:
        self._handle.cancel()


async def _release(coordinator: Any, decision: Decision) -> None:
    """Give back what an admission took for a call that will not run (its asker was cancelled)."""
    await coordinator.acomplete([decision], [_FAILED])


class _LeaseKeeper:
    """One thread renewing the leases of every synchronous call running under admission, each
    every third of its lease, with one ``renew`` per coordinator for all that are due."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._held: dict[int, list[Any]] = {}
        self._keys = itertools.count()
        self._thread: threading.Thread | None = None
        self._wake_at = math.inf

    def hold(self, coordinator: Any, decision: Decision, every: float) -> int:
        due = time.monotonic() + every
        with self._condition:
            key = next(self._keys)
            self._held[key] = [coordinator, decision, due, every]
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="toolproof-leases", daemon=True)
                self._thread.start()
            if due < self._wake_at:
                self._condition.notify()
        return key

    def release(self, key: int | None) -> None:
        if key is not None:
            with self._condition:
                self._held.pop(key, None)

    def _run(self) -> None:
        while True:
            with self._condition:
                now = time.monotonic()
                due = [entry for entry in self._held.values() if entry[2] <= now]
                if not due:
                    self._wake_at = min((entry[2] for entry in self._held.values()), default=math.inf)
                    self._condition.wait(None if self._wake_at == math.inf else self._wake_at - now)
                    continue
                self._wake_at = now
                for entry in due:
                    entry[2] = now + entry[3]
            by_coordinator: dict[int, tuple[Any, list[Decision]]] = {}
            for coordinator, decision, _, _ in due:
                by_coordinator.setdefault(id(coordinator), (coordinator, []))[1].append(decision)
            for coordinator, decisions in by_coordinator.values():
                try:
                    coordinator.renew(decisions)
                except Exception:
                    pass


_KEEPER = _LeaseKeeper()
