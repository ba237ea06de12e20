"""The pytest plugin and `toolproof check`, run as a user runs them: in real pytest sessions."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from toolproof.cli import main as toolproof_main

pytest_plugins = ["pytester"]

GOOD_TOOLS = '''
from typing import Literal
from toolproof import Registry, tool

@tool
def get_weather(city: str, days: int = 1, units: Literal["metric", "imperial"] = "metric") -> dict:
    """Weather for a city."""
    return {"city": city, "days": days, "units": units}

@tool
def convert(amount: float, currency: str) -> float:
    """Convert an amount to euros."""
    return amount * 0.9

REGISTRY = Registry([get_weather, convert])
'''

BAD_TOOLS = '''
import datetime as dt
from toolproof import tool

def search(query: str) -> list:
    """Search."""
    return []

def search_again(query: str) -> list:
    """Search again, under the same name."""
    return []
search_again.__name__ = "search"

def configure(options: dict) -> str:
    """Takes anything."""
    return "ok"

def histogram(counts: dict[str, int]) -> str:
    """A free-form dict of counts: no strict-mode form."""
    return "ok"

def created(name: str) -> dict:
    """Returns a datetime."""
    return {"name": name, "created_at": dt.datetime(2025, 1, 1)}

TOOLS = [search, search_again, configure, histogram, created]
'''

SHARED_STATE = '''
import time
from toolproof import Tool
from toolproof.testing import check_concurrency

HISTORY = []

def remember(question: str) -> str:
    """Remembers every question in a module-level list."""
    HISTORY.append(question)
    return question

class Search:
    """Keeps its query on self."""
    def __init__(self):
        self.last_query = None
    def __call__(self, query: str) -> str:
        self.last_query = query
        time.sleep(0.001)
        return f"results for {self.last_query}"

def test_remember():
    assert check_concurrency(remember, [{"question": "a"}, {"question": "b"}])

def test_search():
    assert check_concurrency(Tool.from_function(Search(), name="search"), [{"query": f"q{i}"} for i in range(4)], n=20)

def test_search_from_a_factory():
    assert check_concurrency(Tool.from_factory(Search), [{"query": f"q{i}"} for i in range(4)], n=20)
'''


def test_a_module_of_good_tools_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(tools_good=GOOD_TOOLS)
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            from tools_good import convert, get_weather
            from toolproof.testing import check_tool

            def test_get_weather():
                assert check_tool(get_weather, call=True)

            def test_convert():
                assert check_tool(convert, samples=[{"amount": 10, "currency": "USD"}])
            """
        )
    )
    result = pytester.runpytest_subprocess("--toolproof", "tools_good:REGISTRY", "-q")
    result.assert_outcomes(passed=5)


def test_each_bad_pattern_fails_naming_tool_field_and_fix(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(tools_bad=BAD_TOOLS)
    result = pytester.runpytest_subprocess("--toolproof", "tools_bad:TOOLS", "--toolproof-call", "-q")
    output = result.stdout.str()
    result.assert_outcomes(passed=2, failed=4)
    assert "tool name 'search' is used 2 times" in output
    assert "configure at properties.options.additionalProperties" in output
    assert "free-form object" in output and "declare the keys as properties" in output
    assert "parameter 'options' is a free-form dict" in output
    assert "histogram at properties.counts.additionalProperties" in output
    assert 'created at result["created_at"]' in output and "datetime.datetime" in output
    assert "an ISO string for a datetime" in output


def test_shared_state_is_named(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_shared=SHARED_STATE)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=1, failed=2)
    output = result.stdout.str()
    assert "module-level HISTORY" in output and "keep per-call data out of module-level objects" in output
    assert "self.last_query" in output and "Tool.from_factory" in output


def test_fixtures_and_the_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(tools_good=GOOD_TOOLS)
    pytester.makepyfile(
        test_loop=textwrap.dedent(
            """
            from toolproof import run_agent
            from tools_good import REGISTRY

            def test_loop(toolproof_fake_openai):
                model = toolproof_fake_openai([
                    [("get_weather", '{"City": "Oslo", "days": "2",}'), ("convert", '{"amount": 5, "currency": "USD"}')],
                    "Done.",
                ])
                result = run_agent(model, REGISTRY, [{"role": "user", "content": "?"}])
                assert result.final_text == "Done."

            def test_check_fixture(toolproof_check):
                from tools_good import get_weather
                assert toolproof_check(get_weather)
            """
        )
    )
    result = pytester.runpytest_subprocess("--toolproof-report", "-q")
    result.assert_outcomes(passed=2)
    output = result.stdout.str()
    assert "toolproof" in output
    assert "get_weather" in output and "renamed_key" in output and "trailing_comma" in output


def test_the_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest_subprocess("-p", "no:toolproof", "--toolproof", "x:y")
    assert result.ret != 0
    assert "unrecognized arguments: --toolproof" in result.stderr.str()


def test_check_command_passes_good_tools(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(tools_good=GOOD_TOOLS)
    pytester.syspathinsert()
    assert toolproof_main(["check", "tools_good:REGISTRY", "--strict"]) == 0
    output = capsys.readouterr().out
    assert "get_weather" in output and "ok" in output and "look ready" in output


def test_check_command_fails_bad_tools(pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    pytester.makepyfile(tools_bad=BAD_TOOLS)
    pytester.syspathinsert()
    assert toolproof_main(["check", "tools_bad:TOOLS", "--provider", "openai", "--strict"]) == 1
    output = capsys.readouterr().out
    assert "tool name 'search' is used 2 times" in output
    assert "would fail in production" in output
    assert toolproof_main(["check", "tools_bad:TOOLS", "--provider", "openai", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False
    by_tool = {entry["tool"]: entry for entry in document["tools"]}
    assert by_tool["configure"]["problems"][0]["location"] == "parameters.options"
    assert by_tool["created"]["ok"] is True


def test_check_command_reports_an_unloadable_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert toolproof_main(["check", "no_such_module_here:tools"]) == 2
    assert "cannot load" in capsys.readouterr().err


def _problem_counts(output: str) -> dict[str, tuple[str, list[str]]]:
    """Each tool's status line and the markers ("error"/"warn") of the problems printed under it."""
    tools: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in output.splitlines():
        if line.startswith("    ") and line.strip().split(" ")[0] in ("error", "warn"):
            assert current is not None
            tools[current][1].append(line.strip().split(" ")[0])
        elif line and not line.startswith((" ", "-", "tool ", "error:")) and "checked" not in line:
            current, status = line.split(maxsplit=1)
            tools[current] = (status, [])
    return tools


def test_check_command_counts_match_the_marked_problems(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))
    assert toolproof_main(["check", "examples.support_tools:TOOLS", "--provider", "openai"]) == 1
    relaxed = _problem_counts(capsys.readouterr().out)
    assert relaxed["update_profile"] == ("1 warning(s)", ["warn"])
    assert toolproof_main(["check", "examples.support_tools:TOOLS", "--provider", "openai", "--strict"]) == 1
    strict = _problem_counts(capsys.readouterr().out)
    # Under --strict a warning fails the run, so it is counted and marked as an error.
    assert strict["update_profile"] == ("2 error(s)", ["error", "error"])
    assert strict["tag_counts"] == ("1 error(s)", ["error"])
    assert strict["refund"] == ("ok", [])
