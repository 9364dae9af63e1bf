"""Start the local stack as a child process, for the demo, and stop it again."""

import logging
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

logger = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalStack:
    """``python -m livequiz.local`` on free ports, its output written to ``log_path``."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.ws_port = free_port()
        self.management_port = free_port()
        self.rest_port = free_port()
        self.workers_metrics_port = free_port()
        self.ws_url = f"ws://127.0.0.1:{self.ws_port}/local"
        self.rest_url = f"http://127.0.0.1:{self.rest_port}"
        self.environment = dict(os.environ)
        if not self.environment.get("LIVEQUIZ_TOKEN_SECRET"):
            # A fresh key per run: the demo's tokens are worthless after it ends.
            self.environment["LIVEQUIZ_TOKEN_SECRET"] = secrets.token_urlsafe(48)
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "LocalStack":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        command = [
            sys.executable, "-m", "livequiz.local",
            "--ws-port", str(self.ws_port),
            "--management-port", str(self.management_port),
            "--rest-port", str(self.rest_port),
            "--web-port", "0",
            "--workers-metrics-port", str(self.workers_metrics_port),
        ]  # fmt: skip
        self._process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=self.environment
        )
        logger.info("started the local stack, pid %d, log in %s", self._process.pid, self.log_path)
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"the local stack exited with {self._process.returncode}: see {self.log_path}"
                )
            try:
                if httpx.get(f"{self.rest_url}/healthz", timeout=1).status_code == 200:
                    with socket.create_connection(("127.0.0.1", self.ws_port), timeout=1):
                        return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"the local stack did not respond within {START_TIMEOUT_S:.0f} s: see {self.log_path}"
        )

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            logger.warning(
                "the local stack did not stop in 15 s, so pid %d is killed", self._process.pid
            )
            self._process.kill()
            self._process.wait()
        logger.info("stopped the local stack, pid %d", self._process.pid)
