"""``toolproof check MODULE:OBJECT``: audit tool definitions before they reach production."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

from toolproof._core import __version__, max_tools
from toolproof.testing.checks import CheckReport, audit_tool
from toolproof.testing.targets import load_target, tools_of

PROVIDERS = ("openai", "anthropic", "gemini")


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="toolproof", description="Make LLM tool calling dependable.")
    parser.add_argument("--version", action="version", version=f"toolproof {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check",
        help="audit the tool definitions at MODULE:OBJECT",
        description="Audit tool definitions: names, duplicates, provider export, the schema against the "
        "function's signature, loose parameters, provider limits. Exits 1 when something would fail.",
    )
    check.add_argument("target", metavar="MODULE:OBJECT", help="a Registry, a list of tools, or one tool")
    check.add_argument(
        "--provider",
        action="append",
        choices=PROVIDERS,
        help="check for this provider (repeatable; all three by default)",
    )
    check.add_argument(
        "--strict",
        action="store_true",
        help="export in the providers' strict modes, and fail on warnings (loose parameters) too",
    )
    check.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    return parser.parse_args(argv)


def audit(target: str, providers: Sequence[str], strict: bool) -> tuple[list[CheckReport], list[str]]:
    """Every tool's report, and the problems of the set as a whole (duplicates, limits)."""
    found = tools_of(load_target(target))
    reports = [audit_tool(tool, providers=providers, strict=strict) for _, tool in found]
    overall = []
    names: dict[str, int] = {}
    for report in reports:
        names[report.tool] = names.get(report.tool, 0) + 1
    for name, count in names.items():
        if count > 1:
            overall.append(
                f"tool name '{name}' is used {count} times: a model cannot tell them apart and one would "
                "silently replace the other (fix: rename them)"
            )
    for provider in providers:
        limit = max_tools(provider, strict)  # type: ignore[arg-type]
        if limit is not None and len(reports) > limit:
            overall.append(
                f"{len(reports)} tools is more than {provider} accepts in one request ({limit}) "
                "(fix: send each request only the tools it needs)"
            )
    return reports, overall


def _print_table(reports: Sequence[CheckReport], overall: Sequence[str], strict: bool) -> None:
    width = max([len(r.tool) for r in reports] + [4])
    print(f"{'tool':{width}}  status")
    print("-" * (width + 60))
    for report in reports:
        errors, warnings = len(report.errors), len(report.warnings)
        if strict:
            # --strict fails on warnings, so they are counted and marked as the errors they become.
            errors, warnings = errors + warnings, 0
        if not report.problems:
            status = "ok"
        else:
            status = ", ".join(
                part
                for part in (
                    f"{errors} error(s)" if errors else "",
                    f"{warnings} warning(s)" if warnings else "",
                )
                if part
            )
        print(f"{report.tool:{width}}  {status}")
        for problem in report.problems:
            marker = "error" if problem.severity == "error" or strict else "warn "
            where = f" at {problem.location}" if problem.location else ""
            text = f"{marker} [{problem.check}]{where}: {problem.message}"
            print(textwrap.indent(textwrap.fill(text, 100, subsequent_indent="      "), "    "))
            if problem.fix:
                print(
                    textwrap.indent(
                        textwrap.fill(f"fix: {problem.fix}", 100, subsequent_indent="     "), "      "
                    )
                )
    for line in overall:
        print(f"error: {line}")
    print("-" * (width + 60))


def _failed(reports: Sequence[CheckReport], overall: Sequence[str], strict: bool) -> bool:
    return bool(overall) or any(r.errors or (strict and r.warnings) for r in reports)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _arguments(argv)
    providers = arguments.provider or list(PROVIDERS)
    try:
        reports, overall = audit(arguments.target, providers, arguments.strict)
    except (ImportError, ValueError) as error:
        print(f"toolproof check: cannot load {arguments.target}: {error}", file=sys.stderr)
        return 2
    failed = _failed(reports, overall, arguments.strict)
    if arguments.json:
        document: dict[str, Any] = {
            "target": arguments.target,
            "providers": providers,
            "strict": arguments.strict,
            "ok": not failed,
            "tools": [
                {
                    "tool": r.tool,
                    "problems": [vars(p) for p in r.problems],
                    "ok": not (r.errors or (arguments.strict and r.warnings)),
                }
                for r in reports
            ],
            "overall": list(overall),
        }
        print(json.dumps(document, indent=2))
    else:
        _print_table(reports, overall, arguments.strict)
        verdict = "would fail in production" if failed else "look ready"
        print(f"{len(reports)} tool(s) checked for {', '.join(providers)}: they {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
