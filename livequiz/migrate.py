"""Apply the database migrations: ``python -m livequiz.migrate`` upgrades to the latest revision.

    python -m livequiz.migrate                  upgrade to head
    python -m livequiz.migrate upgrade 0001     upgrade to a revision
    python -m livequiz.migrate downgrade base   drop every table
    python -m livequiz.migrate current          print the applied revision

The database comes from the settings (``LIVEQUIZ_MYSQL_URL``, or the host and secret that
``livequiz.secrets`` reads) unless ``--url`` is given.

On AWS, ``lambda_handler`` runs the upgrade as a CloudFormation custom resource on every
stack create and update.
"""

import argparse
import json
import logging
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from aws_lambda_powertools.utilities.typing import LambdaContext

from livequiz import db, events
from livequiz.config import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"

logger = logging.getLogger(__name__)

# CloudFormation waits an hour for a custom resource that sends no response. The handler gives up
# on the upgrade this long before the function's own timeout, so it can still send FAILED.
RESPONSE_MARGIN_MS = 10_000
# CloudFormation rejects a response body over 4096 bytes, so a long error is cut.
MAX_REASON_CHARS = 2000
RESPONSE_TIMEOUT_S = 30.0
# The physical id of the custom resource. It stays the same on every update, so
# CloudFormation never sends a Delete for a replaced resource.
PHYSICAL_RESOURCE_ID = "livequiz-database-schema"


def alembic_config(url: str | None = None) -> Config:
    """Build the alembic configuration in code, so no ``alembic.ini`` is needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url or get_settings().mysql_url
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return head or "base"


def unknown_revision(url: str | None = None) -> str | None:
    """Return the database's revision if this code does not know it, or None.

    A database can be ahead of the code when a stack rolls back to an older image after a
    newer one migrated it. Downgrading then is not safe, so the schema is left as it is.
    """
    engine = db.create_engine(url or get_settings().mysql_url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    if current is None:
        return None
    try:
        ScriptDirectory.from_config(alembic_config(url)).get_revision(current)
    except CommandError:
        return current
    return None


def _upgrade_unless_ahead() -> str | None:
    ahead = unknown_revision()
    if ahead is None:
        upgrade()
    return ahead


def _upgrade_within(timeout_s: float) -> str | None:
    """Upgrade to head unless the database is ahead of this code; return its revision then."""
    # The upgrade runs in a worker thread so that the handler can stop waiting for it. A
    # worker that outlives the wait goes on while the execution environment is not frozen.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="migrate")
    try:
        future = pool.submit(_upgrade_unless_ahead)
        try:
            return future.result(timeout=timeout_s)
        except TimeoutError as error:
            raise TimeoutError(
                f"the upgrade did not finish within {timeout_s:.1f} s, "
                f"{RESPONSE_MARGIN_MS / 1000:.0f} s before the function's timeout: "
                "raise the function's timeout or run python -m livequiz.migrate by hand"
            ) from error
    finally:
        pool.shutdown(wait=False)


def declare_queues() -> None:
    """Declare the RabbitMQ exchanges and queues of the settings, then disconnect."""
    publisher = events.Publisher(get_settings())
    try:
        publisher.declare()
    finally:
        publisher.close()


def send_response(
    event: dict[str, Any],
    status: str,
    reason: str,
    physical_resource_id: str,
    data: dict[str, str] | None = None,
) -> None:
    """PUT the custom resource's result to the presigned ``ResponseURL`` of ``event``."""
    body = {
        "Status": status,
        "Reason": reason[:MAX_REASON_CHARS],
        "PhysicalResourceId": physical_resource_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": data or {},
    }
    encoded = json.dumps(body).encode()
    # The presigned S3 URL was signed without a content type and rejects a PUT that has one
    # with SignatureDoesNotMatch. The empty header also stops urllib from adding its own.
    request = urllib.request.Request(
        event["ResponseURL"],
        data=encoded,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(encoded))},
    )
    with urllib.request.urlopen(request, timeout=RESPONSE_TIMEOUT_S) as response:
        logger.info(
            "sent %s for %s to CloudFormation, which returned HTTP %d",
            status,
            event["LogicalResourceId"],
            response.status,
        )


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Upgrade to head on a custom resource's Create and Update; do nothing on Delete.

    Every outcome is sent to the event's ``ResponseURL``, FAILED with the error included, so
    that the stack goes on or rolls back instead of waiting for the response. Delete leaves the
    tables in place, because deleting a stack must not drop the quiz data.
    """
    request_type = event.get("RequestType")
    physical_resource_id = event.get("PhysicalResourceId") or PHYSICAL_RESOURCE_ID
    logger.info(
        "custom resource %s: %s of %s",
        event.get("LogicalResourceId"),
        request_type,
        physical_resource_id,
    )
    try:
        if request_type in ("Create", "Update"):
            timeout_s = (context.get_remaining_time_in_millis() - RESPONSE_MARGIN_MS) / 1000
            ahead = _upgrade_within(max(timeout_s, 0.0))
            head = head_revision()
            # The queue mappings fail on queues that do not exist; events are published only
            # once a game runs, so the deploy declares them.
            declare_queues()
            if ahead is None:
                reason = f"the database schema is at revision {head}; the broker's queues exist"
                data = {"Revision": head}
            else:
                logger.warning(
                    "the database is at revision %s, which this image (head %s) does not "
                    "know: left as it is, as after a rollback to an older image",
                    ahead,
                    head,
                )
                reason = f"the database is at revision {ahead}, newer than this image's {head}"
                data = {"Revision": ahead}
        elif request_type == "Delete":
            reason = "nothing to do: deleting the stack keeps the tables and their data"
            data = {}
        else:
            raise ValueError(
                f"unknown RequestType {request_type!r}: expected Create, Update or Delete"
            )
    # Every error must reach CloudFormation, which otherwise waits for the response.
    except Exception as error:
        logger.exception("the %s of the database schema failed", request_type)
        send_response(event, "FAILED", f"{type(error).__name__}: {error}", physical_resource_id)
        return
    send_response(event, "SUCCESS", reason, physical_resource_id, data)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m livequiz.migrate", description=__doc__)
    parser.add_argument(
        "action", nargs="?", default="upgrade", choices=("upgrade", "downgrade", "current")
    )
    parser.add_argument("revision", nargs="?", help="target revision (default: head for upgrade)")
    parser.add_argument(
        "--url", help="SQLAlchemy URL of the database (default: LIVEQUIZ_MYSQL_URL)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.action == "upgrade":
        upgrade(args.url, args.revision or "head")
    elif args.action == "downgrade":
        if not args.revision:
            parser.error("downgrade needs a revision, for example base")
        downgrade(args.url, args.revision)
    else:
        command.current(alembic_config(args.url), verbose=True)


if __name__ == "__main__":
    main()
