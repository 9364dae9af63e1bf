"""Logging and the instrumentation shared by every Lambda entry point.

Library modules log to ``logging.getLogger(__name__)`` and never configure logging. On Lambda
the ``livequiz`` logger gets the function's Powertools handler, so those records come out as
JSON with the same keys. The local runtime runs every function in one process and configures
logging itself, so there the library records go to its handlers instead.

``entry_point`` wraps a handler once with everything an invocation needs::

    logger = function_logger("connect")

    @entry_point("connect", logger)
    def handler(event, context): ...
"""

import functools
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from livequiz import events, metrics, tracing

Handler = TypeVar("Handler", bound=Callable[..., Any])


class FunctionLogger(Logger):
    """A Powertools logger whose keys belong to the invocation that appended them.

    Keys are kept per thread (Powertools' thread-safe keys, a context variable), because the
    local runtime runs concurrent invocations of one function in threads that share the
    logger. The game, player and connection id keys also label the invocation's APM
    transaction (``livequiz.tracing.LABEL_KEYS``).
    """

    def append_keys(self, **additional_keys: object) -> None:
        self.thread_safe_append_keys(**additional_keys)
        tracing.label(**additional_keys)

    def start_invocation(self, function: str, context: Any) -> None:
        """Clear the previous invocation's keys and append the Lambda context's.

        ``cold_start`` is true on the first invocation of ``function`` in this process.
        """
        with _warm_lock:
            cold_start = function not in _warm
            _warm.add(function)
        self.thread_safe_clear_keys()
        self.thread_safe_append_keys(
            cold_start=cold_start,
            function_name=context.function_name,
            function_memory_size=context.memory_limit_in_mb,
            function_arn=context.invoked_function_arn,
            function_request_id=context.aws_request_id,
        )


# Functions invoked at least once in this process. A Lambda execution environment runs one
# function, but the local runtime runs them all in one process, as livequiz.tracing assumes too.
_warm: set[str] = set()
_warm_lock = threading.Lock()


def function_logger(function: str) -> FunctionLogger:
    """Return the Powertools logger of one function, service ``livequiz-<function>``."""
    # The service name must not be a substring of a module logger's name: Powertools filters
    # such records out of the root handlers (SuppressFilter, Powertools 3.37).
    logger = FunctionLogger(service=f"livequiz-{function}")
    events.demote_connection_loss_logs()
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        copy_config_to_registered_loggers(source_logger=logger, include={"livequiz"})
    return logger


def entry_point(
    function: str, logger: FunctionLogger, *, trace: bool = True
) -> Callable[[Handler], Handler]:
    """Wrap a Lambda handler of ``function`` for tracing, logging and metrics.

    Innermost first: the invocation's APM transaction while tracing is on
    (``livequiz.tracing``), then the logger's Lambda context (request id, cold start) with the
    keys of the previous invocation cleared, then the count of escaping exceptions, then the
    flush of the invocation's EMF metrics, which therefore also carries that count. With
    ``trace=False`` the handler opens its own transactions, as the REST function's
    ``TracingMiddleware`` does.
    """

    def decorate(handler: Handler) -> Handler:
        traced = trace_invocations(function, logger, handler) if trace else handler

        @functools.wraps(traced)
        def logged(event: Any, context: Any) -> Any:
            logger.start_invocation(function, context)
            return traced(event, context)

        counted = metrics.count_errors(function)(logged)
        wrapped: Handler = metrics.flush_after(counted)  # type: ignore[assignment]
        return wrapped

    return decorate


def trace_invocations(function: str, logger: FunctionLogger, handler: Handler) -> Handler:
    """Wrap ``handler`` so that each invocation is one transaction, whose trace and
    transaction ids go into the invocation's log records as ``trace.id`` and
    ``transaction.id``, the fields that Elastic uses to join logs to traces.

    """

    @functools.wraps(handler)
    def traced(event: Any, context: Any) -> Any:
        with tracing.invocation(function, event, context) as current:
            if current is not None:
                ids = {"trace.id": current.trace_id, "transaction.id": current.transaction_id}
                logger.append_keys(**ids)
            result = handler(event, context)
            if current is not None:
                current.finish(result)
            return result

    return traced  # type: ignore[return-value]
