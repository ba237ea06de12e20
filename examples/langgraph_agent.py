"""A LangGraph agent whose model makes the mistakes real models make, before and after toolproof.

Runs offline: the model is scripted (toolproof.testing.langchain_chat_model). In one turn it asks
for three tools at once:

- search_flights with camelCase keys and a number written as a string;
- get_weather with malformed JSON (a trailing comma), which LangChain cannot parse;
- hotel_rates, whose upstream drops the first connection and answers the second.

With LangGraph's ToolNode the run dies on the dropped connection and the other two results are
lost with it; with its errors handled, the model still gets one argument error, one call never
answered, and a connection error. With the same tools hardened by toolproof (its ToolNode in a
StateGraph, or create_agent with ToolproofMiddleware), all three succeed.

    python examples/langgraph_agent.py
"""

from __future__ import annotations

from typing import Any

import toolproof
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode as LangGraphToolNode
from langgraph.prebuilt import tools_condition as langgraph_tools_condition
from toolproof.langchain import ToolNode, ToolproofMiddleware, tools_condition
from toolproof.testing import langchain_chat_model

# --- the tools, written the usual LangChain way --------------------------------------------------


@tool
def search_flights(origin_city: str, max_price: int) -> list[dict[str, Any]]:
    """Flights leaving a city, cheapest first.

    Args:
        origin_city: the city to fly from
        max_price: the most to pay, in euros
    """
    flights = [{"to": "Lisbon", "price": 189}, {"to": "Rome", "price": 240}, {"to": "Tokyo", "price": 910}]
    return [flight for flight in flights if flight["price"] <= max_price]


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"{city}: 24°C, sunny"


connections = {"opened": 0}


@tool
def hotel_rates(city: str) -> dict[str, int]:
    """Hotel rates in a city, per night."""
    connections["opened"] += 1
    if connections["opened"] % 2 == 1:  # the upstream drops every first connection
        raise ConnectionError("connection reset by peer")
    return {"budget": 60, "comfort": 110}


TOOLS = [search_flights, get_weather, hotel_rates]

SCRIPT = [
    [
        ("search_flights", {"originCity": "Oslo", "maxPrice": "300"}),
        ("get_weather", '{"city": "Lisbon",}'),
        ("hotel_rates", {"city": "Lisbon"}),
    ],
    "Lisbon: a 189 EUR flight, 24°C and sunny, hotels from 60 EUR a night.",
]


def agent_graph(tool_node: Any, route: Any) -> Any:
    """The classic loop: the model, then the tools while the model calls any."""
    model = langchain_chat_model(SCRIPT)
    bound = model.bind_tools(TOOLS)

    def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [bound.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("model", call_model)
    graph.add_node("tools", tool_node)
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", route)
    graph.add_edge("tools", "model")
    return graph.compile()


def show(title: str, app: Any) -> None:
    print(f"\n== {title} ==")
    connections["opened"] = 0
    try:
        output = app.invoke({"messages": [HumanMessage("Somewhere warm from Oslo under 300 EUR?")]})
    except Exception as error:
        print(f"  the run failed: {type(error).__name__}: {error}")
        print("  (the results of the calls that worked were lost with it)")
        return
    turn = next(m for m in output["messages"] if isinstance(m, AIMessage))
    results = {m.tool_call_id: m for m in output["messages"] if isinstance(m, ToolMessage)}
    unanswered = 0
    for call in [*turn.tool_calls, *turn.invalid_tool_calls]:
        result = results.get(call["id"])
        if result is None:
            unanswered += 1
            print(f"  {call['name']:<15} NEVER ANSWERED (LangChain could not parse {call['args']!r})")
            continue
        notes = result.response_metadata.get("toolproof", {})
        how = [f"repaired: {', '.join(r['kind'] for r in notes['repairs'])}"] if "repairs" in notes else []
        how += [f"attempts: {notes['attempts']}"] if "attempts" in notes else []
        text = " ".join(str(result.content).split())
        print(f"  {call['name']:<15} {result.status:<7} {text[:90]}{'…' if len(text) > 90 else ''}")
        if how:
            print(f"  {'':<15} ({'; '.join(how)})")
    if unanswered:
        # The scripted model answers anyway; a real provider refuses a conversation with a call
        # left without its result.
        print(f"  next request: a real provider refuses it ({unanswered} call without a result)")
    else:
        print(f"  final answer: {output['messages'][-1].content}")


def main() -> None:
    show("before: LangGraph's ToolNode", agent_graph(LangGraphToolNode(TOOLS), langgraph_tools_condition))
    show(
        "before: LangGraph's ToolNode, handle_tool_errors=True",
        agent_graph(LangGraphToolNode(TOOLS, handle_tool_errors=True), langgraph_tools_condition),
    )
    options = {"retry": toolproof.Retry(attempts=3, initial_delay=0.05), "timeout": 10}
    show(
        "after: toolproof.langchain.ToolNode, same tools",
        agent_graph(ToolNode(TOOLS, **options), tools_condition),
    )
    # create_agent builds LangGraph's ToolNode itself: the middleware hands it the hardened tools.
    show(
        "after: create_agent with ToolproofMiddleware, same tools",
        create_agent(langchain_chat_model(SCRIPT), middleware=[ToolproofMiddleware(TOOLS, **options)]),
    )


if __name__ == "__main__":
    main()
