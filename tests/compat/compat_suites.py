"""The frameworks' own tool tests, vendored under ``suites/``, and how to run them.

Each suite runs twice in a fresh interpreter: alone, and with toolproof swapped in
(``harness/swaps.py``). ``compare`` tells the tests that pass alone but not swapped.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUITES_FOLDER = HERE / "suites"
HARNESS = HERE / "harness"
DIFFERENCES = HERE.parent.parent / "docs" / "compatibility.md"

# A whole suite must finish well inside this; one test has pytest-timeout's 60 s (suite pytest.ini).
RUN_TIMEOUT = 900


@dataclass(frozen=True)
class Suite:
    name: str
    label: str
    """How the framework is named in the summary line."""
    files: tuple[str, ...]


SUITES = (
    Suite(
        "langgraph",
        "LangGraph prebuilt 1.1.3 (ToolNode)",
        (
            "tests/test_tool_node.py",
            "tests/test_on_tool_call.py",
            "tests/test_tool_node_interceptor_unregistered.py",
            "tests/test_tool_node_validation_error_filtering.py",
            "tests/test_injected_state_not_required.py",
            "tests/test_tool_call_transformer.py",
            "tests/test_react_agent.py",
        ),
    ),
    Suite("langchain_core", "langchain-core 1.7.7 (@tool)", ("tests/unit_tests/test_tools.py",)),
    Suite(
        "autogen_core",
        "autogen-core 0.7.5 (FunctionTool)",
        (
            "tests/test_tools.py",
            "tests/test_tool_agent.py",
            "tests/test_workbench.py",
            "tests/test_static_workbench_overrides.py",
            "tests/test_component_config.py",
        ),
    ),
    Suite(
        "autogen_agentchat",
        "autogen-agentchat 0.7.5 (AssistantAgent tools)",
        ("tests/test_assistant_agent.py",),
    ),
    Suite(
        "crewai",
        "CrewAI 1.15.30 (BaseTool, @tool)",
        (
            "tests/tools/test_async_tools.py",
            "tests/tools/test_base_tool.py",
            "tests/tools/test_structured_tool.py",
            "tests/tools/test_tool_failure.py",
            "tests/tools/test_tool_usage.py",
            "tests/tools/test_tool_usage_error_attribution.py",
            "tests/tools/test_tool_usage_limit.py",
            "tests/test_tool_cache_default.py",
            "tests/agents/test_native_tool_hook_contract.py",
        ),
    ),
)


COUNTS: dict[str, str] = {}
"""Suite label -> its summary line (passed alone / passed swapped), printed after the session."""


@dataclass
class Run:
    outcomes: dict[str, dict[str, str]]
    output: str

    def passed(self) -> set[str]:
        return {test for test, entry in self.outcomes.items() if entry["outcome"] in ("passed", "xfailed")}


def run_suite(suite: Suite, *, swapped: bool) -> Run:
    """One pytest run of ``suite`` in its own interpreter, its own folder as the root."""
    folder = SUITES_FOLDER / suite.name
    with tempfile.TemporaryDirectory(prefix="toolproof-compat-") as scratch:
        report = os.path.join(scratch, "outcomes.json")
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "compat_plugin",
            "-p",
            "no:cacheprovider",
            "--compat-report",
            report,
            "-o",
            "addopts=",
            *(["--compat-swap", suite.name] if swapped else []),
            *suite.files,
        ]
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(HARNESS), str(folder), *filter(None, [environment.get("PYTHONPATH")])]
        )
        environment.setdefault("OPENAI_API_KEY", "sk-compat-tests-never-sent")
        environment["HOME"] = scratch
        process = subprocess.Popen(
            command,
            cwd=folder,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            output, _ = process.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            output += f"\n(the run was stopped after {RUN_TIMEOUT} s)"
        outcomes: dict[str, dict[str, str]] = {}
        if os.path.exists(report):
            with open(report, encoding="utf-8") as file:
                for line in file:
                    entry = json.loads(line)
                    outcomes[entry.pop("test")] = entry
    return Run(outcomes, output[-20_000:])


@dataclass
class Difference:
    title: str
    tests: set[str] = field(default_factory=set)


def documented_differences() -> dict[str, Difference]:
    """Test id -> its entry in docs/compatibility.md: each ``### `` heading under "Deliberate
    differences", with the test ids listed in backticks on its ``Tests:`` lines."""
    by_test: dict[str, Difference] = {}
    current: Difference | None = None
    for line in DIFFERENCES.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            current = Difference(line[4:].strip())
        elif current is not None and line.lstrip("- ").startswith("Tests:"):
            for test in re.findall(r"`([^`]+::[^`]+)`", line):
                current.tests.add(test)
                by_test[test] = current
    return by_test
