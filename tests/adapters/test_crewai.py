"""toolproof.crewai: real crews (one agent, one task) driven by a scripted BaseLLM, in native
function calling and in ReAct text mode. Each failure users hit is shown twice: the plain CrewAI
tool failing or misbehaving, then the hardened tool passing."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("crewai")

import toolproof
from crewai import Agent, Crew, Task
from crewai.tools import BaseTool, tool
from crewai.tools.tool_failure import ToolFailure, ToolFailureReason
from pydantic import BaseModel, Field, PrivateAttr
from toolproof import Retry, ToolDefinitionError
from toolproof.crewai import RAW_ARGUMENTS, HardenedTool, harden, harden_all, harden_llm
from toolproof.testing import crewai_llm
from toolproof.testing.crewai import ScriptedCrewLLM

# CrewAI's own code calls its deprecated attributes on every kickoff.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

MODES = pytest.mark.parametrize("native", [True, False], ids=["native", "text"])


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """A crew that tries to phone home fails the test instead of waiting on the network."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a test tried to open a network connection: {args[1:]!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def kickoff(
    tools: list[Any],
    script: list[Any],
    *,
    native: bool,
    plain: bool = False,
    cache: bool = False,
    llm: Any = None,
) -> tuple[Any, Any]:
    """One agent, one task, the scripted model; ``plain`` leaves the model as CrewAI has it."""
    llm = llm or crewai_llm(script, native=native)
    if not plain:
        llm = harden_llm(llm)
    agent = Agent(role="clerk", goal="answer", backstory="careful", llm=llm, tools=tools, max_iter=6)
    task = Task(description="Answer the question.", expected_output="an answer", agent=agent)
    output = Crew(agents=[agent], tasks=[task], cache=cache).kickoff()
    return output, llm


# Every few tool uses, CrewAI appends the tool list to an observation as a reminder.
REMINDER = "\n\n\nYou ONLY have access to the following tools"


def observations(llm: Any, *, native: bool) -> list[str]:
    """The tool results the model read, in order, as of its last turn."""
    messages = llm.requests[-1]["messages"]
    if native:
        return [m["content"] for m in messages if m.get("role") == "tool"]
    return [
        m["content"].split("\nObservation: ", 1)[1].split(REMINDER, 1)[0]
        for m in messages
        if m.get("role") == "assistant" and "\nObservation: " in (m.get("content") or "")
    ]


# --- the tools -----------------------------------------------------------------------------------


@tool("lookup_user")
def lookup_user(user_id: int, limit: int = 10) -> str:
    """Look up a user by id.

    Args:
        user_id: The user's numeric id.
        limit: How many records to return.
    """
    # Arithmetic, so that a number left as a string fails here instead of passing unnoticed.
    return f"user {user_id + 0} (limit {limit + 0})"


@tool("list_users")
def list_users(limit: int = 3) -> str:
    """List users."""
    return f"{limit} users"


# --- the hardened tool is a CrewAI tool ----------------------------------------------------------


def test_a_hardened_tool_is_a_crewai_base_tool_with_the_tools_own_schema() -> None:
    hardened = harden(lookup_user)
    assert isinstance(hardened, BaseTool) and isinstance(hardened, HardenedTool)
    assert hardened.name == "lookup_user" and hardened.description.startswith("Look up a user by id.")
    # CrewAI's own schema of the tool, with the descriptions its docstring gives.
    schema = hardened.args_schema.model_json_schema()
    assert schema["properties"]["user_id"] == {
        "title": "User Id",
        "type": "integer",
        "description": "The user's numeric id.",
    }
    assert schema["required"] == ["user_id"] and schema["properties"]["limit"]["default"] == 10
    assert '"user_id"' in hardened.formatted_description
    assert hardened.toolproof_tool.name == "lookup_user"


def test_direct_runs_take_keywords_a_raw_text_or_positional_values() -> None:
    hardened = harden(lookup_user)
    assert hardened.run(user_id=7) == "user 7 (limit 10)"
    assert hardened.run('{"userId": "7", "limit": 2}') == "user 7 (limit 2)"
    assert hardened.run(7, 2) == "user 7 (limit 2)"
    assert hardened.run(**{RAW_ARGUMENTS: "{'user_id': 7,}"}) == "user 7 (limit 10)"
    # Refused as CrewAI refuses arguments its schema does not accept, with the road's text.
    with pytest.raises(ValueError, match="arguments validation failed") as refused:
        hardened.run(user_id="seven")
    assert 'user_id: expected integer, got string "seven"' in str(refused.value)


# --- camelCase keys and numbers as strings -------------------------------------------------------


@MODES
def test_camel_case_keys_and_numbers_as_strings(native: bool) -> None:
    script = [("lookup_user", {"userId": "42", "limit": "3"}), "done"]

    _, llm = kickoff([lookup_user], script, native=native, plain=True)
    [plain] = observations(llm, native=native)
    assert "validation failed" in plain and "Field required" in plain

    _, llm = kickoff([harden(lookup_user)], script, native=native)
    assert observations(llm, native=native) == ["user 42 (limit 3)"]


# --- malformed JSON, empty-string and non-object arguments (crewAI #7536, #540, #1344) ----------

# Cut off after a complete member (a number on the very last character would be refused: it may
# have been cut short).
TRUNCATED = '{"user_id": 42, "limit": 3,'
PYTHON_DICT = "{'user_id': 42, 'limit': 3,}"


@pytest.mark.parametrize("arguments", [TRUNCATED, PYTHON_DICT], ids=["truncated", "python-dict"])
def test_malformed_json_native(arguments: str) -> None:
    script = [("lookup_user", arguments), "done"]

    _, llm = kickoff([lookup_user], script, native=True, plain=True)
    [plain] = observations(llm, native=True)
    assert plain.startswith("Error: Failed to parse tool arguments as JSON")

    _, llm = kickoff([harden(lookup_user)], script, native=True)
    assert observations(llm, native=True) == ["user 42 (limit 3)"]


@pytest.mark.parametrize("arguments", [TRUNCATED, PYTHON_DICT], ids=["truncated", "python-dict"])
def test_malformed_json_text_mode_is_repaired_by_crewai_and_by_the_road(arguments: str) -> None:
    # CrewAI's ReAct parser repairs JSON itself (json, literal_eval, json5, json_repair); the
    # hardened tool gets the text as written and the road repairs it, recording each repair.
    script = [("lookup_user", arguments), "done"]
    _, llm = kickoff([lookup_user], script, native=False, plain=True)
    assert observations(llm, native=False) == ["user 42 (limit 3)"]

    hardened = harden(lookup_user)
    _, llm = kickoff([hardened], script, native=False)
    assert observations(llm, native=False) == ["user 42 (limit 3)"]
    assert sum(hardened.metrics().total["repairs"].values()) >= 1


@MODES
def test_a_json_array_as_arguments(native: bool) -> None:
    script = [("lookup_user", "[42, 3, 1]"), "done"]

    _, llm = kickoff([lookup_user], script, native=native, plain=True)
    if native:
        # The event CrewAI emits before running a call refuses a list: the call never gets a
        # result, and the next request carries a tool call nobody answered.
        assert observations(llm, native=True) == []
    else:
        [plain] = observations(llm, native=False)
        assert "not a valid key, value dictionary" in plain

    _, llm = kickoff([harden(lookup_user)], script, native=native)
    [refused] = observations(llm, native=native)
    assert "expected a JSON object of arguments" in refused and "got an array of 3 items" in refused
    assert 'Expected arguments: {"user_id": integer' in refused


@MODES
def test_a_json_string_as_arguments(native: bool) -> None:
    script = [("lookup_user", '"42"'), "done"]

    _, llm = kickoff([lookup_user], script, native=native, plain=True)
    [plain] = observations(llm, native=native)
    if native:
        assert "argument after ** must be a mapping, not str" in plain  # a Python TypeError
    else:
        assert "not a valid key, value dictionary" in plain  # no word on what was expected

    _, llm = kickoff([harden(lookup_user)], script, native=native)
    [hardened] = observations(llm, native=native)
    assert 'got string "42"' in hardened and 'Expected arguments: {"user_id": integer' in hardened


@MODES
def test_empty_string_arguments_for_a_tool_whose_parameters_are_optional(native: bool) -> None:
    script = [("list_users", ""), "done"]

    _, llm = kickoff([list_users], script, native=native, plain=True)
    [plain] = observations(llm, native=native)
    if native:
        assert plain == "3 users"  # CrewAI reads "" as {}
    else:
        assert "not a valid key, value dictionary" in plain

    _, llm = kickoff([harden(list_users)], script, native=native)
    assert observations(llm, native=native) == ["3 users"]


@MODES
def test_empty_string_arguments_for_a_required_parameter_say_what_is_missing(native: bool) -> None:
    _, llm = kickoff([harden(lookup_user)], [("lookup_user", ""), "done"], native=native)
    [refused] = observations(llm, native=native)
    assert "user_id: required, but missing" in refused
    assert "Traceback" not in refused and "pydantic" not in refused


# --- results: datetimes and custom objects (crewAI #6267), oversized results ---------------------


@dataclasses.dataclass
class Owner:
    name: str
    since: dt.date


@tool("account")
def account(account_id: str) -> dict:
    """Fetch an account."""
    return {
        "id": account_id,
        "opened": dt.datetime(2024, 5, 1, 9, 30),
        "owner": Owner("Ada", dt.date(2020, 1, 2)),
    }


class Opaque:
    pass


@tool("opaque")
def opaque(key: str) -> dict:
    """Returns something that is not data."""
    return {"key": key, "handle": Opaque()}


@MODES
def test_a_datetime_and_a_dataclass_in_the_result_reach_the_model_as_json(native: bool) -> None:
    script = [("account", {"account_id": "a-1"}), "done"]

    _, llm = kickoff([account], script, native=native, plain=True)
    [plain] = observations(llm, native=native)
    assert "datetime.datetime(2024, 5, 1, 9, 30)" in plain  # a Python repr, not JSON
    with pytest.raises(ValueError):
        json.loads(plain)

    _, llm = kickoff([harden(account)], script, native=native)
    [hardened] = observations(llm, native=native)
    assert json.loads(hardened) == {
        "id": "a-1",
        "opened": "2024-05-01T09:30:00",
        "owner": {"name": "Ada", "since": "2020-01-02"},
    }


@MODES
def test_an_object_that_is_not_data_is_named_instead_of_sent_as_a_memory_address(native: bool) -> None:
    script = [("opaque", {"key": "k"}), "done"]

    _, llm = kickoff([opaque], script, native=native, plain=True)
    [plain] = observations(llm, native=native)
    assert "object at 0x" in plain

    _, llm = kickoff([harden(opaque)], script, native=native)
    [hardened] = observations(llm, native=native)
    assert "Opaque" in hardened and 'result["handle"]' in hardened and "0x" not in hardened


@tool("export_rows")
def export_rows(table: str) -> list:
    """Export every row of a table."""
    return [{"row": i, "table": table, "payload": "x" * 40} for i in range(20_000)]


@MODES
def test_an_oversized_result_is_cut_to_valid_json(native: bool) -> None:
    script = [("export_rows", {"table": "orders"}), "done"]

    if not native:
        # In text mode CrewAI puts the whole result (1.8 MB as a Python repr) in the conversation,
        # then asks the model to summarize it, 12 KB at a time: about 150 extra model calls.
        llm = crewai_llm(script, native=False)
        with pytest.raises(AssertionError, match="asked for turn 3"):
            kickoff([export_rows], script, native=False, plain=True, llm=llm)
        assert "create a structured summary" in llm.requests[2]["messages"][-1]["content"]

    _, llm = kickoff([harden(export_rows, max_result_bytes=2_000)], script, native=native)
    [hardened] = observations(llm, native=native)
    assert len(hardened.encode()) <= 2_000
    rows = json.loads(hardened)
    assert rows[0]["table"] == "orders" and "more items" in rows[-1]


def test_results_are_capped_at_100_000_bytes_unless_told_otherwise() -> None:
    # CrewAI gets the rows themselves; the model reads them as JSON, cut to the cap.
    capped = harden(export_rows)
    content = capped.format_output_for_agent(capped.run(table="t"))
    assert 90_000 < len(content.encode()) <= 100_000
    uncapped = harden(export_rows, max_result_bytes=None)
    assert len(uncapped.format_output_for_agent(uncapped.run(table="t"))) > 1_000_000


# --- duplicate tool names ------------------------------------------------------------------------


def make_search(source: str) -> Any:
    @tool("search")
    def search(query: str) -> str:
        """Search."""
        return f"{source}: {query}"

    return search


def test_duplicate_names_are_renamed_or_shadowed_by_crewai_and_refused_when_hardened() -> None:
    web, docs = make_search("web"), make_search("docs")

    _, llm = kickoff([web, docs], [("search", {"query": "q"}), "done"], native=True, plain=True)
    names = [schema["function"]["name"] for schema in llm.requests[0]["tools"]]
    assert names == ["search", "search_2"]  # renamed behind the author's back

    _, llm = kickoff([web, docs], [("search", {"query": "q"}), "done"], native=False, plain=True)
    assert observations(llm, native=False) == ["web: q"]  # the second tool cannot be reached

    with pytest.raises(ToolDefinitionError, match="two tools are named 'search'") as refused:
        harden_all([web, docs])
    assert str(refused.value).count("test_crewai.py") == 2  # both definitions named
    with pytest.raises(ToolDefinitionError):
        harden([web, docs])


# --- shared mutable state under parallel calls (crewAI #7332) -----------------------------------


class LastQueryTool(BaseTool):
    """Keeps the query on self, as many class-based tools do."""

    name: str = "lookup"
    description: str = "Look something up."
    rendezvous: Any = None
    last_query: str = ""

    def _run(self, query: str) -> str:
        self.last_query = query
        # Both calls are in flight before either reads its query back.
        self.rendezvous.wait(timeout=5)
        return f"result for {self.last_query}"


def test_state_kept_on_self_is_overwritten_by_a_parallel_call_unless_hardened() -> None:
    script = [[("lookup", {"query": "alpha"}), ("lookup", {"query": "beta"})], "done"]

    _, llm = kickoff([LastQueryTool(rendezvous=threading.Barrier(2))], script, native=True, plain=True)
    first, second = observations(llm, native=True)
    assert first == second  # one call got the other's result

    # As CrewAI does, a hardened instance runs every call itself, and says what a call left on it ...
    shared = harden(LastQueryTool(rendezvous=threading.Barrier(1)))
    with pytest.warns(toolproof.SharedStateWarning, match=r"self\.last_query.*fresh_instance=True"):
        shared.run(query="alpha")

    # ... and one option gives each call an instance of its own.
    hardened = harden(LastQueryTool(rendezvous=threading.Barrier(2)), fresh_instance=True)
    _, llm = kickoff([hardened], script, native=True)
    assert observations(llm, native=True) == ["result for alpha", "result for beta"]


SESSIONS = itertools.count()


class SessionTool(BaseTool):
    name: str = "fetch"
    description: str = "Fetch a page."
    base_url: str = "https://example.invalid"
    seen: Any = None
    _session: int = PrivateAttr(default_factory=lambda: next(SESSIONS))

    def _run(self, path: str) -> str:
        self.seen.append((self.base_url, self._session))
        return f"{self.base_url}/{path}"


@MODES
def test_each_call_gets_a_fresh_instance_built_with_the_fields_the_tool_was_given(native: bool) -> None:
    seen: list[tuple[str, int]] = []
    hardened = harden(SessionTool(base_url="https://api.test", seen=seen), fresh_instance=True)
    script = [("fetch", {"path": "a"}), ("fetch", {"path": "b"}), "done"]
    _, llm = kickoff([hardened], script, native=native)
    assert observations(llm, native=native) == ["https://api.test/a", "https://api.test/b"]
    assert [url for url, _ in seen] == ["https://api.test"] * 2
    assert len({session for _, session in seen}) == 2  # a session of its own per call


def test_an_instance_runs_every_call_itself_by_default() -> None:
    seen: list[tuple[str, int]] = []
    hardened = harden(SessionTool(seen=seen))
    hardened.run(path="a")
    hardened.run(path="b")
    assert len({session for _, session in seen}) == 1


def test_a_tool_class_is_instantiated_with_no_arguments() -> None:
    class Greeter(BaseTool):
        name: str = "greet"
        description: str = "Greet someone."
        greeting: str = "Hello"

        def _run(self, who: str) -> str:
            return f"{self.greeting}, {who}"

    assert harden(Greeter).run(who="Ada") == "Hello, Ada"
    assert harden(Greeter(greeting="Hi")).run(who="Ada") == "Hi, Ada"


# --- a flaky upstream, a hanging tool, one failing call among several ---------------------------


def make_flaky(failures: int) -> tuple[Any, list[int]]:
    attempts: list[int] = []

    @tool("quote")
    def quote(symbol: str) -> str:
        """Latest price of a stock."""
        attempts.append(1)
        if len(attempts) <= failures:
            raise ConnectionError("connection reset by peer")
        return f"{symbol}: 101.5"

    return quote, attempts


@MODES
def test_a_flaky_upstream_succeeds_on_retry(native: bool) -> None:
    script = [("quote", {"symbol": "ACME"}), "done"]

    quote, attempts = make_flaky(1)
    _, llm = kickoff([quote], script, native=native, plain=True)
    [plain] = observations(llm, native=native)
    if native:
        assert plain == "Error executing tool: connection reset by peer" and len(attempts) == 1
    else:
        # CrewAI's text path runs a tool again after any exception, at once (see the next test).
        assert plain == "ACME: 101.5" and len(attempts) == 2

    quote, attempts = make_flaky(1)
    hardened = harden(quote, retry=Retry(attempts=3, initial_delay=0.001, jitter=False))
    output, llm = kickoff([hardened], script, native=native)
    assert observations(llm, native=native) == ["ACME: 101.5"]
    assert len(attempts) == 2 and output.tool_failures == []


def test_a_permanent_failure_is_not_retried() -> None:
    attempts: list[int] = []

    @tool("quote")
    def quote(symbol: str) -> str:
        """Latest price of a stock."""
        attempts.append(1)
        raise ValueError(f"unknown symbol {symbol!r}")

    script = [("quote", {"symbol": "ACMEE"}), "done"]
    _, llm = kickoff([quote], script, native=False, plain=True)
    assert len(attempts) > 2  # CrewAI's text path runs the same bad call again, and again

    # toolproof's retries leave a permanent failure alone: one run per call CrewAI makes.
    attempts.clear()
    hardened = harden(quote, retry=Retry(attempts=3, initial_delay=0.001, jitter=False))
    output, llm = kickoff([hardened], script, native=True)
    assert observations(llm, native=True) == ["Error executing tool: unknown symbol 'ACMEE'"]
    assert len(attempts) == 1 and len(output.tool_failures) == 1


def test_a_failed_call_is_not_cached_so_the_models_retry_reaches_the_tool() -> None:
    quote, attempts = make_flaky(1)
    script = [("quote", {"symbol": "ACME"}), ("quote", {"symbol": "ACME"}), "done"]
    output, llm = kickoff([harden(quote)], script, native=True, cache=True)
    failed, succeeded = observations(llm, native=True)
    assert failed == "Error executing tool: connection reset by peer" and succeeded == "ACME: 101.5"
    assert len(attempts) == 2
    [record] = output.tool_failures
    assert record.failure.reason is ToolFailureReason.EXCEPTION and record.failure.code == "ConnectionError"


@pytest.fixture
def hanging_tool() -> Any:
    release = threading.Event()

    @tool("slow_report")
    def slow_report(name: str) -> str:
        """Build a report (the upstream hangs)."""
        release.wait(timeout=10)
        return f"report {name}"

    yield slow_report, release
    release.set()


@MODES
def test_a_hanging_tool_is_stopped_by_its_timeout(native: bool, hanging_tool: Any) -> None:
    slow_report, release = hanging_tool
    script = [("slow_report", {"name": "q3"}), "done"]

    threading.Timer(2.0, release.set).start()
    started = time.perf_counter()
    _, llm = kickoff([slow_report], script, native=native, plain=True)
    assert time.perf_counter() - started >= 1.9  # the crew waited as long as the tool hung
    release.clear()

    # (In text mode CrewAI itself runs a call that raised again, a few times.)
    started = time.perf_counter()
    _, llm = kickoff([harden(slow_report, timeout=0.05)], script, native=native)
    assert time.perf_counter() - started < 1.5
    [timed_out] = observations(llm, native=native)
    assert "Tool 'slow_report' did not finish in time." in timed_out


@tool("divide")
def divide(a: float, b: float) -> float:
    """Divide a by b."""
    return a / b


def test_one_failing_call_among_several_keeps_its_siblings() -> None:
    @tool("lookup_user", max_usage_count=10)
    def limited_lookup(user_id: int) -> str:
        """Look up a user by id."""
        return f"user {user_id}"

    # A tool with a usage limit makes CrewAI run a batch one call after another.
    script = [
        [("lookup_user", {"user_id": 1}), ("lookup_user", "[2]"), ("lookup_user", {"user_id": 3})],
        "done",
    ]

    _, llm = kickoff([limited_lookup], script, native=True, plain=True)
    assert observations(llm, native=True) == []  # one bad call, and the whole batch is gone

    _, llm = kickoff([harden(limited_lookup)], script, native=True)
    first, refused, third = observations(llm, native=True)
    assert (first, third) == ("user 1", "user 3")
    assert "user_id: expected integer, got an array" in refused


def test_one_raising_call_among_parallel_ones_is_reported_as_crewai_reports_it() -> None:
    script = [
        [("divide", {"a": 1, "b": 4}), ("divide", {"a": 1, "b": 0}), ("divide", {"a": 9, "b": "3"})],
        "done",
    ]

    _, llm = kickoff([divide], script, native=True, plain=True)
    assert observations(llm, native=True)[1] == "Error executing tool: float division by zero"

    output, llm = kickoff([harden(divide)], script, native=True)
    quarter, failed, three = observations(llm, native=True)
    assert (quarter, three) == ("0.25", "3.0")
    assert failed == "Error executing tool: float division by zero"
    assert [record.failure.reason for record in output.tool_failures] == [ToolFailureReason.EXCEPTION]


def test_one_failing_call_among_several_in_text_mode() -> None:
    script = [
        ("divide", {"a": 1, "b": 4}),
        ("divide", {"a": 1, "b": 0}),
        ("divide", {"a": "9", "b": 3}),
        "done",
    ]
    _, llm = kickoff([harden(divide)], script, native=False)
    quarter, failed, three = observations(llm, native=False)
    assert (quarter, three) == ("0.25", "3.0") and "float division by zero" in failed


# --- CrewAI's own settings keep working ---------------------------------------------------------


@MODES
def test_max_usage_count_is_kept(native: bool) -> None:
    @tool("ping", max_usage_count=1)
    def ping(host: str) -> str:
        """Ping a host."""
        return f"pong {host}"

    hardened = harden(ping)
    assert hardened.max_usage_count == 1
    _, llm = kickoff([hardened], [("ping", {"host": "a"}), ("ping", {"host": "b"}), "done"], native=native)
    answered, refused = observations(llm, native=native)
    assert answered == "pong a" and "usage limit of 1" in refused


@MODES
def test_result_as_answer_is_kept_and_a_failure_never_becomes_the_answer(native: bool) -> None:
    @tool("final_report", result_as_answer=True)
    def final_report(quarter: int) -> dict:
        """The quarter's report, as the final answer."""
        return {"quarter": quarter, "revenue": 12}

    output, _ = kickoff([harden(final_report)], [("final_report", {"quarter": "3"}), "unused"], native=native)
    assert json.loads(output.raw) == {"quarter": 3, "revenue": 12}

    output, _ = kickoff(
        [harden(final_report)],
        [("final_report", {"quarter": "third"}), "the model's own answer"],
        native=native,
    )
    assert output.raw == "the model's own answer"


@MODES
def test_results_are_cached_as_crewai_caches_them(native: bool) -> None:
    calls: list[str] = []

    @tool("weather")
    def weather(city: str) -> str:
        """Weather for a city."""
        calls.append(city)
        return f"sunny in {city}"

    script = [
        ("weather", {"city": "Oslo"}),
        ("weather", {"city": "Rome"}),
        ("weather", {"city": "Oslo"}),
        "done",
    ]
    _, llm = kickoff([harden(weather)], script, native=native, cache=True)
    assert observations(llm, native=native) == ["sunny in Oslo", "sunny in Rome", "sunny in Oslo"]
    assert calls == ["Oslo", "Rome"]


def test_a_custom_cache_function_is_the_tools_own() -> None:
    def only_long_answers(arguments: Any, result: Any) -> bool:
        return len(str(result)) > 10

    @tool("echo")
    def echo(text: str) -> str:
        """Echo."""
        return text

    echo.cache_function = only_long_answers
    hardened = harden(echo)
    assert hardened.cache_function is only_long_answers
    assert hardened.to_structured_tool().cache_function is only_long_answers
    # A helper for tools that should never cache a failure they report.
    assert toolproof.crewai.cache_successes_only({"text": "a"}, ToolFailure(message="no")) is False
    assert toolproof.crewai.cache_successes_only({"text": "a"}, "ok") is True


# --- args_schema against _run --------------------------------------------------------------------


class TextInput(BaseModel):
    text: str = Field(description="What to look up.")


def test_an_args_schema_that_does_not_match_run_is_refused_naming_both() -> None:
    class Mismatched(BaseTool):
        name: str = "mismatched"
        description: str = "Look something up."
        args_schema: type[BaseModel] = TextInput

        def _run(self, query: str = "") -> str:
            return f"looked up {query!r}"

    # CrewAI accepts it, and the argument never arrives.
    _, llm = kickoff([Mismatched()], [("mismatched", {"text": "cats"}), "done"], native=True, plain=True)
    [plain] = observations(llm, native=True)
    assert plain.startswith("Error executing tool:") and "got an unexpected keyword argument 'text'" in plain

    with pytest.raises(ToolDefinitionError) as refused:
        harden(Mismatched)
    message = str(refused.value)
    assert "TextInput" in message and "fields: text" in message and "Mismatched._run(query)" in message
    assert "the schema field 'text' is not a parameter of the function (parameters: query)" in message


class SearchInput(BaseModel):
    query: str = Field(description="Words to search for.")
    max_results: int = Field(default=5, ge=1, le=20)


class WrittenSchemaTool(BaseTool):
    name: str = "Search the docs"
    description: str = "Search the documentation."
    args_schema: type[BaseModel] = SearchInput

    def _run(self, **kwargs: Any) -> str:
        return f"{kwargs['query']} x{kwargs['max_results']}"


@MODES
def test_a_written_args_schema_is_the_schema_and_kwargs_only_run_works(native: bool) -> None:
    hardened = harden(WrittenSchemaTool)
    schema = hardened.args_schema.model_json_schema()
    assert schema["properties"]["query"]["description"] == "Words to search for."
    assert hardened.toolproof_tool.name == "search_the_docs"
    script = [
        ("search_the_docs", {"query": "install", "maxResults": "7"}),
        ("search_the_docs", {"query": "x", "max_results": 99}),
        "done",
    ]
    _, llm = kickoff([hardened], script, native=native)
    found, refused = observations(llm, native=native)
    assert found == "install x7"
    assert "max_results" in refused and "20" in refused


def test_an_async_run_and_a_plain_function_and_a_toolproof_tool_can_be_hardened() -> None:
    class AsyncTool(BaseTool):
        name: str = "async_double"
        description: str = "Double a number."

        async def _run(self, n: int) -> int:
            return n * 2

    # The tool's value itself, as CrewAI's own run() gives it.
    assert harden(AsyncTool).run(n="21") == 42

    def triple(n: int) -> int:
        """Triple a number."""
        return n * 3

    assert harden(triple).run(n=2) == 6
    assert harden(toolproof.Tool.from_function(triple, name="triple_it")).run(n=3) == 9


def test_hardening_a_hardened_tool_again_changes_nothing_and_options_are_refused() -> None:
    hardened = harden(lookup_user)
    assert harden(hardened) is hardened
    assert harden_all([hardened, list_users])[0] is hardened
    with pytest.raises(ToolDefinitionError, match="hardened already"):
        harden(hardened, timeout=1)


@MODES
def test_an_async_kickoff_runs_hardened_sync_and_async_tools(native: bool) -> None:
    class AsyncDouble(BaseTool):
        name: str = "double"
        description: str = "Double a number."

        async def _run(self, n: int) -> int:
            await asyncio.sleep(0.001)
            return n * 2

    llm = harden_llm(
        crewai_llm([("lookup_user", '{"userId": "4"'), ("double", {"n": "21"}), "done"], native=native)
    )
    agent = Agent(
        role="clerk",
        goal="answer",
        backstory="careful",
        llm=llm,
        tools=[harden(lookup_user), harden(AsyncDouble)],
    )
    task = Task(description="Answer the question.", expected_output="an answer", agent=agent)
    output = asyncio.run(Crew(agents=[agent], tasks=[task]).akickoff())
    assert output.raw == "done"
    assert observations(llm, native=native) == ["user 4 (limit 10)", "42"]


def test_options_for_a_toolproof_tool_belong_to_the_tool() -> None:
    def triple(n: int) -> int:
        """Triple a number."""
        return n * 3

    with pytest.raises(TypeError, match="give it timeout when you build it"):
        harden(toolproof.Tool.from_function(triple), timeout=1)


# --- harden_llm ----------------------------------------------------------------------------------


def test_harden_llm_routes_only_calls_to_hardened_tools_that_are_not_json_objects() -> None:
    model = crewai_llm([[("lookup_user", "[1]"), ("plain_tool", "[1]"), ("lookup_user", '{"user_id": 1}')]])
    routed = harden_llm(model)
    assert isinstance(routed, ScriptedCrewLLM) and harden_llm(routed) is routed

    agent = SimpleNamespace(tools=[harden(lookup_user), list_users])
    first, other, good = routed.call([{"role": "user", "content": "go"}], from_agent=agent)
    assert json.loads(first["function"]["arguments"]) == {RAW_ARGUMENTS: "[1]"}
    assert other["function"]["arguments"] == "[1]"
    assert good["function"]["arguments"] == '{"user_id": 1}'


# --- the scripted model --------------------------------------------------------------------------


def test_crewai_llm_answers_in_native_and_in_react_form() -> None:
    native = crewai_llm([[("a", {"x": 1}), ("b", "raw")], "final"])
    assert native.supports_function_calling()
    assert native.call("hi") == [
        {"id": "call_0_0", "type": "function", "function": {"name": "a", "arguments": '{"x": 1}'}},
        {"id": "call_0_1", "type": "function", "function": {"name": "b", "arguments": "raw"}},
    ]
    assert native.call("again") == "final"
    with pytest.raises(AssertionError, match="script has 2"):
        native.call("more")

    text = crewai_llm([("a", {"x": 1}), "final"], native=False)
    assert not text.supports_function_calling()
    assert text.call("hi") == 'Thought: I should use a\nAction: a\nAction Input: {"x": 1}'
    assert text.call("again").endswith("Final Answer: final")
    with pytest.raises(ValueError, match="one call per turn"):
        crewai_llm([[("a", {}), ("b", {})]], native=False)


# --- imports -------------------------------------------------------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_importing_without_crewai_names_the_extra_to_install() -> None:
    done = run_python(
        """
        import sys
        sys.modules["crewai"] = None
        import toolproof, toolproof.testing
        for module in ("toolproof.crewai", "toolproof.testing.crewai"):
            try:
                __import__(module)
            except ImportError as error:
                print(error)
        try:
            toolproof.testing.crewai_llm
        except ImportError as error:
            print(error)
        """
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 3, done.stderr
    assert all("pip install 'toolproof[crewai]'" in line for line in lines)


def test_import_toolproof_does_not_import_crewai() -> None:
    done = run_python(
        """
        import sys, toolproof, toolproof.testing
        print("crewai" in sys.modules)
        """
    )
    assert done.stdout.strip() == "False", done.stderr


# --- what CrewAI's users rely on, kept -------------------------------------------------------------


class SlackPost(BaseTool):
    name: str = "post"
    description: str = "Post a message to a channel."

    def _run(self, channel: str, text: str) -> Any:
        if channel != "#general":
            return ToolFailure(message="Slack rejected the message", code="channel_not_found")
        return f"posted to {channel}"


class Answer(BaseModel):
    query: str
    score: float


class Search(BaseTool):
    name: str = "search"
    description: str = "Search."
    result_schema: type[BaseModel] | None = Answer

    def _run(self, query: str) -> Answer:
        return Answer(query=query, score=0.5)

    async def _arun(self, query: str) -> Answer:
        return Answer(query=query, score=0.9)


def test_a_hardened_tool_is_an_instance_of_the_tools_own_class() -> None:
    hardened = harden(SlackPost())
    assert type(hardened).__name__ == "SlackPost" and isinstance(hardened, SlackPost)
    assert isinstance(hardened, HardenedTool) and hardened.tool_type.endswith("SlackPost")


def test_a_tool_failure_stays_a_failure_for_crewais_policy() -> None:
    from crewai.tools.tool_failure import ToolExecutionFailedError

    hardened = harden(SlackPost(tool_failure_policy="raise"))
    failure = hardened.run(channel="#random", text="hi")
    assert isinstance(failure, ToolFailure) and failure.code == "channel_not_found"
    script = [("post", {"channel": "#random", "text": "hi"}), "done"]
    with pytest.raises(ToolExecutionFailedError):
        kickoff([hardened], script, native=True)
    output, _ = kickoff([harden(SlackPost())], script, native=True)
    assert [record.failure.code for record in output.tool_failures] == ["channel_not_found"]


def test_runs_take_what_crewais_runs_take() -> None:
    search = harden(Search())
    assert search.run("crew") == Answer(query="crew", score=0.5)  # one positional value
    assert asyncio.run(search.arun(query="crew")) == Answer(query="crew", score=0.9)  # _arun
    assert search.format_output_for_agent(search.run(query="crew")) == '{"query":"crew","score":0.5}'


def test_a_refused_call_counts_no_use() -> None:
    limited = harden(Search(max_usage_count=1))
    with pytest.raises(ValueError, match="arguments validation failed"):
        limited.run(question="crew")
    assert limited.current_usage_count == 0
    assert limited.run(query="crew") == Answer(query="crew", score=0.5)
    spent = limited.run(query="crew")
    assert isinstance(spent, ToolFailure) and spent.reason is ToolFailureReason.USAGE_LIMIT


def test_tool_usage_events_name_the_tools_class_and_errors_emit_their_event() -> None:
    from crewai.events import crewai_event_bus
    from crewai.events.types.tool_usage_events import ToolUsageErrorEvent, ToolUsageFinishedEvent

    seen: list[Any] = []

    @tool("divide")
    def strict_divide(a: float, b: float) -> float:
        """Divide a by b."""
        return a / b

    with crewai_event_bus.scoped_handlers():
        crewai_event_bus.on(ToolUsageFinishedEvent)(lambda source, event: seen.append(event))
        crewai_event_bus.on(ToolUsageErrorEvent)(lambda source, event: seen.append(event))
        script = [("divide", {"a": 1, "b": 2}), ("divide", {"a": 1, "b": 0}), "done"]
        kickoff([harden(strict_divide)], script, native=False)
        crewai_event_bus.flush() if hasattr(crewai_event_bus, "flush") else None
    kinds = {type(event).__name__ for event in seen}
    assert {"ToolUsageFinishedEvent", "ToolUsageErrorEvent"} <= kinds
    finished = next(event for event in seen if isinstance(event, ToolUsageFinishedEvent))
    assert finished.tool_class != "HardenedTool"
