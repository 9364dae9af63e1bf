"""Benchmark the broadcast fan-out against sending the same frames straight down the sockets.

    python -m benchmarks.fanout [--clients 200] [--rounds 20] [--concurrency 32]

Both runs push one frame to every connected client per round and wait until every client has
received it. The baseline sends on the local gateway's event loop with ``websocket.send``, the
floor that no path through an API can beat. The measured run is ``livequiz.fanout.Fanout``,
the broadcast function's path: boto3 posts, signed, through the local @connections API. The
result is the ratio of their throughputs, so the machine's speed cancels out, and it shows what
the Management API hop costs.
"""

import argparse
import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import uvloop
from websockets.asyncio.client import connect

from livequiz.config import get_settings
from livequiz.fanout import Fanout
from livequiz.ids import ConnectionId
from livequiz.local.runtime import LocalRuntime, RuntimeConfig

FRAME = b'{"type":"leaderboard","seq":1,"top":[],"players":200}'


def accept(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200}


class Clients:
    """Connected WebSocket clients on their own event loop, counting the frames they receive."""

    def __init__(self, url: str, count: int) -> None:
        self.received = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._sockets = asyncio.run_coroutine_threadsafe(self._open(url, count), self._loop).result(
            60
        )

    async def _open(self, url: str, count: int) -> list[Any]:
        sockets = [await connect(url) for _ in range(count)]
        for websocket in sockets:
            self._loop.create_task(self._count(websocket))
        return sockets

    async def _count(self, websocket: Any) -> None:
        async for _ in websocket:
            with self._lock:
                self.received += 1

    def wait_for(self, total: int, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while self.received < total:
            if time.monotonic() > deadline:
                raise TimeoutError(f"received {self.received} of {total} frames")
            time.sleep(0.001)

    def close(self) -> None:
        async def close_all() -> None:
            for websocket in self._sockets:
                await websocket.close()

        asyncio.run_coroutine_threadsafe(close_all(), self._loop).result(60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def measure(
    clients: Clients, rounds: int, push_round: Callable[[], None], connections: int
) -> float:
    """Return frames per second over ``rounds`` rounds of one frame to every connection."""
    start_count = clients.received
    started = time.perf_counter()
    for number in range(1, rounds + 1):
        push_round()
        clients.wait_for(start_count + number * connections)
    return rounds * connections / (time.perf_counter() - started)


class LoopThread:
    """A uvloop event loop in a daemon thread, shared by the runtime and the baseline."""

    def __init__(self) -> None:
        self.loop = uvloop.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Any, timeout_s: float = 120.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.fanout", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--clients", type=int, default=200, help="connected clients (default 200)")
    parser.add_argument(
        "--rounds", type=int, default=20, help="frames per client per run (default 20)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="parallel posts (default 32)")
    args = parser.parse_args()

    routes = {"$connect": accept, "$disconnect": accept, "$default": accept}
    config = RuntimeConfig.on_free_ports(routes=routes, mappings={}, rest_app=None)
    runtime = LocalRuntime(config)
    server_loop = LoopThread()
    server_loop.run(runtime.start())
    clients = Clients(runtime.ws_url, args.clients)
    connections = list(runtime.registry)
    connection_ids = [ConnectionId(connection.connection_id) for connection in connections]
    settings = get_settings().model_copy(
        update={"management_url": runtime.management_url, "broadcast_concurrency": args.concurrency}
    )
    fanout = Fanout(settings)
    text = FRAME.decode()

    async def send_all() -> None:
        await asyncio.gather(*(connection.websocket.send(text) for connection in connections))

    def direct_round() -> None:
        server_loop.run(send_all())

    def fanout_round() -> None:
        report = fanout.send({cid: [FRAME] for cid in connection_ids})
        assert report.sent == len(connection_ids), report

    # A warm-up round of each first, so the fan-out's connection pool is open.
    measure(clients, 1, direct_round, len(connection_ids))
    measure(clients, 1, fanout_round, len(connection_ids))
    baseline = measure(clients, args.rounds, direct_round, len(connection_ids))
    measured = measure(clients, args.rounds, fanout_round, len(connection_ids))
    clients.close()
    server_loop.run(runtime.stop())
    server_loop.close()
    print(f"clients {args.clients}, rounds {args.rounds}, concurrency {args.concurrency}")
    print(f"baseline, direct socket sends:       {baseline:8.0f} frames/s")
    print(f"broadcast fan-out, @connections API: {measured:8.0f} frames/s")
    print(f"ratio fan-out / baseline:            {measured / baseline:8.3f}")


if __name__ == "__main__":
    main()
