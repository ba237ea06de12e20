"""Tools of a support assistant, with the flaws `toolproof check` exists to catch.

toolproof check examples.support_tools:TOOLS --provider openai --strict
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from toolproof import tool


@tool
def lookup_order(order_id: str, include_items: bool = False) -> dict:
    """Look up an order.

    Args:
        order_id: The order's number, like A-1042.
        include_items: Whether to list the order's items.
    """
    return {
        "order_id": order_id,
        "placed": dt.date(2025, 3, 14).isoformat(),
        "items": [] if include_items else None,
    }


@tool
def refund(order_id: str, amount: float, reason: Literal["damaged", "late", "other"] = "other") -> str:
    """Refund part of an order."""
    return f"refunded {amount:.2f} on {order_id}"


def update_profile(customer_id: str, fields: dict) -> str:
    """Update a customer's profile with whatever fields are given."""
    return "updated"


def tag_counts(customer_id: str, counts: dict[str, int]) -> str:
    """Record how often each tag was used."""
    return "recorded"


def lookup_order_v2(order_id: str) -> dict:
    """A newer lookup, registered under the same name by mistake."""
    return {"order_id": order_id}


lookup_order_v2.__name__ = "lookup_order"

TOOLS = [lookup_order, refund, update_profile, tag_counts, lookup_order_v2]
