"""An AutoGen AssistantAgent, before and after toolproof. Offline: the model is scripted.

The scripted model does what real models do now and then, all in one turn of parallel calls:
camelCase keys with a number as a string, arguments cut short by the token limit, blank arguments
for a tool without parameters. The tools do what real tools do: return a datetime, hit an upstream
that drops the first connection. With the plain tools every call fails or sends the model a Python
repr; with `harden` (and `harden_client` for the arguments AssistantAgent parses itself) the same
run answers every call.

Run it: python examples/autogen_agent.py
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.messages import ToolCallExecutionEvent
from toolproof import Retry
from toolproof.autogen import harden_all, harden_client
from toolproof.testing import autogen_client


def book_room(room_name: str, start: dt.datetime, hours: int) -> dict[str, Any]:
    """Book a meeting room.

    Args:
        room_name: The room's name.
        start: When the meeting starts (ISO 8601).
        hours: How many hours to book it for.
    """
    return {"room": room_name, "start": start, "end": start + dt.timedelta(hours=hours)}


def list_rooms() -> list[str]:
    """The rooms that can be booked."""
    return ["Fjord", "Glacier"]


def make_room_status() -> Callable[[str], str]:
    attempts = {"count": 0}

    def room_status(room_name: str) -> str:
        """Whether a room is free now."""
        attempts["count"] += 1
        if attempts["count"] == 1:
            raise ConnectionError("connection reset by peer")
        return f"{room_name} is free"

    return room_status


def script() -> list[Any]:
    """What the model answers: one turn of parallel calls, then its final answer."""
    return [
        [
            ("book_room", {"roomName": "Fjord", "start": "2025-06-02T10:00:00", "hours": "2"}),
            ("room_status", '{"room_name": "Glacier"'),
            ("list_rooms", ""),
        ],
        "Booked the Fjord room; Glacier is free too.",
    ]


async def run(title: str, tools: list[Any], model_client: Any) -> None:
    agent = AssistantAgent("assistant", model_client=model_client, tools=tools, max_tool_iterations=2)
    result = await agent.run(task="Book the Fjord room on June 2nd at 10 for two hours; is Glacier free?")
    print(f"\n== {title}")
    for message in result.messages:
        if isinstance(message, ToolCallExecutionEvent):
            for call in message.content:
                status = "ERROR" if call.is_error else "ok   "
                print(f"  {status} {call.name}: {call.content.splitlines()[0][:110]}")
    print(f"  final answer: {result.messages[-1].content}")


async def main() -> None:
    # The replay client warns that it counts tokens of text messages only; irrelevant here.
    logging.getLogger("autogen_core.events").setLevel(logging.ERROR)
    plain = [book_room, make_room_status(), list_rooms]
    await run("plain AutoGen tools", plain, autogen_client(script()))

    hardened = harden_all(
        [book_room, make_room_status(), list_rooms],
        retry=Retry(attempts=3, initial_delay=0.05),
        timeout=10,
    )
    await run("hardened with toolproof", hardened, harden_client(autogen_client(script())))


if __name__ == "__main__":
    asyncio.run(main())
