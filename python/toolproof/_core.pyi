"""The native core of toolproof (Rust, PyO3). Use it through the ``toolproof`` package."""

from typing import Any, Literal, final

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
        self, raw: str | bytes | bytearray | dict[str, Any] | None, *, mode: _Mode = "lenient"
    ) -> ParsedArgs:
        """Run the road; raises ``toolproof.ArgumentError`` listing every problem."""
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
