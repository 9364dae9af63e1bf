"""Frames by outcome when posts are throttled, fail or stop part-way through a connection."""

import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import unquote

import pytest

from functions.broadcast import handler as broadcast_function
from livequiz.config import Settings
from livequiz.fanout import Fanout
from livequiz.ids import ConnectionId
from tests.metrics.samples import sample

# Connection id to the status codes its posts get, in order; the last one repeats.
SCRIPT: dict[str, list[int]] = {
    "Throttled000=": [200, 429],
    "GoneLater000=": [200, 200, 410],
    "Broken000000=": [500],
    "AllFine00000=": [200],
}
OUTCOMES = ("sent", "gone", "throttled", "failed", "dropped")
ERROR_TYPES = {410: "GoneException", 429: "LimitExceededException", 500: "InternalServerError"}


class ScriptedApi(BaseHTTPRequestHandler):
    """An @connections API whose answers to each connection follow ``SCRIPT``."""

    posts: ClassVar[Counter[str]] = Counter()
    lock = threading.Lock()

    def do_POST(self) -> None:
        connection_id = unquote(self.path.rsplit("/", 1)[-1])
        self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            statuses = SCRIPT[connection_id]
            status = statuses[min(self.posts[connection_id], len(statuses) - 1)]
            self.posts[connection_id] += 1
        body = b"" if status == 200 else json.dumps({"__type": ERROR_TYPES[status]}).encode()
        self.send_response(status)
        if status != 200:
            self.send_header("x-amzn-ErrorType", ERROR_TYPES[status])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def scripted_fanout(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fanout]:
    # botocore signs every request, even to this server, which checks no signature.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    ScriptedApi.posts.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/local"
    # A distinct timeout keeps this client apart from the cached one of other tests.
    yield Fanout(settings.model_copy(update={"management_url": url, "broadcast_timeout_s": 3.5}))
    server.shutdown()
    server.server_close()
    thread.join()


def frames(count: int) -> list[bytes]:
    return [json.dumps({"type": "answered", "n": n}).encode() for n in range(count)]


@pytest.mark.usefixtures("off_lambda")
def test_each_frame_counted_by_outcome(scripted_fanout: Fanout) -> None:
    before = {outcome: sample("frames_sent_total", {"outcome": outcome}) for outcome in OUTCOMES}
    batch = {
        ConnectionId("Throttled000="): frames(4),
        ConnectionId("GoneLater000="): frames(5),
        ConnectionId("Broken000000="): frames(2),
        ConnectionId("AllFine00000="): frames(3),
    }
    report = scripted_fanout.send(batch)
    broadcast_function._count_frames(report)
    # Throttled: 1 sent, the 2nd throttled after botocore's one retry, 2 dropped. GoneLater:
    # 2 sent, the 3rd gone, 2 dropped. Broken: the 1st failed after one retry, 1 dropped.
    assert report.frames == {"sent": 6, "throttled": 1, "gone": 1, "failed": 1, "dropped": 5}
    assert report.sent == 1
    assert report.gone == ["GoneLater000="]
    assert sorted(report.failed) == ["Broken000000=", "Throttled000="]
    assert ScriptedApi.posts == {
        "Throttled000=": 3,
        "GoneLater000=": 3,
        "Broken000000=": 2,
        "AllFine00000=": 3,
    }
    after = {outcome: sample("frames_sent_total", {"outcome": outcome}) for outcome in OUTCOMES}
    assert {outcome: after[outcome] - before[outcome] for outcome in OUTCOMES} == {
        "sent": 6,
        "gone": 1,
        "throttled": 1,
        "failed": 1,
        "dropped": 5,
    }
