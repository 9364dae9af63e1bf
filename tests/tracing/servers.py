"""Stand-ins for an APM server on 127.0.0.1: one that records events, one that never answers,
and a port where nothing listens."""

import gzip
import json
import logging
import socket
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)

INTAKE_PATH = "/intake/v2/events"


class FakeIntake:
    """An HTTP server that accepts ``POST /intake/v2/events`` and keeps every event in it.

    Bodies may be gzip or deflate compressed, as the agent chooses. ``GET /`` returns a server
    version, as an APM server does, so the agent asks nothing else.
    """

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.requests = 0
        self._lock = threading.Lock()
        intake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps({"version": "8.15.0"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                path = self.path.split("?", 1)[0]
                if path != INTAKE_PATH:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                intake.record(raw, self.headers.get("Content-Encoding"))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                logger.debug("fake intake: " + format, *args)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-intake", daemon=True
        )

    def record(self, raw: bytes, encoding: str | None) -> None:
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
        lines = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
        with self._lock:
            self.requests += 1
            self.events.extend(lines)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """Return the events of one kind (``transaction``, ``span``, ``error``, ``metadata``)."""
        with self._lock:
            return [event[kind] for event in self.events if kind in event]

    def start(self) -> None:
        self._thread.start()
        logger.info("fake APM intake listening at %s", self.url)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        logger.info("fake APM intake at %s stopped after %d requests", self.url, self.requests)


class BlackHole:
    """A TCP server that accepts connections, reads what arrives and never replies.

    Every connection stays open until ``release()``, which the test calls only after its game
    has finished: a handler that waited for the APM server could not have returned before.
    """

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.released = threading.Event()
        self.received = bytearray()
        self.connections = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name="black-hole", daemon=True)

    def start(self) -> None:
        self._acceptor.start()
        logger.info("black-hole APM server listening at %s", self.url)

    def _accept(self) -> None:
        while not self.released.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            with self._lock:
                self.connections += 1
            holder = threading.Thread(
                target=self._hold, args=(connection,), name="black-hole-connection", daemon=True
            )
            holder.start()
            self._threads.append(holder)
        self._listener.close()

    def _hold(self, connection: socket.socket) -> None:
        connection.settimeout(0.2)
        with connection:
            while not self.released.is_set():
                try:
                    data = connection.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    # The client closed its side; the server still sends nothing.
                    self.released.wait()
                    break
                with self._lock:
                    self.received.extend(data)

    def release(self) -> None:
        """Close every held connection and the listener, so later connects are refused."""
        self.released.set()
        self._acceptor.join()
        for holder in self._threads:
            holder.join()
        logger.info(
            "black-hole APM server at %s released %d connections", self.url, self.connections
        )


class ClosedPort:
    """A port bound on 127.0.0.1 without listening, so every connect to it is refused."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def close(self) -> None:
        self._socket.close()
