"""API Gateway WebSocket events, built the way AWS builds them for a Lambda proxy integration.

The shapes follow events captured from API Gateway (the AWS documentation's samples and the
fixtures of the AWS Lambda event libraries for Rust and Swift):

- ``$connect`` carries the handshake's ``headers`` and ``multiValueHeaders``, and the query
  string as ``queryStringParameters`` and ``multiValueQueryStringParameters``. Both query
  keys are absent when the URL has no query string.
- A message carries ``body`` as a string, ``isBase64Encoded: false`` and a ``messageId``.
- ``$disconnect`` carries ``disconnectStatusCode``, ``disconnectReason`` and the four fixed
  headers that AWS sends on it.

``identity.userAgent`` is present only when the client sent a ``User-Agent`` header, as in the
captured samples. Ids (connection, request, message) are 16 base64 characters like AWS's.
"""

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from livequiz.ids import ConnectionId
from livequiz.local.connections import new_gateway_id, now_ms
from livequiz.local.routes import Event

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# API Gateway passes the client's headers on, except the hop-by-hop ones of the upgrade.
_HOP_BY_HOP_HEADERS = frozenset({"connection", "upgrade"})


@dataclass(frozen=True)
class Handshake:
    """Connection details from the opening handshake, reused in every event of the connection."""

    connection_id: ConnectionId
    connected_at_ms: int
    source_ip: str
    user_agent: str | None
    domain_name: str
    headers: Sequence[tuple[str, str]]
    query: str


def clf_time(epoch_ms: int) -> str:
    """Format a time as API Gateway's ``requestTime``: ``09/Feb/2024:18:23:28 +0000``."""
    t = time.gmtime(epoch_ms / 1000)
    month = _MONTHS[t.tm_mon - 1]
    return (
        f"{t.tm_mday:02d}/{month}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


def _trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def _single_and_multi(
    pairs: Sequence[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Return the last value per name and every value per name, as API Gateway (v1) does."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


class EventFactory:
    """Builder of the events for one stage of one WebSocket API."""

    def __init__(self, stage: str, api_id: str, port: int) -> None:
        self.stage = stage
        self.api_id = api_id
        self.port = port

    def connect(self, handshake: Handshake) -> Event:
        headers = [
            (name, value)
            for name, value in handshake.headers
            if name.lower() not in _HOP_BY_HOP_HEADERS
        ]
        headers += [
            ("X-Amzn-Trace-Id", _trace_id()),
            ("X-Forwarded-For", handshake.source_ip),
            ("X-Forwarded-Port", str(self.port)),
            ("X-Forwarded-Proto", "http"),
        ]
        single, multi = _single_and_multi(headers)
        event: Event = {"headers": single, "multiValueHeaders": multi}
        if handshake.query:
            query = parse_qsl(handshake.query, keep_blank_values=True)
            event["queryStringParameters"], event["multiValueQueryStringParameters"] = (
                _single_and_multi(query)
            )
        event["requestContext"] = self._request_context(handshake, "$connect", "CONNECT")
        event["isBase64Encoded"] = False
        return event

    def message(self, handshake: Handshake, route_key: str, body: str) -> Event:
        context = self._request_context(handshake, route_key, "MESSAGE")
        context["messageId"] = new_gateway_id()
        return {"requestContext": context, "body": body, "isBase64Encoded": False}

    def disconnect(self, handshake: Handshake, status_code: int, reason: str) -> Event:
        fixed_headers = [
            ("Host", handshake.domain_name),
            ("x-api-key", ""),
            ("X-Forwarded-For", ""),
            ("x-restapi", ""),
        ]
        single, multi = _single_and_multi(fixed_headers)
        context = self._request_context(handshake, "$disconnect", "DISCONNECT")
        context["disconnectStatusCode"] = status_code
        context["disconnectReason"] = reason
        return {
            "headers": single,
            "multiValueHeaders": multi,
            "requestContext": context,
            "isBase64Encoded": False,
        }

    def _request_context(self, handshake: Handshake, route_key: str, event_type: str) -> Event:
        request_time_ms = now_ms()
        request_id = new_gateway_id()
        identity: dict[str, Any] = {"sourceIp": handshake.source_ip}
        if handshake.user_agent is not None:
            identity["userAgent"] = handshake.user_agent
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": clf_time(request_time_ms),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": handshake.connected_at_ms,
            "requestTimeEpoch": request_time_ms,
            "identity": identity,
            "requestId": request_id,
            "domainName": handshake.domain_name,
            "connectionId": handshake.connection_id,
            "apiId": self.api_id,
        }
