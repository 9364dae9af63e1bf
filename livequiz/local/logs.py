"""Logging of the local runtime's processes: one level for the libraries and the functions."""

import logging
import os

from livequiz import events

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Log at ``level`` to standard error, and pass it on to the functions' loggers.

    The functions log through Powertools, which reads its level from POWERTOOLS_LOG_LEVEL when
    a handler module is imported, so that variable gets ``level`` unless it is set already.
    """
    logging.basicConfig(level=level, format=FORMAT)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", level)
    root_level = logging.getLogger().level
    # pika logs every socket it opens and closes at INFO, and botocore and urllib3 log every
    # request's headers and signing steps at DEBUG. Their warnings and errors still show.
    logging.getLogger("pika").setLevel(max(logging.WARNING, root_level))
    events.demote_connection_loss_logs()
    for name in ("botocore", "urllib3"):
        logging.getLogger(name).setLevel(max(logging.INFO, root_level))
