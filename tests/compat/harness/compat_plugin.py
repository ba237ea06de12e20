"""The pytest plugin every compat sub-run loads (``-p compat_plugin``).

``--compat-swap=<suite>`` swaps toolproof in for the framework names the suite's test modules
import, the way a user switching to toolproof edits their imports: while a module under the suite's
folder runs an import statement, ``from langgraph.prebuilt import ToolNode`` binds toolproof's
``ToolNode`` instead (see ``swaps.py`` for each suite's table). Nothing else changes: the
frameworks' own modules, and every name not in the table, stay as they are, and no test body is
edited.

``--compat-report=<file>`` writes each test's outcome (and the first lines of a failure) as JSON,
for the driver in ``tests/compat/test_compat.py`` to compare the two runs.
"""

from __future__ import annotations

import builtins
import importlib
import json
import os
import types
from pathlib import Path
from typing import Any

import pytest
from swaps import SWAPS

_FAILURE_LINES = 40


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("compat")
    group.addoption("--compat-swap", default=None, help="swap toolproof in for this suite's framework names")
    group.addoption("--compat-report", default=None, help="write each test's outcome here as JSON")


def pytest_configure(config: pytest.Config) -> None:
    suite = config.getoption("--compat-swap")
    if suite:
        install_swap(Path(str(config.rootpath)), SWAPS[suite])
    report = config.getoption("--compat-report")
    if report:
        config.pluginmanager.register(_OutcomeRecorder(report), "compat-outcomes")


# -- the swap --------------------------------------------------------------------------------------


class _SwappedModule(types.ModuleType):
    """A framework module as a swapped test module sees it: the swapped names are toolproof's,
    every other attribute is the module's own."""

    def __init__(self, module: types.ModuleType, replacements: dict[str, Any]) -> None:
        super().__init__(module.__name__, module.__doc__)
        self.__dict__["_module"] = module
        self.__dict__.update(replacements)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_module"], name)


def _absolute_name(name: str, globals: dict[str, Any] | None, level: int) -> str:
    if level == 0 or not globals:
        return name
    package = globals.get("__package__") or ""
    base = package.rsplit(".", level - 1)[0] if level > 1 else package
    return f"{base}.{name}" if name else base


def _load(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def install_swap(root: Path, table: dict[str, dict[str, str]]) -> None:
    """Route the ``from <module> import <name>`` statements of modules under ``root`` through
    ``table`` (module -> name -> ``"package.module:attribute"`` of the replacement)."""
    stock_import = builtins.__import__
    folder = str(root.resolve()) + os.sep
    resolved: dict[str, dict[str, Any]] = {}

    def replacements_for(module_name: str) -> dict[str, Any]:
        if module_name not in resolved:
            resolved[module_name] = {name: _load(target) for name, target in table[module_name].items()}
        return resolved[module_name]

    def swapping_import(
        name: str,
        globals: dict[str, Any] | None = None,
        locals: dict[str, Any] | None = None,
        fromlist: Any = (),
        level: int = 0,
    ) -> Any:
        module = stock_import(name, globals, locals, fromlist, level)
        if not fromlist or not globals:
            return module
        importer = globals.get("__file__") or ""
        if not importer.startswith(folder):
            return module
        absolute = _absolute_name(name, globals, level)
        if absolute not in table or not any(item in table[absolute] for item in fromlist):
            return module
        return _SwappedModule(module, replacements_for(absolute))

    builtins.__import__ = swapping_import


# -- outcomes --------------------------------------------------------------------------------------


class _OutcomeRecorder:
    """Appends one JSON line per finished test, so a run cut short still tells what it did."""

    def __init__(self, path: str) -> None:
        self.file = open(path, "w", encoding="utf-8")
        self.current: dict[str, dict[str, str]] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = self.current.setdefault(report.nodeid, {"outcome": "passed", "detail": ""})
        if report.passed and report.when == "call" and hasattr(report, "wasxfail"):
            entry["outcome"] = "xpassed"
        elif report.failed:
            if entry["outcome"] == "passed":
                entry["outcome"] = "failed" if report.when == "call" else "error"
                entry["detail"] = _tail(report.longreprtext)
        elif report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        if report.when == "teardown":
            self._write(report.nodeid, self.current.pop(report.nodeid))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._write(
                report.nodeid or "<collection>", {"outcome": "error", "detail": _tail(report.longreprtext)}
            )

    def _write(self, test: str, entry: dict[str, str]) -> None:
        self.file.write(json.dumps({"test": test, **entry}) + "\n")
        self.file.flush()

    def pytest_sessionfinish(self) -> None:
        self.file.close()


def _tail(text: str) -> str:
    return "\n".join(text.splitlines()[-_FAILURE_LINES:])
