"""run_agent with scripted model outputs in OpenAI and Anthropic formats (the SDKs' own types)."""

from __future__ import annotations

import asyncio
import json

import anthropic.types
import openai.types.chat
import pytest
from toolproof import Registry, arun_agent, run_agent, tool


@tool
def get_weather(city: str) -> dict:
    """Weather for a city."""
    return {"city": city, "temperature_c": 21}


@tool
def convert(celsius: float) -> float:
    """Celsius to Fahrenheit."""
    return celsius * 9 / 5 + 32


REGISTRY = Registry([get_weather, convert])


def openai_response(
    *calls: tuple[str, str, str], text: str | None = None
) -> openai.types.chat.ChatCompletion:
    tool_calls = [
        {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
        for call_id, name, arguments in calls
    ]
    message = {"role": "assistant", "content": text, "tool_calls": tool_calls or None}
    return openai.types.chat.ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "scripted",
            "choices": [{"index": 0, "finish_reason": "tool_calls" if calls else "stop", "message": message}],
        }
    )


def anthropic_response(*calls: tuple[str, str, dict], text: str | None = None) -> anthropic.types.Message:
    content: list[dict] = [{"type": "text", "text": text}] if text else []
    content += [
        {"type": "tool_use", "id": call_id, "name": name, "input": arguments}
        for call_id, name, arguments in calls
    ]
    return anthropic.types.Message.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "scripted",
            "content": content,
            "stop_reason": "tool_use" if calls else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
    )


class ScriptedModel:
    """Answers with the scripted responses in turn, remembering what it was sent."""

    def __init__(self, responses):
        self.responses = list(responses)
        self.received: list[list] = []

    def __call__(self, messages):
        self.received.append(json.loads(json.dumps(messages, default=str)))
        return self.responses.pop(0)


def test_openai_loop_runs_tools_and_feeds_results_back():
    model = ScriptedModel(
        [
            openai_response(
                ("c1", "get_weather", '{"city": "Paris"}'), ("c2", "get_weather", '{"City": "Rome",}')
            ),
            openai_response(("c3", "convert", '{"celsius": "21"}')),
            openai_response(text="Paris and Rome are both 21 °C (69.8 °F)."),
        ]
    )
    result = run_agent(model, REGISTRY, [{"role": "user", "content": "Weather in Paris and Rome?"}])
    assert result.stop_reason == "final_answer"
    assert result.iterations == 3
    assert result.final_text.startswith("Paris and Rome")
    assert [r.ok for r in result.results] == [True, True, True]
    second_turn = model.received[1]
    assert second_turn[1]["role"] == "assistant"
    assert [c["id"] for c in second_turn[1]["tool_calls"]] == ["c1", "c2"]
    tool_messages = [m for m in second_turn if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["c1", "c2"]
    assert json.loads(tool_messages[1]["content"]) == {"city": "Rome", "temperature_c": 21}
    third_turn = model.received[2]
    assert third_turn[-1] == {"role": "tool", "tool_call_id": "c3", "content": "69.8"}
    assert result.messages[-1] == {"role": "assistant", "content": result.final_text}


def test_anthropic_loop_sends_all_results_in_one_user_message():
    model = ScriptedModel(
        [
            anthropic_response(
                ("toolu_1", "get_weather", {"city": "Oslo"}),
                ("toolu_2", "get_weather", {}),
                text="Checking.",
            ),
            anthropic_response(text="Oslo is 21 °C."),
        ]
    )
    result = run_agent(model, REGISTRY, [{"role": "user", "content": "Weather in Oslo?"}])
    assert result.stop_reason == "final_answer" and result.final_text == "Oslo is 21 °C."
    second_turn = model.received[1]
    assistant, user = second_turn[1], second_turn[2]
    assert assistant["role"] == "assistant"
    assert [block["type"] for block in assistant["content"]] == ["text", "tool_use", "tool_use"]
    assert user["role"] == "user"
    assert [block["tool_use_id"] for block in user["content"]] == ["toolu_1", "toolu_2"]
    assert [block["is_error"] for block in user["content"]] == [False, True]
    assert "city: required" in user["content"][1]["content"]


def test_the_same_call_over_and_over_stops_the_loop():
    same = openai_response(("x", "get_weather", '{"city": "Paris"}'))
    model = ScriptedModel([same, same, same, same])
    result = run_agent(model, REGISTRY, [{"role": "user", "content": "?"}], max_repeats=2)
    assert result.stop_reason == "repeated_call"
    assert result.iterations == 3
    assert "get_weather" in result.final_text and "same arguments" in result.final_text
    assert len(result.results) == 2


def test_the_iteration_limit_ends_with_a_clear_message():
    responses = [
        openai_response((f"c{i}", "get_weather", json.dumps({"city": f"City {i}"}))) for i in range(5)
    ]
    result = run_agent(
        ScriptedModel(responses), REGISTRY, [{"role": "user", "content": "?"}], max_iterations=3
    )
    assert result.stop_reason == "max_iterations"
    assert result.iterations == 3
    assert result.final_text == "Stopped after 3 model calls without a final answer."


def test_async_loop_with_an_async_model():
    script = [anthropic_response(("t1", "convert", {"celsius": 100})), anthropic_response(text="212 °F")]

    async def model(messages):
        await asyncio.sleep(0)
        return script.pop(0)

    result = asyncio.run(arun_agent(model, REGISTRY, [{"role": "user", "content": "100 °C?"}]))
    assert result.final_text == "212 °F"
    assert result.results[0].content == "212.0"


def test_an_unknown_response_shape_asks_for_the_provider():
    with pytest.raises(TypeError, match="provider="):
        run_agent(lambda messages: object(), REGISTRY, [])
