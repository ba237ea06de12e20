"""What a tool can ask to receive besides the model's arguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from toolproof._core import ToolCall

__all__ = ["CallContext"]


@dataclass(frozen=True)
class CallContext:
    """The call being run, and the ``context`` given to ``dispatch``.

    Annotate a tool parameter with ``CallContext`` and toolproof fills it in; it is never part of
    the schema the model sees, so the model cannot forge it.
    """

    __toolproof_injected__: ClassVar[bool] = True

    call: ToolCall
    context: Any = None
