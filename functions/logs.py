"""JSON logging for the Lambda entry points, with the request id and the game's ids as keys.

Library modules log to ``logging.getLogger(__name__)`` and never configure logging. On Lambda
the ``livequiz`` logger gets the function's Powertools handler, so those records come out as
JSON with the same keys. The local runtime runs every function in one process and configures
logging itself, so there the library records go to its handlers instead.
"""

import os

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers


def function_logger(function: str) -> Logger:
    # The service name must not be a substring of a module logger's name: Powertools filters
    # such records out of the root handlers (SuppressFilter, Powertools 3.37).
    logger = Logger(service=f"livequiz-{function}")
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        copy_config_to_registered_loggers(source_logger=logger, include={"livequiz"})
    return logger
