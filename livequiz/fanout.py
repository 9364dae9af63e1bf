"""Fan-out of frames to a game's connections through the API Gateway Management API.

Posts run in parallel on a bounded thread pool, each with its own timeout, and ``send`` returns
only when every post has finished. A connection that API Gateway reports as gone (410) is
listed in the report for the caller to remove: that is the normal end of a connection and not
an error. The frames of one connection are posted in order, and the first post that does not
succeed ends that connection's posts; the report counts each frame by its outcome.
"""

import contextvars
import logging
from collections import Counter
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


# The error codes with which API Gateway refuses a post for exceeding a rate limit (429).
THROTTLED_CODES = frozenset({"LimitExceededException", "ThrottlingException"})

# The outcomes of one frame: posted, connection gone (410), refused by a rate limit, another
# failure, or not posted because an earlier frame of its connection did not go out.
FRAME_OUTCOMES = ("sent", "gone", "throttled", "failed", "dropped")


@dataclass
class SendReport:
    """Connections by outcome, and frames by outcome (one of ``FRAME_OUTCOMES``)."""

    sent: int = 0
    gone: list[ConnectionId] = field(default_factory=list)
    failed: list[ConnectionId] = field(default_factory=list)
    frames: Counter[str] = field(default_factory=Counter)


@lru_cache(maxsize=4)
def management_client(
    endpoint_url: str, region: str, timeout_s: float, pool: int
) -> "ApiGatewayManagementApiClient":
    config = Config(
        connect_timeout=timeout_s,
        read_timeout=timeout_s,
        # One retry of a timed-out or throttled post. A dropped frame is superseded by the next
        # one, but a question frame is worth a second try. botocore's "max_attempts" counts
        # retries only, so two attempts in all is "total_max_attempts".
        retries={"total_max_attempts": 2, "mode": "standard"},
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

    def _post_all(self, connection_id: ConnectionId, payloads: list[bytes]) -> tuple[str, int]:
        """Post one connection's frames in order.

        Returns the outcome of the last post tried ("sent", "gone", "throttled" or "failed")
        and how many frames were posted before it.
        """
        for posted, payload in enumerate(payloads):
            try:
                self.client.post_to_connection(ConnectionId=connection_id, Data=payload)
            except self.client.exceptions.GoneException:
                return "gone", posted
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                outcome = "throttled" if code in THROTTLED_CODES else "failed"
                logger.warning("post to connection %s %s: %s", connection_id, outcome, error)
                return outcome, posted
            except BotoCoreError as error:
                logger.warning("post to connection %s failed: %s", connection_id, error)
                return "failed", posted
        return "sent", len(payloads)

    def send(self, frames_by_connection: dict[ConnectionId, list[bytes]]) -> SendReport:
        report = SendReport()
        # Each post runs in a copy of the caller's context, so that a tracing transaction of
        # the caller covers the posts (a context can be entered by one thread at a time).
        futures = {
            connection_id: _pool(self.concurrency).submit(
                contextvars.copy_context().run, self._post_all, connection_id, payloads
            )
            for connection_id, payloads in frames_by_connection.items()
        }
        for connection_id, future in futures.items():
            outcome, posted = future.result()
            report.frames["sent"] += posted
            if outcome == "sent":
                report.sent += 1
                continue
            report.frames[outcome] += 1
            report.frames["dropped"] += len(frames_by_connection[connection_id]) - posted - 1
            if outcome == "gone":
                report.gone.append(connection_id)
            else:
                report.failed.append(connection_id)
        return report


def describe(report: SendReport) -> dict[str, Any]:
    return {"sent": report.sent, "gone": len(report.gone), "failed": len(report.failed)}
