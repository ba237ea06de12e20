"""Where a tool's calls run: in this process (the default), on any ``concurrent.futures.Executor``
(a ``ProcessPoolExecutor``, ``distributed.Client.get_executor()``), on Ray
(``toolproof.ray.RayExecutor``) or on Dask (``toolproof.dask.DaskExecutor``).

``Registry(tools, executor=...)`` sets it for every tool; the tool option ``executor=`` for one
(``executor=None`` keeps a tool in this process whatever its registry says).

The dispatch engine is the same wherever a call runs: it sees an async callable that sends the call
to the executor and awaits it, so timeouts, retries, caps and cancellation apply unchanged.

- On the caller: the argument road (a bad call never leaves the process), authorization, caps,
  timeouts, retries, the size cap on the result, logs, metrics and spans.
- On the worker: the tool, and the encoding of what it returned with toolproof's own encoder, so
  only JSON text (or the text the tool returned) comes back, never the tool's objects. The caller
  decodes it and the engine encodes it again, as for a local call: ``ToolResult.output`` is then the
  decoded JSON, not the tool's own object.
- Sent to the worker: the tool's function (once per tool on Ray, with every call elsewhere), the
  checked arguments and, when a span is current, the W3C trace context: spans the tool opens on the
  worker join the caller's trace.

When a call is cancelled (a timeout, a cancelled ``adispatch``) its remote work is cancelled too:
Ray stops a running task (by killing its worker for a sync tool); a ``concurrent.futures`` executor
or Dask can only drop a call that has not started, and the result of a timeout says so. After a
timeout on Ray the call is tried again (or its cap slot given to another) only once Ray says the
task has ended; one that has not ended 5 seconds later is reported as possibly still running and
is not tried again. A worker that dies or runs out of memory gives the call the retryable code
``worker_lost``.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import copyreg
import functools
import importlib
import inspect
import json
import pickle
import sys
import threading
import traceback
import weakref
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import BrokenExecutor, Executor, Future, ThreadPoolExecutor
from concurrent.futures import ProcessPoolExecutor as _ProcessPoolExecutor
from typing import Any, ClassVar

from toolproof._core import ToolCall, ToolResult, to_json
from toolproof.codes import ResultCode
from toolproof.errors import (
    RetryableError,
    SerializationError,
    ToolDefinitionError,
    ToolError,
    ToolproofError,
)

__all__ = [
    "CallNotSent",
    "FuturesExecutor",
    "RemoteExecutor",
    "ResultNotSent",
    "WorkerLostError",
    "as_remote",
]


class WorkerLostError(RetryableError):
    """The process or node running a call went away (killed, out of memory, disconnected)."""

    code = ResultCode.WORKER_LOST.value


class ResultNotSent(ToolError):
    """The tool's result, on the worker, was not JSON; what the engine says of such a result here."""

    code = ResultCode.UNSERIALIZABLE_RESULT.value


class CallNotSent(ToolproofError):
    """A call could not be handed to its executor (an argument or context that cannot be pickled,
    an executor shut down): a fault of the program, not of the model's call."""


class UnpicklableToolException(Exception):
    """Stands for an exception a remote tool raised that could not be sent back."""


# A ToolCall travels inside the CallContext a tool may ask for.
copyreg.pickle(ToolCall, lambda call: (ToolCall, (call.id, call.name, call.arguments)))

# What the worker sends back: a list (which Ray sends without pickling), a tag, then what it carries.
_TEXT = 0
_JSON = 1
_NOT_JSON = 2
_RAISED = 3


class RemoteTask:
    """One tool's function, as it runs on a worker: call it, encode what it returned, and send back
    only text (or the exception it raised). Picklable by reference wherever toolproof imports."""

    __slots__ = ("func", "is_async", "pickler")

    def __init__(self, func: Callable[..., Any], is_async: bool, pickler: str | None) -> None:
        self.func = func
        self.is_async = is_async
        self.pickler = pickler

    def __reduce__(self) -> Any:
        return (RemoteTask, (self.func, self.is_async, self.pickler))

    def __call__(self, args: tuple[Any, ...], kwargs: dict[str, Any], carrier: dict[str, str] | None) -> Any:
        token = _attach_trace(carrier) if carrier else None
        try:
            try:
                returned = self.func(*args, **kwargs)
                if self.is_async:
                    returned = asyncio.run(returned)
            except KeyboardInterrupt:
                # How Ray stops a running task: it must end the task, not become its result.
                raise
            except BaseException as error:
                return [_RAISED, *_sendable_exception(error, self.pickler)]
        finally:
            if token is not None:
                _detach_trace(token)
        if isinstance(returned, str):
            return [_TEXT, returned]
        try:
            return [_JSON, to_json(returned)]
        except SerializationError as failure:
            return [_NOT_JSON, failure.type_name, failure.path]


def _sendable_exception(error: BaseException, pickler: str | None) -> tuple[BaseException, str | None]:
    """The exception to send back and its traceback as text (tracebacks do not pickle)."""
    if pickler is None:
        return error, None
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    try:
        _dumps(pickler)(error)
    except Exception:
        return UnpicklableToolException(f"{type(error).__module__}.{type(error).__qualname__}: {error}"), text
    return error, text


class RemoteTraceback(Exception):
    """The traceback of an exception a tool raised on a worker, as its ``__cause__`` here."""

    def __str__(self) -> str:
        return f'\n"""\n{self.args[0]}"""'


def _unpack(outcome: Any) -> Any:
    """The value a remote call returned on the caller, or its exception raised here."""
    tag = outcome[0]
    if tag == _TEXT:
        return outcome[1]
    if tag == _JSON:
        return json.loads(outcome[1])
    if tag == _NOT_JSON:
        raise ResultNotSent(f"The tool's result could not be sent: {outcome[1]} at {outcome[2]} is not JSON.")
    error, remote_traceback = outcome[1], outcome[2]
    if remote_traceback is not None:
        # As concurrent.futures' process pools do: the log shows where the tool failed.
        error.__cause__ = RemoteTraceback(remote_traceback)
    raise error


# -- trace context -------------------------------------------------------------------------------


def _trace_carrier() -> dict[str, str] | None:
    """The caller's W3C trace context when a span is current; OpenTelemetry is not imported here
    unless the application already did."""
    if "opentelemetry.trace" not in sys.modules:
        return None
    from opentelemetry import propagate, trace

    if not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier or None


def _attach_trace(carrier: dict[str, str]) -> Any:
    try:
        from opentelemetry import context, propagate
    except ImportError:
        return None
    return context.attach(propagate.extract(carrier))


def _detach_trace(token: Any) -> None:
    from opentelemetry import context

    context.detach(token)


# -- waiting for calls that end on other threads ----------------------------------------------------


class Inbox:
    """Where other threads hand one event loop what its calls are waiting for, as they end.

    ``asyncio.wrap_future`` wakes the loop once per future, with a write to its self-pipe made on
    the thread that completed it (for Ray, the thread that also sends and receives every task).
    Here the first call of a burst wakes the loop and those that end before it runs go with it, so
    calls ending together cost a few wake-ups rather than one each, and ``settle`` sees them
    together.
    """

    __slots__ = ("__weakref__", "_ended", "_lock", "_loop", "_settle", "_woken")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, settle: Callable[[list[tuple[asyncio.Future[Any], Any]]], None]
    ) -> None:
        """``settle`` runs on the loop with the burst's ``(waiter, what ended)`` pairs; it settles
        the waiters still pending (one whose call timed out or was cancelled is done already)."""
        # Weakly: the inbox is the value of its loop's entry in a WeakKeyDictionary.
        self._loop = weakref.ref(loop)
        self._settle = settle
        self._lock = threading.Lock()
        self._ended: list[tuple[asyncio.Future[Any], Any]] = []
        self._woken = False

    def deliver(self, waiter: asyncio.Future[Any], ended: Any) -> None:
        """What ``waiter`` waits for has ended: settle it on the loop. Any thread."""
        with self._lock:
            self._ended.append((waiter, ended))
            if self._woken:
                return
            self._woken = True
        loop = self._loop()
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(self._drain)
        except RuntimeError:
            # The loop is closed: nothing waits for these calls any more.
            pass

    def _drain(self) -> None:
        with self._lock:
            ended, self._ended = self._ended, []
            self._woken = False
        self._settle(ended)


class Inboxes:
    """One ``Inbox`` per event loop, made on first use."""

    def __init__(self, settle: Callable[[list[tuple[asyncio.Future[Any], Any]]], None]) -> None:
        self._settle = settle
        self._lock = threading.Lock()
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Inbox] = (
            weakref.WeakKeyDictionary()
        )

    def of(self, loop: asyncio.AbstractEventLoop) -> Inbox:
        inbox = self._by_loop.get(loop)
        if inbox is None:
            with self._lock:
                inbox = self._by_loop.setdefault(loop, Inbox(loop, self._settle))
        return inbox


def _settle_futures(ended: list[tuple[asyncio.Future[Any], Future[Any]]]) -> None:
    for waiter, future in ended:
        if not waiter.done():
            waiter.set_result(future)


_FUTURE_INBOXES = Inboxes(_settle_futures)


async def settled(future: Future[Any]) -> Any:
    """What ``future`` (a ``concurrent.futures.Future`` completed on another thread) holds, on
    the running loop; raises its exception, or ``CancelledError`` if it was cancelled."""
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    future.add_done_callback(functools.partial(_FUTURE_INBOXES.of(loop).deliver, waiter))
    ended = await waiter
    if ended.cancelled():
        raise asyncio.CancelledError
    return ended.result()


# -- executors -----------------------------------------------------------------------------------


class RemoteExecutor(abc.ABC):
    """What toolproof needs of a place that runs calls outside this process's threads and loop.

    ``toolproof.ray.RayExecutor``, ``toolproof.dask.DaskExecutor`` and ``FuturesExecutor`` (for any
    ``concurrent.futures.Executor``) are the ones it has.
    """

    can_stop_running: ClassVar[bool] = False
    """Whether cancelling a call that has started stops it (else it is abandoned)."""
    pickler: str | None = None
    """The module whose ``dumps`` pickles what is sent (``"pickle"``, ``"cloudpickle"``), None
    when nothing is."""
    label: str = "the executor"
    """How results and errors name it."""

    @abc.abstractmethod
    def bind(self, tool: str, task: RemoteTask) -> Callable[..., Any]:
        """A callable that starts one call of ``task`` with ``(args, kwargs, carrier)`` and returns
        a handle; called once per tool when its registry's engine is built."""

    @abc.abstractmethod
    async def wait(self, handle: Any) -> Any:
        """What the call sent back (``RemoteTask``'s outcome)."""

    @abc.abstractmethod
    def cancel(self, handle: Any, *, force: bool) -> None:
        """Cancel the call; ``force`` for a sync tool, whose code cannot be interrupted politely."""

    async def ended(self, handle: Any) -> None:
        """Return once a cancelled call has ended on the executor, however it ended (asked only
        of an executor that ``can_stop_running``)."""
        with contextlib.suppress(Exception):
            await self.wait(handle)

    def lost(self, error: BaseException) -> bool:
        """Whether ``error``, from waiting on a call, means the worker running it went away."""
        return _dask_lost(error)

    def check_sendable(self, tool: str, func: Callable[..., Any]) -> None:
        """Refuse a tool whose function cannot be sent to this executor, naming what in it cannot."""
        if self.pickler is None:
            return
        dumps = _dumps(self.pickler)
        try:
            dumps(func)
        except Exception as error:
            part = _unsendable_part(func, dumps, by_value=self.pickler != "pickle") or (
                f"the function itself ({type(error).__name__}: {error})"
            )
            raise ToolDefinitionError(
                f"tool '{tool}' cannot be sent to {self.label}: {part} cannot be pickled",
                [
                    {
                        "location": "executor",
                        "message": f"{part} cannot be pickled with {self.pickler}",
                        "fix": "create it inside the function (or per call), or keep this tool in this process "
                        "with executor=None",
                    }
                ],
            ) from None


def _dumps(pickler: str) -> Callable[[Any], bytes]:
    if pickler == "pickle":
        return pickle.dumps
    dumps: Callable[[Any], bytes] = importlib.import_module(pickler).dumps
    return dumps


def _dask_lost(error: BaseException) -> bool:
    """Dask's own word for a lost worker, known by name so Dask is not imported to ask."""
    names = {cls.__name__ for cls in type(error).__mro__ if cls.__module__.startswith("distributed")}
    return bool(names & {"KilledWorker", "CommClosedError"})


class FuturesExecutor(RemoteExecutor):
    """Any ``concurrent.futures.Executor``. Cancelling drops a call not yet started; one that has
    started runs to its end (a timeout result says so)."""

    def __init__(self, executor: Executor, *, pickler: str | None = "auto", label: str = "") -> None:
        """``pickler`` is what ``executor`` sends with (``"pickle"``, ``"cloudpickle"``, None for
        an executor in this process); ``"auto"`` knows thread and process pools and Dask's."""
        self.executor = executor
        self.pickler = _pickler_of(executor) if pickler == "auto" else pickler
        self.label = label or type(executor).__name__

    def bind(self, tool: str, task: RemoteTask) -> Callable[..., Any]:
        submit = self.executor.submit

        def send(*args: Any, **kwargs: Any) -> Future[Any]:
            return submit(task, *args, **kwargs)

        return send

    async def wait(self, handle: Any) -> Any:
        return await settled(handle)

    def cancel(self, handle: Any, *, force: bool) -> None:
        handle.cancel()

    def lost(self, error: BaseException) -> bool:
        return isinstance(error, BrokenExecutor) or _dask_lost(error)


def _pickler_of(executor: Executor) -> str | None:
    if isinstance(executor, ThreadPoolExecutor):
        return None
    if isinstance(executor, _ProcessPoolExecutor):
        return "pickle"
    if type(executor).__module__.startswith("distributed"):
        return "cloudpickle"
    # An executor of unknown kind: what it cannot send fails the call that tries.
    return None


def as_remote(executor: Any, where: str) -> RemoteExecutor | None:
    """``executor`` as toolproof drives it: None (this process), a ``RemoteExecutor``, or a
    ``concurrent.futures.Executor``; anything else is refused, naming ``where`` it was given."""
    if executor is None or isinstance(executor, RemoteExecutor):
        return executor
    if isinstance(executor, Executor):
        return FuturesExecutor(executor)
    raise TypeError(
        f"{where}: executor must be a concurrent.futures.Executor, toolproof.ray.RayExecutor or "
        f"toolproof.dask.DaskExecutor, not {type(executor).__name__}"
    )


# -- the callable the engine sees ------------------------------------------------------------------


def remote_callable(
    tool: str, func: Callable[..., Any], is_async: bool, executor: RemoteExecutor
) -> Callable[..., Any]:
    """An async callable with ``func``'s signature that runs ``func`` on ``executor``."""
    start = executor.bind(tool, RemoteTask(func, is_async, executor.pickler))
    force = not is_async

    @functools.wraps(func)
    async def run_remotely(*args: Any, **kwargs: Any) -> Any:
        try:
            handle = start(args, kwargs, _trace_carrier())
        except Exception as error:
            raise CallNotSent(
                f"tool '{tool}': the call could not be sent to {executor.label}: {type(error).__name__}: {error}"
            ) from error
        try:
            outcome = await executor.wait(handle)
        except asyncio.CancelledError:
            executor.cancel(handle, force=force)
            if executor.can_stop_running:
                # The engine waits for this attempt's end before it frees the call's cap slots or
                # tries it again, so two attempts of one call never run at once; should the call
                # not end in time, the engine cancels this wait and reports it left running.
                await executor.ended(handle)
            raise
        except Exception as error:
            if executor.lost(error):
                raise WorkerLostError(
                    f"The worker running tool '{tool}' on {executor.label} was lost ({type(error).__name__})."
                ) from error
            raise
        return _unpack(outcome)

    # The engine reads the tool's own signature through __wrapped__; this one is a coroutine.
    run_remotely.__toolproof_remote__ = executor  # type: ignore[attr-defined]
    return run_remotely


# -- explaining what a cancel could not stop -------------------------------------------------------


def abandoned_note(executor: RemoteExecutor) -> str:
    return (
        f" {executor.label} cannot stop a call once it has started: it was abandoned and may still be "
        "running there."
    )


def explain_abandoned(
    results: Sequence[ToolResult], unstoppable: dict[str, RemoteExecutor]
) -> list[ToolResult]:
    """``results``, where a timeout left a call running on an executor that cannot stop it,
    saying so in the text the model reads."""
    explained = list(results)
    if not unstoppable:
        return explained
    timeout = ResultCode.TIMEOUT.value
    for index, result in enumerate(results):
        error = result.error
        executor = unstoppable.get(result.name)
        if executor is None or error is None or error.get("code") != timeout:
            continue
        note = abandoned_note(executor)
        explained[index] = ToolResult(
            result.call_id,
            result.name,
            result.ok,
            result.content + note,
            {**error, "message": error["message"] + note},
            result.attempts,
            result.repairs,
            result.elapsed,
            result.output,
            result.truncated,
            result.exception,
        )
    return explained


# -- what in a function cannot be sent -------------------------------------------------------------


def _unsendable_part(func: Any, dumps: Callable[[Any], bytes], *, by_value: bool) -> str | None:
    """The first part of ``func`` that ``dumps`` refuses, named as a reader finds it."""
    for label, value in _parts(func, by_value=by_value):
        try:
            dumps(value)
        except Exception as error:
            inner = _unsendable_attribute(value, dumps)
            what = f"{type(value).__module__}.{type(value).__qualname__}"
            return f"{label}{inner} (a {what}: {error})" if not inner else f"{label}{inner}"
    return None


def _unsendable_attribute(value: Any, dumps: Callable[[Any], bytes]) -> str:
    """``, attribute 'x' (a ...: ...)`` when one attribute of ``value`` is what cannot be sent."""
    attributes = getattr(value, "__dict__", None)
    if not isinstance(attributes, dict) or inspect.isfunction(value) or inspect.ismodule(value):
        return ""
    for name, attribute in attributes.items():
        try:
            dumps(attribute)
        except Exception as error:
            what = f"{type(attribute).__module__}.{type(attribute).__qualname__}"
            return f", attribute '{name}' (a {what}: {error})"
    return ""


def _parts(func: Any, *, by_value: bool) -> Iterable[tuple[str, Any]]:
    while True:
        if isinstance(func, functools.partial):
            for index, argument in enumerate(func.args):
                yield f"its bound argument {index}", argument
            for name, argument in func.keywords.items():
                yield f"its bound argument '{name}'", argument
            func = func.func
        elif hasattr(func, "__wrapped__"):
            if by_value:
                yield from _function_parts(func)
            func = func.__wrapped__
        else:
            break
    if inspect.ismethod(func):
        yield "the instance it is a method of", func.__self__
        func = func.__func__
    if inspect.isfunction(func):
        if by_value:
            yield from _function_parts(func)
    elif callable(func):
        yield "the callable object", func


def _function_parts(func: Any) -> Iterable[tuple[str, Any]]:
    code = getattr(func, "__code__", None)
    if code is None:
        return
    for name, cell in zip(code.co_freevars, func.__closure__ or (), strict=False):
        try:
            yield f"the variable '{name}' it closes over", cell.cell_contents
        except ValueError:  # an empty cell
            continue
    for default in func.__defaults__ or ():
        yield "a default argument", default
    for name, default in (func.__kwdefaults__ or {}).items():
        yield f"the default of '{name}'", default
    module_globals = getattr(func, "__globals__", {})
    for name in code.co_names:
        if name in module_globals and not inspect.ismodule(module_globals[name]):
            yield f"the global '{name}' it uses", module_globals[name]
