"""Every Python block in README.md runs as written.

The blocks run in order in one namespace, as a reader pastes them one after another. A block that
talks to OpenAI reaches a Chat Completions endpoint on loopback (through ``OPENAI_BASE_URL``, which
the SDK reads) that answers the way the API does: it calls the tools it was sent, with arguments made
from their schemas, and refuses a conversation the API would refuse, such as tool results that do
not follow the assistant turn that asked for them.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from toolproof.testing import example_arguments

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks() -> list[tuple[int, str]]:
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start()) + 1, match.group(1)) for match in BLOCK.finditer(text)]


def conversation_problem(messages: list[dict[str, Any]]) -> str | None:
    """What the Chat Completions API would refuse in ``messages``, or None."""
    asked: set[str] = set()
    for index, message in enumerate(messages):
        role = message.get("role")
        if role == "assistant":
            asked = {call["id"] for call in message.get("tool_calls") or []}
        elif role == "tool":
            if message.get("tool_call_id") not in asked:
                return (
                    f"Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                    f"message with 'tool_calls' (messages.[{index}].role)"
                )
            asked.discard(message["tool_call_id"])
        else:
            if asked:
                return (
                    "An assistant message with 'tool_calls' must be followed by tool messages "
                    f"responding to each 'tool_call_id'. The following tool_call_ids did not have "
                    f"response messages: {', '.join(sorted(asked))}"
                )
            asked = set()
    return None


def completion(request: dict[str, Any]) -> dict[str, Any]:
    """The model's answer: a call of every tool it was sent, then, once results came back, text."""
    messages = request["messages"]
    message: dict[str, Any]
    if messages[-1].get("role") == "tool" or not request.get("tools"):
        message = {"role": "assistant", "content": "Done: every call came back."}
        finish = "stop"
    else:
        calls = []
        for position, definition in enumerate(request["tools"]):
            function = definition["function"]
            [arguments] = example_arguments(function["parameters"], count=1, seed=position)
            calls.append(
                {
                    "id": f"call_{len(messages)}_{position}",
                    "type": "function",
                    "function": {"name": function["name"], "arguments": json.dumps(arguments)},
                }
            )
        message = {"role": "assistant", "content": None, "tool_calls": calls}
        finish = "tool_calls"
    return {
        "id": "chatcmpl-readme",
        "object": "chat.completion",
        "created": 1_760_000_000,
        "model": request.get("model", "gpt-4.1"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class ChatCompletions(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(body)
        if not self.path.endswith("/chat/completions"):
            self.answer(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
            return
        problem = conversation_problem(body["messages"])
        if problem is not None:
            self.answer(400, {"error": {"message": problem, "type": "invalid_request_error"}})
            return
        self.answer(200, completion(body))

    def answer(self, status: int, document: dict[str, Any]) -> None:
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def openai_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    requests: list[dict[str, Any]] = []
    handler = type("Handler", (ChatCompletions,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-readme")
    try:
        yield requests
    finally:
        server.shutdown()
        server.server_close()


def test_the_readme_has_python_blocks():
    assert len(python_blocks()) >= 5


def test_every_python_block_runs_as_written(openai_endpoint: list[dict[str, Any]]) -> None:
    namespace: dict[str, Any] = {"__name__": "readme"}
    for line, source in python_blocks():
        code = compile(source, f"README.md, block at line {line}", "exec")
        exec(code, namespace)
        # A block that defines tests is a test file a user would write: its tests pass too.
        for name in re.findall(r"^def (test_\w+)\(\):", source, re.MULTILINE):
            namespace[name]()
    assert openai_endpoint, "no block talked to the model"
    assert all(conversation_problem(request["messages"]) is None for request in openai_endpoint)
