"""The native core of toolproof (Rust, PyO3). Use it through the ``toolproof`` package."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, TypedDict, final, overload

from toolproof.codes import ResultCode
from toolproof.errors import ArgumentError

__version__: str

_Mode = Literal["lenient", "strict"]
_Provider = Literal["openai", "openai-responses", "anthropic", "gemini"]

@final
class Repair:
    """One change the road made: where (``path``), what ``kind``, and the value before and after."""

    @property
    def path(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def before(self) -> Any: ...
    @property
    def after(self) -> Any: ...
    def __new__(cls, path: str, kind: str, before: Any, after: Any) -> Repair: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class ParsedArgs:
    """Arguments that passed the road, and every change made on the way."""

    @property
    def arguments(self) -> dict[str, Any]: ...
    @property
    def repairs(self) -> list[Repair]: ...
    def __new__(cls, arguments: dict[str, Any], repairs: list[Repair] = ...) -> ParsedArgs: ...

@final
class ParsedValue:
    """A value of any schema that passed the road (``Schema.parse``), and every change made."""

    @property
    def value(self) -> Any: ...
    @property
    def repairs(self) -> list[Repair]: ...

@final
class ToolCall:
    """One call a model asked for: its id, the tool's name, and the arguments as the model sent
    them (JSON text, a dict, or None)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def arguments(self) -> Any: ...
    @property
    def finish_reason(self) -> str | None:
        """How the model's turn ended, as the provider said, or None."""
    def __new__(
        cls, id: str, name: str, arguments: Any = None, *, finish_reason: str | None = None
    ) -> ToolCall: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ToolResult:
    """What a call produced: exactly one per call id, whatever happened on the way.

    ``content`` is the text the model reads; ``error`` is None on success, else ``{"code", "message"}``.
    """

    @property
    def call_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def content(self) -> str: ...
    @property
    def error(self) -> dict[str, Any] | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def repairs(self) -> list[Repair]: ...
    @property
    def elapsed(self) -> float: ...
    @property
    def output(self) -> Any:
        """The tool's return value, as Python returned it (None after an error)."""
    @property
    def truncated(self) -> dict[str, int | None] | None:
        """``{"original_bytes", "kept_bytes"}`` when the content was cut to the size cap
        (``original_bytes`` is None when the encoding stopped at the cap)."""
    @property
    def exception(self) -> BaseException | None:
        """The exception the tool raised, for logs and debugging (the model sees ``content`` only)."""
    def __new__(
        cls,
        call_id: str,
        name: str,
        ok: bool,
        content: str,
        error: dict[str, Any] | None = None,
        attempts: int = 1,
        repairs: list[Repair] = ...,
        elapsed: float = 0.0,
        output: Any = None,
        truncated: dict[str, int | None] | None = None,
        exception: BaseException | None = None,
    ) -> ToolResult: ...
    def to_openai(self) -> dict[str, Any]:
        """An OpenAI Chat Completions message: ``{"role": "tool", "tool_call_id", "content"}``."""
    def to_responses(self) -> dict[str, Any]:
        """An OpenAI Responses API input item: ``{"type": "function_call_output", "call_id", "output"}``."""
    def to_anthropic(self) -> dict[str, Any]:
        """An Anthropic content block: ``{"type": "tool_result", "tool_use_id", "content", "is_error"}``."""
    def to_gemini(self) -> dict[str, Any]:
        """A Gemini part: ``{"functionResponse": {"name", "response", "id"}}``."""

@final
class ArgumentRoad:
    """A tool's argument road, compiled once from its parameter schema; safe to share across threads."""

    def __new__(
        cls,
        schema: dict[str, Any],
        *,
        name: str | None = None,
        aliases: list[tuple[str, str]] | None = None,
        extra_keys: Literal["drop", "error"] = "drop",
        max_bytes: int | None = None,
        max_depth: int | None = None,
        max_string_length: int | None = None,
        allow_meaning_changes: bool = False,
    ) -> ArgumentRoad: ...
    def parse(
        self,
        raw: str | bytes | bytearray | dict[str, Any] | None,
        *,
        mode: _Mode = "lenient",
        finish_reason: str | None = None,
    ) -> ParsedArgs:
        """Run the road; raises ``toolproof.ArgumentError`` listing every problem. ``finish_reason``
        is the provider's word for how the turn ended (``"tool_calls"``, ``"end_turn"``,
        ``"STOP"``, ``"length"`` ...): arguments that end right after a number are closed only
        when the model ended on its own."""
    @property
    def signature(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def schema(self) -> dict[str, Any]: ...

@final
class Schema:
    """A JSON Schema compiled once; ``parse`` runs the whole road for any value it describes."""

    def __new__(
        cls,
        schema: dict[str, Any] | bool,
        *,
        draft: int | str | None = None,
        documents: dict[str, Any] | None = None,
        validate_formats: bool | None = None,
    ) -> Schema: ...
    def is_valid(self, value: Any) -> bool: ...
    def validate(self, value: Any) -> None: ...
    def errors(self, value: Any) -> list[dict[str, Any]]: ...
    def validate_json(self, text: str) -> Any: ...
    def parse(self, raw: Any, *, mode: _Mode = "lenient") -> ParsedValue: ...
    @property
    def schema(self) -> Any: ...

class _LatencySummary(TypedDict):
    p50: float | None
    p95: float | None
    p99: float | None
    mean: float | None
    max: float | None

class _CallCounts(TypedDict):
    calls: int
    successes: int
    errors: dict[str, int]
    retries: int
    timeouts: int
    late_results_discarded: int
    repairs: dict[str, int]
    latency: _LatencySummary
    argument_bytes: int
    result_bytes: int

class _MetricsSnapshot(TypedDict):
    tools: dict[str, _CallCounts]
    total: _CallCounts

@final
class Metrics:
    """The counts of every dispatched call, per tool and in total; safe to share across threads."""

    def __new__(cls) -> Metrics: ...
    def snapshot(self) -> _MetricsSnapshot:
        """Counts per tool and in total; latencies in seconds, None before any call."""
    def prometheus(self, prefix: str = "toolproof") -> str:
        """The counts in the Prometheus text exposition format 0.0.4."""
    def reset(self) -> None: ...
    def _record(
        self,
        tool: str,
        ok: bool,
        error_code: str | None = None,
        attempts: int = 1,
        timed_out: bool = False,
        repairs: Sequence[str] = ...,
        latency: float = 0.0,
        argument_bytes: int = 0,
        result_bytes: int = 0,
    ) -> None:
        """Counts one finished call; for tests, and for adapters counting calls made outside the engine."""

def repair_json(text: str, *, return_repairs: bool = False) -> Any:
    """The value a model meant by ``text``: parsed, or repaired when that fails."""

def export_tool(
    name: str,
    description: str,
    parameters: dict[str, Any],
    provider: _Provider = "openai",
    strict: bool = True,
) -> dict[str, Any]: ...
def normalize_schema(schema: Any) -> tuple[Any, list[str]]: ...
def check_tool_name(name: str, provider: _Provider = "openai") -> None: ...
def max_tools(provider: _Provider, strict: bool = False) -> int | None: ...

class _TruncationInfo(TypedDict):
    original_bytes: int | None
    kept_bytes: int

_BytesMode = Literal["base64", "utf8", "utf-8"]

# to_json: a result as compact JSON text (UTF-8 as is).
#   dict, list, tuple, str, int, float, bool, None  as JSON has them; ints of any size exactly;
#                                                   float NaN and +-Infinity -> null
#   datetime, date, time          ISO 8601 as isoformat() writes it, aware values with their offset
#   timedelta                     ISO 8601 duration as pydantic's JSON mode writes it ("P1DT2H")
#   Decimal                       a JSON number with exactly its digits; NaN, +-Infinity -> null
#   UUID, pathlib paths           str(); Enum members: their value, encoded
#   set, frozenset                array, sorted when all str or all numbers
#   NamedTuple, dataclass         object of their fields; pydantic models: model_dump(mode="json")
#   numpy scalars/arrays          tolist(); pandas DataFrame: to_dict(orient="records"),
#                                 Series: to_dict(), Timestamp: isoformat(), NaT/NA: null
#   dict keys                     str; int, float, bool ("true"), None ("null"), Enum, UUID, Decimal,
#                                 date, time, datetime as their string form; others refused
#   bytes, bytearray              refused unless bytes="base64" or bytes="utf8"
#   anything else                 default(obj), encoded; refused without default
# Refusals, cycles and nesting past 255 levels raise toolproof.SerializationError (.path, .type_name).
# max_bytes (>= 32) cuts a longer text to valid JSON within the budget, with markers; the encoding
# stops once past the cap (original_bytes is then None);
# return_info=True gives (text, {"original_bytes", "kept_bytes"} or None).
def truncate_json_text(text: str, max_bytes: int) -> str:
    """``text`` (compact JSON, as ``to_json`` writes it) cut to at most ``max_bytes`` bytes by the
    rules of ``to_json(..., max_bytes=)``; the text itself when it fits."""

@overload
def to_json(
    obj: Any,
    *,
    max_bytes: int | None = None,
    default: Callable[[Any], Any] | None = None,
    bytes: _BytesMode | None = None,
    return_info: Literal[False] = False,
) -> str:
    """``obj`` as compact JSON text; raises ``toolproof.SerializationError`` naming the path."""

@overload
def to_json(
    obj: Any,
    *,
    max_bytes: int | None = None,
    default: Callable[[Any], Any] | None = None,
    bytes: _BytesMode | None = None,
    return_info: Literal[True],
) -> tuple[str, _TruncationInfo | None]:
    """``(text, info)``: ``info`` is None, or the sizes before and after ``max_bytes`` cut the text."""

def cut_text(text: str, max_bytes: int | None) -> tuple[str, _TruncationInfo | None]:
    """``(text, info)``: ``text`` cut to ``max_bytes`` UTF-8 bytes as a tool's text result is cut
    (``…[truncated: N of M bytes shown]``); ``info`` is None when it fits."""

def argument_error(errors: list[dict[str, Any]], *, tool: str | None = None) -> ArgumentError:
    """A ``toolproof.ArgumentError`` for ``errors`` (each with ``loc``, ``kind``, ``message``),
    its ``for_model()`` text written as the road writes its own."""

@final
class Retry:
    """Exponential backoff with full jitter, for retryable errors only; ``Retry-After`` is a minimum."""

    def __new__(
        cls,
        attempts: int = 3,
        initial_delay: float = 0.1,
        max_delay: float = 10.0,
        multiplier: float = 2.0,
        jitter: bool = True,
        max_elapsed: float | None = None,
    ) -> Retry: ...
    @property
    def attempts(self) -> int: ...
    @property
    def initial_delay(self) -> float: ...
    @property
    def max_delay(self) -> float: ...
    @property
    def multiplier(self) -> float: ...
    @property
    def jitter(self) -> bool: ...
    @property
    def max_elapsed(self) -> float | None: ...
    def bound(self, retry: int) -> float:
        """The delay bound before retry number ``retry`` (1 for the first), without jitter."""

@final
class Engine:
    """The dispatch engine of a ``Registry``; use it through ``Registry``."""

    def __new__(
        cls,
        tools: list[dict[str, Any]],
        *,
        metrics: Metrics,
        authorize: Callable[[ToolCall, Any], Any] | None = None,
        max_concurrency: int | None = None,
        timeout: float | None = None,
        retry: Retry | int | bool | None = None,
        max_result_bytes: int | None = None,
    ) -> Engine: ...
    def dispatch(
        self,
        calls: Sequence[ToolCall],
        *,
        event_loop: Any = None,
        max_concurrency: int | None = None,
        timeout: float | None = None,
        retry: Retry | int | bool | None = None,
        context: Any = None,
        mode: _Mode = "lenient",
        observer: Any = None,
    ) -> list[ToolResult]: ...
    def adispatch(
        self,
        calls: Sequence[ToolCall],
        *,
        max_concurrency: int | None = None,
        timeout: float | None = None,
        retry: Retry | int | bool | None = None,
        context: Any = None,
        mode: _Mode = "lenient",
        observer: Any = None,
    ) -> Awaitable[list[ToolResult]]: ...
    def call(
        self,
        call: ToolCall,
        *,
        retry: Retry | int | bool | None = None,
        context: Any = None,
        mode: _Mode = "lenient",
        observer: Any = None,
    ) -> ToolResult: ...
    def start(
        self, call: ToolCall, *, context: Any = None, mode: _Mode = "lenient", observer: Any = None
    ) -> ToolResult | PendingCall:
        """Start one call of an async tool on the current task, eagerly; see ``PendingCall``."""
    @property
    def names(self) -> list[str]: ...

@final
class PendingCall:
    """An async call ``Engine.start`` began that waits on something: await ``rest``, then settle."""

    @property
    def rest(self) -> Awaitable[Any]: ...
    def finish(self, returned: Any) -> ToolResult: ...
    def fail(self, error: BaseException) -> ToolResult: ...

@final
class Authorizing:
    """A batch of ``Engine.adispatch`` whose authorization hooks answered with awaitables: await
    them (``toolproof._authorize.authorized`` does), then ``proceed`` with their verdicts."""

    def proceed(self, verdicts: list[Any]) -> Awaitable[list[ToolResult]]: ...

def read_tool_calls(items: Any) -> list[ToolCall] | None:
    """``ToolCall``s straight from lists of the common provider dicts, or None for anything else."""

def read_python_calls(text: str) -> list[tuple[str, dict[str, Any]]] | None:
    """Calls written as Python (``[get_weather(city="Paris", days=3)]``): ``(name, arguments)``
    pairs, or None when the text is not such calls. Arguments are literals, never evaluated;
    ValueError names the call and keyword whose argument is not a literal JSON can carry."""

def shutdown() -> None:
    """Stop the engine's threads from touching Python, and wait (briefly) for those that still do:
    registered with atexit, so it runs before the interpreter finalizes."""

# Codes (toolproof.codes)

def result_codes() -> list[tuple[str, bool]]:
    """Every result code and whether it is worth retrying, in the order of the one list."""

def failure_kinds() -> list[str]:
    """Every kind of failure a classifier may give, by name."""

# Admission (toolproof.admission, toolproof.redis)

@final
class CircuitBreaker:
    """After ``failures`` retryable failures within ``window`` seconds, calls fail fast with
    ``circuit_open`` for ``cooldown`` seconds; then one probe runs, and its success closes it."""

    def __new__(cls, failures: int = 5, window: float = 30.0, cooldown: float = 10.0) -> CircuitBreaker: ...
    @property
    def failures(self) -> int: ...
    @property
    def window(self) -> float: ...
    @property
    def cooldown(self) -> float: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Guards:
    """The guards of one tool, checked for each of its calls."""

    def __new__(
        cls,
        tool: str,
        *,
        rate_limit: str | Sequence[str] | None = None,
        max_wait: float = 0.0,
        max_concurrency: int | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        cache_ttl: float | None = None,
        idempotency_ttl: float = 86400.0,
        lease: float = 30.0,
    ) -> Guards: ...
    @property
    def tool(self) -> str: ...
    @property
    def rates(self) -> list[tuple[int, float]]:
        """Each rate limit as ``(count, period in seconds)``."""
    @property
    def max_wait(self) -> float: ...
    @property
    def max_concurrency(self) -> int | None: ...
    @property
    def circuit_breaker(self) -> CircuitBreaker | None: ...
    @property
    def cache_ttl(self) -> float | None: ...
    @property
    def idempotency_ttl(self) -> float: ...
    @property
    def lease(self) -> float: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class AdmissionRequest:
    """One call asking to run under its tool's guards."""

    def __new__(
        cls,
        guards: Guards,
        *,
        cache_key: str | None = None,
        idempotency_key: str | None = None,
        max_wait: float | None = None,
    ) -> AdmissionRequest: ...
    @property
    def guards(self) -> Guards: ...
    @property
    def cache_key(self) -> str | None: ...
    @property
    def idempotency_key(self) -> str | None: ...
    @property
    def max_wait(self) -> float: ...

@final
class Decision:
    """A coordinator's answer to one request."""

    @staticmethod
    def admitted(
        guards: Guards,
        token: str,
        *,
        leased: bool = False,
        probe: bool = False,
        cache_key: str | None = None,
        idempotency_key: str | None = None,
    ) -> Decision: ...
    @staticmethod
    def wait(retry_after: float) -> Decision: ...
    @staticmethod
    def refused(code: str, retry_after: float | None = None) -> Decision: ...
    @staticmethod
    def cached(result: str) -> Decision: ...
    @staticmethod
    def duplicate(result: str) -> Decision: ...
    @property
    def kind(self) -> Literal["admitted", "wait", "refused", "cached", "duplicate"]: ...
    @property
    def code(self) -> ResultCode | None: ...
    @property
    def retry_after(self) -> float | None: ...
    @property
    def result(self) -> str | None: ...
    @property
    def tool(self) -> str | None: ...
    @property
    def guards(self) -> Guards | None: ...
    @property
    def token(self) -> str | None: ...
    @property
    def leased(self) -> bool: ...
    @property
    def probe(self) -> bool: ...
    @property
    def cache_key(self) -> str | None: ...
    @property
    def idempotency_key(self) -> str | None: ...

@final
class Outcome:
    """How an admitted call ended."""

    def __new__(cls, ok: bool, *, result: str | None = None, retryable_failure: bool = False) -> Outcome: ...
    @property
    def ok(self) -> bool: ...
    @property
    def result(self) -> str | None: ...
    @property
    def retryable_failure(self) -> bool: ...

@final
class LocalCoordinator:
    """Admission state kept in this process; use it through ``toolproof.admission``."""

    def __new__(cls) -> LocalCoordinator: ...
    def admit(self, requests: list[AdmissionRequest]) -> list[Decision]: ...
    def complete(self, decisions: list[Decision], outcomes: list[Outcome]) -> None: ...
    def renew(self, decisions: list[Decision]) -> None: ...
    def slots_held(self, tool: str) -> int: ...
