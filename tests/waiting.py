"""Waiting for something another thread or process brings about, within a bound."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], within: float) -> bool:
    """Whether `condition` holds within `within` seconds; asked every 10 ms, sleeping between
    (which lets the GIL go to the threads being waited for)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
