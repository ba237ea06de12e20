"""Two MCP servers' tools dispatched through one toolproof registry. Offline: both servers run here.

- "files" is a FastMCP server in this process, connected through the MCP SDK's in-memory transport.
- "calendar" is a toolproof registry served over MCP (`toolproof.mcp.serve`), started as a
  subprocess on stdio, as an MCP client starts any server.

Both have a tool named `search`: loaded together, the clash is refused, naming both servers; with
prefixes they load as `files_search` and `calendar_search`. A scripted model turn then calls the
tools the way models do (a number as text, a trailing comma, a missing argument, a destructive
tool that times out), and every call goes through the argument road before the request leaves.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from typing import Literal

import toolproof
from mcp import StdioServerParameters, types
from mcp.server.fastmcp import FastMCP
from toolproof import ToolCall, ToolDefinitionError
from toolproof.mcp import Servers, provider_name, results_to_messages, serve

# -- the "files" server: FastMCP, in this process -----------------------------------------------

files = FastMCP("files", log_level="WARNING")
DOCUMENTS = {
    "q3-report.md": "Revenue grew 12%.",
    "roadmap.md": "Ship MCP support.",
    "notes.txt": "Lunch at 12.",
}


@files.tool(annotations=types.ToolAnnotations(readOnlyHint=True))
def search(query: str, limit: int = 5) -> list[str]:
    """Find documents whose name contains the query."""
    return [name for name in DOCUMENTS if query.lower() in name][:limit]


@files.tool(name="files.read", annotations=types.ToolAnnotations(readOnlyHint=True))
def read(path: str) -> str:
    """Read a document."""
    if path not in DOCUMENTS:
        raise ValueError(f"no document named {path!r}")
    return DOCUMENTS[path]


@files.tool(annotations=types.ToolAnnotations(destructiveHint=True))
async def purge(older_than_days: int) -> str:
    """Delete old documents (slow: it takes longer than the timeout)."""
    await asyncio.sleep(10)
    return "purged"


# -- the "calendar" server: a toolproof registry served on stdio --------------------------------


def calendar_search(day: dt.date) -> list[str]:
    """Meetings on a day."""
    return [f"{day.isoformat()} 10:00 standup", f"{day.isoformat()} 14:00 design review"]


def book(room: Literal["fjord", "harbour"], start: dt.datetime, hours: int) -> dict[str, object]:
    """Book a meeting room."""
    return {"room": room, "start": start, "end": start + dt.timedelta(hours=hours), "confirmed": True}


def serve_calendar() -> None:
    registry = toolproof.Registry([toolproof.Tool.from_function(calendar_search, name="search"), book])
    serve(registry, name="calendar", annotations={"search": {"readOnlyHint": True}}).run()


# -- the client ---------------------------------------------------------------------------------

CALENDAR = StdioServerParameters(command=sys.executable, args=[__file__, "--serve-calendar"])

MODEL_TURN = [
    ToolCall("call_1", "files_search", '{"query": "md", "limit": "2",}'),
    # "files.read" has a dot no provider accepts: it gets a stable name, and requests use its own.
    ToolCall("call_2", provider_name("files.read", prefix="files"), {"path": "roadmap.md"}),
    ToolCall("call_3", "calendar_search", {"day": "2025-06-02"}),
    ToolCall("call_4", "calendar_book", {"room": "Fjord", "start": "2025-06-02T10:00:00", "hours": "2"}),
    ToolCall("call_5", "calendar_book", {"room": "attic", "hours": 1}),
    ToolCall("call_6", "files_purge", {"older_than_days": 30}),
]


async def main() -> None:
    print("== loading both servers without prefixes")
    try:
        async with Servers({"files": files, "calendar": CALENDAR}):
            pass
    except ToolDefinitionError as error:
        print("refused:", str(error).split(";")[0])

    print("\n== with prefixes")
    async with Servers({"files": files, "calendar": CALENDAR}, prefix=True, timeout=0.5) as servers:
        for tool in servers.tools:
            retried = "retried" if tool.retry_safe else "tried once"
            print(f"  {tool.name:<28} <- {tool.server}:{tool.server_name:<12} ({retried})")
        calls = MODEL_TURN
        registry = servers.registry()
        print("\n== one model turn, six calls, one registry")
        for result in await registry.adispatch(calls):
            outcome = "ok" if result.ok else result.error["code"]
            repairs = ", ".join(f"{r.path or '(the text)'} {r.kind}" for r in result.repairs)
            print(f"  {result.call_id} {result.name:<28} {outcome:<18} {result.content[:70]!r}")
            if repairs:
                print(f"  {'':<7} repaired: {repairs}")

        print("\n== what goes back to Anthropic (first two results)")
        results = await registry.adispatch(calls[:2])
        print(json.dumps(results_to_messages(results, "anthropic"), indent=2)[:600])

        print("\n== OpenAI strict definitions")
        for definition in registry.schemas("openai"):
            function = definition["function"]
            print(f"  {function['name']:<28} strict={function.get('strict', False)}")

        counts = registry.metrics().as_dict()["total"]
        print(f"\n{counts['calls']} calls, {counts['successes']} ok, errors {counts['errors']}")


if __name__ == "__main__":
    if "--serve-calendar" in sys.argv:
        serve_calendar()
    else:
        asyncio.run(main())
