"""A local stand-in for an API Gateway WebSocket API with Lambda proxy integrations.

Routing: the route selection expression is ``$request.body.action``. A text frame whose body
is a JSON object with a string ``action`` equal to a configured route key goes to that route.
Every other frame, non-JSON included, goes to ``$default``. With no ``$default`` route the
client gets ``{"message": "Forbidden", ...}``, as from AWS.

``$connect`` runs during the opening handshake. A ``statusCode`` outside 2xx rejects the
handshake with that HTTP status, for example 401 for a bad token. A handler that raises gives
502 and one that times out gives 504.

Route responses: every message route is configured as two-way, so when the handler returns a
dict with a string ``body``, the gateway sends that body back to the same client as a text
frame. That is how API Gateway returns a Lambda proxy integration's response when the route
has a route response, and it is how livequiz sends its reply frames. A response with
``isBase64Encoded: true`` is decoded and sent as a binary frame.

Errors: a handler that raises, times out or returns something that is not JSON is logged with
the connection id and request id, and the client gets ``{"message": "Internal server error",
"connectionId": ..., "requestId": ...}`` (``Endpoint request timed out`` on a timeout). The
connection stays open.

Ordering: the messages of one connection are handled one at a time, in the order they
arrived, while different connections run concurrently in a thread pool. Lambda gives no such
ordering guarantee, so handlers must not rely on it.

Limits follow the API Gateway quotas. Frames over 32 KB and messages over 128 KB close the
connection with 1009, and binary frames close it with 1003. A connection is closed with 1001
after ``idle_timeout_s`` without a client message, or after ``max_connection_duration_s``.
This gateway sends no keepalive pings, so a vanished client is found by the idle timeout.
When a connection closes, ``$disconnect`` runs with the close code.
"""

import asyncio
import base64
import contextlib
import json
import logging
import socket
import time
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from weakref import WeakKeyDictionary

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CLOSE_CODE_EXPLANATIONS, CloseCode
from websockets.http11 import Request, Response

from livequiz.ids import ConnectionId
from livequiz.local.connections import Connection, ConnectionRegistry, new_gateway_id, now_ms
from livequiz.local.redaction import RedactingAdapter, redact
from livequiz.local.routes import Event, LambdaFunction
from livequiz.local.websocket_events import EventFactory, Handshake

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 128 * 1024
MAX_FRAME_BYTES = 32 * 1024
# API Gateway's integration timeout is 29 s and cannot be raised.
DEFAULT_INTEGRATION_TIMEOUT_S = 29.0
DEFAULT_IDLE_TIMEOUT_S = 10 * 60.0
DEFAULT_MAX_CONNECTION_DURATION_S = 2 * 3600.0

# The one disconnectReason taken from a captured AWS event. The others are this gateway's own.
_NO_STATUS_REASON = "Client-side close frame status not set"
_SPECIAL_ROUTE_KEYS = frozenset({"$connect", "$disconnect", "$default"})


class IntegrationError(Exception):
    """The handler raised, timed out or returned a response API Gateway cannot use."""

    def __init__(self, message: str, status: HTTPStatus) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class GatewayLimits:
    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S
    max_connection_duration_s: float = DEFAULT_MAX_CONNECTION_DURATION_S
    integration_timeout_s: float = DEFAULT_INTEGRATION_TIMEOUT_S


class Gateway:
    """WebSocket server that runs the route handlers and keeps the connection registry."""

    def __init__(
        self,
        routes: Mapping[str, LambdaFunction],
        registry: ConnectionRegistry,
        executor: Executor,
        *,
        stage: str = "local",
        api_id: str = "local",
        limits: GatewayLimits | None = None,
    ) -> None:
        self.routes = dict(routes)
        self.registry = registry
        self.stage = stage
        self.api_id = api_id
        self.limits = limits or GatewayLimits()
        self._executor = executor
        self._events = EventFactory(stage, api_id, port=0)
        # Handshakes accepted by $connect, waiting for their connection handler to start.
        self._handshakes: WeakKeyDictionary[ServerConnection, Handshake] = WeakKeyDictionary()
        self._server: Server | None = None

    async def start(self, sock: socket.socket) -> None:
        """Serve WebSocket connections on ``sock``, a bound TCP socket."""
        self._events.port = sock.getsockname()[1]
        self._server = await serve(
            self._handle_connection,
            sock=sock,
            process_request=self._process_request,
            max_size=(MAX_MESSAGE_BYTES, MAX_FRAME_BYTES),
            compression=None,
            ping_interval=None,
            # $connect runs inside the handshake, so the handshake may take as long as it.
            open_timeout=self.limits.integration_timeout_s + 5,
            logger=RedactingAdapter(logging.getLogger("websockets.server")),
        )

    async def stop(self) -> None:
        """Close every connection with 1001, run their $disconnect handlers and stop serving."""
        if self._server is None:
            return
        self._server.close(close_connections=True)
        await self._server.wait_closed()
        self._server = None

    async def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        path, _, query = request.path.partition("?")
        if path.rstrip("/") not in ("", f"/{self.stage}"):
            logger.info("rejected WebSocket request for %s: stage is /%s", redact(path), self.stage)
            return ws.respond(HTTPStatus.FORBIDDEN, '{"message":"Forbidden"}')

        handshake = Handshake(
            connection_id=ConnectionId(new_gateway_id()),
            connected_at_ms=now_ms(),
            source_ip=str(ws.remote_address[0]),
            user_agent=request.headers.get("User-Agent"),
            domain_name=request.headers.get("Host") or "localhost",
            headers=list(request.headers.raw_items()),
            query=query,
        )
        function = self.routes.get("$connect")
        if function is not None:
            rejection = await self._run_connect(ws, function, handshake)
            if rejection is not None:
                return rejection
        self._handshakes[ws] = handshake
        return None

    async def _run_connect(
        self, ws: ServerConnection, function: LambdaFunction, handshake: Handshake
    ) -> Response | None:
        event = self._events.connect(handshake)
        try:
            result = await self._invoke(function, event)
        except IntegrationError as error:
            return ws.respond(error.status, json.dumps({"message": error.message}))

        status = HTTPStatus.OK
        body = ""
        if isinstance(result, dict):
            try:
                status = HTTPStatus(int(result.get("statusCode", 200)))
            except (TypeError, ValueError):
                logger.warning(
                    "%s returned an invalid statusCode %r for connection %s",
                    function.name,
                    result.get("statusCode"),
                    handshake.connection_id,
                )
                status = HTTPStatus.BAD_GATEWAY
            if isinstance(result.get("body"), str):
                body = result["body"]
        # NOTE: a $connect handler that returns no statusCode is accepted here. That case was
        # not checked against AWS.
        if 200 <= status < 300:
            return None
        logger.info(
            "connection %s rejected by $connect with %d", handshake.connection_id, status.value
        )
        return ws.respond(status, body or status.phrase)

    async def _handle_connection(self, ws: ServerConnection) -> None:
        handshake = self._handshakes.pop(ws, None)
        if handshake is None:
            await ws.close(CloseCode.INTERNAL_ERROR, "Internal server error")
            return
        connection = Connection(
            connection_id=handshake.connection_id,
            websocket=ws,
            source_ip=handshake.source_ip,
            user_agent=handshake.user_agent,
            connected_at_ms=handshake.connected_at_ms,
        )
        self.registry.add(connection)
        logger.info("connection %s open from %s", connection.connection_id, connection.source_ip)
        try:
            await self._receive_messages(connection, handshake)
        finally:
            self.registry.remove(connection.connection_id)
            # A no-op after a normal close. It only acts if the loop above ended on a bug.
            await ws.close(CloseCode.INTERNAL_ERROR, "Internal server error")
            code, reason = disconnect_status(ws)
            logger.info("connection %s closed with %d: %s", connection.connection_id, code, reason)
            await self._run_disconnect(handshake, code, reason)

    async def _receive_messages(self, connection: Connection, handshake: Handshake) -> None:
        ws = connection.websocket
        while True:
            timeout, reason = self._time_to_expiry(connection)
            try:
                async with asyncio.timeout(timeout):
                    message = await ws.recv()
            except TimeoutError:
                await ws.close(CloseCode.GOING_AWAY, reason)
                return
            except ConnectionClosed:
                return
            connection.touch()
            if isinstance(message, bytes):
                await ws.close(CloseCode.UNSUPPORTED_DATA, "Binary frames are not supported")
                return
            await self._handle_message(connection, handshake, message)

    def _time_to_expiry(self, connection: Connection) -> tuple[float, str]:
        """Return the seconds until the connection must close, and the reason it will give."""
        now = now_ms()
        idle_left = connection.last_active_at_ms / 1000 + self.limits.idle_timeout_s - now / 1000
        duration_left = (
            connection.connected_at_ms / 1000 + self.limits.max_connection_duration_s - now / 1000
        )
        if idle_left <= duration_left:
            return max(0.0, idle_left), "Idle timeout"
        return max(0.0, duration_left), "Maximum connection duration reached"

    async def _handle_message(
        self, connection: Connection, handshake: Handshake, body: str
    ) -> None:
        route_key = self.select_route(body)
        event = self._events.message(handshake, route_key, body)
        request_id = event["requestContext"]["requestId"]
        logger.debug(
            "connection %s request %s to %s: %s",
            connection.connection_id,
            request_id,
            route_key,
            redact(body[:500]),
        )
        function = self.routes.get(route_key)
        if function is None:
            await self._send_error(connection, "Forbidden", request_id)
            return
        try:
            result = await self._invoke(function, event)
            frame = route_response_frame(result)
        except IntegrationError as error:
            await self._send_error(connection, error.message, request_id)
            return
        except ValueError as error:
            logger.warning(
                "%s returned an invalid response on connection %s, request %s: %s",
                function.name,
                connection.connection_id,
                request_id,
                error,
            )
            await self._send_error(connection, "Internal server error", request_id)
            return
        if frame is not None:
            await self._send(connection, frame)

    def select_route(self, body: str) -> str:
        """Evaluate ``$request.body.action`` on a message body and return the route key."""
        try:
            payload = json.loads(body)
        except ValueError:
            return "$default"
        if not isinstance(payload, dict):
            return "$default"
        action = payload.get("action")
        if isinstance(action, str) and action in self.routes and action not in _SPECIAL_ROUTE_KEYS:
            return action
        return "$default"

    async def _invoke(self, function: LambdaFunction, event: Event) -> Any:
        context = event["requestContext"]
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.limits.integration_timeout_s):
                result, _ = await loop.run_in_executor(self._executor, function.invoke, event)
        except TimeoutError:
            # The thread cannot be stopped: it runs on and its result is dropped.
            logger.warning(
                "%s timed out after %.1f s on connection %s, request %s",
                function.name,
                time.monotonic() - started,
                context["connectionId"],
                context["requestId"],
            )
            raise IntegrationError(
                "Endpoint request timed out", HTTPStatus.GATEWAY_TIMEOUT
            ) from None
        except Exception as error:
            logger.warning(
                "%s failed on connection %s, request %s",
                function.name,
                context["connectionId"],
                context["requestId"],
                exc_info=True,
            )
            raise IntegrationError("Internal server error", HTTPStatus.BAD_GATEWAY) from error
        return result

    async def _run_disconnect(self, handshake: Handshake, code: int, reason: str) -> None:
        function = self.routes.get("$disconnect")
        if function is None:
            return
        # _invoke logged the error. $disconnect is best effort in API Gateway as well.
        with contextlib.suppress(IntegrationError):
            await self._invoke(function, self._events.disconnect(handshake, code, reason))

    async def _send_error(self, connection: Connection, message: str, request_id: str) -> None:
        frame = {
            "message": message,
            "connectionId": connection.connection_id,
            "requestId": request_id,
        }
        await self._send(connection, json.dumps(frame))

    async def _send(self, connection: Connection, frame: str | bytes) -> None:
        try:
            await connection.websocket.send(frame)
            size = len(frame.encode() if isinstance(frame, str) else frame)
            logger.debug("sent %d bytes to connection %s", size, connection.connection_id)
        except ConnectionClosed:
            logger.debug(
                "connection %s closed before its response was sent", connection.connection_id
            )


def route_response_frame(result: Any) -> str | bytes | None:
    """Return the frame a route response sends for a handler's result, or None for no frame.

    Raises:
        ValueError: the body is not a string, which a Lambda proxy response requires.
    """
    if not isinstance(result, dict) or result.get("body") is None:
        return None
    body = result["body"]
    if not isinstance(body, str):
        raise ValueError(f"expected a string body, got {type(body).__name__}")
    if result.get("isBase64Encoded") is True:
        return base64.b64decode(body)
    return body


def disconnect_status(ws: ServerConnection) -> tuple[int, str]:
    """Return the close code and reason that ``$disconnect`` reports for a closed connection.

    When the gateway closed the connection, that is the code it sent. Otherwise it is the code
    the client sent, 1005 for a close frame without one, or 1006 when the TCP connection ended
    without any close frame.
    """
    protocol = ws.protocol
    server_closed = protocol.close_sent is not None and not protocol.close_rcvd_then_sent
    close = protocol.close_sent if server_closed else protocol.close_rcvd
    if close is None:
        return CloseCode.ABNORMAL_CLOSURE, "Connection closed abnormally"
    if close.reason:
        return close.code, close.reason
    if close.code == CloseCode.NO_STATUS_RCVD:
        return close.code, _NO_STATUS_REASON
    return close.code, CLOSE_CODE_EXPLANATIONS.get(close.code, "Connection closed")
