"""Replacements that are a constructor change rather than an import change."""

from __future__ import annotations

from typing import Any

from autogen_agentchat.agents import AssistantAgent as _AssistantAgent
from toolproof.autogen import harden_all


class AssistantAgent(_AssistantAgent):
    """``AssistantAgent(..., tools=harden_all(tools))``: what a user switching to toolproof writes."""

    component_provider_override = "autogen_agentchat.agents.AssistantAgent"

    def __init__(self, *args: Any, tools: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, tools=harden_all(tools) if tools else tools, **kwargs)

    @classmethod
    def load_component(cls, model: Any, expected: Any = None) -> Any:
        # The config names AutoGen's class: it loads as AutoGen's, its tools as they were dumped.
        return _AssistantAgent.load_component(model, expected)
