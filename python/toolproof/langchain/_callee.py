"""How a LangChain tool's function is called with road-checked arguments."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any, cast

import pydantic
import pydantic.v1
from langchain_core.messages.tool import ToolOutputMixin
from langchain_core.tools.base import TOOL_MESSAGE_BLOCK_TYPES, _get_runnable_config_param
from langchain_core.utils._signature import _signature_parameters
from langchain_core.utils.pydantic import get_fields
from langgraph.errors import GraphBubbleUp

from toolproof._adapt.text import pydantic_argument_error
from toolproof.context import CallContext
from toolproof.langchain._calls import LangChainCall, call_of


class Callee:
    """Calls one LangChain tool's function or coroutine the way LangChain would: arguments
    validated into its ``args_schema`` model (so annotated types arrive as Python objects), the
    injected values LangGraph supplies, ``callbacks``/``run_manager``/config parameters filled."""

    def __init__(
        self,
        *,
        name: str,
        function: Callable[..., Any] | None,
        coroutine: Callable[..., Any] | None,
        args_model: type[pydantic.BaseModel] | type[pydantic.v1.BaseModel] | None,
        injected_keys: frozenset[str],
        call_id_keys: frozenset[str],
        response_format: str,
    ) -> None:
        self.name = name
        self.function = function
        self.coroutine = coroutine
        self.args_model = args_model
        self.injected_keys = injected_keys
        self.call_id_keys = call_id_keys
        self.content_and_artifact = response_format == "content_and_artifact"
        if args_model is not None:
            fields = get_fields(args_model)
            self.field_names = tuple(name for name in fields if name not in ("args", "kwargs"))
            self.defaulted = frozenset(name for name, field in fields.items() if not _required(field))
        self.function_extras = _extra_parameters(function)
        self.coroutine_extras = _extra_parameters(coroutine)

    def keyword_arguments(
        self, arguments: dict[str, Any], call: LangChainCall, extras: tuple[bool, bool, str | None]
    ) -> dict[str, Any]:
        data = arguments
        if call.injected:
            data.update(call.injected)
        for key in self.call_id_keys:
            data[key] = call.tool_call_id if call.tool_call_id is not None else call.injected.get(key)
        if self.args_model is None:
            kwargs = data
        else:
            try:
                if issubclass(self.args_model, pydantic.BaseModel):
                    instance: Any = self.args_model.model_validate(data)
                    provided = instance.model_fields_set
                else:
                    instance = self.args_model.parse_obj(data)
                    provided = instance.__fields_set__
            except (pydantic.ValidationError, pydantic.v1.ValidationError) as error:
                # The tool's own validators (beyond what its schema says) refused them.
                raise pydantic_argument_error(self.name, error) from None
            kwargs = {
                name: getattr(instance, name)
                for name in self.field_names
                if name in data or name in provided or name in self.defaulted
            }
            # Injected objects reach the function as they are, not as pydantic's copies.
            for key in self.injected_keys:
                if key in data:
                    kwargs[key] = data[key]
            for key in self.call_id_keys:
                kwargs[key] = data[key]
        takes_callbacks, takes_run_manager, config_parameter = extras
        if takes_callbacks and call.run_manager is not None:
            kwargs["callbacks"] = call.run_manager.get_child()
        if takes_run_manager:
            kwargs["run_manager"] = call.run_manager
        if config_parameter is not None:
            kwargs[config_parameter] = call.config
        return kwargs

    def settle(self, value: Any, call: LangChainCall) -> Any:
        """What the engine encodes for the model; the rest stays with the call."""
        if self.content_and_artifact:
            if not (isinstance(value, tuple) and len(value) == 2):
                raise ValueError(
                    "Since response_format='content_and_artifact' a two-tuple of the message content and "
                    f"raw tool output is expected. Instead, generated response is of type: {type(value)}."
                )
            value, call.artifact = value
        call.value = value
        if isinstance(value, ToolOutputMixin) or (
            isinstance(value, list) and value and all(isinstance(item, ToolOutputMixin) for item in value)
        ):
            # A ToolMessage or a LangGraph Command answers the call itself.
            call.passthrough = value
            return None
        if (
            isinstance(value, list)
            and any(isinstance(item, dict) for item in value)
            and all(_is_content_block(item) for item in value)
        ):
            # Message content blocks (an image, a document): the message carries them as they are.
            # A list of plain strings is data, and goes to the model as a JSON array.
            call.content_blocks = value
        return value


def _required(field: Any) -> bool:
    # pydantic 2 fields say is_required(); pydantic.v1 fields `required`.
    return (
        bool(field.is_required()) if hasattr(field, "is_required") else bool(getattr(field, "required", True))
    )


def _extra_parameters(func: Callable[..., Any] | None) -> tuple[bool, bool, str | None]:
    """Whether ``func`` takes ``callbacks``, ``run_manager``, and the name of its RunnableConfig
    parameter: LangChain fills these, never the model."""
    if func is None:
        return False, False, None
    parameters = _signature_parameters(func)
    # Through wrappers (watch, a fresh instance per call) to the method that declares the types.
    config_parameter = _get_runnable_config_param(inspect.unwrap(func))
    return "callbacks" in parameters, "run_manager" in parameters, config_parameter


def _is_content_block(item: Any) -> bool:
    return isinstance(item, str) or (isinstance(item, dict) and item.get("type") in TOOL_MESSAGE_BLOCK_TYPES)


def engine_function(callee: Callee, *, use_coroutine: bool) -> Callable[..., Any]:
    """The function the toolproof engine calls: road-checked arguments in, the value to encode out.
    The tool's exceptions pass through as they are (the engine classifies them, the hardened tool
    answers or raises them as LangChain would); LangGraph's interrupts travel beside the result."""
    if use_coroutine:
        coroutine = cast(Callable[..., Any], callee.coroutine)
        extras = callee.coroutine_extras

        async def call_async(_toolproof_call: CallContext, **arguments: Any) -> Any:
            call = call_of(_toolproof_call)
            kwargs = callee.keyword_arguments(arguments, call, extras)
            try:
                value = await coroutine(**kwargs)
            except GraphBubbleUp as error:
                call.propagate = error
                return None
            return callee.settle(value, call)

        wrapper: Callable[..., Any] = call_async
        original: Callable[..., Any] = coroutine
    else:
        function = cast(Callable[..., Any], callee.function)
        extras = callee.function_extras

        def call_sync(_toolproof_call: CallContext, **arguments: Any) -> Any:
            call = call_of(_toolproof_call)
            kwargs = callee.keyword_arguments(arguments, call, extras)
            try:
                if call.context is None or call.thread == threading.get_ident():
                    value = function(**kwargs)
                else:
                    # A copy: an abandoned attempt (timed out, then retried) may still be inside it.
                    value = call.context.copy().run(function, **kwargs)
            except GraphBubbleUp as error:
                call.propagate = error
                return None
            return callee.settle(value, call)

        wrapper = call_sync
        original = function
    # The engine reads what to inject from this signature; logs and name clashes name the original.
    wrapper.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("_toolproof_call", inspect.Parameter.KEYWORD_ONLY, annotation=CallContext),
            inspect.Parameter("arguments", inspect.Parameter.VAR_KEYWORD),
        ]
    )
    wrapper.__annotations__ = {"_toolproof_call": CallContext}
    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        value = getattr(original, attribute, None)
        if value is not None:
            try:
                setattr(wrapper, attribute, value)
            except (AttributeError, TypeError):
                pass
    return wrapper
