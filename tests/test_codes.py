"""Result codes and failure kinds are the core's one list each; what a tool raises is classified
with their members, and the engine reads them back."""

from __future__ import annotations

from typing import Any

import pytest
import toolproof
from toolproof import FailureKind, Registry, ResultCode, ToolCall, _core, tool
from toolproof._classify import classify


def test_failure_kinds_are_the_cores_one_list() -> None:
    assert [kind.value for kind in FailureKind] == _core.failure_kinds()
    assert toolproof.codes.FailureKind is FailureKind


@pytest.mark.parametrize(
    ("error", "kind", "code"),
    [
        (toolproof.RetryableError("busy"), FailureKind.RETRYABLE, ResultCode.RETRYABLE_ERROR),
        (toolproof.PermanentError("no"), FailureKind.PERMANENT, ResultCode.TOOL_ERROR),
        (TimeoutError(), FailureKind.RETRYABLE, ResultCode.UPSTREAM_UNAVAILABLE),
        (PermissionError("/etc/shadow"), FailureKind.PERMANENT, ResultCode.PERMISSION_DENIED),
        (ValueError("bad"), FailureKind.PERMANENT, ResultCode.TOOL_ERROR),
        (RuntimeError("bug"), FailureKind.UNEXPECTED, ResultCode.UNEXPECTED_ERROR),
    ],
)
def test_the_classifier_speaks_in_members_of_the_lists(
    error: BaseException, kind: FailureKind, code: ResultCode
) -> None:
    classified = classify(error, "t")
    assert classified.kind is kind
    assert classified.code == code
    assert ResultCode(classified.code) is code


def test_each_kind_is_handled_as_it_says() -> None:
    attempts: dict[str, int] = {}

    def failing(error: BaseException) -> Any:
        def run(name: str) -> str:
            attempts[name] = attempts.get(name, 0) + 1
            raise error

        return run

    tools = [
        tool(
            failing(toolproof.RetryableError("busy")),
            name="retryable",
            retry=toolproof.Retry(attempts=3, initial_delay=0),
        ),
        tool(
            failing(PermissionError("no")),
            name="permanent",
            retry=toolproof.Retry(attempts=3, initial_delay=0),
        ),
        tool(
            failing(RuntimeError("bug")),
            name="unexpected",
            retry=toolproof.Retry(attempts=3, initial_delay=0),
        ),
    ]
    names = ["retryable", "permanent", "unexpected"]
    results = Registry(tools).dispatch([ToolCall(name, name, {"name": name}) for name in names])
    assert [(r.name, r.error["code"] if r.error else None) for r in results] == [
        ("retryable", ResultCode.RETRYABLE_ERROR),
        ("permanent", ResultCode.PERMISSION_DENIED),
        ("unexpected", ResultCode.UNEXPECTED_ERROR),
    ]
    assert attempts == {"retryable": 3, "permanent": 1, "unexpected": 1}
