"""scripts/services.sh with every service already up: it must start nothing and exit 0."""

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "scripts" / "services.sh"


def test_services_script_leaves_running_services() -> None:
    completed = subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, timeout=30, env=dict(os.environ)
    )

    assert completed.returncode == 0, completed.stderr
    assert "services: redis is up at" in completed.stdout
    assert "services: rabbitmq is up at" in completed.stdout
    assert "services: mysql is up at" in completed.stdout
    assert "starting" not in completed.stdout


def test_services_script_rejects_invalid_timeout() -> None:
    environment = dict(os.environ, LIVEQUIZ_SERVICES_TIMEOUT_S="soon")

    completed = subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, timeout=30, env=environment
    )

    assert completed.returncode == 2
    assert "invalid LIVEQUIZ_SERVICES_TIMEOUT_S 'soon'" in completed.stderr
