"""What each suite's swapped run replaces: framework module -> imported name -> replacement.

Each entry is the edit a user makes to switch: the framework's class or decorator for toolproof's
drop-in of the same name. A replacement is ``"module:attribute"``; ``compat_targets`` holds the one
that is a constructor change rather than an import change.
"""

from __future__ import annotations

_TOOL_NODE = {
    "ToolNode": "toolproof.langchain:ToolNode",
    "tools_condition": "toolproof.langchain:tools_condition",
}
_FUNCTION_TOOL = {"FunctionTool": "toolproof.autogen:FunctionTool"}
_CREWAI_TOOLS = {"BaseTool": "toolproof.crewai:BaseTool", "tool": "toolproof.crewai:tool"}

SWAPS: dict[str, dict[str, dict[str, str]]] = {
    # LangGraph: the prebuilt ToolNode (and tools_condition, which routes to it).
    "langgraph": {
        "langgraph.prebuilt": _TOOL_NODE,
        "langgraph.prebuilt.tool_node": _TOOL_NODE,
    },
    # langchain-core: tools made with @tool are hardened tools.
    "langchain_core": {
        "langchain_core.tools": {"tool": "toolproof.langchain:tool"},
    },
    # AutoGen core: FunctionTool.
    "autogen_core": {
        "autogen_core.tools": _FUNCTION_TOOL,
        "autogen_core": _FUNCTION_TOOL,
    },
    # AgentChat: FunctionTool, and the tools an AssistantAgent is given hardened with harden_all.
    "autogen_agentchat": {
        "autogen_core.tools": _FUNCTION_TOOL,
        "autogen_agentchat.agents": {"AssistantAgent": "compat_targets:AssistantAgent"},
    },
    # CrewAI: BaseTool subclasses and @tool functions.
    "crewai": {
        "crewai.tools": _CREWAI_TOOLS,
        "crewai.tools.base_tool": _CREWAI_TOOLS,
        "crewai": {"tool": "toolproof.crewai:tool"},
    },
}
