"""The Prometheus configuration and alert rules in monitoring/prometheus, checked by promtool."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from livequiz.local.__main__ import DEFAULT_WORKERS_METRICS_PORT
from livequiz.local.runtime import RuntimeConfig
from scripts.local_prometheus import INSTALL_HINT

PROMETHEUS = Path(__file__).resolve().parents[2] / "monitoring" / "prometheus"
CONFIGS = ["prometheus.yml", "compose.yml"]


def promtool(*arguments: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("promtool")
    assert executable is not None, f"promtool is not installed: {INSTALL_HINT}"
    return subprocess.run(
        [executable, *arguments], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("config", CONFIGS)
def test_config_is_valid(config: str) -> None:
    checked = promtool("check", "config", config)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # check config also checks the rule files it names, so they must be found.
    assert "SUCCESS: 1 rule files found" in checked.stdout


def test_rules_are_valid() -> None:
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_rule_unit_tests_pass() -> None:
    checked = promtool("test", "rules", "alerts.test.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_every_alert_fires_and_stays_quiet() -> None:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text())
    checks = [check for case in tests["tests"] for check in case["alert_rule_test"]]
    firing = {check["alertname"] for check in checks if check["exp_alerts"]}
    quiet = {check["alertname"] for check in checks if not check["exp_alerts"]}
    assert alerts - firing == set(), "alerts never shown firing"
    assert alerts - quiet == set(), "alerts never shown quiet"
    assert (firing | quiet) - alerts == set(), "tests of alerts that alerts.yml lacks"


def test_every_alert_has_severity_and_text() -> None:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
            assert rule["annotations"]["summary"], rule["alert"]
            assert rule["annotations"]["description"], rule["alert"]


def test_compose_config_differs_only_in_targets() -> None:
    local = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    compose = yaml.safe_load((PROMETHEUS / "compose.yml").read_text())
    for document in (local, compose):
        for job in document["scrape_configs"]:
            job.pop("static_configs")
    assert local == compose


def targets(config: str) -> dict[str, list[str]]:
    document = yaml.safe_load((PROMETHEUS / config).read_text())
    return {
        job["job_name"]: [target for group in job["static_configs"] for target in group["targets"]]
        for job in document["scrape_configs"]
    }


def test_local_targets_are_default_ports() -> None:
    # The main process serves /metrics on the @connections API's port.
    assert targets("prometheus.yml") == {
        "livequiz-runtime": [f"127.0.0.1:{RuntimeConfig().management_port}"],
        "livequiz-workers": [f"127.0.0.1:{DEFAULT_WORKERS_METRICS_PORT}"],
    }


def test_compose_targets_are_runtime_service() -> None:
    assert targets("compose.yml") == {
        "livequiz-runtime": [f"runtime:{RuntimeConfig().management_port}"],
        "livequiz-workers": [f"runtime:{DEFAULT_WORKERS_METRICS_PORT}"],
    }
