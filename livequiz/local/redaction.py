"""Redaction of tokens and passwords from log lines.

Clients pass their token in the WebSocket URL's query string (``?token=...``), and message
bodies or headers may carry one too, so every line the local runtime logs about a request goes
through ``redact`` first.
"""

import logging
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDACTED = "***"
_SENSITIVE_NAMES = r"(?:[a-z_]*token|password|passwd|secret|api[_-]?key|authorization|cookie)"

# token=abc in a query string or a form body.
_QUERY_VALUE = re.compile(rf"(?i)\b({_SENSITIVE_NAMES})=([^&\s\"']*)")
# "token": "abc" in a JSON text.
_JSON_VALUE = re.compile(rf'(?i)("{_SENSITIVE_NAMES}"\s*:\s*)"(?:[^"\\]|\\.)*"')
# Authorization: Bearer abc in a logged header line.
_HEADER_VALUE = re.compile(rf"(?i)\b({_SENSITIVE_NAMES}):\s*(\S.*)$", re.MULTILINE)


def redact(text: str) -> str:
    """Replace the value of every token-like query parameter, JSON key or header in ``text``."""
    text = _QUERY_VALUE.sub(rf"\1={REDACTED}", text)
    text = _JSON_VALUE.sub(rf'\1"{REDACTED}"', text)
    return _HEADER_VALUE.sub(rf"\1: {REDACTED}", text)


def redact_url(url: str) -> str:
    """Return ``url`` without its password and with token-like query values replaced."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", f":{REDACTED}@", 1)
    return redact(urlunsplit(parts._replace(netloc=netloc)))


class RedactingAdapter(logging.LoggerAdapter[logging.Logger]):
    """A logger adapter that formats each message and redacts it before logging.

    The websockets library logs request lines, headers and frames at DEBUG. Giving it this
    adapter keeps tokens out of those lines.
    """

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger, {})

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        text = str(msg) % args if args else str(msg)
        self.logger.log(level, redact(text), **kwargs)
