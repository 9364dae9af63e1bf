"""The livequiz exception tree.

    LiveQuizError                 root of every error the project raises on purpose
    ├── ConfigError               a setting is missing or invalid
    ├── ClientError               the request was wrong; carries an HTTP status and a short code
    │   ├── InvalidInputError     400, a field is missing or malformed
    │   ├── UnauthorizedError     401, the token is missing, invalid or expired
    │   ├── ForbiddenError        403, the token is valid but not allowed to do this
    │   ├── NotFoundError         404, the game, quiz or question does not exist
    │   └── ConflictError         409, the request clashes with the current state
    │       └── InvalidTransitionError  the game is not in the phase the action needs
    │                                   (defined in livequiz.rules beside the phases)
    └── ServiceError              Redis, RabbitMQ or MySQL failed; the caller may retry

REST and WebSocket layers turn a ``ClientError`` into a response in one place each
(``functions.auth.app`` and ``livequiz.frames.error_frame``).
"""


class LiveQuizError(Exception):
    """Root of the livequiz exception tree."""


class ConfigError(LiveQuizError):
    """A setting is missing or invalid."""


class ServiceError(LiveQuizError):
    """A backing service (Redis, RabbitMQ, MySQL) failed."""


class ClientError(LiveQuizError):
    """An error caused by the request, sent back to the client as ``code`` and ``message``."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidInputError(ClientError):
    status = 400


class UnauthorizedError(ClientError):
    status = 401


class ForbiddenError(ClientError):
    status = 403


class NotFoundError(ClientError):
    status = 404


class ConflictError(ClientError):
    status = 409
