"""Helpers for the local runtime tests: an event loop in a thread and recording handlers."""

import asyncio
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from livequiz.local.connections import ConnectionRegistry
from livequiz.local.gateway import Gateway
from livequiz.local.routes import Event, LambdaContext
from tests.conftest import scaled

T = TypeVar("T")
WAIT_S = scaled(5.0)


class LoopThread:
    """An asyncio event loop running in a daemon thread, for servers under test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(WAIT_S)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(WAIT_S)
        self.loop.close()


class Recorder:
    """A handler that records each event and returns ``respond(event)``."""

    def __init__(self, respond: Callable[[Event], Any] | None = None) -> None:
        self.events: list[Event] = []
        self.contexts: list[LambdaContext] = []
        self._respond = respond or (lambda event: {"statusCode": 200})
        self._changed = threading.Condition()

    def __call__(self, event: Event, context: LambdaContext) -> Any:
        with self._changed:
            self.events.append(event)
            self.contexts.append(context)
            self._changed.notify_all()
        return self._respond(event)

    def wait_for(self, count: int) -> list[Event]:
        """Return the events once at least ``count`` arrived; fail the test after WAIT_S."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self.events) >= count, WAIT_S)
        assert arrived, f"expected {count} events, got {len(self.events)}"
        return list(self.events)

    def wait_for_connection(self, connection_id: str) -> Event:
        """Return the first event of ``connection_id``; fail the test after WAIT_S."""

        def matching() -> list[Event]:
            return [e for e in self.events if e["requestContext"]["connectionId"] == connection_id]

        with self._changed:
            arrived = self._changed.wait_for(matching, WAIT_S)
        assert arrived, f"expected an event of connection {connection_id}, got none"
        return matching()[0]


@dataclass
class RunningGateway:
    gateway: Gateway
    registry: ConnectionRegistry
    url: str
