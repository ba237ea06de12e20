"""toolproof.autogen against the real frameworks, offline.

AgentChat 0.4+: ``AssistantAgent`` driven by ``toolproof.testing.autogen_client`` (a
``ReplayChatCompletionClient`` with function calling on). Classic API (ag2 before 1.0): an
``AssistantAgent`` / ``UserProxyAgent`` pair driven by a scripted model client registered the way
ag2 takes custom clients. Nothing here mocks a framework, and nothing reaches the network.

Each failure users hit is tested as a pair: the plain framework failing or misbehaving, then the
hardened tool passing the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pydantic
import pytest

pytest.importorskip("autogen_core")
pytest.importorskip("autogen_agentchat")
pytest.importorskip("autogen_ext")

import toolproof
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.messages import ToolCallExecutionEvent, ToolCallRequestEvent
from autogen_core import CancellationToken, FunctionCall
from autogen_core.models import FunctionExecutionResult
from autogen_core.tools import BaseTool, FunctionTool, StaticWorkbench
from toolproof.autogen import HardenedTool, ToolCallError, harden, harden_all, harden_client
from toolproof.testing import autogen_client

FAST_RETRY = toolproof.Retry(attempts=3, initial_delay=0.001, max_delay=0.01, jitter=False)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture
def aborted_loop() -> Any:
    """For a run the plain framework aborts: collect what it left behind (tasks whose exception was
    never retrieved) now, not at some later allocation, where CPython 3.11 can format their
    tracebacks in the middle of another AST conversion and fail it."""
    yield
    gc.collect()


# --- tools, written the way users write them ------------------------------------------------------


def forecast(city_name: str, days: int = 1) -> dict[str, Any]:
    """Weather forecast for a city."""
    return {"city": city_name, "days": days}


def ping() -> str:
    """Check that the service answers."""
    return "pong"


def next_meeting() -> dict[str, Any]:
    """The next meeting on the calendar."""
    return {"starts": datetime.datetime(2025, 3, 1, 9, 30, tzinfo=datetime.timezone.utc), "room": "B2"}


@dataclass
class Invoice:
    number: str
    total: Decimal


def latest_invoice() -> Invoice:
    """The latest invoice."""
    return Invoice("INV-7", Decimal("12.50"))


class Widget:
    def __init__(self) -> None:
        self.size = 3


def make_widget() -> Widget:
    """Make a widget."""
    return Widget()


def export_logs() -> str:
    """The service's logs."""
    return "log line\n" * 120_000


def report(command: str) -> str:
    """Run a report; the command takes the report's command-line flags."""
    parser = argparse.ArgumentParser(prog="report", exit_on_error=False)
    parser.add_argument("--month", type=int, required=True)
    # An unknown flag makes argparse call sys.exit, whatever exit_on_error says.
    options = parser.parse_args(command.split())
    return f"report for month {options.month}"


def flaky_rate(failures: int) -> Callable[[str], float]:
    calls = {"count": 0}

    def exchange_rate(currency: str) -> float:
        """Exchange rate of a currency to euros."""
        calls["count"] += 1
        if calls["count"] <= failures:
            raise ConnectionError("connection reset by peer")
        return 1.08

    return exchange_rate


async def slow_report() -> str:
    """A report from an upstream that never answers."""
    await asyncio.sleep(30)
    return "late"


class LookupArguments(pydantic.BaseModel):
    customer_id: str


class Customer(pydantic.BaseModel):
    customer_id: str


class LookupTool(BaseTool[LookupArguments, Customer]):
    """Keeps the customer of the call on self: fine one call at a time, wrong when calls overlap."""

    def __init__(self) -> None:
        super().__init__(LookupArguments, Customer, "lookup_customer", "Look up a customer.")

    async def run(self, args: LookupArguments, cancellation_token: CancellationToken) -> Customer:
        self.customer_id = args.customer_id
        await asyncio.sleep(0.02)
        return Customer(customer_id=self.customer_id)


# --- AgentChat 0.4+: one model turn of calls, then a final answer -----------------------------------


@dataclass
class AgentRun:
    results: dict[str, FunctionExecutionResult]
    requested: list[FunctionCall]
    client: Any


async def agent_run(
    tools: Any, calls: Any, *, repair_arguments: bool = False, **agent_options: Any
) -> AgentRun:
    client: Any = autogen_client([calls, "done"])
    if repair_arguments:
        client = harden_client(client)
    if "workbench" not in agent_options:
        agent_options["tools"] = tools
    agent = AssistantAgent("assistant", model_client=client, max_tool_iterations=2, **agent_options)
    result = await agent.run(task="go")
    [execution] = [m for m in result.messages if isinstance(m, ToolCallExecutionEvent)]
    [request] = [m for m in result.messages if isinstance(m, ToolCallRequestEvent)]
    assert result.messages[-1].content == "done", "the agent went on to the model's final answer"
    return AgentRun({r.call_id: r for r in execution.content}, request.content, client)


def one_result(tools: Any, call: tuple[str, Any], **options: Any) -> FunctionExecutionResult:
    return next(iter(run(agent_run(tools, [call], **options)).results.values()))


# camelCase keys and numbers as strings


def test_camel_case_keys_and_string_numbers__plain_fails() -> None:
    result = one_result([forecast], ("forecast", {"cityName": "Paris", "days": "3"}))
    assert result.is_error
    assert "city_name" in result.content and "Field required" in result.content


def test_camel_case_keys_and_string_numbers__hardened_passes() -> None:
    tool = harden(forecast)
    result = one_result([tool], ("forecast", {"cityName": "Paris", "days": "3"}))
    assert not result.is_error
    assert json.loads(result.content) == {"city": "Paris", "days": 3}
    assert tool.metrics()["forecast"]["repairs"] == {"renamed_key": 1, "string_to_integer": 1}


# malformed JSON arguments

# Cut off before its closing brace, after a complete string: only one way to close it.
TRUNCATED = '{"days": 2, "city_name": "Rome"'


def test_malformed_json_arguments__plain_fails() -> None:
    result = one_result([forecast], ("forecast", TRUNCATED))
    assert result.is_error and result.content.startswith("Error: Expecting")
    with pytest.raises(pydantic.ValidationError):
        run(FunctionTool(forecast, description="").run_json(TRUNCATED, CancellationToken()))  # type: ignore[arg-type]


def test_malformed_json_arguments__hardened_passes() -> None:
    agent = run(agent_run([harden(forecast)], [("forecast", TRUNCATED)], repair_arguments=True))
    [result] = agent.results.values()
    assert not result.is_error and json.loads(result.content) == {"city": "Rome", "days": 2}
    # The history sent back to the model holds the repaired call, valid JSON.
    assert json.loads(agent.requested[0].arguments) == {"days": 2, "city_name": "Rome"}
    # Called directly, the hardened tool takes the text itself and repairs it.
    value = run(harden(forecast).run_json(TRUNCATED, CancellationToken()))
    assert value == {"city": "Rome", "days": 2}


# empty-string and non-object arguments (autogen #5666)


def test_empty_string_arguments__plain_fails() -> None:
    result = one_result([ping], ("ping", ""))
    assert result.is_error and "Expecting value" in result.content


def test_empty_string_arguments__hardened_passes() -> None:
    result = one_result([harden(ping)], ("ping", ""), repair_arguments=True)
    assert not result.is_error and result.content == "pong"


DOUBLE_ENCODED = json.dumps(json.dumps({"city_name": "Oslo"}))


def test_non_object_arguments__plain_fails() -> None:
    agent = run(agent_run([forecast], [("forecast", DOUBLE_ENCODED, "a"), ("forecast", "[1, 2]", "b")]))
    assert agent.results["a"].is_error and "valid dictionary" in agent.results["a"].content
    assert agent.results["b"].is_error and "valid dictionary" in agent.results["b"].content


def test_non_object_arguments__hardened_passes() -> None:
    agent = run(
        agent_run([harden(forecast)], [("forecast", DOUBLE_ENCODED, "a"), ("forecast", "[1, 2]", "b")])
    )
    assert not agent.results["a"].is_error and json.loads(agent.results["a"].content)["city"] == "Oslo"
    # An array cannot be read as the arguments: the model is told the shape to send.
    assert agent.results["b"].is_error
    assert 'expected a JSON object of arguments like {"city_name": string, "days"?: integer}' in (
        agent.results["b"].content
    )


# a datetime or custom-object result


def test_datetime_and_custom_object_results__plain_misbehaves() -> None:
    agent = run(
        agent_run(
            [next_meeting, latest_invoice, make_widget],
            [("next_meeting", {}, "m"), ("latest_invoice", {}, "i"), ("make_widget", {}, "w")],
        )
    )
    # A Python repr reaches the model, reported as a success.
    assert "datetime.datetime(2025, 3, 1, 9, 30" in agent.results["m"].content
    assert agent.results["i"].content == "Invoice(number='INV-7', total=Decimal('12.50'))"
    assert "Widget object at 0x" in agent.results["w"].content and not agent.results["w"].is_error


def test_datetime_and_custom_object_results__hardened_passes() -> None:
    agent = run(
        agent_run(
            harden_all([next_meeting, latest_invoice, make_widget]),
            [("next_meeting", {}, "m"), ("latest_invoice", {}, "i"), ("make_widget", {}, "w")],
        )
    )
    assert json.loads(agent.results["m"].content) == {"starts": "2025-03-01T09:30:00+00:00", "room": "B2"}
    assert agent.results["i"].content == '{"number":"INV-7","total":12.50}'
    # No JSON form: an error naming the type, not a memory address passed off as the result.
    assert agent.results["w"].is_error
    assert "Widget at result is not JSON" in agent.results["w"].content


# an oversized result


def test_oversized_result__plain_floods_the_context() -> None:
    result = one_result([export_logs], ("export_logs", {}))
    assert len(result.content) == len(export_logs())


def test_oversized_result__hardened_is_capped() -> None:
    result = one_result([harden(export_logs)], ("export_logs", {}))
    assert not result.is_error
    assert len(result.content.encode()) <= 100_000
    assert result.content.endswith(f"…[truncated: 100000 of {len(export_logs())} bytes shown]")


# duplicate tool names


def search_orders(query: str) -> str:
    """Search orders."""
    return "orders"


def search_tickets(query: str) -> str:
    """Search support tickets."""
    return "tickets"


def test_duplicate_tool_names__plain_misbehaves() -> None:
    tools = [FunctionTool(search_orders, "", name="search"), FunctionTool(search_tickets, "", name="search")]
    # The agent's own check names neither definition...
    with pytest.raises(ValueError, match=r"Tool names must be unique: \['search', 'search'\]"):
        AssistantAgent("assistant", model_client=autogen_client(["done"]), tools=tools)
    # ...and a workbench has none: the model is shown both, and one silently answers for both.
    agent = run(agent_run(None, [("search", {"query": "late"})], workbench=StaticWorkbench(tools)))
    assert [tool["name"] for tool in agent.client.create_calls[0]["tools"]] == ["search", "search"]
    assert next(iter(agent.results.values())).content == "orders"


def test_duplicate_tool_names__hardened_refused_naming_both() -> None:
    with pytest.raises(toolproof.ToolDefinitionError) as refused:
        harden_all(
            [FunctionTool(search_orders, "", name="search"), FunctionTool(search_tickets, "", name="search")]
        )
    message = str(refused.value)
    assert "two tools are named 'search'" in message
    assert "search_orders" in message and "search_tickets" in message and "test_autogen.py:" in message


# shared mutable state under parallel calls


CUSTOMERS = [("lookup_customer", {"customer_id": "c1"}, "a"), ("lookup_customer", {"customer_id": "c2"}, "b")]


def test_shared_instance_state__plain_mixes_calls() -> None:
    agent = run(agent_run([LookupTool()], CUSTOMERS))
    answers = {call_id: json.loads(r.content)["customer_id"] for call_id, r in agent.results.items()}
    assert answers == {"a": "c2", "b": "c2"}, "call a returned call b's customer"


def test_shared_instance_state__hardened_class_gives_each_call_its_instance() -> None:
    agent = run(agent_run([harden(LookupTool)], CUSTOMERS))
    answers = {call_id: json.loads(r.content)["customer_id"] for call_id, r in agent.results.items()}
    assert answers == {"a": "c1", "b": "c2"}


def test_shared_instance_state__hardened_instance_is_reported() -> None:
    tool = harden(LookupTool())
    with pytest.warns(toolproof.SharedStateWarning, match=r"wrote self.customer_id .*harden\(LookupTool\)"):
        run(agent_run([tool], CUSTOMERS))


# a flaky upstream that succeeds on retry


def test_flaky_upstream__plain_fails() -> None:
    result = one_result([flaky_rate(failures=2)], ("exchange_rate", {"currency": "USD"}))
    assert result.is_error and result.content == "connection reset by peer"


def test_flaky_upstream__hardened_retries() -> None:
    tool = harden(flaky_rate(failures=2), retry=FAST_RETRY)
    result = one_result([tool], ("exchange_rate", {"currency": "USD"}))
    assert not result.is_error and result.content == "1.08"
    assert tool.metrics()["exchange_rate"]["retries"] == 2


# a hanging tool stopped by its timeout


def test_hanging_tool__plain_never_finishes(aborted_loop: None) -> None:
    with pytest.raises(TimeoutError):
        run(asyncio.wait_for(agent_run([slow_report], [("slow_report", {})]), timeout=0.5))


def test_hanging_tool__hardened_times_out() -> None:
    started = time.perf_counter()
    result = one_result([harden(slow_report, timeout=0.1)], ("slow_report", {}))
    assert time.perf_counter() - started < 5
    assert result.is_error and result.content == "Tool 'slow_report' did not finish in time."


# one failing call among several


REPORT_CALLS = [
    ("report", {"command": "--month 3"}, "good"),
    ("report", {"command": "--quarter 1"}, "bad"),
    ("report", {"command": "--month 4"}, "also_good"),
]


def test_one_failing_call__plain_loses_the_run(
    capsys: pytest.CaptureFixture[str], aborted_loop: None
) -> None:
    # argparse exits the process on an unknown flag; the agent's handler catches Exception only.
    with pytest.raises(SystemExit):
        run(agent_run([report], REPORT_CALLS))


def test_one_failing_call__hardened_keeps_siblings(capsys: pytest.CaptureFixture[str]) -> None:
    agent = run(agent_run([harden(report)], REPORT_CALLS))
    assert agent.results["good"].content == "report for month 3" and not agent.results["good"].is_error
    assert agent.results["also_good"].content == "report for month 4"
    assert agent.results["bad"].is_error
    assert "unexpected error (SystemExit)" in agent.results["bad"].content


# --- what harden keeps, exports and honours ---------------------------------------------------------


def test_schema_sent_to_the_model_is_the_strict_export() -> None:
    tool = harden(forecast)
    agent = run(agent_run([tool], [("forecast", {"city_name": "Lima", "days": None})]))
    [sent] = agent.client.create_calls[0]["tools"]
    exported = tool.tool.to_provider("openai", strict=True)["function"]
    assert sent == {
        "name": "forecast",
        "description": exported["description"],
        "parameters": exported["parameters"],
        "strict": True,
    }
    # Strict mode makes optional parameters nullable; null means the default.
    assert json.loads(next(iter(agent.results.values())).content) == {"city": "Lima", "days": 1}


def test_schema_not_strict_when_the_provider_cannot_take_it() -> None:
    def tag(labels: dict[str, Any]) -> int:
        return len(labels)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolproof.LooseSchemaWarning)
        assert harden(tag).schema["strict"] is False
        with pytest.raises(toolproof.ToolDefinitionError, match="free-form"):
            harden(tag, strict=True)


def test_function_tool_keeps_its_name_and_description() -> None:
    tool = harden(FunctionTool(forecast, description="Tomorrow's weather.", name="weather"))
    assert (tool.name, tool.description, tool.schema["name"]) == ("weather", "Tomorrow's weather.", "weather")
    assert tool.args_type().model_fields.keys() == {"city_name", "days"}


def test_base_tool_keeps_its_name_description_and_types() -> None:
    tool = harden(LookupTool())
    assert (tool.name, tool.description) == ("lookup_customer", "Look up a customer.")
    assert tool.args_type() is LookupArguments and tool.return_type() is Customer
    assert tool.schema["parameters"]["required"] == ["customer_id"]


def test_return_value_as_string_is_the_content_the_call_produced() -> None:
    values = [
        "plain text",
        "é" * 80_000,
        {"n": 1},
        {"rows": ["x" * 50] * 3_000},
        next_meeting(),
        None,
        Customer(customer_id="c9"),
    ]
    for value in values:

        def give(value: Any = value) -> Any:
            return value

        tool = harden(give, loose="allow")
        result = run(tool.run_call({}))
        assert tool.return_value_as_string(result.output) == result.content
    assert (
        FunctionTool(next_meeting, "")
        .return_value_as_string(next_meeting())
        .startswith("{'starts': datetime")
    )


def test_refused_arguments_raise_what_autogen_raises_with_the_text_the_model_reads() -> None:
    tool = harden(forecast)
    with pytest.raises(pydantic.ValidationError) as failed:
        run(tool.run_json({"days": 2}, CancellationToken()))
    refused = failed.value
    assert isinstance(refused, toolproof.ArgumentError) and str(refused) == refused.for_model()
    assert [(record["path"], record["kind"]) for record in refused.errors] == [("city_name", "required")]
    assert refused.errors()[0]["loc"] == ("city_name",)  # pydantic's view of the same problem


def test_a_failure_toolproof_decided_raises_tool_call_error_with_the_text_the_model_reads() -> None:
    tool = harden(slow_report, timeout=0.05)
    with pytest.raises(ToolCallError) as failed:
        run(tool.run_json({}, CancellationToken()))
    assert str(failed.value) == failed.value.result.content == "Tool 'slow_report' did not finish in time."
    assert failed.value.result.error["code"] == "timeout"


def test_run_call_returns_the_tool_result() -> None:
    result = run(harden(forecast).run_call('{"City_Name": "Kyiv"}', call_id="call_9"))
    assert (result.call_id, result.ok, result.attempts) == ("call_9", True, 1)
    assert [repair.kind for repair in result.repairs] == ["renamed_key"]


def test_cancellation_token_reaches_the_function() -> None:
    seen: list[CancellationToken] = []

    async def search(query: str, cancellation_token: CancellationToken) -> str:
        """Search."""
        seen.append(cancellation_token)
        return query

    tool = harden(search)
    assert list(tool.schema["parameters"]["properties"]) == ["query"]
    token = CancellationToken()
    assert run(tool.run_json({"query": "q"}, token)) == "q"
    assert seen == [token]


def test_cancelling_the_token_cancels_the_call() -> None:
    stopped = asyncio.Event()

    async def wait_forever() -> str:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            stopped.set()
            raise
        return "late"

    async def cancel_soon() -> None:
        token = CancellationToken()
        asyncio.get_running_loop().call_later(0.05, token.cancel)
        with pytest.raises(asyncio.CancelledError):
            await harden(wait_forever).run_json({}, token)
        await asyncio.wait_for(stopped.wait(), timeout=2)

    run(cancel_soon())


def test_calls_of_one_response_run_concurrently() -> None:
    async def fetch(index: int) -> int:
        """Fetch one page."""
        await asyncio.sleep(0.2)
        return index

    started = time.perf_counter()
    agent = run(agent_run([harden(fetch)], [("fetch", {"index": i}) for i in range(8)]))
    assert time.perf_counter() - started < 1.2
    assert sorted(int(r.content) for r in agent.results.values()) == list(range(8))


def test_harden_refuses_what_it_cannot_run() -> None:
    with pytest.raises(TypeError, match="harden takes"):
        harden(42)
    tool = harden(forecast)
    assert harden(tool) is tool
    with pytest.raises(TypeError, match="already hardened"):
        harden(tool, timeout=1)
    assert isinstance(harden(toolproof.Tool.from_function(forecast)), HardenedTool)


def test_harden_client_leaves_good_calls_alone() -> None:
    client = autogen_client([[("forecast", {"city_name": "Rome"}), ("forecast", "[1]")]])
    created = run(harden_client(client).create([]))
    assert [call.arguments for call in created.content] == ['{"city_name": "Rome"}', "[1]"]
    assert harden_client(harden_client(client)).model_info["function_calling"] is True


def test_import_without_autogen_names_the_extra() -> None:
    code = (
        "import sys\n"
        "for name in ('autogen_core', 'autogen_agentchat', 'autogen_ext', 'autogen'):\n"
        "    sys.modules[name] = None\n"
        "import toolproof\n"
        "assert not any(n.startswith('autogen') for n in sys.modules if sys.modules[n] is not None)\n"
        "try:\n"
        "    import toolproof.autogen\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'toolproof[autogen]'" in done.stdout


# --- the scripted client ---------------------------------------------------------------------------


def test_autogen_client_script_items() -> None:
    client = autogen_client(
        [
            ("ping", {}),
            [("forecast", '{"city_name": "Rome"'), ("forecast", {"city_name": "Oslo"}, "mine")],
            toolproof.ToolCall("tc", "ping", None),
            FunctionCall(id="fc", arguments="{}", name="ping"),
            "the answer",
        ]
    )
    turns = [run(client.create([])) for _ in range(5)]
    assert [c.id for turn in turns[:4] for c in turn.content] == ["call_1", "call_2", "mine", "tc", "fc"]
    assert turns[1].content[0].arguments == '{"city_name": "Rome"'
    assert turns[2].content[0].arguments == ""
    assert turns[0].finish_reason == "function_calls" and turns[4].content == "the answer"
    with pytest.raises(TypeError, match="autogen_client script item"):
        autogen_client([42])


# --- the classic API (ag2 before 1.0, `import autogen`) -----------------------------------------------


def classic() -> Any:
    autogen = pytest.importorskip("autogen")
    if not hasattr(autogen, "ConversableAgent"):
        pytest.skip("the classic API needs ag2 before 1.0 (ag2 1.x no longer ships `import autogen`)")
    return autogen


class ScriptedModel:
    """A classic ag2 model client: each create() answers with the next scripted turn."""

    def __init__(self, config: dict[str, Any], script: list[Any]) -> None:
        self.script = list(script)
        self.requests: list[dict[str, Any]] = []

    def create(self, params: dict[str, Any]) -> Any:
        from openai.types.chat import ChatCompletion

        self.requests.append(params)
        turn = self.script.pop(0)
        if isinstance(turn, str):
            message: dict[str, Any] = {"role": "assistant", "content": turn}
        else:
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
                    for name, arguments, call_id in turn
                ],
            }
        return ChatCompletion.model_validate(
            {
                "id": "scripted",
                "object": "chat.completion",
                "created": 0,
                "model": "scripted",
                "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
            }
        )

    def message_retrieval(self, response: Any) -> list[Any]:
        return [choice.message for choice in response.choices]

    def cost(self, response: Any) -> float:
        return 0.0

    @staticmethod
    def get_usage(response: Any) -> dict[str, Any]:
        return {
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "total_tokens": 0,
            "cost": 0.0,
            "model": "scripted",
        }


@dataclass
class ClassicRun:
    contents: dict[str, str]
    model: ScriptedModel
    caller: Any


def classic_run(
    register_tools: Callable[[Any, Any], None], calls: list[tuple[str, Any, str]], *, parallel: bool = True
) -> ClassicRun:
    """One turn of calls from the caller, run by the executor, then the caller's final answer."""
    autogen = classic()
    config = {"config_list": [{"model": "scripted", "model_client_cls": "ScriptedModel"}], "cache_seed": None}
    caller = autogen.AssistantAgent("assistant", llm_config=config)
    executor = autogen.UserProxyAgent(
        "user", human_input_mode="NEVER", code_execution_config=False, max_consecutive_auto_reply=3
    )
    register_tools(caller, executor)
    script = [
        [(name, a if isinstance(a, str) else json.dumps(a), call_id) for name, a, call_id in calls],
        "done",
    ]
    caller.register_model_client(model_client_cls=ScriptedModel, script=script)
    model = caller.client._clients[0]
    if parallel:
        chat = run(executor.a_initiate_chat(caller, message="go", max_turns=2, silent=True))
    else:
        chat = executor.initiate_chat(caller, message="go", max_turns=2, silent=True)
    [responses] = [m["tool_responses"] for m in chat.chat_history if m.get("tool_responses")]
    assert chat.chat_history[-1]["content"] == "done"
    return ClassicRun({r["tool_call_id"]: r["content"] for r in responses}, model, caller)


def plain(fn: Callable[..., Any], name: str | None = None) -> Callable[[Any, Any], None]:
    def register_tools(caller: Any, executor: Any) -> None:
        classic().register_function(
            fn, caller=caller, executor=executor, name=name, description=fn.__doc__ or ""
        )

    return register_tools


def hardened(fn: Any, **options: Any) -> Callable[[Any, Any], None]:
    from toolproof.autogen import register

    def register_tools(caller: Any, executor: Any) -> None:
        register(fn, caller=caller, executor=executor, **options)

    return register_tools


def only(run_: ClassicRun) -> str:
    [content] = run_.contents.values()
    return content


def test_classic_camel_case_keys__plain_fails() -> None:
    content = only(classic_run(plain(forecast), [("forecast", {"cityName": "Paris", "days": "3"}, "c")]))
    assert content.startswith("Error:") and "city_name" in content


def test_classic_camel_case_keys__hardened_passes() -> None:
    content = only(classic_run(hardened(forecast), [("forecast", {"cityName": "Paris", "days": "3"}, "c")]))
    assert json.loads(content) == {"city": "Paris", "days": 3}


def test_classic_malformed_json__plain_fails() -> None:
    content = only(classic_run(plain(forecast), [("forecast", TRUNCATED, "c")]))
    assert content.startswith("Error: Expecting") and "must be in JSON format" in content


def test_classic_malformed_json__hardened_passes() -> None:
    content = only(classic_run(hardened(forecast), [("forecast", TRUNCATED, "c")]))
    assert json.loads(content) == {"city": "Rome", "days": 2}


def test_classic_empty_and_non_object_arguments__plain_fails(aborted_loop: None) -> None:
    assert only(classic_run(plain(ping), [("ping", "", "c")])).startswith("Error: Expecting value")
    # JSON that is not an object (arguments encoded twice, an array) ends the chat: the executor's
    # event wants a dict.
    for arguments in (DOUBLE_ENCODED, "[1, 2]"):
        with pytest.raises(pydantic.ValidationError, match="ExecuteFunctionEvent"):
            classic_run(plain(forecast), [("forecast", arguments, "c")])


def test_classic_empty_and_non_object_arguments__hardened_passes() -> None:
    assert only(classic_run(hardened(ping), [("ping", "", "c")])) == "pong"
    assert (
        json.loads(only(classic_run(hardened(forecast), [("forecast", DOUBLE_ENCODED, "c")])))["city"]
        == "Oslo"
    )
    content = only(classic_run(hardened(forecast), [("forecast", "[1, 2]", "c")]))
    assert "expected a JSON object of arguments like" in content


def test_classic_datetime_result__plain_misbehaves() -> None:
    content = only(classic_run(plain(next_meeting), [("next_meeting", {}, "c")]))
    with pytest.raises(ValueError):
        json.loads(content)


def test_classic_datetime_result__hardened_passes() -> None:
    content = only(classic_run(hardened(next_meeting), [("next_meeting", {}, "c")]))
    assert json.loads(content) == {"starts": "2025-03-01T09:30:00+00:00", "room": "B2"}


def test_classic_oversized_result__plain_floods_the_context() -> None:
    assert len(only(classic_run(plain(export_logs), [("export_logs", {}, "c")]))) == len(export_logs())


def test_classic_oversized_result__hardened_is_capped() -> None:
    content = only(classic_run(hardened(export_logs), [("export_logs", {}, "c")]))
    assert len(content.encode()) <= 100_000 and "truncated" in content


def test_classic_duplicate_names__plain_replaces_silently() -> None:
    def register_both(caller: Any, executor: Any) -> None:
        with pytest.warns(UserWarning, match="being overridden"):
            plain(search_orders, name="search")(caller, executor)
            plain(search_tickets, name="search")(caller, executor)

    assert only(classic_run(register_both, [("search", {"query": "late"}, "c")])) == "tickets"


def test_classic_duplicate_names__hardened_refused_naming_both() -> None:
    def register_both(caller: Any, executor: Any) -> None:
        hardened(search_orders, name="search")(caller, executor)
        with pytest.raises(toolproof.ToolDefinitionError, match=r"search_orders.*search_tickets"):
            hardened(search_tickets, name="search")(caller, executor)

    assert only(classic_run(register_both, [("search", {"query": "late"}, "c")])) == "orders"


class Lookup:
    """A class-based tool keeping the call's customer on self."""

    async def run(self, customer_id: str) -> dict[str, str]:
        """Look up a customer."""
        self.customer_id = customer_id
        await asyncio.sleep(0.02)
        return {"customer_id": self.customer_id}


CLASSIC_CUSTOMERS = [("lookup", {"customer_id": "c1"}, "a"), ("lookup", {"customer_id": "c2"}, "b")]


def test_classic_shared_instance_state__plain_mixes_calls() -> None:
    shared = Lookup()

    async def lookup(customer_id: str) -> dict[str, str]:
        """Look up a customer."""
        return await shared.run(customer_id)

    contents = classic_run(plain(lookup), CLASSIC_CUSTOMERS).contents
    assert {k: json.loads(v.replace("'", '"'))["customer_id"] for k, v in contents.items()} == {
        "a": "c2",
        "b": "c2",
    }


def test_classic_shared_instance_state__hardened_class_gives_each_call_its_instance() -> None:
    contents = classic_run(hardened(Lookup, name="lookup"), CLASSIC_CUSTOMERS).contents
    assert {k: json.loads(v)["customer_id"] for k, v in contents.items()} == {"a": "c1", "b": "c2"}


def test_classic_flaky_upstream__plain_fails() -> None:
    content = only(classic_run(plain(flaky_rate(failures=2)), [("exchange_rate", {"currency": "USD"}, "c")]))
    assert content == "Error: connection reset by peer"


def test_classic_flaky_upstream__hardened_retries() -> None:
    register_tools = hardened(flaky_rate(failures=2), retry=FAST_RETRY)
    assert only(classic_run(register_tools, [("exchange_rate", {"currency": "USD"}, "c")])) == "1.08"


def test_classic_hanging_tool__plain_never_finishes(aborted_loop: None) -> None:
    autogen = classic()

    async def chat() -> None:
        config = {
            "config_list": [{"model": "scripted", "model_client_cls": "ScriptedModel"}],
            "cache_seed": None,
        }
        caller = autogen.AssistantAgent("assistant", llm_config=config)
        executor = autogen.UserProxyAgent("user", human_input_mode="NEVER", code_execution_config=False)
        plain(slow_report)(caller, executor)
        caller.register_model_client(
            model_client_cls=ScriptedModel, script=[[("slow_report", "{}", "c")], "done"]
        )
        await executor.a_initiate_chat(caller, message="go", max_turns=2, silent=True)

    with pytest.raises(TimeoutError):
        run(asyncio.wait_for(chat(), timeout=0.5))


def test_classic_hanging_tool__hardened_times_out() -> None:
    content = only(classic_run(hardened(slow_report, timeout=0.1), [("slow_report", {}, "c")]))
    assert content == "Tool 'slow_report' did not finish in time."


CLASSIC_REPORTS = [(name, arguments, call_id) for name, arguments, call_id in REPORT_CALLS]


def test_classic_one_failing_call__plain_loses_the_run(
    capsys: pytest.CaptureFixture[str], aborted_loop: None
) -> None:
    with pytest.raises(SystemExit):
        classic_run(plain(report), CLASSIC_REPORTS)


def test_classic_one_failing_call__hardened_keeps_siblings(capsys: pytest.CaptureFixture[str]) -> None:
    contents = classic_run(hardened(report), CLASSIC_REPORTS).contents
    assert contents["good"] == "report for month 3" and contents["also_good"] == "report for month 4"
    assert "unexpected error (SystemExit)" in contents["bad"]


def test_classic_caller_advertises_the_schema_the_executor_checks() -> None:
    tool_holder: list[toolproof.Tool] = []

    def register_tools(caller: Any, executor: Any) -> None:
        from toolproof.autogen import register

        tool_holder.append(register(forecast, caller=caller, executor=executor))

    classic_run_ = classic_run(register_tools, [("forecast", {"city_name": "Rome"}, "c")], parallel=False)
    [sent] = classic_run_.model.requests[0]["tools"]
    assert sent == tool_holder[0].to_provider("openai", strict=True)
    assert json.loads(only(classic_run_)) == {"city": "Rome", "days": 1}


def test_classic_register_again_or_replace() -> None:
    from toolproof.autogen import register

    def register_tools(caller: Any, executor: Any) -> None:
        tool = register(search_orders, caller=caller, executor=executor, name="search")
        assert register(tool, caller=caller, executor=executor) is tool
        register(search_tickets, caller=caller, executor=executor, name="search", replace=True)
        assert [d["function"]["name"] for d in caller.llm_config["tools"]] == ["search"]

    assert only(classic_run(register_tools, [("search", {"query": "late"}, "c")])) == "tickets"


# --- what AutoGen's users rely on, kept -------------------------------------------------------------


def weather(country: str, city: str, unit: str = "C") -> str:
    """The weather in a city.

    Args:
        city: the city's name
    """
    return f"{city}, {country}: 21{unit}"


def test_functools_partial_tools_are_taken_as_autogen_takes_them() -> None:
    import functools

    from toolproof.autogen import FunctionTool as HardenedFunctionTool

    positional = harden(functools.partial(weather, "DE"))
    keyword = HardenedFunctionTool(functools.partial(weather, country="FR", unit="F"), description="Weather.")
    assert set(positional.schema["parameters"]["properties"]) == {"city", "unit"}
    assert positional.schema["parameters"]["properties"]["city"]["description"] == "the city's name"
    assert run(positional.run_json({"city": "Berlin"}, CancellationToken())) == "Berlin, DE: 21C"
    assert run(keyword.run_json({"City": "Paris"}, CancellationToken())) == "Paris, FR: 21F"
    plain = FunctionTool(functools.partial(weather, "DE"), description="Weather.")
    assert (
        plain.schema["parameters"]["properties"].keys()
        == positional.schema["parameters"]["properties"].keys()
    )


def test_a_hardened_tool_dumps_a_component_config_that_loads_back_hardened() -> None:
    retry = toolproof.Retry(attempts=2, initial_delay=0.01, jitter=False)
    hardened = harden(weather, timeout=5, retry=retry, max_result_bytes=500)
    config = hardened.dump_component()
    assert config.provider == "toolproof.autogen.FunctionTool"
    with pytest.warns(UserWarning, match="trusted sources"):
        loaded = BaseTool.load_component(config)
    assert isinstance(loaded, HardenedTool) and loaded.schema == hardened.schema
    assert (loaded.tool.timeout, loaded.tool.retry.attempts, loaded.tool.max_result_bytes) == (5.0, 2, 500)
    assert run(loaded.run_json({"country": "IT", "City": "Rome"}, CancellationToken())) == "Rome, IT: 21C"

    # A BaseTool that is a component itself: the config holds its own, and the options.
    workbench = StaticWorkbench([hardened])
    assert StaticWorkbench.load_component(workbench.dump_component())._tools[0].name == "weather"

    with pytest.raises(NotImplementedError, match="authorize"):
        harden(weather, authorize=lambda call, context: True).dump_component()


def test_strict_stays_as_the_function_tool_says() -> None:
    loose = harden(FunctionTool(weather, description="Weather.", strict=False))
    assert loose.schema["strict"] is False
    autogen_schema = FunctionTool(weather, description="Weather.").schema["parameters"]
    assert loose.schema["parameters"]["required"] == autogen_schema["required"] == ["country", "city"]
    strict = harden(FunctionTool(weather, description="Weather.", strict=False), strict=True)
    assert strict.schema["strict"] is True and strict.schema["parameters"]["required"] == [
        "country",
        "city",
        "unit",
    ]


def test_check_tool_reads_an_autogen_function_tool_plain_and_hardened() -> None:
    from toolproof.testing import check_tool

    for tool in (FunctionTool(weather, description="Weather."), harden(weather)):
        report = check_tool(tool)
        assert report.tool == "weather" and report, report.problems
