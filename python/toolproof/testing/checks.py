"""Checks that find a tool's production bugs in a unit test.

``check_tool`` audits a definition and exercises it with arguments made from its own schema and
with the mistakes models make in them; ``check_concurrency`` runs calls one by one and then in
parallel, and names the shared state a call writes. Both return a report listing every problem
found (not only the first), which is truthy when nothing is wrong, so ``assert check_tool(t)``
reads as it should and prints the problems when it fails.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from toolproof._checks import schema_signature_problems
from toolproof._core import ToolCall, check_tool_name, to_json
from toolproof._shared_state import shared_instance
from toolproof._signature import read_signature
from toolproof.codes import ResultCode
from toolproof.errors import ArgumentError, SerializationError, ToolDefinitionError
from toolproof.registry import Registry
from toolproof.testing.generate import example_arguments
from toolproof.testing.mistakes import mistakes, refusal_names, same_json
from toolproof.tools import Tool

__all__ = ["CheckReport", "Problem", "as_tool", "audit_tool", "check_concurrency", "check_tool"]

Severity = Literal["error", "warning"]
PROVIDERS = ("openai", "anthropic", "gemini")


@dataclass(frozen=True)
class Problem:
    """One thing that would go wrong: which tool, which check, where, what, and the fix."""

    tool: str
    check: str
    message: str
    fix: str = ""
    location: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"[{self.check}] {self.tool}{where}: {self.message}{fix}"


@dataclass
class CheckReport:
    """Everything a check found. Truthy when there is no error (warnings allowed)."""

    tool: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def __bool__(self) -> bool:
        return not self.errors

    def add(
        self, check: str, message: str, fix: str = "", location: str = "", severity: Severity = "error"
    ) -> None:
        problem = Problem(self.tool, check, message, fix, location, severity)
        # Several examples often hit the same flaw: it is reported once.
        if problem not in self.problems:
            self.problems.append(problem)

    def __str__(self) -> str:
        if not self.problems:
            return f"{self.tool}: no problems found"
        lines = [f"{self.tool}: {len(self.errors)} error(s), {len(self.warnings)} warning(s)"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)

    __repr__ = __str__


# Reports with errors made during the current test: pytest shortens a falsy object's repr in a
# failed `assert`, so the plugin prints these in full beside the failure.
failed_reports: list[CheckReport] = []


def _finished(report: CheckReport) -> CheckReport:
    if not report:
        failed_reports.append(report)
    return report


def as_tool(obj: Any) -> tuple[Tool, bool]:
    """A toolproof ``Tool`` for ``obj`` (a Tool, a tool hardened by an adapter, a framework tool or
    a function), and whether toolproof encodes its results (a framework tool that was not hardened
    sends them with the framework's own ``json.dumps`` or ``str``)."""
    if isinstance(obj, Tool):
        return obj, True
    inner = getattr(obj, "toolproof_tool", None)
    if isinstance(inner, Tool):
        return inner, True
    # A user's subclass lives in the user's module: the framework is found among its bases.
    adapters = {
        "langchain_core": "langchain",
        "langchain": "langchain",
        "crewai": "crewai",
        "autogen_core": "autogen",
    }
    modules = (getattr(base, "__module__", "").split(".", 1)[0] for base in type(obj).__mro__)
    adapter = next((adapters[module] for module in modules if module in adapters), None)
    if adapter is not None:
        # The adapter reads the framework tool into a toolproof Tool; the framework itself still
        # encodes the results of a tool that was not hardened.
        hardened = importlib.import_module(f"toolproof.{adapter}").harden(obj)
        return hardened.toolproof_tool, False
    if callable(obj):
        return Tool.from_function(obj, loose="allow"), False
    raise TypeError(f"cannot check {obj!r}: expected a toolproof Tool, a framework tool or a function")


def _name_and_export(report: CheckReport, tool: Tool, providers: Sequence[str], strict: bool) -> None:
    for provider in providers:
        try:
            check_tool_name(tool.name, provider)  # type: ignore[arg-type]
        except ToolDefinitionError as error:
            for problem in error.problems or [{"message": str(error), "fix": "", "location": "name"}]:
                report.add("name", f"{provider}: {problem['message']}", problem.get("fix", ""), "name")
            continue
        try:
            tool.to_provider(provider, strict=strict)  # type: ignore[arg-type]
        except ToolDefinitionError as error:
            mode = " strict" if strict else ""
            for problem in error.problems or [{"message": str(error), "fix": "", "location": ""}]:
                if problem.get("location") == "name":
                    continue
                report.add(
                    f"{provider}{mode} export",
                    problem["message"],
                    problem.get("fix", ""),
                    problem.get("location", ""),
                )


def _signature(report: CheckReport, tool: Tool) -> None:
    for problem in tool.problems:
        report.add("loose parameter", problem["message"], problem["fix"], problem["location"], "warning")
    func = tool.func
    if func is None:
        return
    target = getattr(func, "__wrapped__", func)
    try:
        signature = read_signature(target, tool_name=tool.name)
    except ToolDefinitionError:
        return
    if signature.parameters or signature.accepts_extra:
        for problem in schema_signature_problems(tool.schema, signature):
            report.add("schema against signature", problem["message"], problem["fix"], problem["location"])


def _road(report: CheckReport, tool: Tool, examples: Iterable[dict[str, Any]]) -> int:
    """Each example is accepted unchanged in strict mode; each model mistake of it is recovered
    in lenient mode and named in strict mode. Returns how many mistakes were tried."""
    tried = 0
    for arguments in examples:
        text = json.dumps(arguments)
        try:
            parsed = tool.parse_args(text, mode="strict")
        except ArgumentError as error:
            report.add(
                "arguments", f"valid arguments {text} were refused: {error}", "report this to toolproof"
            )
            continue
        expected = parsed.arguments
        for mistake in mistakes(arguments, tool.schema):
            tried += 1
            try:
                recovered = tool.parse_args(mistake.text).arguments
            except ArgumentError as error:
                report.add(
                    f"lenient recovery: {mistake.kind}",
                    f"{mistake.text!r} was refused: {error.errors[0]['message']}",
                    "give parameters distinct names and specific types, so a misspelt key or a value "
                    "sent as text has one reading",
                    mistake.field,
                )
                continue
            if not same_json(recovered, expected):
                report.add(
                    f"lenient recovery: {mistake.kind}",
                    f"{mistake.text!r} became {recovered!r}, not {expected!r}",
                    "report this to toolproof",
                    mistake.field,
                )
            try:
                tool.parse_args(mistake.text, mode="strict")
            except ArgumentError as error:
                if not refusal_names(error.errors, mistake):
                    report.add(
                        f"strict refusal: {mistake.kind}",
                        f"{mistake.text!r} was refused without naming {mistake.field or 'the document'}",
                        "report this to toolproof",
                        mistake.field,
                    )
            else:
                report.add(
                    f"strict refusal: {mistake.kind}",
                    f"strict mode accepted {mistake.text!r}",
                    'close the schema ("additionalProperties": false) so an unknown key is refused',
                    mistake.field,
                )
    return tried


def _not_plain_json(value: Any, path: str = "result") -> tuple[str, str] | None:
    """Where a result stops being plain JSON (what json.dumps would choke on), and the type there."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _not_plain_json(item, f"{path}[{index}]")
            if found:
                return found
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                return f"{path}[{key!r}]", f"key of type {type(key).__name__}"
            found = _not_plain_json(item, f"{path}[{json.dumps(key) if isinstance(key, str) else key}]")
            if found:
                return found
        return None
    kind = type(value)
    return path, f"{kind.__module__}.{kind.__qualname__}".removeprefix("builtins.")


def _results(
    report: CheckReport, tool: Tool, arguments_list: Sequence[dict[str, Any]], encodes: bool
) -> None:
    for arguments in arguments_list:
        result = tool.run(arguments)
        if result.error and result.error["code"] == ResultCode.UNSERIALIZABLE_RESULT:
            report.add(
                "result", result.content, "return JSON-ready values, or pass default= to to_json", "result"
            )
            continue
        if not result.ok:
            code = result.error["code"] if result.error else "failed"
            report.add(
                "call",
                f"with {json.dumps(arguments)} the tool failed ({code}): {result.content}",
                "check the tool with these arguments",
                severity="warning",
            )
            continue
        output = result.output
        try:
            to_json(output)
        except SerializationError as error:
            report.add("result", str(error), "return JSON-ready values", error.path)
            continue
        if not encodes:
            found = _not_plain_json(output)
            if found is not None:
                where, kind = found
                report.add(
                    "result",
                    f"the result holds a {kind} at {where}, which json.dumps (and so the framework) cannot send",
                    "return a JSON-ready value (e.g. an ISO string for a datetime), or harden the tool with "
                    "toolproof, which encodes it",
                    where,
                )


def _audit(tool: Any, providers: Sequence[str], strict: bool) -> tuple[CheckReport, Tool | None, bool]:
    try:
        resolved, encodes = as_tool(tool)
    except ToolDefinitionError as error:
        report = CheckReport(getattr(tool, "name", getattr(tool, "__name__", repr(tool))))
        for problem in error.problems or [{"message": str(error), "fix": "", "location": ""}]:
            report.add("definition", problem["message"], problem.get("fix", ""), problem.get("location", ""))
        return report, None, False
    report = CheckReport(resolved.name)
    _name_and_export(report, resolved, providers, strict)
    _signature(report, resolved)
    return report, resolved, encodes


def audit_tool(tool: Any, *, providers: Sequence[str] = PROVIDERS, strict: bool = True) -> CheckReport:
    """The definition alone, without running anything: name rules, provider export (strict, by
    default), schema against the callable's signature, loose parameters."""
    return _audit(tool, providers, strict)[0]


def check_tool(
    tool: Any,
    *,
    samples: Sequence[dict[str, Any]] | None = None,
    call: bool = False,
    providers: Sequence[str] = PROVIDERS,
    strict: bool = True,
) -> CheckReport:
    """Everything that would make ``tool`` fail in production, found now.

    - its name passes every provider's rules and its schema exports (strictly, by default) for each;
    - its schema matches the callable's parameters; parameters typed ``dict``/``Any``/``**kwargs``
      are reported (as warnings);
    - arguments made from its schema are accepted unchanged in strict mode, and the mistakes models
      make in them are recovered in lenient mode and refused in strict mode naming the field;
    - with ``samples`` (argument dicts) or ``call=True`` (the generated arguments), the tool runs
      and its result must encode; a tool whose results reach the model through a framework's own
      ``json.dumps`` must return plain JSON.
    """
    report, resolved, encodes = _audit(tool, providers, strict)
    if resolved is None:
        return _finished(report)
    examples = example_arguments(resolved.schema)
    if not examples:
        report.notes.append("no arguments could be made from the schema; the road was not exercised")
    tried = _road(report, resolved, examples)
    report.notes.append(f"{len(examples)} argument sets made from the schema, {tried} model mistakes tried")
    to_run = list(samples) if samples is not None else examples if call else []
    if to_run:
        _results(report, resolved, to_run, encodes)
    return _finished(report)


# -- concurrency ---------------------------------------------------------------------------------


def _watched_globals(func: Callable[..., Any]) -> dict[str, Any]:
    """The module-level objects a function's code names: where shared state usually hides."""
    target = inspect.unwrap(func)
    code = getattr(target, "__code__", None)
    namespace = getattr(target, "__globals__", {})
    if code is None:
        call = inspect.getattr_static(type(target), "__call__", None)
        code = getattr(call, "__code__", None)
        namespace = getattr(call, "__globals__", {})
    if code is None:
        return {}
    names = set(code.co_names)
    for constant in code.co_consts:
        if hasattr(constant, "co_names"):
            names |= set(constant.co_names)
    watched = {}
    for name in names:
        value = namespace.get(name)
        if isinstance(value, (list, dict, set, bytearray)) or (
            value is not None
            and hasattr(value, "__dict__")
            and not inspect.ismodule(value)
            and not inspect.isclass(value)
            and not inspect.isroutine(value)
            and not isinstance(value, Tool)
        ):
            watched[name] = value
    return watched


def _fingerprint(value: Any) -> Any:
    if isinstance(value, (list, bytearray)):
        return ("sequence", len(value), tuple(id(item) for item in value[-8:]))
    if isinstance(value, dict):
        return ("mapping", len(value), tuple((id(k), id(v)) for k, v in list(value.items())[-8:]))
    if isinstance(value, set):
        return ("set", len(value))
    try:
        attributes = vars(value)
    except TypeError:
        return None
    return {
        name: (id(item), _fingerprint(item) if isinstance(item, (list, dict, set)) else None)
        for name, item in attributes.items()
    }


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    changed = []
    for name, old in before.items():
        new = after.get(name)
        if isinstance(old, dict) and isinstance(new, dict) and not isinstance(old, tuple):
            changed += [
                f"{name}.{attribute}"
                for attribute in sorted(set(old) | set(new))
                if old.get(attribute) != new.get(attribute)
            ]
        elif old != new:
            changed.append(name)
    return changed


def check_concurrency(tool: Any, calls: Sequence[dict[str, Any] | str], *, n: int = 50) -> CheckReport:
    """Run ``calls`` (argument dicts or texts) one by one, then ``n`` at a time in parallel, and
    compare the results; report writes to the tool's shared instance (``self.last_query``) and to
    module-level containers and objects (a global list, an agent object) made during the calls."""
    resolved, _ = as_tool(tool)
    report = CheckReport(resolved.name)
    func = resolved.func
    if func is None:
        report.notes.append("the tool has no function to run")
        return report
    instance = shared_instance(inspect.unwrap(func))
    watched = _watched_globals(func)
    if instance is not None:
        watched["self"] = instance

    def snapshot() -> dict[str, Any]:
        return {name: _fingerprint(value) for name, value in watched.items()}

    before = snapshot()
    alone = [resolved.run(arguments, call_id=f"alone_{i}") for i, arguments in enumerate(calls)]
    written = _changed(before, snapshot())
    copies = max(1, n // max(1, len(calls)))
    batch = [
        ToolCall(f"together_{copy}_{i}", resolved.name, arguments)
        for copy in range(copies)
        for i, arguments in enumerate(calls)
    ]
    before = snapshot()
    together = Registry([resolved], replace=True).dispatch(batch, max_concurrency=n)
    written += [name for name in _changed(before, snapshot()) if name not in written]
    for name in written:
        where = name if name.startswith("self.") or name == "self" else f"module-level {name}"
        report.add(
            "shared state",
            f"a call wrote {where}; every call shares it, so concurrent calls overwrite or mix each other's data",
            "keep per-call state in local variables, or build the tool with Tool.from_factory "
            "so each call gets its own instance"
            if where.startswith("self")
            else "keep per-call data out of module-level objects (return it, or key it by call)",
            name,
        )
    for index, result in enumerate(together):
        reference = alone[index % len(calls)]
        if (result.ok, result.content) != (reference.ok, reference.content):
            report.add(
                "concurrency",
                f"call {index % len(calls)} returned {result.content[:80]!r} in parallel but "
                f"{reference.content[:80]!r} alone",
                "find the state the calls share (see the shared-state problems)",
            )
            break
    report.notes.append(f"{len(calls)} calls alone, {len(batch)} in parallel at max_concurrency={n}")
    return _finished(report)
