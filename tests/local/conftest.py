"""Fixtures for the local runtime tests: an event loop in a thread and a gateway on it."""

import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from livequiz.local.connections import ConnectionRegistry
from livequiz.local.gateway import Gateway, GatewayLimits
from livequiz.local.routes import Handler, LambdaFunction
from tests.local.local_harness import LoopThread, RunningGateway


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture
def start_gateway(
    loop_thread: LoopThread,
) -> Iterator[Callable[..., RunningGateway]]:
    """Return a function that starts a gateway with the given handlers on a free port."""
    executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="test-lambda")
    started: list[Gateway] = []

    def start(routes: dict[str, Handler], limits: GatewayLimits | None = None) -> RunningGateway:
        functions = {
            key: LambdaFunction(name=key, handler=handler) for key, handler in routes.items()
        }
        registry = ConnectionRegistry()
        gateway = Gateway(functions, registry, executor, stage="local", limits=limits)
        sock = socket.create_server(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        loop_thread.run(gateway.start(sock))
        started.append(gateway)
        return RunningGateway(gateway, registry, f"ws://127.0.0.1:{port}/local")

    yield start
    for gateway in started:
        loop_thread.run(gateway.stop())
    executor.shutdown(wait=True)
