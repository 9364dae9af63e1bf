"""Open WebSocket connections, shared by the gateway and the @connections management API.

Both run on one event loop, and only code on that loop touches the registry, so it needs no
lock.
"""

import base64
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from websockets.asyncio.server import ServerConnection

from livequiz.ids import ConnectionId


def new_gateway_id() -> str:
    """Return an id shaped like API Gateway's connection and request ids.

    Those are 16 base64 characters ending in one '=', which is what 11 random bytes encode to.
    The URL-safe alphabet keeps '/' out, because the id is a path segment of @connections URLs.
    """
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode("ascii")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class Connection:
    """One open WebSocket connection and what @connections GET reports about it."""

    connection_id: ConnectionId
    websocket: ServerConnection
    source_ip: str
    user_agent: str | None
    connected_at_ms: int
    # Updated on every message from the client. API Gateway's idle timeout counts from it too.
    last_active_at_ms: int = field(default_factory=now_ms)

    def touch(self) -> None:
        self.last_active_at_ms = now_ms()


class ConnectionRegistry:
    """The open connections by connection id."""

    def __init__(self) -> None:
        self._connections: dict[ConnectionId, Connection] = {}

    def add(self, connection: Connection) -> None:
        self._connections[connection.connection_id] = connection

    def get(self, connection_id: str) -> Connection | None:
        return self._connections.get(ConnectionId(connection_id))

    def remove(self, connection_id: str) -> Connection | None:
        return self._connections.pop(ConnectionId(connection_id), None)

    def __len__(self) -> int:
        return len(self._connections)

    def __iter__(self) -> Iterator[Connection]:
        return iter(list(self._connections.values()))
