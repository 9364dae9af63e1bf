"""The local runtime: the Lambda handlers behind a local API Gateway and RabbitMQ mappings.

``sam local`` cannot serve WebSocket APIs, so ``python -m livequiz.local`` runs the same
handlers behind an emulation of API Gateway's WebSocket API and @connections API, and of the
Lambda event-source mappings for Amazon MQ for RabbitMQ.
"""

from livequiz.local.runtime import LocalRuntime, RuntimeConfig, RuntimeThread

__all__ = ["LocalRuntime", "RuntimeConfig", "RuntimeThread"]
