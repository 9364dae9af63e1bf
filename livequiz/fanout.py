"""Fan-out of frames to a game's connections through the API Gateway Management API.

Posts run in parallel on a bounded thread pool, each with its own timeout, and ``send`` returns
only when every post has finished. A connection that API Gateway reports as gone (410) is
listed in the report for the caller to remove: that is the normal end of a connection and not
an error.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from livequiz.config import Settings
from livequiz.ids import ConnectionId

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient

logger = logging.getLogger(__name__)


@dataclass
class SendReport:
    sent: int = 0
    gone: list[ConnectionId] = field(default_factory=list)
    failed: list[ConnectionId] = field(default_factory=list)


@lru_cache(maxsize=4)
def management_client(
    endpoint_url: str, region: str, timeout_s: float, pool: int
) -> "ApiGatewayManagementApiClient":
    config = Config(
        connect_timeout=timeout_s,
        read_timeout=timeout_s,
        # One retry of a timed-out or throttled post. A dropped frame is superseded by the next
        # one, but a question frame is worth a second try.
        retries={"max_attempts": 2, "mode": "standard"},
        max_pool_connections=pool,
        # Frames are built by this code, so checking each call's parameters only costs time.
        parameter_validation=False,
    )
    client: ApiGatewayManagementApiClient = boto3.client(
        "apigatewaymanagementapi", endpoint_url=endpoint_url, region_name=region, config=config
    )
    return client


@lru_cache(maxsize=1)
def _pool(size: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=size, thread_name_prefix="fanout")


class Fanout:
    def __init__(self, settings: Settings) -> None:
        self.concurrency = settings.broadcast_concurrency
        self.client = management_client(
            settings.require_management_url(),
            settings.aws_region,
            settings.broadcast_timeout_s,
            settings.broadcast_concurrency,
        )

    def _post_all(self, connection_id: ConnectionId, payloads: list[bytes]) -> str:
        """Post one connection's frames in order and return "sent", "gone" or "failed"."""
        for payload in payloads:
            try:
                self.client.post_to_connection(ConnectionId=connection_id, Data=payload)
            except self.client.exceptions.GoneException:
                return "gone"
            except (ClientError, BotoCoreError) as error:
                logger.warning("post to connection %s failed: %s", connection_id, error)
                return "failed"
        return "sent"

    def send(self, frames_by_connection: dict[ConnectionId, list[bytes]]) -> SendReport:
        report = SendReport()
        futures = {
            connection_id: _pool(self.concurrency).submit(self._post_all, connection_id, payloads)
            for connection_id, payloads in frames_by_connection.items()
        }
        for connection_id, future in futures.items():
            outcome = future.result()
            if outcome == "sent":
                report.sent += 1
            elif outcome == "gone":
                report.gone.append(connection_id)
            else:
                report.failed.append(connection_id)
        return report


def describe(report: SendReport) -> dict[str, Any]:
    return {"sent": report.sent, "gone": len(report.gone), "failed": len(report.failed)}
