"""Provider formats: calls read from every SDK's objects and plain dicts, and the messages written
back checked against the SDKs' own request types."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import toolproof
from anthropic.types import Message, MessageParam, ToolUseBlock
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
    ChatCompletionToolMessageParam,
)
from openai.types.responses import Response, ResponseInputItemParam
from pydantic import TypeAdapter
from toolproof import (
    ArgumentError,
    Registry,
    Tool,
    ToolCall,
    ToolResult,
    assistant_message,
    results_to_messages,
    to_tool_calls,
)
from typing_extensions import TypedDict

PROVIDERS = ["openai", "openai-responses", "anthropic", "gemini"]


def conforms(request_type: Any, value: Any) -> bool:
    """True when ``value`` validates as the SDK's request TypedDict with no key left unknown.

    The SDKs' TypedDicts ignore extra keys and validate ``Iterable`` fields lazily, so the
    validated value is drawn out in full and compared with the original. The adapter must outlive
    that: lazy validators keep no reference to it.
    """
    adapter = _adapter(request_type)
    return _drawn_out(adapter.validate_python(value)) == value


@functools.cache
def _adapter(request_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(request_type)


def _drawn_out(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _drawn_out(item) for key, item in value.items()}
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value
    return [_drawn_out(item) for item in value]


def summary(calls: list[ToolCall]) -> list[tuple[str, str, Any]]:
    return [(call.id, call.name, call.arguments) for call in calls]


# --------------------------------------------------------------------------------------------
# Objects the SDKs return


def chat_completion(message: dict[str, Any]) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "gpt-4.1",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": message}],
        }
    )


OPENAI_MESSAGE: dict[str, Any] = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {"id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": '{"tz": "CET"'}},
        # A custom tool's free-form input is not a function call for the argument road.
        {"id": "call_c", "type": "custom", "custom": {"name": "sql", "input": "SELECT 1"}},
    ],
}
OPENAI_CALLS = [
    ("call_a", "get_weather", '{"city": "Paris"}'),
    ("call_b", "get_time", '{"tz": "CET"'),
]

RESPONSE: dict[str, Any] = {
    "id": "resp_1",
    "object": "response",
    "created_at": 0,
    "model": "gpt-5",
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
    "output": [
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Checking.", "annotations": []}],
        },
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_x",
            "name": "get_weather",
            "arguments": '{"city": "Oslo"}',
        },
        {"type": "function_call", "id": "fc_2", "call_id": "call_y", "name": "get_time", "arguments": "{}"},
    ],
}

ANTHROPIC_MESSAGE: dict[str, Any] = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5",
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 10, "output_tokens": 20},
    "content": [
        {"type": "thinking", "thinking": "Two lookups.", "signature": "sig"},
        {"type": "text", "text": "Let me check both."},
        {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Lima"}},
        {"type": "tool_use", "id": "toolu_02", "name": "get_time", "input": {}},
    ],
}

GEMINI_RESPONSE: dict[str, Any] = {
    "candidates": [
        {
            "content": {
                "role": "model",
                "parts": [
                    {"text": "Looking it up."},
                    {
                        "functionCall": {"name": "get_weather", "args": {"city": "Rome"}},
                        "thoughtSignature": "c2ln",
                    },
                    {"functionCall": {"name": "get_time", "args": {"tz": "CET"}, "id": "fc-7"}},
                ],
            },
            "finishReason": "STOP",
        }
    ]
}
GEMINI_CALLS = [("call_0", "get_weather", {"city": "Rome"}), ("fc-7", "get_time", {"tz": "CET"})]


class TestOpenAIChat:
    def test_chat_completion(self) -> None:
        calls = to_tool_calls(chat_completion(OPENAI_MESSAGE))
        assert summary(calls) == OPENAI_CALLS

    def test_choice_message_and_tool_call_objects(self) -> None:
        completion = chat_completion(OPENAI_MESSAGE)
        message = completion.choices[0].message
        assert isinstance(message, ChatCompletionMessage)
        assert summary(to_tool_calls(completion.choices[0])) == OPENAI_CALLS
        assert summary(to_tool_calls(message)) == OPENAI_CALLS
        first = message.tool_calls[0] if message.tool_calls else None
        assert isinstance(first, ChatCompletionMessageFunctionToolCall)
        assert summary(to_tool_calls(first)) == OPENAI_CALLS[:1]

    def test_plain_dicts(self) -> None:
        assert summary(to_tool_calls(OPENAI_MESSAGE)) == OPENAI_CALLS
        assert summary(to_tool_calls(OPENAI_MESSAGE["tool_calls"])) == OPENAI_CALLS

    def test_arguments_stay_raw_text(self) -> None:
        (call,) = to_tool_calls({"id": "c", "type": "function", "function": {"name": "f", "arguments": ""}})
        assert call.arguments == ""

    def test_legacy_function_call_gets_an_id(self) -> None:
        message = {
            "role": "assistant",
            "content": None,
            "function_call": {"name": "f", "arguments": '{"x": 1}'},
        }
        assert summary(to_tool_calls(message)) == [("call_0", "f", '{"x": 1}')]
        assert summary(to_tool_calls(chat_completion(message))) == [("call_0", "f", '{"x": 1}')]

    def test_message_without_calls(self) -> None:
        assert to_tool_calls(chat_completion({"role": "assistant", "content": "Hello!"})) == []
        assert to_tool_calls({"role": "user", "content": "hi"}) == []

    def test_streamed_chunk_is_refused(self) -> None:
        chunk = ChatCompletionChunk.model_validate(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "gpt-4.1",
                "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_a"}]}}],
            }
        )
        with pytest.raises(TypeError, match="accumulate"):
            to_tool_calls(chunk)


class TestOpenAIResponses:
    def test_response_uses_call_id(self) -> None:
        calls = to_tool_calls(Response.model_validate(RESPONSE))
        assert summary(calls) == [
            ("call_x", "get_weather", '{"city": "Oslo"}'),
            ("call_y", "get_time", "{}"),
        ]

    def test_items_as_dicts_and_objects(self) -> None:
        items = RESPONSE["output"]
        assert [call.id for call in to_tool_calls(items)] == ["call_x", "call_y"]
        assert [call.id for call in to_tool_calls(Response.model_validate(RESPONSE).output)] == [
            "call_x",
            "call_y",
        ]
        assert [call.id for call in to_tool_calls(RESPONSE)] == ["call_x", "call_y"]

    def test_tools_the_provider_runs_are_skipped(self) -> None:
        items = [
            {"type": "web_search_call", "id": "ws_1", "status": "completed"},
            {"type": "mcp_call", "id": "mcp_1", "name": "lookup", "arguments": "{}", "server_label": "s"},
            {"type": "function_call", "call_id": "call_z", "name": "f", "arguments": "{}"},
        ]
        assert [call.id for call in to_tool_calls(items)] == ["call_z"]


class TestAnthropic:
    def test_message(self) -> None:
        calls = to_tool_calls(Message.model_validate(ANTHROPIC_MESSAGE))
        assert summary(calls) == [("toolu_01", "get_weather", {"city": "Lima"}), ("toolu_02", "get_time", {})]

    def test_blocks_and_dicts(self) -> None:
        block = ToolUseBlock(id="toolu_9", name="f", input={"a": [1, 2]}, type="tool_use")
        assert summary(to_tool_calls(block)) == [("toolu_9", "f", {"a": [1, 2]})]
        assert [call.id for call in to_tool_calls(ANTHROPIC_MESSAGE)] == ["toolu_01", "toolu_02"]
        assert [call.id for call in to_tool_calls(ANTHROPIC_MESSAGE["content"])] == ["toolu_01", "toolu_02"]

    def test_server_tool_use_is_skipped(self) -> None:
        content = [
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "q"}},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
        ]
        assert [call.id for call in to_tool_calls({"role": "assistant", "content": content})] == ["toolu_1"]


class TestGemini:
    def test_response_dict(self) -> None:
        assert summary(to_tool_calls(GEMINI_RESPONSE)) == GEMINI_CALLS

    def test_content_parts_and_snake_case(self) -> None:
        content = GEMINI_RESPONSE["candidates"][0]["content"]
        assert summary(to_tool_calls(content)) == GEMINI_CALLS
        assert summary(to_tool_calls(content["parts"])) == GEMINI_CALLS
        part = {"function_call": {"name": "f", "args": {"x": 1}, "id": ""}}
        assert summary(to_tool_calls(part)) == [("call_0", "f", {"x": 1})]

    def test_objects_with_attributes(self) -> None:
        # The google-genai shape: objects with snake_case attributes, None where a field is unset.
        def part(function_call: Any = None, text: str | None = None) -> SimpleNamespace:
            return SimpleNamespace(function_call=function_call, text=text, thought=None)

        response = SimpleNamespace(
            candidates=[
                SimpleNamespace(
                    content=SimpleNamespace(
                        role="model",
                        parts=[
                            part(text="Sure."),
                            part(SimpleNamespace(name="get_weather", args={"city": "Rome"}, id=None)),
                            part(SimpleNamespace(name="get_time", args={"tz": "CET"}, id="fc-7")),
                        ],
                    )
                )
            ]
        )
        assert summary(to_tool_calls(response)) == GEMINI_CALLS
        assert summary(to_tool_calls(response.candidates[0])) == GEMINI_CALLS

    def test_google_genai_types(self) -> None:
        types = pytest.importorskip("google.genai.types")
        response = types.GenerateContentResponse.model_validate(GEMINI_RESPONSE)
        assert summary(to_tool_calls(response)) == GEMINI_CALLS
        assert summary(to_tool_calls(response.candidates[0].content)) == GEMINI_CALLS
        assert summary(to_tool_calls(response.candidates[0].content.parts)) == GEMINI_CALLS

    def test_no_candidates(self) -> None:
        assert to_tool_calls({"candidates": []}) == []
        assert to_tool_calls({"candidates": [{"finishReason": "SAFETY"}]}) == []


class TestLangChain:
    def test_tool_call_dicts(self) -> None:
        calls = [
            {"name": "f", "args": {"x": 1}, "id": "lc_1", "type": "tool_call"},
            {"name": "g", "args": {}, "id": None},
        ]
        assert summary(to_tool_calls(calls)) == [("lc_1", "f", {"x": 1}), ("call_1", "g", {})]

    def test_ai_message_keeps_invalid_calls(self) -> None:
        # LangChain sets calls whose arguments did not parse apart; they still need a result.
        message = SimpleNamespace(
            type="ai",
            content="",
            tool_calls=[{"name": "f", "args": {"x": 1}, "id": "lc_1", "type": "tool_call"}],
            invalid_tool_calls=[
                {"name": "g", "args": '{"y": 2', "id": "lc_2", "error": None, "type": "invalid_tool_call"}
            ],
        )
        assert summary(to_tool_calls(message)) == [("lc_1", "f", {"x": 1}), ("lc_2", "g", '{"y": 2')]


class TestOtherCallObjects:
    def test_bare_call_objects(self) -> None:
        # AutoGen's FunctionCall(id, arguments, name) and google-genai's FunctionCall(id, args, name)
        autogen_call = SimpleNamespace(id="ag_1", name="f", arguments='{"x": 1}')
        gemini_call = SimpleNamespace(id=None, name="g", args={"y": 2}, partial_args=None)
        assert summary(to_tool_calls([autogen_call, gemini_call])) == [
            ("ag_1", "f", '{"x": 1}'),
            ("call_1", "g", {"y": 2}),
        ]


class TestMixedAndIds:
    def test_mixed_list_in_order(self) -> None:
        given = ToolCall("mine", "a", {"k": 1})
        source = [
            given,
            {"id": "call_o", "type": "function", "function": {"name": "b", "arguments": "{}"}},
            {"type": "tool_use", "id": "toolu_1", "name": "c", "input": {}},
            {"functionCall": {"name": "d", "args": {}}},
            '<tool_call>{"name": "e", "arguments": {}}</tool_call>',
        ]
        calls = to_tool_calls(source)
        assert calls[0] is given
        assert [(call.id, call.name) for call in calls] == [
            ("mine", "a"),
            ("call_o", "b"),
            ("toolu_1", "c"),
            ("call_3", "d"),
            ("call_4", "e"),
        ]

    def test_tool_calls_are_returned_as_given(self) -> None:
        calls = [ToolCall("1", "a"), ToolCall("2", "b", "{}")]
        result = to_tool_calls(calls)
        assert all(got is want for got, want in zip(result, calls, strict=True))
        assert to_tool_calls(tuple(calls)) == calls

    def test_synthesized_ids_are_stable(self) -> None:
        assert summary(to_tool_calls(GEMINI_RESPONSE)) == summary(to_tool_calls(GEMINI_RESPONSE))

    def test_synthesized_id_steps_aside_for_an_existing_one(self) -> None:
        source = [
            {"functionCall": {"name": "a", "args": {}}},
            {"type": "tool_use", "id": "call_0", "name": "b", "input": {}},
            {"functionCall": {"name": "c", "args": {}}},
            {"type": "tool_use", "id": "call_2", "name": "d", "input": {}},
        ]
        ids = [call.id for call in to_tool_calls(source)]
        assert ids == ["call_0_1", "call_0", "call_2_1", "call_2"]
        assert len(set(ids)) == len(ids)


# --------------------------------------------------------------------------------------------
# Calls the model wrote as text


class TestText:
    def test_several_tool_call_tags(self) -> None:
        text = (
            "I will look both up.\n"
            '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n'
            '<tool_call>{"name": "get_time", "parameters": {"tz": "CET"}}</tool_call>'
        )
        assert summary(to_tool_calls(text)) == [
            ("call_0", "get_weather", {"city": "Paris"}),
            ("call_1", "get_time", {"tz": "CET"}),
        ]

    def test_malformed_json_keeps_raw_arguments_for_the_road(self) -> None:
        text = (
            """<tool_call>{"name": "get_weather", "arguments": {"city": 'Paris', "days": 3,}}</tool_call>"""
        )
        (call,) = to_tool_calls(text)
        assert (call.id, call.name) == ("call_0", "get_weather")
        assert call.arguments == """{"city": 'Paris', "days": 3,}"""
        weather = Tool.from_schema(
            "get_weather",
            {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city"],
            },
        )
        parsed = weather.parse_args(call.arguments)
        assert parsed.arguments == {"city": "Paris", "days": 3}
        assert {repair.kind for repair in parsed.repairs} >= {"single_quotes", "trailing_comma"}

    def test_malformed_with_arguments_first_and_unquoted_keys(self) -> None:
        (call,) = to_tool_calls("<tool_call>{arguments: {city: 'Oslo'}, name: 'get_weather'}</tool_call>")
        assert (call.name, call.arguments) == ("get_weather", "{city: 'Oslo'}")

    def test_cut_off_tag_and_arguments(self) -> None:
        (call,) = to_tool_calls('<tool_call>{"name": "get_weather", "arguments": {"city": "Par')
        assert (call.name, call.arguments) == ("get_weather", '{"city": "Par')

    def test_tag_without_a_readable_name(self) -> None:
        with pytest.raises(ValueError, match="names no tool"):
            to_tool_calls("<tool_call>{'arguments': {}}</tool_call>")
        with pytest.raises(ValueError, match="names no tool"):
            to_tool_calls("<tool_call>[1, 2]</tool_call>")

    def test_fenced_json_list(self) -> None:
        text = (
            "Here are the calls:\n```json\n"
            '[{"name": "get_weather", "arguments": {"city": "Paris"}},\n'
            ' {"name": "get_time", "arguments": "{\\"tz\\": \\"CET\\"}"}]\n```'
        )
        assert summary(to_tool_calls(text)) == [
            ("call_0", "get_weather", {"city": "Paris"}),
            ("call_1", "get_time", '{"tz": "CET"}'),
        ]

    def test_broken_json_list_reads_each_call_from_its_own_text(self) -> None:
        text = '[{"name": "a", "arguments": {"x": 1,}}, {"name": "b", "arguments": {"y": "two"}}]'
        assert summary(to_tool_calls(text)) == [("call_0", "a", '{"x": 1,}'), ("call_1", "b", {"y": "two"})]

    def test_single_object_and_call_markers(self) -> None:
        assert summary(to_tool_calls('{"name": "f", "parameters": {"q": 1}}')) == [("call_0", "f", {"q": 1})]
        mistral = '[TOOL_CALLS][{"name": "f", "arguments": {"q": 1}, "id": "abc123xyz"}]'
        assert summary(to_tool_calls(mistral)) == [("abc123xyz", "f", {"q": 1})]
        llama = '<|python_tag|>{"name": "f", "parameters": {"q": 1}}'
        assert summary(to_tool_calls(llama)) == [("call_0", "f", {"q": 1})]

    def test_text_without_calls(self) -> None:
        assert to_tool_calls("The weather in Paris is sunny.") == []
        assert to_tool_calls('{"name": "Ada", "born": 1815}') == []  # a JSON answer, not a call
        assert to_tool_calls("") == []

    def test_bytes(self) -> None:
        assert [
            call.name for call in to_tool_calls(b'<tool_call>{"name": "f", "arguments": {}}</tool_call>')
        ] == ["f"]

    def test_prose_inside_a_message_is_not_read_as_calls(self) -> None:
        message = {"role": "assistant", "content": '<tool_call>{"name": "f", "arguments": {}}</tool_call>'}
        assert to_tool_calls(message) == []


class TestRefused:
    @pytest.mark.parametrize("source", [42, object(), {"foo": 1}, [{"foo": 1}], None, {"message": "busy"}])
    def test_type_error_names_what_was_received(self, source: Any) -> None:
        with pytest.raises(TypeError, match=r"cannot read .*it accepts") as raised:
            to_tool_calls(source)
        if isinstance(source, (dict, list)):
            received = f"dict with keys {sorted(source if isinstance(source, dict) else source[0])}"
        else:
            received = type(source).__qualname__
        assert received in str(raised.value)

    def test_call_without_a_name_is_kept_with_an_empty_name(self) -> None:
        [call] = to_tool_calls({"type": "tool_use", "id": "toolu_1", "input": {}})
        assert (call.id, call.name) == ("toolu_1", "")


# --------------------------------------------------------------------------------------------
# The assistant turn, rebuilt


SOURCES = {
    "openai": chat_completion(OPENAI_MESSAGE),
    "responses": Response.model_validate(RESPONSE),
    "anthropic": Message.model_validate(ANTHROPIC_MESSAGE),
    "gemini": GEMINI_RESPONSE,
    "text": '<tool_call>{"name": "f", "arguments": {"city": \'Paris\',}}</tool_call>',
}


def rebuilt_ids_and_names(message: Any, provider: str) -> list[tuple[str, str]]:
    if provider == "openai":
        return [(call["id"], call["function"]["name"]) for call in message["tool_calls"]]
    if provider == "openai-responses":
        return [(item["call_id"], item["name"]) for item in message if item.get("type") == "function_call"]
    if provider == "anthropic":
        return [(block["id"], block["name"]) for block in message["content"] if block["type"] == "tool_use"]
    return [(part["functionCall"]["id"], part["functionCall"]["name"]) for part in message["parts"]]


class TestAssistantMessage:
    @pytest.mark.parametrize("provider", PROVIDERS)
    @pytest.mark.parametrize("source", list(SOURCES), ids=list(SOURCES))
    def test_round_trip_keeps_ids_and_names(self, source: str, provider: str) -> None:
        calls = to_tool_calls(SOURCES[source])
        message = assistant_message(calls, provider)  # type: ignore[call-overload]
        assert rebuilt_ids_and_names(message, provider) == [(call.id, call.name) for call in calls]
        assert [(call.id, call.name) for call in to_tool_calls(message)] == [
            (call.id, call.name) for call in calls
        ]

    def test_openai(self) -> None:
        calls = [
            ToolCall("call_a", "f", '{"x": 1'),
            ToolCall("call_b", "g", {"y": "é"}),
            ToolCall("call_c", "h"),
        ]
        message = assistant_message(calls, "openai", text="Checking.")
        assert message == {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": '{"x": 1'}},
                {"id": "call_b", "type": "function", "function": {"name": "g", "arguments": '{"y": "é"}'}},
                {"id": "call_c", "type": "function", "function": {"name": "h", "arguments": "{}"}},
            ],
        }
        assert conforms(ChatCompletionMessageParam, message)
        assert assistant_message([], "openai", text="Done.") == {"role": "assistant", "content": "Done."}

    def test_openai_responses(self) -> None:
        items = assistant_message([ToolCall("call_x", "f", {"a": 1})], "openai-responses", text="On it.")
        assert items == [
            {"role": "assistant", "content": "On it."},
            {"type": "function_call", "call_id": "call_x", "name": "f", "arguments": '{"a": 1}'},
        ]
        assert all(conforms(ResponseInputItemParam, item) for item in items)

    def test_anthropic_decodes_arguments(self) -> None:
        calls = [
            ToolCall("toolu_1", "f", '{"city": "Paris"}'),
            ToolCall("toolu_2", "g", "{'city': 'Oslo',}"),  # repaired, as the road would
            ToolCall("toolu_3", "h", ""),
            ToolCall("toolu_4", "i", None),
            ToolCall("toolu_5", "j", "[1, 2]"),  # not an object: Anthropic takes objects only
        ]
        message = assistant_message(calls, "anthropic", text="Let me see.")
        assert message["role"] == "assistant"
        assert message["content"][0] == {"type": "text", "text": "Let me see."}
        assert [block["input"] for block in message["content"][1:]] == [
            {"city": "Paris"},
            {"city": "Oslo"},
            {},
            {},
            {},
        ]
        assert conforms(MessageParam, message)
        assert assistant_message(calls[:1], "anthropic")["content"][0]["type"] == "tool_use"

    def test_gemini(self) -> None:
        message = assistant_message([ToolCall("fc-1", "f", '{"x": 1}')], "gemini", text="Sure.")
        assert message == {
            "role": "model",
            "parts": [{"text": "Sure."}, {"functionCall": {"name": "f", "args": {"x": 1}, "id": "fc-1"}}],
        }

    def test_gemini_against_google_genai(self) -> None:
        types = pytest.importorskip("google.genai.types")
        message = assistant_message(to_tool_calls(GEMINI_RESPONSE), "gemini", text="Sure.")
        content = types.Content.model_validate(message)  # the SDK's models forbid unknown fields
        assert [part.function_call.name for part in content.parts if part.function_call] == [
            "get_weather",
            "get_time",
        ]

    @pytest.mark.parametrize("function", [assistant_message, results_to_messages])
    def test_unknown_provider(self, function: Any) -> None:
        with pytest.raises(ValueError, match="unknown provider 'mistral'"):
            function([], "mistral")


# --------------------------------------------------------------------------------------------
# Results carried back


RESULTS = [
    ToolResult("call_a", "get_weather", True, json.dumps({"temp": 21})),
    ToolResult(
        "call_b",
        "get_time",
        False,
        "argument 'tz' must be a string",
        error={"code": "invalid_arguments", "message": "tz: expected string"},
    ),
    ToolResult("call_c", "count", True, "3"),
]


class TestResultsToMessages:
    def test_openai_one_tool_message_per_result(self) -> None:
        messages = results_to_messages(RESULTS, "openai")
        assert messages == [
            {"role": "tool", "tool_call_id": "call_a", "content": '{"temp": 21}'},
            {"role": "tool", "tool_call_id": "call_b", "content": "argument 'tz' must be a string"},
            {"role": "tool", "tool_call_id": "call_c", "content": "3"},
        ]
        assert all(conforms(ChatCompletionToolMessageParam, message) for message in messages)

    def test_openai_responses_one_item_per_result(self) -> None:
        items = results_to_messages(RESULTS, "openai-responses")
        assert [item["call_id"] for item in items] == ["call_a", "call_b", "call_c"]
        assert all(item["type"] == "function_call_output" for item in items)
        assert all(conforms(ResponseInputItemParam, item) for item in items)

    def test_anthropic_one_user_message_for_the_batch(self) -> None:
        (message,) = results_to_messages(iter(RESULTS), "anthropic")
        assert message["role"] == "user"
        assert [(block["tool_use_id"], block["is_error"]) for block in message["content"]] == [
            ("call_a", False),
            ("call_b", True),
            ("call_c", False),
        ]
        assert all(block["type"] == "tool_result" for block in message["content"])
        assert conforms(MessageParam, message)

    def test_gemini_one_user_content_for_the_batch(self) -> None:
        (content,) = results_to_messages(RESULTS, "gemini")
        assert content["role"] == "user"
        assert [part["functionResponse"] for part in content["parts"]] == [
            {"name": "get_weather", "response": {"temp": 21}, "id": "call_a"},
            {"name": "get_time", "response": {"error": "argument 'tz' must be a string"}, "id": "call_b"},
            {"name": "count", "response": {"result": 3}, "id": "call_c"},
        ]

    def test_gemini_against_google_genai(self) -> None:
        types = pytest.importorskip("google.genai.types")
        (content,) = results_to_messages(RESULTS, "gemini")
        parsed = types.Content.model_validate(content)
        assert [part.function_response.id for part in parsed.parts] == ["call_a", "call_b", "call_c"]

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_no_results_no_messages(self, provider: str) -> None:
        assert results_to_messages([], provider) == []  # type: ignore[arg-type]

    def test_a_full_anthropic_turn_validates(self) -> None:
        calls = to_tool_calls(Message.model_validate(ANTHROPIC_MESSAGE))
        results = [ToolResult(call.id, call.name, True, "ok") for call in calls]
        conversation = [
            {"role": "user", "content": "Weather in Lima, and the time?"},
            assistant_message(calls, "anthropic"),
            *results_to_messages(results, "anthropic"),
        ]
        assert all(conforms(MessageParam, message) for message in conversation)
        tool_use_ids = [block["id"] for block in conversation[1]["content"]]
        assert [block["tool_use_id"] for block in conversation[2]["content"]] == tool_use_ids


# --------------------------------------------------------------------------------------------
# Calls written as Python and as Llama's function tags; the turn's finish reason


class TestPythonicCalls:
    def test_a_list_of_calls_as_llama_and_qwen_write_them(self) -> None:
        calls = to_tool_calls('[get_weather(city="Paris", days=3), search(query="x")]')
        assert summary(calls) == [
            ("call_0", "get_weather", {"city": "Paris", "days": 3}),
            ("call_1", "search", {"query": "x"}),
        ]

    def test_after_the_python_tag_and_in_a_fence(self) -> None:
        (call,) = to_tool_calls("<|python_tag|>get_weather(city='San Francisco', unit=None)")
        assert (call.name, call.arguments) == ("get_weather", {"city": "San Francisco", "unit": None})
        (call,) = to_tool_calls("Let me check.\n```python\n[lookup(ids=[1, 2], exact=True)]\n```")
        assert (call.name, call.arguments) == ("lookup", {"ids": [1, 2], "exact": True})

    def test_arguments_are_literals_and_never_evaluated(self, tmp_path: Path) -> None:
        witness = tmp_path / "ran"
        for text in (
            f"get_weather(city=open({str(witness)!r}, 'w').write('x'))",
            "get_weather(city=city)",
            "[get_weather(city='a' + 'b')]",
            "[ok(a=1), get_weather(city={'Paris', 'Rome'})]",
            "get_weather(days=2**64)",
        ):
            with pytest.raises(ValueError, match=r"gives (city|days)= a value that is not a literal"):
                to_tool_calls(text)
        assert not witness.exists()
        assert to_tool_calls("get_weather('Paris')") == []

    def test_code_in_a_fenced_block_of_an_answer_is_no_call(self) -> None:
        answer = "Use the client:\n```python\nrequests.get(url=URL, timeout=5)\n```\nThat is all."
        assert to_tool_calls(answer) == []
        (call,) = to_tool_calls("```python\n[get_weather(city='Paris')]\n```")
        assert (call.name, call.arguments) == ("get_weather", {"city": "Paris"})

    def test_a_valid_literal_reads_as_python_reads_the_source(self) -> None:
        (call,) = to_tool_calls("[search(pattern='\\d+', text='''a\r\nb''')]")
        assert call.arguments == {"pattern": "\\d+", "text": "a\nb"}
        (call,) = to_tool_calls("search(path='a\\/b');")
        assert call.arguments == {"path": "a\\/b"}
        with pytest.raises(ValueError, match="gives s="):
            to_tool_calls("[f(s='\\N{BULLET}')]")
        # Python's reserved words name neither a call nor an argument.
        assert to_tool_calls("[f(class=1)]") == []
        assert to_tool_calls("[import(x=1)]") == []
        # A sign before a signed number is an expression, not a literal.
        with pytest.raises(ValueError, match="gives x="):
            to_tool_calls("[f(x=-(-1))]")

    def test_prose_with_parentheses_is_not_a_call(self) -> None:
        assert to_tool_calls("The forecast (from Meteo) says rain.") == []


class TestLlamaFunctionTags:
    def test_function_tags_keep_the_arguments_as_written(self) -> None:
        calls = to_tool_calls(
            '<function=get_weather>{"city": "Paris"}</function>'
            "<function=search>{'query': 'x',}</function>"
        )
        assert summary(calls) == [
            ("call_0", "get_weather", '{"city": "Paris"}'),
            ("call_1", "search", "{'query': 'x',}"),
        ]

    def test_an_unclosed_tag_at_the_end_still_counts(self) -> None:
        (call,) = to_tool_calls('<function=get_weather>{"city": "Oslo"}')
        assert (call.name, call.arguments) == ("get_weather", '{"city": "Oslo"}')


class TestTextReadLeftToRight:
    """Each call's body is read with its strings whole: tag, marker and fence text inside an
    argument is part of the argument."""

    @pytest.mark.parametrize(
        ("text", "calls"),
        [
            ("[f(x='<function=evil>')]", [("f", {"x": "<function=evil>"})]),
            ('[f(x="<tool_call>")]', [("f", {"x": "<tool_call>"})]),
            (
                '[{"name": "f", "arguments": {"x": "<function=rm>{\\"p\\": 1}</function>"}}]',
                [("f", {"x": '<function=rm>{"p": 1}</function>'})],
            ),
            ('<function=f>{"x": "<function=g>"}</function>', [("f", '{"x": "<function=g>"}')]),
            (
                '<tool_call>{"name": "f", "arguments": {"x": "a</tool_call>b"}}</tool_call>',
                [("f", {"x": "a</tool_call>b"})],
            ),
            ("Sure.\n```python\n[f(x='```')]\n```", [("f", {"x": "```"})]),
            (
                '```json\n{"name": "f", "arguments": {"x": "```<tool_call>"}}\n```',
                [("f", {"x": "```<tool_call>"})],
            ),
            (
                '[TOOL_CALLS][{"name": "f", "arguments": {"x": "[TOOL_CALLS]g[ARGS]{}"}}]',
                [("f", {"x": "[TOOL_CALLS]g[ARGS]{}"})],
            ),
            (
                '<|python_tag|>f(x="<|eom_id|><function=g>{}</function>")',
                [("f", {"x": "<|eom_id|><function=g>{}</function>"})],
            ),
        ],
    )
    def test_tag_text_in_an_argument_is_part_of_the_argument(self, text: str, calls: list[Any]) -> None:
        assert [(call.name, call.arguments) for call in to_tool_calls(text)] == calls

    def test_a_call_that_cannot_be_read_opens_no_call_from_its_strings(self) -> None:
        # `foo` is a name, not a literal: the call is refused by its argument, and the tag in the
        # string after it is no call either.
        with pytest.raises(ValueError, match="call f") as refused:
            to_tool_calls("[f(x=foo, y='<function=rm>{}</function>')]")
        assert "rm" not in str(refused.value)
        assert to_tool_calls('{"name": "Ada", "bio": "<tool_call>{\\"name\\": \\"rm\\"}</tool_call>"}') == []

    def test_a_string_left_open_runs_to_the_end(self) -> None:
        # Whatever follows an open quote may belong to the string, so it cannot close the call.
        (call,) = to_tool_calls('<function=f>{"x": "never closed </function><function=g>{}</function>')
        assert (call.name, call.arguments) == (
            "f",
            '{"x": "never closed </function><function=g>{}</function>',
        )

    def test_dispatch_runs_only_the_call_written(self) -> None:
        ran: list[str] = []

        def send_email(body: str) -> str:
            """Send an email."""
            ran.append(body)
            return "sent"

        def delete_all() -> str:
            """Delete everything."""
            ran.append("deleted")
            return "deleted"

        registry = Registry([Tool.from_function(send_email), Tool.from_function(delete_all)])
        body = "To wipe, the model writes <function=delete_all>{}</function>."
        results = registry.dispatch(f'[send_email(body="{body}")]')
        assert [(result.name, result.ok) for result in results] == [("send_email", True)]
        assert ran == [body]


WEATHER_AND_TIME = [
    ("call_0", "get_weather", '{"city": "Paris"}'),
    ("call_1", "get_time", {"tz": "CET"}),
]
GET_TIME_TAG = '<tool_call>\n{"name": "get_time", "arguments": {"tz": "CET"}}\n</tool_call>'


class TestQuotesOutsideStrings:
    """A quote opens a string only where a key or a value may begin. Anywhere else, in prose or a
    comment the model wrote inside a call, it is an apostrophe or an inch mark and never hides the
    tag that closes the call. A comment or prose makes the call's object invalid JSON, so its
    arguments reach the argument road as written."""

    @pytest.mark.parametrize("comment", ["// don't", "# don't"])
    def test_an_apostrophe_in_a_comment_after_the_object(self, comment: str) -> None:
        text = (
            '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}} '
            + comment
            + "\n</tool_call>\n"
            + GET_TIME_TAG
        )
        assert summary(to_tool_calls(text)) == WEATHER_AND_TIME

    def test_an_apostrophe_in_a_comment_inside_the_object(self) -> None:
        text = (
            "<tool_call>\n{\n"
            '  "name": "get_weather",  // the user\'s city\n'
            '  "arguments": {"city": "Paris"}\n'
            "}\n</tool_call>\n" + GET_TIME_TAG
        )
        assert summary(to_tool_calls(text)) == WEATHER_AND_TIME

    def test_prose_with_an_apostrophe_inside_the_tag(self) -> None:
        text = (
            "<tool_call>\nHere's the call: "
            '{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n' + GET_TIME_TAG
        )
        assert summary(to_tool_calls(text)) == WEATHER_AND_TIME

    def test_apostrophes_in_prose_around_the_tags(self) -> None:
        text = (
            "I'll look up both. "
            '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n'
            "That's the weather; now the time:\n" + GET_TIME_TAG + "\nI'll wait for the results."
        )
        assert [call.name for call in to_tool_calls(text)] == ["get_weather", "get_time"]

    @pytest.mark.parametrize(
        ("body", "arguments"),
        [
            ("{'name': 'search', 'arguments': {'q': \"it's\"}}", "{'q': \"it's\"}"),
            ("{'name': 'search', 'arguments': {'q': 'it's'}}", "{'q': 'it's'}"),
            ("{'name': 'search', 'arguments': {'q': 'it\\'s'}}", "{'q': 'it\\'s'}"),
            ("{'name': 'search', 'arguments': {'q': 'a</tool_call>b'}}", "{'q': 'a</tool_call>b'}"),
        ],
        ids=["double-quoted", "apostrophe", "escaped", "closing-tag"],
    )
    def test_single_quoted_strings_are_still_strings(self, body: str, arguments: str) -> None:
        text = f"<tool_call>{body}</tool_call>\n{GET_TIME_TAG}"
        assert summary(to_tool_calls(text)) == [
            ("call_0", "search", arguments),
            ("call_1", "get_time", {"tz": "CET"}),
        ]

    def test_an_inch_mark_after_a_value(self) -> None:
        text = '<tool_call>{"name": "order", "arguments": {"screen": 27"}}</tool_call>\n' + GET_TIME_TAG
        assert summary(to_tool_calls(text)) == [
            ("call_0", "order", '{"screen": 27"}'),
            ("call_1", "get_time", {"tz": "CET"}),
        ]

    def test_a_single_quote_that_never_closes_is_an_apostrophe(self) -> None:
        text = (
            '<tool_call>{"name": "note", "arguments": {"text": \'tis the season}}</tool_call>\n'
            + GET_TIME_TAG
        )
        assert summary(to_tool_calls(text)) == [
            ("call_0", "note", '{"text": \'tis the season}'),
            ("call_1", "get_time", {"tz": "CET"}),
        ]

    @pytest.mark.parametrize("prose", ["Sending it ('90s style):", "Style: '90s"])
    def test_a_single_quote_that_does_not_close_on_its_line_is_an_apostrophe(self, prose: str) -> None:
        # Were it a string, it would close at the apostrophe inside the argument below and leave the
        # tag in that argument to close the call.
        text = (
            f"<tool_call>\n{prose}\n"
            '{"name": "send", "arguments": {"text": "Here\'s how a call ends: </tool_call>"}}\n'
            "</tool_call>\n" + GET_TIME_TAG
        )
        assert [(call.name, call.arguments) for call in to_tool_calls(text)] == [
            ("send", '{"text": "Here\'s how a call ends: </tool_call>"}'),
            ("get_time", {"tz": "CET"}),
        ]

    @pytest.mark.parametrize(
        "text",
        [
            '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}} // don\'t',
            "<tool_call>{'name': 'get_weather', 'arguments': {'city': 'Par",
        ],
        ids=["after-a-comment", "inside-a-string"],
    )
    def test_a_cut_off_call_still_counts(self, text: str) -> None:
        assert [call.name for call in to_tool_calls(text)] == ["get_weather"]

    def test_llama_function_tags(self) -> None:
        text = (
            '<function=get_weather>{"city": "Paris"} // the user\'s city</function>\n'
            '<function=get_time>{"tz": "CET"}</function>'
        )
        assert summary(to_tool_calls(text)) == [
            ("call_0", "get_weather", '{"city": "Paris"} // the user\'s city'),
            ("call_1", "get_time", '{"tz": "CET"}'),
        ]

    def test_fenced_blocks(self) -> None:
        text = (
            "First:\n```json\n"
            '{"name": "get_weather",  // the user\'s city\n "arguments": {"city": "Paris"}}\n'
            '```\nThen:\n```json\n{"name": "get_time", "arguments": {"tz": "CET"}}\n```'
        )
        assert summary(to_tool_calls(text)) == WEATHER_AND_TIME

    def test_mistral_arguments(self) -> None:
        text = '[TOOL_CALLS]note[ARGS]{"text": \'tis the season}[TOOL_CALLS]get_time[ARGS]{"tz": "CET"}'
        assert summary(to_tool_calls(text)) == [
            ("call_0", "note", '{"text": \'tis the season}'),
            ("call_1", "get_time", '{"tz": "CET"}'),
        ]

    def test_dispatch_runs_every_call(self) -> None:
        def get_weather(city: str) -> str:
            """The weather in a city."""
            return f"sunny in {city}"

        def get_time(tz: str) -> str:
            """The time in a time zone."""
            return f"noon {tz}"

        registry = Registry([Tool.from_function(get_weather), Tool.from_function(get_time)])
        text = (
            '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}} // don\'t guess\n'
            "</tool_call>\n" + GET_TIME_TAG
        )
        results = registry.dispatch(text)
        assert [(result.name, result.ok) for result in results] == [("get_weather", True), ("get_time", True)]


class TestSeveralCallsInOneText:
    def test_each_fenced_block(self) -> None:
        text = (
            'First:\n```json\n{"name": "f", "arguments": {"x": 1}}\n```\n'
            "Then:\n```python\n[g(y=2)]\n```\nDone."
        )
        assert summary(to_tool_calls(text)) == [("call_0", "f", {"x": 1}), ("call_1", "g", {"y": 2})]

    def test_pythonic_calls_on_separate_lines(self) -> None:
        assert summary(to_tool_calls("f(x=1)\ng(y='two')\n")) == [
            ("call_0", "f", {"x": 1}),
            ("call_1", "g", {"y": "two"}),
        ]

    def test_llama_calls_before_the_end_of_turn_token(self) -> None:
        (call,) = to_tool_calls("<|python_tag|>get_weather(city='Oslo')<|eom_id|>")
        assert (call.name, call.arguments) == ("get_weather", {"city": "Oslo"})
        text = (
            '<|python_tag|>{"name": "f", "parameters": {"q": 1}}; {"name": "g", "parameters": {}}<|eot_id|>'
        )
        assert summary(to_tool_calls(text)) == [("call_0", "f", {"q": 1}), ("call_1", "g", {})]
        (call,) = to_tool_calls('<function=f>{"q": 1}<|eom_id|>')
        assert call.arguments == '{"q": 1}'

    def test_mistral_name_and_args_format(self) -> None:
        text = (
            'Let me check.[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}'
            '[TOOL_CALLS]get_time[CALL_ID]a1b2c3d4e[ARGS]{"tz": "CET"}</s>'
        )
        assert summary(to_tool_calls(text)) == [
            ("call_0", "get_weather", '{"city": "Paris"}'),
            ("a1b2c3d4e", "get_time", '{"tz": "CET"}'),
        ]

    def test_tool_call_and_function_tags_in_text_order(self) -> None:
        text = (
            '<function=a>{"n": 1}</function>\n'
            '<tool_call>{"name": "b", "arguments": {}}</tool_call>\n'
            "<function=c>{}</function>"
        )
        assert summary(to_tool_calls(text)) == [
            ("call_0", "a", '{"n": 1}'),
            ("call_1", "b", {}),
            ("call_2", "c", "{}"),
        ]

    def test_markers_in_prose_are_not_calls(self) -> None:
        assert to_tool_calls("Mistral writes [TOOL_CALLS] and Llama <|python_tag|> before calls.") == []
        assert to_tool_calls("[get_weather(city='Paris')]\nThat is how you would call it.") == []


class TestSeveralCallsInOneTag:
    """Qwen2.5, Qwen3 and Hermes fine-tunes put parallel calls in one ``<tool_call>`` tag: objects one
    after another, or a list of them. Every call is read, in order, or the one that cannot be read is
    refused by name."""

    @pytest.mark.parametrize(
        "body",
        [
            '{"name": "get_weather", "arguments": {"city": "Paris"}}\n'
            '{"name": "get_time", "arguments": {"tz": "CET"}}',
            '{"name": "get_weather", "arguments": {"city": "Paris"}},\n'
            '{"name": "get_time", "arguments": {"tz": "CET"}}',
            '{"name": "get_weather", "arguments": {"city": "Paris"}} // first\n'
            '{"name": "get_time", "arguments": {"tz": "CET"}} // then {"tz": "UTC"} if not',
            '[{"name": "get_weather", "arguments": {"city": "Paris"}},\n'
            ' {"name": "get_time", "arguments": {"tz": "CET"}}]',
            '[{"name": "get_weather", "arguments": {"city": "Paris"}}]\n'
            '{"name": "get_time", "arguments": {"tz": "CET"}}',
        ],
        ids=["one-per-line", "commas", "comments", "list", "list-then-object"],
    )
    def test_every_call_in_one_tag(self, body: str) -> None:
        text = f"I'll check both.\n<tool_call>\n{body}\n</tool_call>"
        assert summary(to_tool_calls(text)) == [
            ("call_0", "get_weather", {"city": "Paris"}),
            ("call_1", "get_time", {"tz": "CET"}),
        ]

    def test_calls_in_one_tag_and_the_next_keep_their_order(self) -> None:
        text = (
            '<tool_call>\n{"name": "a", "arguments": {}}\n{"name": "b", "arguments": {"x": 1}}\n</tool_call>\n'
            '<tool_call>\n{"name": "c", "arguments": {"y": "</tool_call>"}}\n</tool_call>'
        )
        assert summary(to_tool_calls(text)) == [
            ("call_0", "a", {}),
            ("call_1", "b", {"x": 1}),
            ("call_2", "c", {"y": "</tool_call>"}),
        ]

    def test_a_broken_call_keeps_its_raw_arguments_and_the_others_are_read(self) -> None:
        text = (
            "<tool_call>\n"
            '{"name": "a", "arguments": {"x": 1,}}\n'
            '{"name": "b", "arguments": {"note": "it\'s {fine}"}}\n'
            '{"name": "c", "arguments": {"city": "Par'
        )
        assert summary(to_tool_calls(text)) == [
            ("call_0", "a", '{"x": 1,}'),
            ("call_1", "b", {"note": "it's {fine}"}),
            ("call_2", "c", '{"city": "Par'),
        ]

    @pytest.mark.parametrize("comment", ["//", "#"])
    @pytest.mark.parametrize(
        "after",
        ['or {"name": "get_weather", "arguments": {"city": "Lyon"}} if unsure', "returns {temp, wind}"],
        ids=["example-call", "braces"],
    )
    def test_braces_in_a_comment_after_the_call_are_no_call(self, comment: str, after: str) -> None:
        text = f'<tool_call>\n{{"name": "get_weather", "arguments": {{"city": "Paris"}}}}  {comment} {after}\n</tool_call>'
        assert summary(to_tool_calls(text)) == [("call_0", "get_weather", '{"city": "Paris"}')]

    def test_a_number_sign_in_prose_is_no_comment(self) -> None:
        text = (
            '<tool_call>\nCall #1: {"name": "get_weather", "arguments": {"city": "Paris"}}\n'
            'Call #2: {"name": "get_time", "arguments": {"tz": "CET"}}\n</tool_call>'
        )
        assert summary(to_tool_calls(text)) == [
            ("call_0", "get_weather", {"city": "Paris"}),
            ("call_1", "get_time", {"tz": "CET"}),
        ]

    @pytest.mark.parametrize("before", ["I'll check both:\n", "// both at once\n", "# both at once\n"])
    def test_a_list_of_calls_after_prose_in_the_tag(self, before: str) -> None:
        text = (
            f"<tool_call>\n{before}"
            '[{"name": "get_weather", "arguments": {"city": "Paris"}}, '
            '{"name": "get_time", "arguments": {"tz": "CET"}}]\n</tool_call>'
        )
        assert summary(to_tool_calls(text)) == [
            ("call_0", "get_weather", {"city": "Paris"}),
            ("call_1", "get_time", {"tz": "CET"}),
        ]

    @pytest.mark.parametrize(
        "prose",
        ["This sets {q}.", 'It returns {temp, wind} as {"unit": "C"}.'],
        ids=["word", "json-like"],
    )
    def test_braces_in_prose_beside_the_calls_are_no_call(self, prose: str) -> None:
        one = '{"name": "get_weather", "arguments": {"city": "Paris"}}'
        two = '{"name": "get_time", "arguments": {"tz": "CET"}}'
        assert summary(to_tool_calls(f"<tool_call>\n{one}\n{prose}\n</tool_call>"))[0][1] == "get_weather"
        assert summary(to_tool_calls(f"<tool_call>\n{one}\n{prose}\n{two}\n</tool_call>")) == [
            ("call_0", "get_weather", {"city": "Paris"}),
            ("call_1", "get_time", {"tz": "CET"}),
        ]

    def test_an_object_that_names_no_tool_is_refused_by_its_text(self) -> None:
        text = '<tool_call>\n{"name": "a", "arguments": {}}\n{"arguments": {"x": 1}}\n</tool_call>'
        with pytest.raises(ValueError, match=r"names no tool: '\{\"arguments\": \{\"x\": 1\}\}'"):
            to_tool_calls(text)

    def test_dispatch_runs_every_call_in_the_tag(self) -> None:
        ran: list[str] = []

        def get_weather(city: str) -> str:
            """The weather in a city."""
            ran.append(city)
            return f"sunny in {city}"

        def get_time(tz: str) -> str:
            """The time in a time zone."""
            ran.append(tz)
            return f"noon {tz}"

        registry = Registry([Tool.from_function(get_weather), Tool.from_function(get_time)])
        text = (
            '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n'
            '{"name": "get_time", "arguments": {"tz": "CET"}}\n</tool_call>'
        )
        results = registry.dispatch(text)
        assert [(result.name, result.ok) for result in results] == [("get_weather", True), ("get_time", True)]
        assert ran == ["Paris", "CET"]

    @pytest.mark.timeout(30)
    def test_a_megabyte_of_calls_in_one_tag(self) -> None:
        call = '{"name": "a", "arguments": {"q": "it\'s"}}\n'
        count = 1_000_000 // len(call)
        calls = to_tool_calls("<tool_call>\n" + call * count + "</tool_call>")
        assert len(calls) == count
        assert calls[-1].arguments == {"q": "it's"}


def qwen3_coder_call(name: str, **parameters: str) -> str:
    """A call as Qwen3-Coder's chat template writes it, each value between newlines."""
    written = "".join(f"<parameter={key}>\n{value}\n</parameter>\n" for key, value in parameters.items())
    return f"<function={name}>\n{written}</function>\n"


class TestQwen3CoderCalls:
    """Qwen3-Coder writes ``<function=name>`` with one ``<parameter=key>`` per argument, its value raw
    text. Values are read as Qwen's parser in vLLM reads them: one newline after the opening tag and
    one before the closing tag are the format's, and a value ends at ``</parameter>``, or at the next
    ``<parameter=``, ``</function>`` or ``</tool_call>`` when the model leaves it open. The values stay
    strings: the argument road types them against the tool's schema, recording each change."""

    def test_a_call_in_a_tool_call_tag(self) -> None:
        text = (
            "I'll check the weather for you.\n<tool_call>\n<function=get_weather>\n"
            "<parameter=city>\nParis\n</parameter>\n<parameter=days>\n3\n</parameter>\n"
            "</function>\n</tool_call><|im_end|>"
        )
        assert summary(to_tool_calls(text)) == [("call_0", "get_weather", {"city": "Paris", "days": "3"})]

    def test_without_the_tool_call_tag(self) -> None:
        text = "<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>"
        assert summary(to_tool_calls(text)) == [("call_0", "get_weather", {"city": "Paris"})]

    def test_several_calls_in_one_tag_in_several_tags_and_bare(self) -> None:
        text = (
            "<tool_call>\n"
            + qwen3_coder_call("get_weather", city="Paris")
            + qwen3_coder_call("get_weather", city="Oslo")
            + "</tool_call>\n<tool_call>\n"
            + qwen3_coder_call("get_time", tz="CET")
            + "</tool_call>\n"
            + qwen3_coder_call("get_time", tz="UTC")
            + qwen3_coder_call("list_files")
        )
        assert summary(to_tool_calls(text)) == [
            ("call_0", "get_weather", {"city": "Paris"}),
            ("call_1", "get_weather", {"city": "Oslo"}),
            ("call_2", "get_time", {"tz": "CET"}),
            ("call_3", "get_time", {"tz": "UTC"}),
            ("call_4", "list_files", None),
        ]

    @pytest.mark.parametrize(
        ("written", "value"),
        [
            ("\nParis\n", "Paris"),
            ("Paris", "Paris"),
            ("\n\n  two blank lines kept  \n\n", "\n  two blank lines kept  \n"),
            ("\ndef area(r):\n    return 3.14 * r * r\n", "def area(r):\n    return 3.14 * r * r"),
            ("\n\n", ""),
            ("\nnull\n", "null"),
        ],
        ids=["newlines", "inline", "blank-lines", "code", "empty", "null"],
    )
    def test_one_newline_each_side_is_the_formats(self, written: str, value: str) -> None:
        (call,) = to_tool_calls(f"<tool_call>\n<function=f>\n<parameter=x>{written}</parameter>\n</function>")
        assert call.arguments == {"x": value}

    def test_tag_text_quotes_and_fences_in_a_value_are_part_of_it(self) -> None:
        content = (
            'if a < b and name != "it\'s":\n    html = "<div><tool_call></div>"\n'
            "```\n<function=not_a_call>\n```"
        )
        text = (
            "<tool_call>\n"
            + qwen3_coder_call("write_file", path="a.py", content=content)
            + "</tool_call>\n<tool_call>\n"
            + qwen3_coder_call("get_time", tz="CET")
            + "</tool_call>"
        )
        assert summary(to_tool_calls(text)) == [
            ("call_0", "write_file", {"path": "a.py", "content": content}),
            ("call_1", "get_time", {"tz": "CET"}),
        ]

    @pytest.mark.parametrize(
        "text",
        [
            "<tool_call>\n<function=f>\n<parameter=a>\n1\n<parameter=b>\n2\n</function>\n</tool_call>",
            "<function=f>\n<parameter=a>\n1\n</parameter>\n<parameter=b>\n2\n</function>",
            "<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n<parameter=b>\n2\n</tool_call>",
            "<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n<parameter=b>\n2\n</parameter>\n",
        ],
        ids=["to-next-parameter", "to-function-end", "to-tool-call-end", "function-left-open"],
    )
    def test_a_value_left_open_ends_where_qwens_parser_ends_it(self, text: str) -> None:
        (call,) = to_tool_calls(text)
        assert (call.name, call.arguments) == ("f", {"a": "1", "b": "2"})

    def test_a_parameter_given_twice_is_refused_by_name(self) -> None:
        text = "<tool_call>\n" + qwen3_coder_call("f", x="1").replace(
            "</function>", "<parameter=x>\n2\n</parameter>\n</function>"
        )
        with pytest.raises(ValueError, match=r"'f'.*parameter 'x' twice"):
            to_tool_calls(text)

    @pytest.mark.parametrize("closing", ["</parameter>", "</function>", "</tool_call>"])
    def test_a_closing_tag_inside_a_value_is_refused_never_cut_silently(self, closing: str) -> None:
        # A value cannot be escaped, so the first closing tag ends it, as in Qwen's parser; what the
        # value went on with is named, never dropped.
        content = f'print("{closing}")'
        for text in (
            "<tool_call>\n" + qwen3_coder_call("write_file", content=content) + "</tool_call>",
            qwen3_coder_call("write_file", content=content) + "Done.",
        ):
            with pytest.raises(ValueError, match=r"parameter 'content' of the call of 'write_file'.*\"\)"):
                to_tool_calls(text)

    @pytest.mark.parametrize("closing", ["</function>", "</tool_call>"])
    @pytest.mark.parametrize(
        "later",
        [
            "# a fence: ```json",
            "# a marker: [TOOL_CALLS]",
            "tag = '<function=' + name",
            "tag = '<tool_call>'",
        ],
        ids=["fence", "marker", "function-opener", "tool-call-opener"],
    )
    def test_a_closing_tag_inside_a_value_is_refused_past_text_like_a_call_opener(
        self, closing: str, later: str
    ) -> None:
        # A test file about tool-call tags: what the value holds after the closing tag that cut it
        # opens no call, so the </parameter> after it still shows the value was cut, not a file
        # written short.
        content = f'TEXT = "{{}}{closing}"\n{later}\nassert parse(TEXT) == []'
        for text in (
            "<tool_call>\n"
            + qwen3_coder_call("write_file", path="test_parse.py", content=content)
            + "</tool_call>",
            qwen3_coder_call("write_file", path="test_parse.py", content=content),
        ):
            with pytest.raises(ValueError, match=r"'write_file'"):
                to_tool_calls(text)

    @pytest.mark.parametrize(
        "content",
        [
            'END = "</parameter></function></tool_call>"\nassert text.endswith(END)',
            "A call ends with its last value's\n</parameter>\n</function>\nand nothing after it.",
        ],
        ids=["code", "prose"],
    )
    def test_a_value_holding_the_end_of_a_call_is_refused_never_cut_silently(self, content: str) -> None:
        # Where the value goes on after `</parameter></function>`, the text reads as a call ended
        # there; the `</parameter>` after it shows the value was cut, and the arguments after it lost.
        for text in (
            qwen3_coder_call("write_file", content=content, path="notes.md"),
            qwen3_coder_call("write_file", path="notes.md", content=content),
            "<tool_call>\n"
            + qwen3_coder_call("write_file", content=content, path="notes.md")
            + "</tool_call>",
        ):
            with pytest.raises(ValueError, match=r"parameter 'content' of the call of 'write_file'"):
                to_tool_calls(text)

    def test_a_value_left_open_that_runs_into_the_next_call_is_refused(self) -> None:
        text = "<function=f>\n<parameter=a>\n1\n<function=g>\n<parameter=b>\n2\n</parameter>\n</function>"
        with pytest.raises(ValueError, match=r"parameter 'a' of the call of 'f'.*another call"):
            to_tool_calls(text)

    @pytest.mark.parametrize(
        "text",
        [
            "<tool_call>\n<function=f>\n<parameter=city>\nParis\n</parameter>\n<parameter=",
            "<function=f>\n<parameter=city>\nParis\n</parameter>\n<para",
            "<tool_call>\n<function=f>\n<parameter=",
            "<function=f>\n<parameter=city>\nPar",
            "<function=f>\n<parameter=city>\nParis\n</param",
        ],
        ids=["before-a-name", "in-the-opening-tag", "first-parameter", "in-a-value", "in-the-closing-tag"],
    )
    def test_a_call_cut_off_in_a_parameter_is_kept_for_the_road_to_refuse(self, text: str) -> None:
        (call,) = to_tool_calls(text)
        assert call.name == "f"
        assert isinstance(call.arguments, str)  # JSON text ending where the model's text ends
        tool = Tool.from_schema("f", {"type": "object", "properties": {"city": {"type": "string"}}})
        with pytest.raises(ArgumentError, match="cut off"):
            tool.parse_args(call.arguments)

    @pytest.mark.parametrize(
        "end", ["</parameter>\n", "</parameter>\n</func", "</parameter>\n</function>\n</tool"]
    )
    def test_a_call_cut_off_after_its_last_value_is_whole(self, end: str) -> None:
        (call,) = to_tool_calls("<tool_call>\n<function=f>\n<parameter=city>\nParis\n" + end)
        assert call.arguments == {"city": "Paris"}

    def test_text_in_the_tag_that_is_no_call_is_refused(self) -> None:
        text = "<tool_call>\n" + qwen3_coder_call("f", x="1") + "and then g\n</tool_call>"
        with pytest.raises(ValueError, match=r"<tool_call> tag holds text that is no call.*'and then g"):
            to_tool_calls(text)

    def test_llamas_json_function_tags_read_as_before(self) -> None:
        text = (
            '<function=get_weather>{"city": "Paris"}</function>\n'
            '<function=search>{"q": "<parameter=x>"}</function>\n'
            "<function=get_time>\n</function>"
        )
        assert summary(to_tool_calls(text)) == [
            ("call_0", "get_weather", '{"city": "Paris"}'),
            ("call_1", "search", '{"q": "<parameter=x>"}'),
            ("call_2", "get_time", None),
        ]

    def test_a_json_function_tag_in_a_tool_call_tag(self) -> None:
        text = '<tool_call>\n<function=get_time>{"tz": "CET"}</function>\n</tool_call>'
        assert summary(to_tool_calls(text)) == [("call_0", "get_time", '{"tz": "CET"}')]

    def test_the_road_types_each_value_against_the_schema(self) -> None:
        class Window(TypedDict):
            start: int
            end: int

        @toolproof.tool
        def forecast(
            city: str,
            days: int,
            threshold: float,
            metric: bool,
            hours: list[int],
            window: Window,
            limit: int | None = None,
        ) -> str:
            """A forecast."""
            return f"{city} {days} {threshold} {metric} {hours} {window} {limit}"

        code = 'if a < b:\n    s = "</parameter"'
        text = (
            "<tool_call>\n"
            + qwen3_coder_call(
                "forecast",
                city=code,
                days="3",
                threshold="0.5",
                metric="true",
                hours="[6, 12]",
                window='{"start": 1, "end": 2}',
                limit="null",
            )
            + "</tool_call>"
        )
        (call,) = to_tool_calls(text)
        parsed = forecast.parse_args(call.arguments)
        assert parsed.arguments == {
            "city": code,
            "days": 3,
            "threshold": 0.5,
            "metric": True,
            "hours": [6, 12],
            "window": {"start": 1, "end": 2},
            "limit": None,
        }
        assert [(repair.path, repair.kind) for repair in parsed.repairs] == [
            ("days", "string_to_integer"),
            ("threshold", "string_to_number"),
            ("metric", "string_to_boolean"),
            ("hours", "decoded_json_string"),
            ("window", "decoded_json_string"),
            ("limit", "string_to_null"),
        ]
        with pytest.raises(ArgumentError, match="days: expected integer"):
            forecast.parse_args(call.arguments, mode="strict")
        (result,) = Registry([forecast]).dispatch(text)
        assert (result.ok, result.output) == (
            True,
            f"{code} 3 0.5 True [6, 12] {{'start': 1, 'end': 2}} None",
        )
        assert [repair.kind for repair in result.repairs] == [repair.kind for repair in parsed.repairs]

    def test_dispatch_answers_every_call_and_refuses_the_cut_one(self) -> None:
        @toolproof.tool
        def get_weather(city: str, days: int = 1) -> str:
            """The weather in a city."""
            return f"{days} days of sun in {city}"

        text = (
            "<tool_call>\n"
            + qwen3_coder_call("get_weather", city="Paris", days="2")
            + "</tool_call>\n<tool_call>\n<function=get_weather>\n<parameter=city>\nOs"
        )
        first, second = Registry([get_weather]).dispatch(text)
        assert (first.ok, first.output) == (True, "2 days of sun in Paris")
        assert not second.ok
        assert "cut off" in second.error["message"]

    @pytest.mark.timeout(30)
    @pytest.mark.parametrize(
        ("text", "refusal"),
        [
            ("<tool_call>\n<function=f>\n" + "<parameter=" * 90_000, "a parameter with no name"),
            ("<function=f>\n<parameter=x>\n" + "<parameter=" * 90_000, "a parameter with no name"),
            ("<function=f>\n" + "<parameter=x>\n1\n" * 60_000, "parameter 'x' twice"),
            (
                "<function=f>\n<parameter=x>\n1\n</function>" + "</parameter>\n" * 75_000,
                "closing tag follows",
            ),
        ],
        ids=["openers", "values-run-into-openers", "a-name-again-and-again", "closes-after-a-call"],
    )
    def test_a_megabyte_of_tags_is_refused_in_one_pass(self, text: str, refusal: str) -> None:
        with pytest.raises(ValueError, match=refusal):
            to_tool_calls(text)

    @pytest.mark.timeout(30)
    @pytest.mark.parametrize(
        "value",
        ["</parameter" * 90_000, "<tool_call><function=" * 45_000, "a" * 1_000_000],
        ids=["partial-closes", "calls", "text"],
    )
    def test_a_megabyte_long_value_cut_off_is_one_call(self, value: str) -> None:
        (call,) = to_tool_calls("<tool_call>\n<function=f>\n<parameter=x>\n" + value)
        assert call.arguments == '{"x": "' + value

    @pytest.mark.timeout(30)
    def test_a_megabyte_of_calls(self) -> None:
        calls = to_tool_calls(qwen3_coder_call("f", x="1", y="<b>it's</b>") * 12_000)
        assert len(calls) == 12_000
        assert all(call.arguments == {"x": "1", "y": "<b>it's</b>"} for call in calls)


class TestTextAtScale:
    @pytest.mark.parametrize(
        ("text", "refused"),
        [
            ("[" * 1000, False),
            ('{"a": ' * 1000, False),
            ("```json\n[{" + "[" * 1000 + "\n```", False),
            ("<|python_tag|>" + "[" * 1000, False),
            ("<tool_call>" + "[" * 1000, True),  # a tag holds a call, so one without a name is refused
        ],
        ids=["bare", "object", "fence", "marker", "tag"],
    )
    def test_deep_nesting_reads_as_no_call_never_a_recursion_error(self, text: str, refused: bool) -> None:
        for read in (to_tool_calls, Registry([]).dispatch):
            if refused:
                with pytest.raises(ValueError, match="names no tool"):
                    read(text)
            else:
                assert read(text) == []

    @pytest.mark.parametrize(
        "unit", ["<function=", "<tool_call>", "[", "```", "```\n[f(x='", "[TOOL_CALLS]", "<|python_tag|>"]
    )
    def test_a_megabyte_of_openers_is_read_in_one_pass(self, unit: str) -> None:
        # A reader that scanned on from every opener would take minutes over 1 MB of `<function=`.
        assert to_tool_calls(unit * (1_000_000 // len(unit))) == []

    @pytest.mark.timeout(30)
    @pytest.mark.parametrize("filler", ["don't ", ": '", "\\'", "# it's\n", '27" ', "x: 'y' z'\n"])
    def test_a_megabyte_of_quotes_outside_strings_hides_no_call(self, filler: str) -> None:
        # A reader that scanned on to the end from each quote that opens no string would take hours.
        text = (
            '<tool_call>{"name": "a", "arguments": {}} '
            + filler * (1_000_000 // len(filler))
            + '</tool_call><tool_call>{"name": "b", "arguments": {}}</tool_call>'
        )
        assert [call.name for call in to_tool_calls(text)] == ["a", "b"]

    @pytest.mark.timeout(30)
    def test_a_megabyte_of_calls_each_with_an_apostrophe_in_a_comment(self) -> None:
        call = '<tool_call>\n{"name": "a", "arguments": {}} // don\'t\n</tool_call>\n'
        count = 1_000_000 // len(call)
        assert len(to_tool_calls(call * count)) == count


class TestFinishReason:
    def test_read_from_each_provider_onto_the_calls(self) -> None:
        calls = to_tool_calls(chat_completion(OPENAI_MESSAGE))
        assert calls and all(call.finish_reason == "tool_calls" for call in calls)
        anthropic = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "stop_reason": "max_tokens",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}],
        }
        assert [call.finish_reason for call in to_tool_calls(anthropic)] == ["max_tokens"]
        gemini = {
            "candidates": [
                {
                    "finish_reason": "STOP",
                    "content": {"parts": [{"function_call": {"name": "get_weather", "args": {}}}]},
                }
            ]
        }
        assert [call.finish_reason for call in to_tool_calls(gemini)] == ["STOP"]
        assert to_tool_calls('<tool_call>{"name": "a", "arguments": {}}</tool_call>')[0].finish_reason is None

    def test_dispatch_closes_a_number_only_when_the_model_ended_on_its_own(self) -> None:
        def total(amount: float) -> float:
            """Add up."""
            return amount

        registry = Registry([Tool.from_function(total)])

        def response(finish_reason: str) -> dict[str, Any]:
            call = {
                "id": "c1",
                "type": "function",
                "function": {"name": "total", "arguments": '{"amount": 12'},
            }
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
            return {"choices": [{"index": 0, "finish_reason": finish_reason, "message": message}]}

        (ended,) = registry.dispatch(response("tool_calls"))
        assert ended.ok and ended.output == 12
        assert "truncated_number" not in [repair.kind for repair in ended.repairs]
        (cut,) = registry.dispatch(response("length"))
        assert not cut.ok and cut.error is not None and "cut off right after a number" in cut.error["message"]
