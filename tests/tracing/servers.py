"""Stand-ins for an APM server on 127.0.0.1: one that records events and replies as an APM
server does or as a hostile one would, one that never replies, and a port where nothing
listens."""

import gzip
import json
import logging
import socket
import threading
import zlib
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)

INTAKE_PATH = "/intake/v2/events"
# The body of a Reply.HUGE reply.
HUGE_REPLY_BYTES = 128 * 1024 * 1024
# The pause between the bytes of a dripping reply, in seconds.
DRIP_INTERVAL_S = 0.1
# Neither JSON nor UTF-8.
GARBAGE = b"\x00\xff\xfe not json {{{"


class Reply(StrEnum):
    """How a FakeIntake replies to every request, once it has read and recorded the body."""

    # 202 with no body, as an APM server, and a server version for GET /.
    ACCEPTED = "accepted"
    # 200 with a body that is neither JSON nor UTF-8.
    GARBAGE = "garbage"
    # 202 with a body of HUGE_REPLY_BYTES.
    HUGE = "huge"
    # 200 and its headers at once, then a body of a million bytes, one every DRIP_INTERVAL_S.
    DRIP_BODY = "drip-body"
    # The status line and headers one byte every DRIP_INTERVAL_S, until the server stops.
    DRIP_HEADERS = "drip-headers"


class FakeIntake:
    """An HTTP server that accepts ``POST /intake/v2/events`` and keeps every event in it.

    Bodies may be gzip or deflate compressed, as the agent chooses. ``raw`` keeps every
    request as it arrived, with the body decompressed, for a search of all that was sent.
    """

    def __init__(self, reply: Reply = Reply.ACCEPTED) -> None:
        self.reply = reply
        self.events: list[dict[str, Any]] = []
        self.raw = bytearray()
        self.requests = 0
        self.gets = 0
        # Bytes of each HUGE reply that the kernel took before the agent closed the connection.
        self.huge_bytes_sent: list[int] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        intake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with intake._lock:
                    intake.gets += 1
                    intake.raw.extend(f"{self.requestline}\r\n{self.headers}".encode())
                body = json.dumps({"version": "8.15.0"}).encode()
                intake.send_reply(self, 200, body)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                path = self.path.split("?", 1)[0]
                if path != INTAKE_PATH:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                head = f"{self.requestline}\r\n{self.headers}".encode()
                intake.record(head, raw, self.headers.get("Content-Encoding"))
                intake.send_reply(self, 202, b"")

            def log_message(self, format: str, *args: Any) -> None:
                logger.debug("fake intake: " + format, *args)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-intake", daemon=True
        )

    def record(self, head: bytes, raw: bytes, encoding: str | None) -> None:
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
        lines = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
        with self._lock:
            self.requests += 1
            self.raw.extend(head + raw)
            self.events.extend(lines)

    def send_reply(self, handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        """Send ``status`` and ``body`` as an APM server would, or as ``self.reply`` sets."""
        try:
            if self.reply is Reply.ACCEPTED:
                self._send_whole(handler, status, body)
            elif self.reply is Reply.GARBAGE:
                self._send_whole(handler, 200, GARBAGE)
            elif self.reply is Reply.HUGE:
                self._send_huge(handler)
            elif self.reply is Reply.DRIP_BODY:
                handler.send_response(200)
                handler.send_header("Content-Length", "1000000")
                handler.end_headers()
                handler.wfile.flush()
                self._drip(handler, b" " * 1_000_000)
            else:
                # A header line without end: the client waits for its newline.
                self._drip(handler, b"HTTP/1.1 200 OK\r\nX-Drip: " + b"a" * 1_000_000)
        except (BrokenPipeError, ConnectionResetError):
            logger.info(
                "fake intake: the agent closed the connection during a %s reply", self.reply
            )

    def _send_whole(self, handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _send_huge(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(202)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(HUGE_REPLY_BYTES))
        handler.end_headers()
        chunk = b"a" * (1024 * 1024)
        sent = 0
        try:
            while sent < HUGE_REPLY_BYTES and not self._stopping.is_set():
                handler.wfile.write(chunk)
                sent += len(chunk)
        finally:
            with self._lock:
                self.huge_bytes_sent.append(sent)

    def _drip(self, handler: BaseHTTPRequestHandler, data: bytes) -> None:
        for index in range(len(data)):
            if self._stopping.wait(DRIP_INTERVAL_S):
                return
            handler.wfile.write(data[index : index + 1])
            handler.wfile.flush()

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """Return the events of one kind (``transaction``, ``span``, ``error``, ``metadata``)."""
        with self._lock:
            return [event[kind] for event in self.events if kind in event]

    def start(self) -> None:
        self._thread.start()
        logger.info("fake APM intake listening at %s", self.url)

    def stop(self) -> None:
        self._stopping.set()
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
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._socket.close()
