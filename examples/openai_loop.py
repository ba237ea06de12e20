"""A raw OpenAI SDK agent loop, before and after toolproof. Offline: the model is scripted.

The hand-written loop below is the one most code starts with. The scripted model does what real
models do now and then: camelCase keys, a number as a string, a trailing comma. The loop breaks on
the first of them; `run_agent` with a Registry gets through the same conversation.
"""

from __future__ import annotations

import datetime as dt
import json

from toolproof import Registry, run_agent, tool
from toolproof.testing import fake_openai


def book_meeting(room: str, start: dt.datetime, hours: int) -> dict:
    """Book a meeting room.

    Args:
        room: The room's name.
        start: When the meeting starts (ISO 8601).
        hours: How many hours to book it for.
    """
    return {"room": room, "start": start, "end": start + dt.timedelta(hours=hours), "confirmed": True}


def script():
    """What the model answers, turn by turn."""
    return [
        [("book_meeting", '{"room": "Fjord", "start": "2025-06-02T10:00:00", "hours": "2",}')],
        "The Fjord room is booked from 10:00 to 12:00.",
    ]


QUESTION = [{"role": "user", "content": "Book the Fjord room on June 2nd at 10 for two hours."}]


def hand_written_loop() -> None:
    """The usual loop: json.loads the arguments, call the function, json.dumps the result."""
    client = fake_openai(script())
    messages = list(QUESTION)
    functions = {"book_meeting": book_meeting}
    while True:
        response = client.chat.completions.create(model="any", messages=messages)
        message = response.choices[0].message
        if not message.tool_calls:
            print("final answer:", message.content)
            return
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            arguments = json.loads(call.function.arguments)
            result = functions[call.function.name](**arguments)
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})


def with_toolproof() -> None:
    registry = Registry([tool(book_meeting)])
    client = fake_openai(script())
    result = run_agent(
        lambda messages: client.chat.completions.create(
            model="any", messages=messages, tools=registry.schemas("openai")
        ),
        registry,
        QUESTION,
    )
    for tool_result in result.results:
        kinds = ", ".join(sorted({r.kind for r in tool_result.repairs}))
        print(f"tool {tool_result.name}: {tool_result.content}")
        print(f"  repaired on the way: {kinds}")
    print(f"final answer ({result.stop_reason} after {result.iterations} model calls): {result.final_text}")


if __name__ == "__main__":
    print("== before: the hand-written loop ==")
    try:
        hand_written_loop()
    except Exception as error:
        print(f"the loop crashed: {type(error).__name__}: {error}")
    print("\n== after: the same conversation through toolproof ==")
    with_toolproof()
