"""CrewAI before and after toolproof: the same crew, the same scripted model, run twice.

The model asks for four order lookups at once, the way models do: one with camelCase keys and the id
as a string, one written as a Python dict, two correct. The tool keeps the order id on ``self`` and
returns a datetime and a Decimal. Plain CrewAI refuses the first two calls, and runs the other two
in its thread pool on one shared instance; the hardened tool (hardened from its class, so every call
gets an instance of its own) repairs both calls and sends JSON.

Runs offline: ``python examples/crewai_crew.py``.
"""

from __future__ import annotations

import os
import tempfile

# CrewAI phones home and writes under HOME unless told not to; set this before importing it.
_home = tempfile.mkdtemp(prefix="toolproof-crewai-example-")
os.environ.update(
    CREWAI_DISABLE_TELEMETRY="true",
    OTEL_SDK_DISABLED="true",
    CREWAI_TRACING_ENABLED="false",
    CREWAI_STORAGE_DIR=os.path.join(_home, "crewai"),
    HOME=_home,
)

import datetime as dt  # noqa: E402
import time  # noqa: E402
from decimal import Decimal  # noqa: E402
from typing import Any  # noqa: E402

from crewai import Agent, Crew, Task  # noqa: E402
from crewai.tools import BaseTool  # noqa: E402
from toolproof.crewai import harden, harden_llm  # noqa: E402
from toolproof.testing import crewai_llm  # noqa: E402


class OrderLookup(BaseTool):
    name: str = "lookup_order"
    description: str = "Look up an order by its id."
    # Kept on self, as many class-based tools keep a session, a cursor or the last query.
    current_order_id: int = 0

    def _run(self, order_id: int) -> dict[str, Any]:
        self.current_order_id = order_id
        time.sleep(0.05)  # the upstream request
        return {
            "order_id": self.current_order_id,
            "placed_at": dt.datetime(2025, 3, 14, 9, 26),
            "total": Decimal("19.90"),
        }


SCRIPT = [
    [
        ("lookup_order", {"orderId": "1042"}),
        ("lookup_order", "{'order_id': 1043}"),
        ("lookup_order", {"order_id": 1044}),
        ("lookup_order", {"order_id": 1045}),
    ],
    "Here are your orders.",
]


def run_crew(tool: BaseTool, llm: Any) -> list[str]:
    agent = Agent(role="Support agent", goal="Find orders", backstory="Careful.", llm=llm, tools=[tool])
    task = Task(description="Find orders 1042 to 1045.", expected_output="The orders.", agent=agent)
    Crew(agents=[agent], tasks=[task]).kickoff()
    last_request = llm.requests[-1]["messages"]
    return [message["content"] for message in last_request if message.get("role") == "tool"]


def show(title: str, results: list[str]) -> None:
    print(f"\n{title}")
    for (_, arguments), result in zip(SCRIPT[0], results, strict=True):
        shown = result if len(result) <= 110 else result[:107] + "..."
        print(f"  {arguments!s:34} -> {shown}")


def main() -> None:
    show("Plain CrewAI tool:", run_crew(OrderLookup(), crewai_llm(SCRIPT)))

    # The class, not an instance: each call runs on a fresh OrderLookup.
    hardened = harden(OrderLookup)
    show("Hardened (toolproof.crewai.harden):", run_crew(hardened, harden_llm(crewai_llm(SCRIPT))))

    repairs = hardened.metrics().total["repairs"]
    print(
        f"\nRepairs made on the way: {', '.join(f'{kind} x{count}' for kind, count in sorted(repairs.items()))}"
    )


if __name__ == "__main__":
    main()
