"""The Lambda functions the local runtime runs, and the event sources that invoke them.

``ROUTES`` maps a WebSocket route key to a handler, and ``default_mappings`` maps a RabbitMQ
queue to a handler, as API Gateway routes and Lambda event-source mappings do in AWS. A
handler is named by its dotted path, ``package.module.attribute``, and imported when the
runtime starts. Tests may put a callable in place of a dotted path.
"""

import importlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from livequiz.config import Settings
from livequiz.errors import ConfigError

Event = dict[str, Any]
Handler = Callable[[Event, "LambdaContext"], Any]
HandlerRef = str | Handler

ROUTES: dict[str, HandlerRef] = {
    "$connect": "functions.connect.handler.connect",
    "$disconnect": "functions.connect.handler.disconnect",
    "answer": "functions.answer.handler.handler",
    "sync": "functions.answer.handler.handler",
    "start": "functions.answer.handler.handler",
    "next": "functions.answer.handler.handler",
    "skip": "functions.answer.handler.handler",
    "pause": "functions.answer.handler.handler",
    "resume": "functions.answer.handler.handler",
    "reveal": "functions.answer.handler.handler",
    "end": "functions.answer.handler.handler",
    "lock": "functions.answer.handler.handler",
    "unlock": "functions.answer.handler.handler",
    "kick": "functions.answer.handler.handler",
    "$default": "functions.answer.handler.handler",
}

REST_APP = "functions.auth.app:app"

# Lambda's own default timeout is 3 s. The local runtime cannot stop a handler thread, so this
# only sets what get_remaining_time_in_millis() reports.
DEFAULT_FUNCTION_TIMEOUT_S = 30.0
ACCOUNT_ID = "000000000000"


def default_mappings(settings: Settings) -> dict[str, HandlerRef]:
    """Return the event-source mappings: queue name to the handler that consumes it."""
    return {
        settings.persist_queue: "functions.persist.handler.handler",
        settings.broadcast_queue: "functions.broadcast.handler.handler",
        settings.deadline_queue: "functions.answer.deadline.handler",
    }


class LambdaContext:
    """The subset of the Lambda context object that handlers and Powertools read."""

    def __init__(self, function_name: str, timeout_s: float, region: str) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 128
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class LambdaFunction:
    """A loaded handler with the name and timeout that its context reports."""

    name: str
    handler: Handler
    timeout_s: float = DEFAULT_FUNCTION_TIMEOUT_S
    region: str = "us-east-1"

    def invoke(self, event: Event) -> tuple[Any, LambdaContext]:
        """Call the handler and return its result as Lambda would serialize it, with the context.

        Lambda sends the result through JSON, so a handler that returns a value JSON cannot
        encode (a datetime, a set) fails here as it would in AWS, with a TypeError.
        """
        context = LambdaContext(self.name, self.timeout_s, self.region)
        result = self.handler(event, context)
        return json.loads(json.dumps(result)), context


def import_object(dotted_path: str) -> Any:
    """Import ``package.module.attribute`` or ``package.module:attribute`` and return it."""
    if ":" in dotted_path:
        module_name, _, attribute = dotted_path.partition(":")
    else:
        module_name, _, attribute = dotted_path.rpartition(".")
    if not module_name or not attribute:
        raise ConfigError(f"invalid handler path {dotted_path!r}: expected 'package.module.name'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigError(
            f"cannot import module {module_name!r} for {dotted_path!r}: {error}"
        ) from error
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ConfigError(f"module {module_name!r} has no attribute {attribute!r}") from None


def load_function(
    ref: HandlerRef, region: str, timeout_s: float = DEFAULT_FUNCTION_TIMEOUT_S
) -> LambdaFunction:
    if isinstance(ref, str):
        handler = import_object(ref)
        name = ref
    else:
        handler = ref
        name = getattr(ref, "__qualname__", repr(ref))
    if not callable(handler):
        raise ConfigError(f"handler {name!r} is not callable: got {type(handler).__name__}")
    return LambdaFunction(name=name, handler=handler, timeout_s=timeout_s, region=region)


def load_functions(
    table: Mapping[str, HandlerRef], region: str, timeout_s: float = DEFAULT_FUNCTION_TIMEOUT_S
) -> dict[str, LambdaFunction]:
    """Load every handler of a route or mapping table, keyed as the table is."""
    functions = {}
    for key, ref in table.items():
        try:
            functions[key] = load_function(ref, region, timeout_s)
        except ConfigError as error:
            raise ConfigError(f"cannot load the handler for {key!r}: {error}") from error
    return functions
