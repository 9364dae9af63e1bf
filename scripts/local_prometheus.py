"""Run Debian's ``prometheus`` binary on 127.0.0.1 with a temporary storage directory.

The tests and ``scripts/dashboard_demo.py`` use it to scrape a local runtime::

    config = local_config({"livequiz-runtime": ["127.0.0.1:8766"]}, scrape_interval_s=1)
    with PrometheusProcess(config) as prometheus:
        prometheus.wait_for_scrape("livequiz-runtime", after=time.time())
        prometheus.query("livequiz_answers_total")

``local_config`` starts from monitoring/prometheus/prometheus.yml, so the jobs and the alert
rules are those of the repository. The process listens on a free port of 127.0.0.1 and is
stopped by its PID; its storage directory is deleted when it stops.
"""

import logging
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
import yaml

logger = logging.getLogger("livequiz.prometheus")

REPOSITORY = Path(__file__).resolve().parents[1]
CONFIG = REPOSITORY / "monitoring" / "prometheus" / "prometheus.yml"
RULES = REPOSITORY / "monitoring" / "prometheus" / "alerts.yml"
INSTALL_HINT = "run scripts/install_test_tools.sh (make test runs it)"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
# Attempts to start on a free port, for the case that another process takes the port first.
START_ATTEMPTS = 3


class PrometheusError(Exception):
    """Prometheus did not start, or a query failed."""


def local_config(targets: Mapping[str, list[str]], scrape_interval_s: float) -> dict[str, Any]:
    """Return the repository's Prometheus configuration scraping ``targets`` instead.

    ``targets`` maps job names of prometheus.yml to ``host:port`` targets; a job left out is
    dropped. Rules are evaluated as often as targets are scraped.

    Raises:
        ValueError: a job of ``targets`` is not in prometheus.yml.
    """
    document: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    interval = f"{round(scrape_interval_s * 1000)}ms"
    document["global"]["scrape_interval"] = interval
    document["global"]["evaluation_interval"] = interval
    document["rule_files"] = [str(RULES)]
    jobs = {job["job_name"]: job for job in document["scrape_configs"]}
    unknown = sorted(set(targets) - set(jobs))
    if unknown:
        raise ValueError(f"jobs {unknown} are not in {CONFIG}: expected some of {sorted(jobs)}")
    document["scrape_configs"] = [
        {**job, "static_configs": [{"targets": list(targets[name])}]}
        for name, job in jobs.items()
        if name in targets
    ]
    return document


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrometheusProcess:
    """A ``prometheus`` server with ``config``, started by ``start()`` or ``with``."""

    def __init__(self, config: Mapping[str, Any], binary: str = "prometheus") -> None:
        self.config = dict(config)
        self.binary = binary
        self.url = ""
        self._directory: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._client = httpx.Client(timeout=10)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def log_path(self) -> Path:
        assert self._directory is not None, "Prometheus has not been started"
        return self._directory / "prometheus.log"

    def start(self) -> None:
        """Start Prometheus and wait until it is ready.

        Raises:
            PrometheusError: the binary is missing, exits, or is not ready in time.
        """
        executable = shutil.which(self.binary)
        if executable is None:
            raise PrometheusError(f"{self.binary!r} is not installed: {INSTALL_HINT}")
        self._directory = Path(tempfile.mkdtemp(prefix="livequiz-prometheus-"))
        config_path = self._directory / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(self.config, sort_keys=False))
        for attempt in range(1, START_ATTEMPTS + 1):
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            command = [
                executable,
                f"--config.file={config_path}",
                f"--storage.tsdb.path={self._directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ]
            with self.log_path.open("ab") as log:
                self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            logger.info("started Prometheus, pid %d, at %s", self._process.pid, self.url)
            try:
                ready = self._wait_until_ready()
            except BaseException:
                self.stop()
                raise
            if ready:
                return
            log_text = self.log_path.read_text(errors="replace")
            if "address already in use" in log_text and attempt < START_ATTEMPTS:
                logger.warning("port %d was taken before Prometheus bound it, retrying", port)
                continue
            self.stop()
            raise PrometheusError(f"Prometheus did not start: {log_text[-2000:]}")

    def _wait_until_ready(self) -> bool:
        """Return True once /-/ready returns 200, False when the process exits first."""
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                logger.warning(
                    "Prometheus, pid %d, exited with %d before it was ready",
                    self._process.pid,
                    self._process.returncode,
                )
                return False
            try:
                if self._client.get(f"{self.url}/-/ready").status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise PrometheusError(f"Prometheus was not ready within {START_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        """Stop Prometheus by its PID and delete its storage. Calling it again does nothing."""
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                logger.warning("Prometheus, pid %d, did not stop, killing it", process.pid)
                process.kill()
                process.wait()
            logger.info("stopped Prometheus, pid %d", process.pid)
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None
        self._client.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def api(self, path: str, **params: str | float) -> Any:
        """GET an HTTP API path such as ``query``; return the response's ``data``.

        Raises:
            PrometheusError: the request failed or Prometheus returned an error.
        """
        try:
            response = self._client.get(f"{self.url}/api/v1/{path}", params=params)
        except httpx.HTTPError as error:
            raise PrometheusError(f"GET /api/v1/{path} failed: {error}") from error
        body = response.json()
        if response.status_code != 200 or body.get("status") != "success":
            raise PrometheusError(
                f"GET /api/v1/{path} {params} returned {response.status_code}: "
                f"{body.get('errorType')}: {body.get('error')}"
            )
        return body["data"]

    def query(self, expression: str) -> list[dict[str, Any]]:
        """Evaluate an instant vector expression now; return its samples."""
        data = self.api("query", query=expression)
        if data["resultType"] != "vector":
            raise PrometheusError(f"{expression!r} is a {data['resultType']}, not a vector")
        result: list[dict[str, Any]] = data["result"]
        return result

    def value(self, expression: str) -> float | None:
        """Return the value of an expression of one sample now, or None when it has none."""
        samples = self.query(expression)
        if len(samples) > 1:
            raise PrometheusError(f"{expression!r} has {len(samples)} samples, expected one")
        return float(samples[0]["value"][1]) if samples else None

    def wait_for_scrape(self, job: str, after: float, timeout_s: float) -> float:
        """Wait until a scrape of ``job`` that started after ``after`` (Unix time) is stored.

        Returns that scrape's timestamp. Raises PrometheusError after ``timeout_s``.
        """
        expression = f'max(timestamp(up{{job="{job}"}}))'
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            scraped = self.value(expression)
            if scraped is not None and scraped > after:
                return scraped
            time.sleep(0.1)
        raise PrometheusError(f"no scrape of job {job} after {after:.3f} within {timeout_s} s")
