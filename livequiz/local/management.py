"""The API Gateway Management API (``@connections``) for the local gateway's connections.

    POST   /{stage}/@connections/{connectionId}   send the raw body to the client, 200
    GET    /{stage}/@connections/{connectionId}   connectedAt, identity, lastActiveAt, 200
    DELETE /{stage}/@connections/{connectionId}   close the connection with 1000, 204
    GET    /metrics                               the metrics in Prometheus text format, 200

An unknown or closed connection gives 410 ``GoneException``, data over 128 KB gives 413
``PayloadTooLargeException`` and another stage gives 403 ``ForbiddenException``. Each error
carries the ``x-amzn-ErrorType`` header and a JSON body with ``__type``, which botocore turns
into ``client.exceptions.GoneException`` and so on. A boto3 client reaches it with
``endpoint_url="http://127.0.0.1:PORT/STAGE"``.

The app runs on the gateway's event loop, so it sends frames with ``await websocket.send()``.
It does not check request signatures.
"""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from websockets.exceptions import ConnectionClosed

from livequiz import metrics
from livequiz.local.connections import Connection, ConnectionRegistry
from livequiz.local.gateway import MAX_MESSAGE_BYTES

logger = logging.getLogger(__name__)


def iso8601(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def error_response(status: int, error_type: str, message: str | None) -> JSONResponse:
    return JSONResponse(
        {"message": message, "__type": error_type},
        status_code=status,
        headers={"x-amzn-ErrorType": error_type},
    )


def gone() -> JSONResponse:
    return error_response(410, "GoneException", None)


class ManagementApi:
    """The @connections endpoints over a connection registry."""

    def __init__(self, registry: ConnectionRegistry, stage: str) -> None:
        self.registry = registry
        self.stage = stage
        # Closes started by DELETE. A reference is kept so the tasks are not garbage-collected.
        self._closing: set[asyncio.Task[None]] = set()
        route = Route(
            "/{stage}/@connections/{connection_id}",
            self.dispatch,
            methods=["GET", "POST", "DELETE"],
        )
        self.app = Starlette(routes=[route, Route("/metrics", serve_metrics, methods=["GET"])])

    async def dispatch(self, request: Request) -> Response:
        if request.path_params["stage"] != self.stage:
            return error_response(403, "ForbiddenException", "Forbidden")
        connection_id: str = request.path_params["connection_id"]
        if request.method == "POST":
            return await self.post_to_connection(connection_id, await request.body())
        if request.method == "GET":
            return self.get_connection(connection_id)
        return self.delete_connection(connection_id)

    async def post_to_connection(self, connection_id: str, data: bytes) -> Response:
        if len(data) > MAX_MESSAGE_BYTES:
            message = f"Message too long: {len(data)} bytes, the maximum is {MAX_MESSAGE_BYTES}"
            return error_response(413, "PayloadTooLargeException", message)
        connection = self.registry.get(connection_id)
        if connection is None:
            logger.debug("post to connection %s: gone", connection_id)
            return gone()
        # API Gateway delivers posted data in text frames. Data that is not UTF-8 cannot be a
        # text frame, so it goes out as a binary frame.
        frame: str | bytes
        try:
            frame = data.decode("utf-8")
        except UnicodeDecodeError:
            frame = data
        try:
            await connection.websocket.send(frame)
        except ConnectionClosed:
            logger.debug("post to connection %s: closed while sending", connection_id)
            return gone()
        logger.debug("posted %d bytes to connection %s", len(data), connection_id)
        return Response(status_code=200)

    def get_connection(self, connection_id: str) -> Response:
        connection = self.registry.get(connection_id)
        if connection is None:
            return gone()
        return JSONResponse(describe(connection))

    def delete_connection(self, connection_id: str) -> Response:
        connection = self.registry.remove(connection_id)
        if connection is None:
            return gone()
        logger.info("closing connection %s on request of the @connections API", connection_id)
        # The gateway's connection handler receives the close and runs $disconnect, as in AWS.
        task = asyncio.create_task(connection.websocket.close(1000))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        return Response(status_code=204)


async def serve_metrics(request: Request) -> Response:
    # A scrape reads Redis and may read RabbitMQ for the collected gauges, so it runs on a
    # worker thread: the event loop carries every WebSocket connection of the gateway.
    body = await asyncio.to_thread(generate_latest, metrics.REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def describe(connection: Connection) -> dict[str, Any]:
    return {
        "connectedAt": iso8601(connection.connected_at_ms),
        "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent or ""},
        "lastActiveAt": iso8601(connection.last_active_at_ms),
    }
