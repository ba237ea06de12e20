"""``create_agent`` with toolproof: the tools hardened, the calls LangChain could not parse answered."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.messages.tool import tool_call as make_tool_call
from langchain_core.tools import BaseTool

from toolproof.codes import ResultCode
from toolproof.errors import ArgumentError
from toolproof.langchain._harden import harden
from toolproof.langchain._hardened import HardenedTool, Mode


class ToolproofMiddleware(AgentMiddleware):
    """``create_agent`` with toolproof: ``create_agent(model, middleware=[ToolproofMiddleware(tools,
    **options)])``, the tools given here rather than in ``tools=``.

    The agent gets the tools hardened (see ``harden``; two with the same name are refused), and
    the calls LangChain could not parse are answered instead of ending the run unanswered: each
    is moved among the message's ``tool_calls`` with its arguments repaired, or, when no safe
    repair exists, answered at once with what is wrong, so the model can call again.
    """

    def __init__(self, tools: Sequence[BaseTool | Callable[..., Any]], **options: Any) -> None:
        super().__init__()
        hardened: list[HardenedTool] = harden(list(tools), **options)
        self.tools = hardened
        self._by_name = {tool.name: tool for tool in hardened}
        self._mode = cast(Mode, options.get("mode", "lenient"))

    def after_model(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        messages = state["messages"]
        last = messages[-1] if messages else None
        if not isinstance(last, AIMessage) or not last.invalid_tool_calls:
            return None
        moved: list[Any] = []
        answers: list[ToolMessage] = []
        repaired: dict[str, Any] = {}
        for invalid in last.invalid_tool_calls:
            name = invalid.get("name") or ""
            call_id = invalid.get("id") or ""
            raw = invalid.get("args")
            tool = self._by_name.get(name)
            if tool is None:
                text = f"Unknown tool '{name}'. Available tools: {', '.join(self._by_name)}."
                code = ResultCode.UNKNOWN_TOOL.value
            else:
                try:
                    parsed = tool.toolproof_tool.parse_args(raw, mode=self._mode)
                except ArgumentError as error:
                    text, code = error.for_model(), ResultCode.INVALID_ARGUMENTS.value
                else:
                    # The model reads the call back as it was meant, and runs it like any other.
                    moved.append(make_tool_call(name=name, args=parsed.arguments, id=call_id))
                    repaired[call_id] = {
                        "raw": raw,
                        "repairs": [repair.to_dict() for repair in parsed.repairs],
                    }
                    continue
            # No safe repair: the call is answered now, so the model can make it again.
            moved.append(make_tool_call(name=name, args={}, id=call_id))
            answers.append(
                ToolMessage(
                    text,
                    tool_call_id=call_id,
                    name=name,
                    status="error",
                    response_metadata={"toolproof": {"code": code, "raw": raw}},
                )
            )
        metadata = dict(last.response_metadata)
        if repaired:
            metadata["toolproof"] = {**metadata.get("toolproof", {}), "repaired_calls": repaired}
        # Same id: the message replaces the one the model sent.
        fixed = last.model_copy(
            update={
                "tool_calls": [*last.tool_calls, *moved],
                "invalid_tool_calls": [],
                "response_metadata": metadata,
            }
        )
        return {"messages": [fixed, *answers]}
