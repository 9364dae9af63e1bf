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

import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from livequiz import metrics

Handler = TypeVar("Handler", bound=Callable[..., Any])


def function_logger(function: str) -> Logger:
    """Return the Powertools logger of one function, service ``livequiz-<function>``."""
    # The service name must not be a substring of a module logger's name: Powertools filters
    # such records out of the root handlers (SuppressFilter, Powertools 3.37).
    logger = Logger(service=f"livequiz-{function}")
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        copy_config_to_registered_loggers(source_logger=logger, include={"livequiz"})
    return logger


def entry_point(function: str, logger: Logger) -> Callable[[Handler], Handler]:
    """Wrap a Lambda handler of ``function`` for logging and metrics.

    Innermost first: the logger's Lambda context (request id, cold start) with the keys of
    the previous invocation cleared, then the count of escaping exceptions, then the flush of
    the invocation's EMF metrics, which therefore also carries that count.
    """

    def decorate(handler: Handler) -> Handler:
        logged = logger.inject_lambda_context(clear_state=True)(handler)
        counted = metrics.count_errors(function)(logged)
        wrapped: Handler = metrics.flush_after(counted)  # type: ignore[assignment]
        return wrapped

    return decorate
